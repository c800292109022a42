import Foundation
import Testing
@testable import HeapConv

/// Damaged and foreign files: each gives one error line naming the file (and where it can, the column and
/// offset), exit status 65, and no output; a seeded mutator runs thousands of damaged files through the
/// reader in process (crashes and hangs would stop the test run). `PARQUET_FUZZ_ITERATIONS` sets how many.
@Suite struct ParquetDamageTests {
    /// A file with stacks, text and several row groups, small enough to mutate quickly.
    static func sample() throws -> [UInt8] {
        try Codecs.parquet(SampleEvents.everyKind(), SampleEvents.contextRecords(), SampleEvents.workload(count: 300),
                           rowGroupRows: 128, pageRows: 64)
    }

    /// The first data page's header offset of column `name` in the first row group.
    static func dataPageOffset(_ bytes: [UInt8], column name: String) throws -> Int {
        let length = Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8 | Int(bytes[bytes.count - 6]) << 16
        var reader = ThriftCompactReader(Array(bytes[(bytes.count - 8 - length)..<(bytes.count - 8)]))
        let metadata = try Parquet.FileMetaData.decode(&reader)
        let column = try #require(metadata.rowGroups[0].columns.first { $0.path.first == name })
        return Int(column.dataPageOffset)
    }

    static func convert(_ bytes: [UInt8]) throws -> CLI.Result {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("bad.parquet"))
        let r = try CLI.run(["bad.parquet", "out.jsonl"], in: dir)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.jsonl").path), "no output left")
        return r
    }

    static func expectOneLineError(_ r: CLI.Result, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 65, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("heapconv: error: bad.parquet"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(fragment), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func truncatedFooter() throws {
        let bytes = try Self.sample()
        Self.expectOneLineError(try Self.convert(Array(bytes.dropLast(10))), "does not end with PAR1")
        Self.expectOneLineError(try Self.convert(Array(bytes.prefix(100)) + Array(bytes.suffix(8))), "footer length")
        Self.expectOneLineError(try Self.convert(Array("PAR1PAR1".utf8)), "too short")
        Self.expectOneLineError(try Self.convert(Array("{\"event\":\"alloc\"}\n".utf8)), "not a Parquet file")
    }

    @Test func wrongFooterLength() throws {
        var bytes = try Self.sample()
        bytes[bytes.count - 8] &+= 3
        Self.expectOneLineError(try Self.convert(bytes), "footer")
    }

    @Test func badPageHeader() throws {
        var bytes = try Self.sample()
        let at = try Self.dataPageOffset(bytes, column: "ts")
        for k in 0..<6 { bytes[at + k] = 0xFF }
        Self.expectOneLineError(try Self.convert(bytes), "column \"ts\"")
    }

    @Test func badGzip() throws {
        var bytes = try Self.sample()
        let at = try Self.dataPageOffset(bytes, column: "address")
        // Past the page header (a few dozen bytes) and the gzip header, into the deflate data.
        var reader = ThriftCompactReader(Array(bytes[at...]))
        let header = try Parquet.PageHeader.decode(&reader)
        let body = at + reader.position
        #expect(Array(bytes[body..<body + 4]) == [0x1F, 0x8B, 8, 0])
        for k in 10..<min(header.compressedSize - 8, 30) { bytes[body + k] ^= 0x5A }
        Self.expectOneLineError(try Self.convert(bytes), "column \"address\"")
    }

    /// A required column missing: heapconv's own file with `pid` renamed `pix` in the footer (same length,
    /// so every offset holds).
    @Test func aMissingRequiredColumnIsNamed() throws {
        var bytes = try Self.sample()
        let footerLength = Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8 | Int(bytes[bytes.count - 6]) << 16
        let pattern: [UInt8] = [3] + Array("pid".utf8)
        let at = try #require((bytes.count - 8 - footerLength..<bytes.count - 12).first { Array(bytes[$0..<$0 + 4]) == pattern })
        bytes[at + 3] = UInt8(ascii: "x")
        Self.expectOneLineError(try Self.convert(bytes), "no column \"pid\"")
    }

    /// Inputs the libFuzzer target once crashed on (`Fixtures/parquet/fuzz/`): each ends in events or a
    /// one-line error.
    @Test func regressionInputs() throws {
        let folder = ParquetRoundTripTests.fixtures.appendingPathComponent("fuzz")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") && $0 != "README.md" }
        #expect(!names.isEmpty)
        for name in names {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            do throws(ConversionError) {
                var reader = try ParquetReader(bytes: bytes, name: name)
                var batch = EventBatch()
                while try reader.read(into: &batch, limit: 64) { batch.removeAll() }
            } catch {
                #expect(!error.message.isEmpty && !error.description.contains("\n"), "\(name): \(error.description)")
            }
        }
    }

    /// Seeded mutations of heapconv's, pyarrow's and DuckDB's files: every one ends in events or a
    /// one-line ConversionError.
    @Test func seededMutations() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["PARQUET_FUZZ_ITERATIONS"] ?? "") ?? 3000
        var seeds = [try Self.sample()]
        for name in ["duckdb-typed", "pyarrow-snappy", "pyarrow-gzip-v2"] {
            seeds.append(Array(try Data(contentsOf: ParquetRoundTripTests.fixtures.appendingPathComponent(name + ".parquet"))))
        }
        var rng = ETLOrderingTests.SplitMix(state: 0x9A7)
        for i in 0..<iterations {
            let input = ETLFuzzTests.mutate(seeds[i % seeds.count], &rng)
            do throws(ConversionError) {
                var reader = try ParquetReader(bytes: input, name: "fuzz.parquet")
                var batch = EventBatch()
                var batches = 0
                while try reader.read(into: &batch, limit: 64) {
                    batch.removeAll()
                    batches += 1
                    if batches > input.count << 8 { Issue.record("reader does not stop"); break }
                }
            } catch {
                #expect(!error.message.isEmpty && !error.description.contains("\n"))
            }
        }
    }
}

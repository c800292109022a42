import Foundation
import Testing
@testable import HeapConv

/// Parquet written and read back in process, with row groups and pages small enough that a few thousand
/// events cross their boundaries; files other programs wrote read back to the JSON Lines they came from.
@Suite struct ParquetRoundTripTests {
    static let fixtures = CLI.repositoryRoot.appendingPathComponent("Tests/HeapConvTests/Fixtures/parquet")

    @Test(arguments: [Int32(0), 1, 9])
    func everyEventKindAndContextRecordComesBack(level: Int32) throws {
        let batches = [SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.contextRecords(),
                       SampleEvents.workload(count: 5_000)]
        let bytes = try Codecs.parquet(batches[0], batches[1], batches[2], batches[3], level: level)
        #expect(Array(bytes.prefix(4)) == Parquet.magic && Array(bytes.suffix(4)) == Parquet.magic)
        let back = try Codecs.readParquet(bytes)
        #expect(Codecs.flatten(back) == batches.flatMap(Codecs.flatten))
    }

    /// Row groups and pages of every size around the boundaries: 1 row, exactly a page, one more.
    @Test(arguments: [1, 63, 64, 65, 127, 128, 129, 1000, 1001])
    func boundaries(count: Int) throws {
        let batch = SampleEvents.workload(count: count, seed: UInt64(count))
        for (groupRows, pageRows) in [(64, 64), (128, 64), (1000, 128), (100_000, 1 << 14)] {
            let back = try Codecs.readParquet(try Codecs.parquet(batch, rowGroupRows: groupRows, pageRows: pageRows))
            #expect(Codecs.flatten(back) == Codecs.flatten(batch), "\(groupRows)/\(pageRows)")
        }
    }

    /// Stacks deep enough that a page ends early, at a row, to stay under the readers' page bounds.
    @Test func deepStacksEndPagesEarly() throws {
        var batch = EventBatch()
        for (i, depth) in [3, 700_000, 0, 1_300_000, 5].enumerated() {
            batch.append(.alloc(EventContext(timestamp: Int64(i), processID: 1, threadID: 2, heap: 3), address: UInt64(i), size: 8,
                                source: .mainPath), stack: (0..<depth).map { UInt64($0 % 5000) &* 0x1000_0001 })
        }
        let back = try Codecs.readParquet(try Codecs.parquet(batch, rowGroupRows: 1000, pageRows: 128))
        #expect(Codecs.flatten(back) == Codecs.flatten(batch))
    }

    @Test func anEmptyInputIsAValidEmptyFile() throws {
        let bytes = try Codecs.parquet(EventBatch())
        #expect(try Codecs.readParquet(bytes).isEmpty)
    }

    /// JSON Lines → Parquet → JSON Lines byte for byte, through the command line, at the default sizes.
    @Test func jsonLinesRoundTripsByteForByte() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let jsonl = try Codecs.jsonl(SampleEvents.everyKind(), SampleEvents.contextRecords(), SampleEvents.workload(count: 150_000))
        try Data(jsonl).write(to: dir.appendingPathComponent("t.jsonl"))
        #expect(try CLI.run(["t.jsonl", "t.parquet"], in: dir).status == 0)
        let back = try CLI.run(["t.parquet", "-", "--to", "jsonl"], in: dir)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(Array(back.stdout.utf8) == jsonl)
        let stdin = try CLI.run(["-", "--from", "parquet", "-", "--to", "jsonl"], in: dir,
                                stdin: try Data(contentsOf: dir.appendingPathComponent("t.parquet")))
        #expect(Array(stdin.stdout.utf8) == jsonl, "read from a pipe (spooled)")
    }

    /// Files DuckDB and pyarrow wrote from the hand-made events read back to them byte for byte.
    @Test(arguments: ["duckdb-text", "duckdb-typed", "pyarrow-snappy", "pyarrow-gzip-v2", "pyarrow-plain-small-pages"])
    func filesOtherProgramsWroteReadBack(_ name: String) throws {
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("events.jsonl"), encoding: .utf8)
        let r = try CLI.run([Self.fixtures.appendingPathComponent(name + ".parquet").path, "-", "--to", "jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == expected)
    }

    /// The footer names heapconv and the input, and has a column order per column (unsigned statistics).
    @Test func footerMetadata() throws {
        let bytes = try Codecs.parquet(SampleEvents.everyKind())
        let length = Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8 | Int(bytes[bytes.count - 6]) << 16
        var reader = ThriftCompactReader(Array(bytes[(bytes.count - 8 - length)..<(bytes.count - 8)]))
        let metadata = try Parquet.FileMetaData.decode(&reader)
        #expect(metadata.createdBy == "heapconv version \(HeapConvVersion.string)")
        #expect(metadata.keyValues.first?.key == "heapconv.input" && metadata.keyValues.first?.value == "t")
        #expect(metadata.numRows == Int64(SampleEvents.everyKind().count))
        #expect(metadata.schema.map(\.name) == ["schema"] + ParquetColumn.all.flatMap { $0.kind == .frames ? [$0.name, "list", "element"] : [$0.name] })
    }
}

/// The encodings on their own: RLE / bit-packing hybrid, the presence-bitmap shortcut, delta, Thrift.
@Suite struct ParquetEncodingTests {
    @Test(arguments: [1, 2, 3, 7, 8, 13, 16, 20, 32])
    func rleHybridRoundTrips(width: Int) throws {
        var rng = SplitMix64(seed: UInt64(width))
        for count in [0, 1, 7, 8, 9, 100, 1000] {
            // Runs and noise mixed.
            var values: [UInt32] = []
            while values.count < count {
                let v = UInt32(truncatingIfNeeded: rng.next()) & UInt32(truncatingIfNeeded: (UInt64(1) << width) - 1)
                values.append(contentsOf: repeatElement(v, count: rng.next() % 3 == 0 ? Int(rng.next() % 40) + 1 : 1))
            }
            values = Array(values.prefix(count))
            var bytes: [UInt8] = []
            values.withUnsafeBufferPointer { ParquetRLE.encode($0, width: width, to: &bytes) }
            let decoded = try bytes.withUnsafeBytes { raw in
                var decoder = try ParquetRLEDecoder(raw, width: width)
                return try (0..<count).map { _ in try decoder.next() }
            }
            #expect(decoded == values, "width \(width), \(count) values")
        }
    }

    @Test func bitmapLevelsMatchTheGeneralEncoder() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<300 {
            let rows = Int(rng.next() % 700) + 1
            var words = [UInt64](repeating: 0, count: (rows + 63) / 64 + 1)
            var levels: [UInt32] = []
            let density = rng.next() % 4
            for r in 0..<rows {
                let present = density == 0 ? false : density == 3 ? true : rng.next() % 3 != 0 || r % 50 < 20
                if present { words[r / 64] |= 1 << UInt64(r % 64) }
                levels.append(present ? 1 : 0)
            }
            let first = 64 * Int(rng.next() % UInt64((rows + 63) / 64))
            var bytes: [UInt8] = []
            words.withUnsafeBufferPointer { ParquetRLE.encodeBitmap($0, first: first, count: rows - first, to: &bytes) }
            let decoded = try bytes.withUnsafeBytes { raw in
                var decoder = try ParquetRLEDecoder(raw, width: 1)
                return try (first..<rows).map { _ in try decoder.next() }
            }
            #expect(decoded == Array(levels[first...]))
        }
    }

    @Test func deltaRoundTrips() throws {
        var rng = SplitMix64(seed: 9)
        for count in [1, 2, 31, 32, 33, 128, 129, 1000] {
            for shape in 0..<4 {
                var v = Int64(bitPattern: rng.next())
                let values: [UInt64] = (0..<count).map { _ in
                    switch shape {
                    case 0: v = v &+ Int64(rng.next() % 4000)  // timestamps
                    case 1: v = Int64(bitPattern: rng.next())  // anything: 64-bit deltas
                    case 2: v = [Int64.min, Int64.max, 0, -1][Int(rng.next() % 4)]
                    default: break  // constant
                    }
                    return UInt64(bitPattern: v)
                }
                var bytes: [UInt8] = []
                values.withUnsafeBufferPointer { ParquetDelta.encode($0, to: &bytes) }
                let decoded = try bytes.withUnsafeBytes { raw in
                    var decoder = try ParquetDeltaDecoder(raw)
                    var out: [UInt64] = []
                    try decoder.decode(count: count, into: &out)
                    #expect(decoder.position == raw.count, "the whole encoding is read")
                    return out
                }
                #expect(decoded == values, "\(count) values, shape \(shape)")
            }
        }
    }

    @Test func thriftPageHeadersRoundTrip() throws {
        for header in [Parquet.PageHeader.dataPage(uncompressed: 300, compressed: 20, values: 7, encoding: .rleDictionary),
                       .dictionaryPage(uncompressed: 0, compressed: 0, entries: 0),
                       .dataPage(uncompressed: Int(Int32.max), compressed: 1, values: 1 << 22, encoding: .deltaBinaryPacked)] {
            var reader = ThriftCompactReader(header.encode() + [0xEE])
            let back = try Parquet.PageHeader.decode(&reader)
            #expect(back.type == header.type && back.uncompressedSize == header.uncompressedSize
                    && back.compressedSize == header.compressedSize && back.numValues == header.numValues && back.encoding == header.encoding)
            #expect(reader.remaining == 1, "the header ends where it says")
        }
    }

    /// Unknown fields of every wire type are skipped; nesting and lengths are bounded.
    @Test func thriftSkipsUnknownFieldsAndRejectsDamage() throws {
        var w = ThriftCompactWriter()
        w.structBody { w in
            w.i32(1, 2)
            w.i32(2, 10)
            w.i32(3, 10)
            w.binary(4, [1, 2, 3])
            w.structure(5) { d in
                d.i32(1, 3)
                d.i32(2, 0)
                d.stringList(20, ["x", "y"])
                d.bool(21, true)
            }
            w.i64(300, -5)
            w.structure(301) { $0.i8(1, -1) }
        }
        var reader = ThriftCompactReader(w.bytes)
        let header = try Parquet.PageHeader.decode(&reader)
        #expect(header.type == .dictionaryPage && header.numValues == 3 && reader.remaining == 0)
        for cut in 0..<w.bytes.count {
            var r = ThriftCompactReader(Array(w.bytes.prefix(cut)))
            #expect(throws: ThriftCompactReader.Failure.self) { try Parquet.PageHeader.decode(&r) }
        }
        var deep = ThriftCompactReader([UInt8](repeating: 0x1C, count: 100))
        #expect(throws: ThriftCompactReader.Failure.self) { try deep.skip(12) }
        var long = ThriftCompactReader([0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])
        #expect(throws: ThriftCompactReader.Failure.self) { try Parquet.PageHeader.decode(&long) }
        // Maps nested a hundred thousand deep in an unknown field: an error, not a stack overflow.
        var maps = ThriftCompactReader([0xAB] + Array([[UInt8]](repeating: [0x01, 0xBB], count: 100_000).joined()) + [0])
        #expect(throws: ThriftCompactReader.Failure.self) { try Parquet.PageHeader.decode(&maps) }
        // A list claiming more elements than any footer needs.
        var huge = ThriftCompactReader([0x19, 0xFC, 0x80, 0x80, 0x80, 0x01] + [UInt8](repeating: 0, count: 64))
        #expect(throws: ThriftCompactReader.Failure.self) { try Parquet.FileMetaData.decode(&huge) }
    }
}

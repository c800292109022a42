import ETLSynth
import Foundation
import Testing
@testable import HeapConv

/// Damaged input: each problem stops the reading with one message naming the byte offset, or, under
/// `--keep-going`, is skipped while every event of the intact buffers is recovered.
@Suite struct ETLBadInputTests {
    /// Three data buffers of 4096 bytes at 0x1000, 0x2000, 0x3000 (CPUs 0, 1, 0), each with three 64-bit
    /// allocations (records at +0x48, +0x88, +0xC8); addresses 0x100 × buffer + index.
    static func threeBuffers(compressed: Bool = false) -> [UInt8] {
        ETLTestSupport.trace { b in
            for buffer in 0..<3 {
                var records: [[UInt8]] = []
                for i in 0..<3 {
                    let ticks = 5_000_100 + Int64(buffer * 10 + i)
                    records.append(ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: ticks), heap: 1, size: 8,
                                                        address: UInt64(0x100 * (buffer + 1) + i), source: 3))
                }
                b.appendBuffer(cpu: UInt16(buffer % 2), records: records, options: ETLBufferOptions(compressed: compressed))
            }
        }
    }

    static func patch32(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    static func patch16(_ bytes: inout [UInt8], at offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    /// The error reading `bytes` stops with.
    static func failure(_ bytes: [UInt8], fileOrder: Bool = false) -> ConversionError? {
        do {
            _ = try ETLTestSupport.readAll(bytes, fileOrder: fileOrder)
            return nil
        } catch {
            return error
        }
    }

    static func expectFailure(_ bytes: [UInt8], at offset: UInt64, _ message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        for fileOrder in [false, true] {
            let error = failure(bytes, fileOrder: fileOrder)
            #expect(error == ConversionError(.malformedInput, at: .offset(offset), message), sourceLocation: sourceLocation)
        }
    }

    /// Reads under `--keep-going`: the addresses recovered and the problems reported.
    static func keepGoing(_ bytes: [UInt8]) throws -> (addresses: [UInt64], problems: [ConversionError], facts: InfoValue) {
        let (events, _, reader) = try ETLTestSupport.readAll(bytes, keepGoing: true)
        return (events.compactMap(\.address), reader.skippedProblems, try #require(reader.facts()))
    }

    static let all: [UInt64] = [0x100, 0x101, 0x102, 0x200, 0x201, 0x202, 0x300, 0x301, 0x302]

    @Test func intactTraceReadsWhole() throws {
        #expect(try Self.keepGoing(Self.threeBuffers()).addresses == Self.all)
    }

    @Test func truncatedInsideABuffer() throws {
        let bytes = Array(Self.threeBuffers()[..<(0x3000 + 1000)])
        Self.expectFailure(bytes, at: 0x3000, "buffer size 0x1000 runs past the end of the file (0x3e8 bytes left)")
        let (addresses, problems, facts) = try Self.keepGoing(bytes)
        #expect(addresses == Array(Self.all[..<6]))
        #expect(problems.count == 1)
        #expect(facts["skipped"]?["buffers"] == .uint(1))
    }

    @Test func truncatedInsideABufferHeader() throws {
        let bytes = Array(Self.threeBuffers()[..<(0x3000 + 0x20)])
        Self.expectFailure(bytes, at: 0x3000, "the file ends 0x20 bytes into a 0x48-byte buffer header")
        #expect(try Self.keepGoing(bytes).addresses == Array(Self.all[..<6]))
    }

    @Test func zeroBufferSize() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x2000, 0)
        Self.expectFailure(bytes, at: 0x2000, "buffer size is 0")
        let (addresses, problems, facts) = try Self.keepGoing(bytes)
        #expect(addresses == [0x100, 0x101, 0x102, 0x300, 0x301, 0x302])
        #expect(problems == [ConversionError(.malformedInput, at: .offset(0x2000), "buffer size is 0")])
        #expect(facts["skipped"]?["buffers"] == .uint(1))
        #expect(facts["skipped"]?["bytes"] == .uint(0x1000))
    }

    @Test func oversizedBufferSize() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x1000, 0x0200_0000)
        Self.expectFailure(bytes, at: 0x1000, "buffer size 0x2000000 exceeds the maximum 0x1000000")
        #expect(try Self.keepGoing(bytes).addresses == Array(Self.all[3...]))
    }

    /// Uncompressed buffers are never larger than the log file's buffer size.
    @Test func bufferLargerThanTheLogFileSays() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x2000, 0x2000)
        Self.expectFailure(bytes, at: 0x2000, "buffer size 0x2000 exceeds the log file's buffer size 0x1000")
        #expect(try Self.keepGoing(bytes).addresses == [0x100, 0x101, 0x102, 0x300, 0x301, 0x302])
    }

    @Test func bufferSizeSmallerThanItsHeader() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x1000, 0x30)
        Self.expectFailure(bytes, at: 0x1000, "buffer size 0x30 is smaller than the 0x48-byte buffer header")
    }

    @Test func dataEndOutsideTheBuffer() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x2000 + 0x30, 0x1008)
        Self.expectFailure(bytes, at: 0x2000, "buffer data end (Offset) 0x1008 exceeds the buffer size 0x1000")
        #expect(try Self.keepGoing(bytes).addresses == [0x100, 0x101, 0x102, 0x300, 0x301, 0x302])
        Self.patch32(&bytes, at: 0x2000 + 0x30, 0x10)
        Self.expectFailure(bytes, at: 0x2000, "buffer data end (Offset) 0x10 lies inside the 0x48-byte buffer header")
    }

    /// A size that sends the walk past Offset loses the rest of the buffer, not the records before it.
    @Test func recordSizeRunsPastTheBufferEnd() throws {
        var bytes = Self.threeBuffers()
        Self.patch16(&bytes, at: 0x2088 + 4, 0x9000)
        Self.expectFailure(bytes, at: 0x2088, "record size 0x9000 runs past the buffer end (Offset 0x108)")
        let (addresses, problems, facts) = try Self.keepGoing(bytes)
        #expect(addresses == [0x100, 0x101, 0x102, 0x200, 0x300, 0x301, 0x302])
        #expect(problems == [ConversionError(.malformedInput, at: .offset(0x2088), "record size 0x9000 runs past the buffer end (Offset 0x108)")])
        #expect(facts["skipped"]?["records"] == .uint(1))
    }

    @Test func recordSizeSmallerThanItsHeader() throws {
        var bytes = Self.threeBuffers()
        Self.patch16(&bytes, at: 0x1088 + 4, 0x10)
        Self.expectFailure(bytes, at: 0x1088, "record size 0x10 is smaller than its 0x20-byte SYSTEM64 header")
    }

    @Test func notARecordMarker() throws {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0x10C8, 0)
        Self.expectFailure(bytes, at: 0x10C8, "0x00000000 is not a record marker")
        Self.patch32(&bytes, at: 0x10C8, 0xC077_0002)
        Self.expectFailure(bytes, at: 0x10C8, "unknown record header type 0x77 (marker 0xc0770002)")
        #expect(try Self.keepGoing(bytes).addresses == [0x100, 0x101, 0x200, 0x201, 0x202, 0x300, 0x301, 0x302])
    }

    /// A heap payload shorter than its layout is an error for that record only.
    @Test func shortHeapPayload() throws {
        let h = ETLHeapRecords.Header(.bits64, thread: 1, process: 2, ticks: 5_000_200)
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_100), heap: 1, size: 8, address: 0xA, source: 3),
                ETLHeapRecords.raw(h, opcode: 0x21, payload: Array(repeating: 1, count: 12)),
                ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_300), heap: 1, size: 8, address: 0xC, source: 3),
            ])
        }
        Self.expectFailure(bytes, at: 0x1088, "HeapAlloc payload of 12 bytes is shorter than the 28 bytes of its 64-bit layout")
        let (addresses, problems, facts) = try Self.keepGoing(bytes)
        #expect(addresses == [0xA, 0xC])
        #expect(problems.count == 1)
        #expect(facts["skipped"]?["records"] == .uint(1))
    }

    @Test(arguments: [
        (UInt8(0x20), 3, [UInt8](repeating: 0, count: 35), "HeapCreate version 3 payload of 35 bytes is shorter than the 36 bytes of its 64-bit layout"),
        (0x20, 2, [UInt8](repeating: 0, count: 11), "HeapCreate version 2 payload of 11 bytes is shorter than the 12 bytes of its 64-bit layout"),
        (0x22, 2, [UInt8](repeating: 0, count: 43), "HeapReAlloc payload of 43 bytes is shorter than the 44 bytes of its 64-bit layout"),
        (0x24, 2, [UInt8](repeating: 0, count: 19), "HeapFree payload of 19 bytes is shorter than the 20 bytes of its 64-bit layout"),
        (0x23, 2, [UInt8](repeating: 0, count: 7), "HeapDestroy payload of 7 bytes is shorter than the 8 bytes of its 64-bit layout"),
        (0x25, 3, [UInt8](repeating: 0, count: 59), "HeapExpand version 3 payload of 59 bytes is shorter than the 60 bytes of its 64-bit layout"),
        (0x2A, 2, [UInt8](repeating: 0, count: 51), "HeapContract version 2 payload of 51 bytes is shorter than the 52 bytes of its 64-bit layout"),
        (0x26, 3, [UInt8](repeating: 0, count: 63), "HeapSnapShot version 3 payload of 63 bytes is shorter than the 64 bytes of its 64-bit layout"),
        (0x2B, 2, [UInt8](), "HeapLock payload of 0 bytes is shorter than the 8 bytes of its 64-bit layout"),
    ])
    func shortPayloadOfEveryLayout(_ opcode: UInt8, _ version: UInt8, _ payload: [UInt8], _ message: String) {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.raw(.init(.bits64, thread: 1, process: 2, ticks: 5_000_100), opcode: opcode, version: version, payload: payload),
            ])
        }
        Self.expectFailure(bytes, at: 0x1048, message)
    }

    @Test func pmcWordsThatDoNotFit() {
        var record = ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_100), heap: 1, size: 8, address: 0xA, source: 3)
        record[1] = 0x07  // 7 PMC counters announced, none written: 56 bytes more than the payload holds
        let bytes = ETLTestSupport.trace { b in b.appendBuffer(cpu: 0, records: [record]) }
        Self.expectFailure(bytes, at: 0x1048, "HeapAlloc record size 0x3c leaves no room for its 7 PMC/PEBS header words")
    }

    @Test func notAnETLFile() {
        Self.expectFailure([], at: 0, "the file is empty")
        Self.expectFailure(Array("{\"event\":\"alloc\"}\n".utf8), at: 0,
                           "the file has 18 bytes, fewer than one 0x48-byte buffer header: not an .etl file")
        var text = Array(String(repeating: "not an etl file at all. ", count: 400).utf8)
        Self.expectFailure(text, at: 0, "first buffer: buffer size 0x20746f6e exceeds the maximum 0x1000000 (not an .etl file?)")
        text.replaceSubrange(0..<4, with: [0x00, 0x02, 0, 0])
        Self.patch32(&text, at: 0x30, 0x100)
        Self.patch16(&text, at: 0x34, 0x0001)
        Self.expectFailure(text, at: 0x48, "0x20746f6e is not a record marker")
    }

    @Test func firstRecordMustBeTheLogFileHeader() {
        var bytes = Self.threeBuffers()
        bytes[0x48 + 7] = 0x03  // group Process instead of Header
        Self.expectFailure(bytes, at: 0x48, "the first record has group 0x3 opcode 0x0, not the log file header (group 0, opcode 0)")
        var short = Self.threeBuffers()
        Self.patch16(&short, at: 0x48 + 4, 0x100)
        Self.expectFailure(short, at: 0x48, "the log file header record is unusable: its payload of 0xe0 bytes is shorter than the 0x118 bytes of a 64-bit TRACE_LOGFILE_HEADER")
    }

    @Test func unusableClock() {
        var header = ETLLogHeader()
        header.clockType = 9
        var builder = ETLFileBuilder(header: header)
        Self.expectFailure(builder.build(), at: 0x48, "the log file header is unusable: its clock type (ReservedFlags) 9 is unknown")
        header.clockType = 1
        header.perfFreq = 0
        builder = ETLFileBuilder(header: header)
        Self.expectFailure(builder.build(), at: 0x48, "the log file header is unusable: its QPC clock frequency (PerfFreq) is 0")
    }

    /// The header buffer cannot be skipped: without the log-file header nothing can be read.
    @Test func damagedHeaderBufferStopsEvenWhenKeepingGoing() {
        var bytes = Self.threeBuffers()
        Self.patch32(&bytes, at: 0, 0)
        #expect(throws: ConversionError(.malformedInput, at: .offset(0), "first buffer: buffer size is 0 (not an .etl file?)")) {
            _ = try ETLTestSupport.readAll(bytes, keepGoing: true)
        }
    }

    /// Garbage between buffers of different sizes: the next plausible buffer header is found byte by byte.
    @Test func keepGoingFindsTheNextBufferAfterGarbage() throws {
        var bytes = Self.threeBuffers()
        // Make the middle buffer garbage, header included.
        for i in 0x2000..<0x2100 { bytes[i] = UInt8(truncatingIfNeeded: i &* 131) }
        let (addresses, problems, _) = try Self.keepGoing(bytes)
        #expect(addresses == [0x100, 0x101, 0x102, 0x300, 0x301, 0x302])
        #expect(problems.count == 1)
    }

    @Test func corruptCompressedBuffer() throws {
        var bytes = Self.threeBuffers(compressed: true)
        // Second data buffer: 0x1000 (header buffer) + first data buffer's compressed size.
        let second = 0x1000 + Int(bytes[0x1000]) + Int(bytes[0x1001]) << 8
        // Cut its LZ77 stream short: it now decompresses to fewer bytes than Offset says.
        let size = Int(bytes[second]) + Int(bytes[second + 1]) << 8
        Self.patch32(&bytes, at: second, UInt32(size - 40))
        bytes.removeSubrange(second + size - 40..<second + size)
        let error = Self.failure(bytes)
        #expect(error?.location == .offset(UInt64(second)))
        #expect(error?.message.hasPrefix("compressed buffer") == true, "\(String(describing: error))")
        let (addresses, problems, _) = try Self.keepGoing(bytes)
        #expect(addresses == [0x100, 0x101, 0x102, 0x300, 0x301, 0x302])
        #expect(problems.count == 1)
        // A flag word announcing a match that reaches before the output start.
        var match = Self.threeBuffers(compressed: true)
        Self.patch32(&match, at: second + 0x48, 0x8000_0000)
        match[second + 0x4C] = 0xF8
        match[second + 0x4D] = 0xFF
        let matchError = Self.failure(match)
        #expect(matchError?.location == .offset(UInt64(second)))
        #expect(matchError?.message.hasPrefix("compressed buffer: LZ77 data corrupt at compressed offset 0x4: ") == true,
                "\(String(describing: matchError))")
    }

    /// Inside a compressed buffer, an error names the buffer's file offset and the offset in the decompressed data.
    @Test func recordErrorInsideACompressedBuffer() throws {
        let bad = ETLHeapRecords.raw(.init(.bits64, thread: 1, process: 2, ticks: 5_000_100), opcode: 0x21, payload: [1, 2, 3])
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_050), heap: 1, size: 8, address: 0xA, source: 3),
                bad,
            ], options: ETLBufferOptions(compressed: true))
        }
        Self.expectFailure(bytes, at: 0x1000, "compressed buffer, at decompressed offset 0x40: HeapAlloc payload of 3 bytes is shorter than the 28 bytes of its 64-bit layout")
    }

    /// Through a whole conversion: one message naming the file and offset, exit status 65, no output file.
    @Test func conversionLeavesNoOutputBehind() throws {
        var bytes = Self.threeBuffers()
        Self.patch16(&bytes, at: 0x2088 + 4, 0x9000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etl-bad-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("trace.etl").path
        let output = directory.appendingPathComponent("out.jsonl").path
        #expect(FileManager.default.createFile(atPath: input, contents: Data(bytes)))
        let error = #expect(throws: ConversionError.self) {
            _ = try Conversion.run(ConversionOptions(inputPath: input, outputPath: output))
        }
        #expect(error?.description == input + ": offset 0x2088: record size 0x9000 runs past the buffer end (Offset 0x108)")
        #expect(error?.exitStatus == 65)
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["trace.etl"])

        var options = ConversionOptions(inputPath: input, outputPath: output)
        options.keepGoing = true
        let report = try Conversion.run(options)
        #expect(report.eventsWritten == 7)
        #expect(report.skippedProblems.map(\.description) == [input + ": offset 0x2088: record size 0x9000 runs past the buffer end (Offset 0x108)"])
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test func missingFile() {
        #expect(throws: ConversionError(.cannotOpenInput, file: "/nonexistent/trace.etl", "cannot open: No such file or directory")) {
            _ = try ETLReader(ReaderContext(path: "/nonexistent/trace.etl", name: "/nonexistent/trace.etl", gzip: false,
                                            options: ConversionOptions(inputPath: "/nonexistent/trace.etl", outputPath: "-")))
        }
    }
}

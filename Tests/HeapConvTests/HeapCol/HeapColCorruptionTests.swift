import Foundation
import Testing
@testable import HeapConv

/// Damaged heapcol files: every problem is a `.malformedInput` error with a byte offset, never a crash and
/// never events of a damaged row group.
@Suite struct HeapColCorruptionTests {
    typealias H = HeapColHarness

    /// The error reading a decompressed stream (compressed again first) throws.
    static func streamError(_ stream: [UInt8]) throws -> ConversionError? {
        H.readError(try H.gzip(stream, level: 1))
    }

    static func expectMalformed(_ error: ConversionError?, at offset: UInt64? = nil, _ text: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else {
            Issue.record("expected an error containing \"\(text)\", the file read", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == .malformedInput, sourceLocation: sourceLocation)
        guard case .offset(let at)? = error.location else {
            Issue.record("no offset in \(error)", sourceLocation: sourceLocation)
            return
        }
        if let offset { #expect(at == offset, "\(error)", sourceLocation: sourceLocation) }
        if !text.isEmpty { #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation) }
    }

    // MARK: A file assembled by hand from the specification

    static let ts: Int64 = 1_700_000_000_123_456_789

    /// The columns of one alloc event, as `Schemas/heapcol.md` §5.3 and §6 describe them.
    static func allocColumns() -> [[UInt64]] {
        [
            [1],                                         // kind: alloc
            [Varint.zigzag(ts)],                         // time: delta from 0
            [42], [0],                                   // pid_dict, pid
            [7], [0],                                    // tid_dict, tid
            [0],                                         // cpu: none recorded
            [0x1000], [0],                               // heap_dict, heap
            [4, Varint.zigzag(1)],                       // address: shift 4, (0x1010 - 0x1000) >> 4 = 1
            [16],                                        // size
            [0], [],                                     // old_address (shift only), old_size
            [3],                                         // source: main path
            [], [],                                      // flags, details
            [0, 2, Varint.zigzag(0x10), Varint.zigzag(0x10)],  // stack_dict: no base, stack [0x10, 0x20]
            [1],                                         // stack: entry 0
        ]
    }

    static func rowGroup(n: UInt64 = 1, flags: UInt64 = 0, _ columns: [[UInt64]]) -> [UInt8] {
        var body = H.varint(n) + H.varint(flags)
        for (id, values) in columns.enumerated() { body += H.plainColumn(id, values) }
        return body
    }

    static func footer(rowGroups: UInt64 = 1, events: UInt64 = 1, perKind: [UInt64] = [0, 1, 0, 0, 0, 0, 0, 0, 0]) -> [UInt8] {
        ([rowGroups, events] + perKind).flatMap(H.varint)
    }

    static func stream(_ blocks: [(UInt8, [UInt8])], header: [UInt8] = HeapColFormat.magic + [1, 0]) -> [UInt8] {
        header + blocks.flatMap { H.block(tag: $0.0, body: $0.1) }
    }

    static let expectedAlloc = H.Flat(
        event: .alloc(EventContext(timestamp: ts, processID: 42, threadID: 7, cpu: nil, heap: 0x1000),
                      address: 0x1010, size: 16, source: .mainPath),
        stack: [0x10, 0x20])

    @Test func aFileAssembledFromTheSpecReads() throws {
        let file = try H.gzip(Self.stream([(0x52, Self.rowGroup(Self.allocColumns())), (0x46, Self.footer())]))
        #expect(try H.read(file) == [Self.expectedAlloc])
    }

    @Test func theWriterProducesTheSpecsWholeFileExample() throws {
        // §9 of the spec: the hex bytes left of each `|` between the example markers.
        let spec = try String(contentsOf: HeapColPythonReaderTests.root.appendingPathComponent("Schemas/heapcol.md"), encoding: .utf8)
        let example = spec.components(separatedBy: "<!-- example-begin -->")[1].components(separatedBy: "<!-- example-end -->")[0]
        var bytes: [UInt8] = []
        for line in example.split(separator: "\n") where line.contains("|") {
            for token in line.split(separator: "|")[0].split(separator: " ") { bytes.append(UInt8(token, radix: 16)!) }
        }
        var batch = EventBatch()
        batch.append(Self.expectedAlloc.event, stack: Self.expectedAlloc.stack!)
        #expect(try H.gunzip(try H.write([batch])) == bytes)
        // The same bytes, assembled from the columns as §5 and §6 describe them, with the 1.1 header and
        // footer (four more zeros: no context records).
        #expect(Self.stream([(0x52, Self.rowGroup(Self.allocColumns())), (0x46, Self.footer() + [0, 0, 0, 0])],
                            header: HeapColFormat.magic + [1, 1]) == bytes)
    }

    @Test func theSpecsStackBaseExampleReads() throws {
        // §6.8: entry 0 = [0x30, 0x20, 0x10]; `1, 2, 1, 0xA0` adds entry 1 = [0x50, 0x20, 0x10].
        var columns = Self.allocColumns()
        columns[16] = [0, 3, Varint.zigzag(0x30), Varint.zigzag(-0x10), Varint.zigzag(-0x10), 1, 2, 1, 0xA0]
        columns[17] = [2]
        var expected = Self.expectedAlloc
        expected.stack = [0x50, 0x20, 0x10]
        let file = try H.gzip(Self.stream([(0x52, Self.rowGroup(columns)), (0x46, Self.footer())]))
        #expect(try H.read(file) == [expected])
    }

    @Test func theSpecsPackedExampleReads() throws {
        // §4: 1, 2, 3, 0, 3 packed with width 2 are `02 05 02 39 03`; here as the kind column of five events.
        var columns = Self.allocColumns()
        columns[0] = [1, 2, 3, 0, 3]
        var body = H.varint(5) + H.varint(0) + [0, 5, 0x02, 0x05, 0x02, 0x39, 0x03]
        for id in 1..<columns.count { body += H.plainColumn(id, columns[id]) }
        // The other columns are for one event, so the reader must complain about the time column's count.
        Self.expectMalformed(try Self.streamError(Self.stream([(0x52, body), (0x46, Self.footer())])),
                             "column \"time\": holds 1 values where its events need 5")
    }

    @Test func aLaterMinorVersionsBlocksAndColumnsAreSkipped() throws {
        var body = Self.rowGroup(Self.allocColumns())
        body += H.plainColumn(18, [1, 2, 3]) + H.plainColumn(300, [9])
        // A 1.9 footer: the eleven 1.0 values, the four 1.1 values (no context records), then two unknown ones.
        let s = Self.stream([(0x4D, [1, 2, 3]), (0x52, body), (0x58, []), (0x46, Self.footer() + [0, 0, 0, 0, 5, 6])],
                            header: HeapColFormat.magic + [1, 9])
        #expect(try H.read(try H.gzip(s)) == [Self.expectedAlloc])
    }

    // MARK: Header, blocks, footer

    @Test func wrongMagic() throws {
        var s = try H.gunzip(try H.write([SampleEvents.everyKind()]))
        s[3] = UInt8(ascii: "X")
        Self.expectMalformed(try Self.streamError(s), at: 0, "not a heapcol file")
    }

    @Test func notGzipAtAll() throws {
        let error = H.readError(Array("{\"event\":\"alloc\"}\n".utf8))
        Self.expectMalformed(error, "gzip")
    }

    @Test func unknownMajorVersion() throws {
        var s = try H.gunzip(try H.write([SampleEvents.everyKind()]))
        s[8] = 2
        Self.expectMalformed(try Self.streamError(s), at: 8, "unsupported heapcol major version 2")
    }

    @Test func crcMismatch() throws {
        var s = try H.gunzip(try H.write([SampleEvents.everyKind()]))
        s[s.count - 30] ^= 0xFF  // inside the row group (the footer is the last 20 bytes)
        Self.expectMalformed(try Self.streamError(s), at: 10, "CRC-32 mismatch in the block at offset 0xa")
    }

    @Test func blockLengthAboveTheLimit() throws {
        let s = HeapColFormat.magic + [1, 0, 0x52, 0x01, 0x00, 0x00, 0x10]
        Self.expectMalformed(try Self.streamError(s), at: 11, "exceeds heapcol's limit")
    }

    @Test func footerCountsThatDisagree() throws {
        // Without stacks, so that a lost row group is noticed by the footer and not by a stack index.
        let batches = [SampleEvents.everyKind(), SampleEvents.workload(count: 50)].map { batch in
            H.batch(H.flatten(batch).map { H.Flat(event: $0.event, stack: nil) })
        }
        var parts = H.Parts(try H.gunzip(try H.write(batches, rowGroupLimit: 10)))
        let footerOffset = UInt64(parts.stream.count - 9 - parts.blocks.last!.body.count + 5)
        // A row group lost.
        var lost = parts
        lost.blocks.remove(at: 2)
        Self.expectMalformed(try Self.streamError(lost.stream), "row groups are missing or repeated")
        // A row group repeated.
        var repeated = parts
        repeated.blocks.insert(repeated.blocks[3], at: 3)
        Self.expectMalformed(try Self.streamError(repeated.stream), "row groups are missing or repeated")
        // An event count off by one, and a per-kind count off.
        parts.blocks[parts.blocks.count - 1].body[1] &+= 1
        Self.expectMalformed(try Self.streamError(parts.stream), at: footerOffset, "the footer counts")
        parts.blocks[parts.blocks.count - 1].body[1] &-= 1
        parts.blocks[parts.blocks.count - 1].body[5] &+= 1
        Self.expectMalformed(try Self.streamError(parts.stream), at: footerOffset, "free events")
    }

    @Test func footerTooShort() throws {
        Self.expectMalformed(try Self.streamError(Self.stream([(0x46, [0, 0, 0])])), "footer is too short")
    }

    @Test func dataAfterTheFooter() throws {
        let s = try H.gunzip(try H.write([SampleEvents.everyKind()]))
        Self.expectMalformed(try Self.streamError(s + [0]), at: UInt64(s.count), "data after the heapcol footer")
        Self.expectMalformed(try Self.streamError(s + H.block(tag: 0x52, body: Self.rowGroup(Self.allocColumns()))),
                             at: UInt64(s.count), "data after the heapcol footer")
    }

    @Test func noFooter() throws {
        let s = Self.stream([(0x52, Self.rowGroup(Self.allocColumns()))])
        Self.expectMalformed(try Self.streamError(s), at: UInt64(s.count), "ends before the heapcol footer")
    }

    // MARK: Truncation

    @Test func truncatedAtEveryOffsetOfTheDecompressedStream() throws {
        let s = try H.gunzip(try H.write([SampleEvents.everyKind(), SampleEvents.extremeTimes()], rowGroupLimit: 9))
        for length in 0..<s.count {
            let error = try Self.streamError(Array(s[0..<length]))
            Self.expectMalformed(error, at: UInt64(length), length < 10 ? "heapcol header" : "truncated file")
        }
    }

    @Test func truncatedAtManyOffsetsOfTheCompressedFile() throws {
        let file = try H.write([SampleEvents.everyKind(), SampleEvents.workload(count: 3000)], rowGroupLimit: 500)
        var lengths = Array(0..<64) + Array(stride(from: 64, to: file.count, by: 37)) + [file.count - 1]
        lengths = Array(Set(lengths)).sorted()
        for length in lengths {
            Self.expectMalformed(H.readError(Array(file[0..<length])), "")
        }
    }

    // MARK: Flipped bytes

    @Test func everyFlippedByteOfASmallFileIsCaught() throws {
        let s = try H.gunzip(try H.write([SampleEvents.everyKind()], rowGroupLimit: 7))
        for i in 0..<s.count where i != 9 {  // byte 9 is the minor version: any is accepted
            for mask: UInt8 in [0x01, 0x80] {
                var damaged = s
                damaged[i] ^= mask
                Self.expectMalformed(try Self.streamError(damaged), "")
            }
        }
    }

    // MARK: Violations inside blocks whose CRC matches (a faulty writer)

    static func violation(_ edit: (inout [[UInt64]]) -> Void, n: UInt64 = 1, flags: UInt64 = 0) throws -> ConversionError? {
        var columns = allocColumns()
        edit(&columns)
        return try streamError(stream([(0x52, rowGroup(n: n, flags: flags, columns)), (0x46, footer())]))
    }

    @Test func violationsInsideARowGroup() throws {
        Self.expectMalformed(try Self.violation({ _ in }, n: 0), at: 15, "event count must be from 1 to 65536")
        Self.expectMalformed(try Self.violation({ _ in }, n: 65_537), "event count must be from 1 to 65536")
        Self.expectMalformed(try Self.violation({ _ in }, flags: 2), "unknown row-group flags")
        Self.expectMalformed(try Self.violation { $0[0] = [9] }, "unknown kind code 9")
        Self.expectMalformed(try Self.violation { $0[1] = [1, 2] }, "column \"time\": holds 2 values where its events need 1")
        Self.expectMalformed(try Self.violation { $0[3] = [1] }, "column \"pid\": index 1 outside a dictionary of 1")
        Self.expectMalformed(try Self.violation { $0[2] = [1 << 32] }, "column \"pid_dict\": value 4294967296 does not fit in 32 bits")
        Self.expectMalformed(try Self.violation { $0[2] = [1, 2] }, "more than the 1 allowed")
        Self.expectMalformed(try Self.violation { $0[5] = [3] }, "column \"tid\": index 3")
        Self.expectMalformed(try Self.violation { $0[6] = [(1 << 32) + 1] }, "column \"cpu\"")
        Self.expectMalformed(try Self.violation { $0[8] = [1] }, "column \"heap\": index 1")
        Self.expectMalformed(try Self.violation { $0[9] = [64, 2] }, "column \"address\": shift 64 is above 63")
        Self.expectMalformed(try Self.violation { $0[9] = [2] }, "column \"address\": holds 1 values where its events need 2")
        Self.expectMalformed(try Self.violation { $0[11] = [70] }, "column \"old_address\": shift 70")
        Self.expectMalformed(try Self.violation { $0[13] = [1 << 32] }, "column \"source\"")
        Self.expectMalformed(try Self.violation { $0[15] = [1] }, "column \"details\"")
        Self.expectMalformed(try Self.violation { $0[16] = [0, 3, 1, 1] }, "runs past the column's end")
        Self.expectMalformed(try Self.violation { $0[16] = [0, 1, 1, 0] }, "a stack entry runs past the column's end")
        Self.expectMalformed(try Self.violation { $0[16] = [1, 0, 1, 7] }, "base 1 reaches before the first of 0 entries")
        Self.expectMalformed(try Self.violation { $0[16] = [0, 2, 7, 7, 2, 1, 0] }, "base 2 reaches before the first of 1 entries")
        Self.expectMalformed(try Self.violation { $0[16] = [0, 2, 7, 7, 1, 3, 0] }, "3 shared frames from a base of 2")
        Self.expectMalformed(try Self.violation { $0[17] = [2] }, "column \"stack\": entry 2 outside a dictionary of 1")
        Self.expectMalformed(try Self.violation { $0[0] = [0]; $0[9] = [0]; $0[10] = []; $0[13] = []; $0[14] = [1]; $0[15] = [8] },
                             "above its field's maximum 7")
        Self.expectMalformed(try Self.violation { $0[0] = [0]; $0[9] = [0]; $0[10] = []; $0[13] = []; $0[14] = [1]; $0[15] = [1] },
                             "runs out of values")
        Self.expectMalformed(try Self.violation { $0[0] = [8]; $0[9] = [0]; $0[10] = []; $0[13] = []; $0[15] = [256] },
                             "above its field's maximum 255")
        Self.expectMalformed(try Self.violation { $0[0] = [4]; $0[9] = [0]; $0[10] = []; $0[13] = []; $0[15] = [0] },
                             "more than the 0 allowed")
        Self.expectMalformed(try Self.violation { $0[0] = [0]; $0[9] = [0]; $0[10] = []; $0[13] = []; $0[14] = [1]; $0[15] = [0, 5] },
                             "1 values left over after the last event")
    }

    @Test func malformedColumnsAndSequences() throws {
        let head = H.varint(1) + H.varint(0)
        func body(replacing id: Int, with bytes: [UInt8]) -> [UInt8] {
            var body = head
            for (i, values) in Self.allocColumns().enumerated() { body += i == id ? bytes : H.plainColumn(i, values) }
            return body
        }
        func error(_ body: [UInt8]) throws -> ConversionError? {
            try Self.streamError(Self.stream([(0x52, body), (0x46, Self.footer())]))
        }
        Self.expectMalformed(try error(body(replacing: 4, with: [])), "column \"tid_dict\" is missing")
        Self.expectMalformed(try error(body(replacing: 17, with: [])), "column \"stack\" is missing")
        Self.expectMalformed(try error(body(replacing: 4, with: H.plainColumn(3, [0]))), "ids must increase")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 3, 3, 1, 1])), "unknown integer-sequence layout 3")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 0, 1, 1, 0])), "left over after the last value")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 3, 0, 1, 0x81])), "bad varint or the column ends after 0 of 1 values")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 0])), "empty column")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 9, 0, 1] + [UInt8](repeating: 0xFF, count: 10) + [1])), "bad varint")
        Self.expectMalformed(try error(body(replacing: 17, with: [17, 200, 0])), "bad column header or column runs past")
        // Runs: a run of zero, a run past the count, runs that stop short.
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 1, 1, 1, 0])), "a run of 0 does not fit")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 1, 1, 1, 2])), "a run of 2 does not fit")
        Self.expectMalformed(try error(body(replacing: 16, with: [16, 4, 1, 2, 0, 1])), "ends after 1 of 2 values")
        // Packed: a width of 0 or 65, a wrong byte count, nonzero padding.
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 2, 1, 0, 1])), "packed width 0")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 2, 1, 65, 1])), "packed width 65")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 5, 2, 1, 4, 1, 0])), "take 1 bytes, the column has 2")
        Self.expectMalformed(try error(body(replacing: 0, with: [0, 4, 2, 1, 4, 0x11])), "nonzero padding bits")
        // The same kind column, well packed, reads.
        let good = try error(body(replacing: 0, with: [0, 4, 2, 1, 4, 0x01]))
        #expect(good == nil, "\(String(describing: good))")
    }

    @Test func stackDictionaryEntryLimit() throws {
        // 2^20 + 1 empty stacks (no base, no frames: two zeros each), declared in a few bytes with the runs
        // layout: one entry too many.
        let zeros = 2 * (UInt64(HeapColFormat.maximumStackEntries) + 1)
        let sequence = [1] + H.varint(zeros) + [0] + H.varint(zeros)
        var body = H.varint(1) + H.varint(0)
        for (i, values) in Self.allocColumns().enumerated() {
            body += i == 16 ? H.varint(16) + H.varint(UInt64(sequence.count)) + sequence : H.plainColumn(i, values)
        }
        Self.expectMalformed(try Self.streamError(Self.stream([(0x52, body), (0x46, Self.footer())])),
                             "the stack dictionary exceeds heapcol's limits")
    }

    // MARK: Random damage

    /// Seeded random damage, for about two seconds: to the compressed file, and to the decompressed stream
    /// with the block CRCs recomputed, so that the decoder itself meets nonsense. Any outcome but a crash
    /// (or an error without an offset) passes.
    @Test func randomDamageNeverCrashes() throws {
        var rng = SplitMix64(seed: 0xf00d)
        let batches = [SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.workload(count: 400)]
        let file = try H.write(batches, rowGroupLimit: 60, stackEntryLimit: 20, stackFrameLimit: 400)
        let stream = try H.gunzip(file)
        let parts = H.Parts(stream)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        var rounds = 0, errors = 0
        func mutate(_ bytes: inout [UInt8]) {
            for _ in 0..<Int(1 + rng.next() % 4) {
                guard !bytes.isEmpty else { return }
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 6 {
                case 0: bytes[i] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
                case 1: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 2: bytes.removeSubrange(i..<min(bytes.count, i + Int(rng.next() % 16)))
                case 3: bytes.insert(contentsOf: (0..<Int(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: i)
                case 4: bytes[i] = [0x00, 0x01, 0x7F, 0x80, 0xFF][Int(rng.next() % 5)]
                default: bytes.removeSubrange(i...)
                }
            }
        }
        while clock.now < deadline {
            rounds += 1
            var error: ConversionError?
            switch rng.next() % 3 {
            case 0:
                var damaged = file
                mutate(&damaged)
                error = H.readError(damaged)
            case 1:
                var damaged = stream
                mutate(&damaged)
                error = try Self.streamError(damaged)
            default:
                var damaged = parts
                let b = Int(rng.next() % UInt64(damaged.blocks.count))
                mutate(&damaged.blocks[b].body)
                error = try Self.streamError(damaged.stream)
            }
            if let error {
                errors += 1
                #expect(error.kind == .malformedInput, "\(error)")
                if case .offset? = error.location {} else { Issue.record("no offset: \(error)") }
            }
        }
        #expect(rounds > 50)
        #expect(errors > rounds / 2)
    }
}

import ETLSynth
import Testing
@testable import HeapConv

/// Every heap opcode decoded from encoder-made records, 32- and 64-bit, with every field checked.
@Suite struct ETLHeapDecodingTests {
    static let widths: [ETLPointerWidth] = [.bits32, .bits64]

    /// Distinct values per field, narrowed to what a 32-bit record can hold.
    static func v(_ width: ETLPointerWidth, _ n: UInt64) -> UInt64 {
        width == .bits64 ? 0x7FF0_0000_0000_0000 | n << 12 | n : 0x1000_0000 | n << 12 | n
    }

    static func header(_ width: ETLPointerWidth, ticks: Int64 = 5_000_100, compact: Bool = false, pmc: Int = 0,
                       pebs: Bool = false) -> ETLHeapRecords.Header {
        ETLHeapRecords.Header(width, thread: 0x1234, process: 0x4321, ticks: ticks, compact: compact,
                              pmcCounters: pmc, pebs: pebs)
    }

    static func context(_ width: ETLPointerWidth, ticks: Int64 = 5_000_100) -> EventContext {
        EventContext(timestamp: ETLTestSupport.ns(ticks), processID: 0x4321, threadID: 0x1234, cpu: 0, heap: v(width, 1))
    }

    @Test(arguments: widths)
    func allocFreeRealloc(_ width: ETLPointerWidth) throws {
        let h = Self.header(width)
        let v = { Self.v(width, $0) }
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.alloc(h, heap: v(1), size: v(2), address: v(3), source: 1),
            ETLHeapRecords.free(h, heap: v(1), address: v(4), source: 2),
            ETLHeapRecords.realloc(h, heap: v(1), newAddress: v(5), oldAddress: v(6), newSize: v(7), oldSize: v(8), source: 4),
            ETLHeapRecords.alloc(h, heap: v(1), size: 1, address: 2, source: 99),
        ])
        let c = Self.context(width)
        #expect(events == [
            .alloc(c, address: v(3), size: v(2), source: .lookaside),
            .free(c, address: v(4), source: .lowFragmentation),
            .realloc(c, address: v(5), size: v(7), oldAddress: v(6), oldSize: v(8), source: .slowPath),
            .alloc(c, address: 2, size: 1, source: .other(99)),
        ])
    }

    @Test(arguments: widths)
    func createAndDestroy(_ width: ETLPointerWidth) throws {
        let h = Self.header(width)
        let v = { Self.v(width, $0) }
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.create(h, heap: v(1), flags: 0x4000_0002, reserveSize: v(2), commitSize: v(3), allocatedSize: v(4)),
            ETLHeapRecords.create(h, heap: v(1), flags: 0x12, version: 2),
            ETLHeapRecords.destroy(h, heap: v(1)),
        ])
        let c = Self.context(width)
        #expect(events == [
            .create(c, HeapCreateFields(flags: 0x4000_0002, reserveSize: v(2), commitSize: v(3), allocatedSize: v(4))),
            .create(c, HeapCreateFields(flags: 0x12)),
            .destroy(c),
        ])
    }

    @Test(arguments: widths)
    func expandContractSnapshot(_ width: ETLPointerWidth) throws {
        let h = Self.header(width)
        let v = { Self.v(width, $0) }
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.expandOrContract(h, heap: v(1), size: v(2), address: v(3), freeSpace: v(4), committedSpace: v(5),
                                            reservedSpace: v(6), noOfUCRs: 7, allocatedSpace: v(8)),
            ETLHeapRecords.expandOrContract(h, contract: true, heap: v(1), size: v(9), address: v(10), freeSpace: v(11),
                                            committedSpace: v(12), reservedSpace: v(13), noOfUCRs: 14, allocatedSpace: v(15)),
            ETLHeapRecords.expandOrContract(h, heap: v(1), size: v(2), address: v(3), freeSpace: v(4), committedSpace: v(5),
                                            reservedSpace: v(6), noOfUCRs: 7, allocatedSpace: 0, version: 2),
            ETLHeapRecords.expandOrContract(h, contract: true, heap: v(1), size: v(2), address: v(3), freeSpace: v(4),
                                            committedSpace: v(5), reservedSpace: v(6), noOfUCRs: 7, allocatedSpace: 0, version: 2),
            ETLHeapRecords.snapshot(h, heap: v(1), freeSpace: v(2), committedSpace: v(3), reservedSpace: v(4), flags: 5,
                                    process: 6, largeUCRSpace: v(7), freeListLength: 8, ucrLength: 9, allocatedSpace: v(10)),
            ETLHeapRecords.snapshot(h, heap: v(1), freeSpace: v(2), committedSpace: v(3), reservedSpace: v(4), flags: 5,
                                    process: 6, largeUCRSpace: v(7), freeListLength: 8, ucrLength: 9, allocatedSpace: 0, version: 2),
        ])
        let c = Self.context(width)
        #expect(events == [
            .expand(c, HeapExpandFields(committedSize: v(2), address: v(3), freeSpace: v(4), committedSpace: v(5),
                                        reservedSpace: v(6), noOfUCRs: 7, allocatedSpace: v(8))),
            .contract(c, HeapContractFields(decommitSize: v(9), decommitAddress: v(10), freeSpace: v(11), committedSpace: v(12),
                                            reservedSpace: v(13), noOfUCRs: 14, allocatedSpace: v(15))),
            .expand(c, HeapExpandFields(committedSize: v(2), address: v(3), freeSpace: v(4), committedSpace: v(5),
                                        reservedSpace: v(6), noOfUCRs: 7)),
            .contract(c, HeapContractFields(decommitSize: v(2), decommitAddress: v(3), freeSpace: v(4), committedSpace: v(5),
                                            reservedSpace: v(6), noOfUCRs: 7)),
            .snapshot(c, HeapSnapshotFields(freeSpace: v(2), committedSpace: v(3), reservedSpace: v(4), flags: 5, processID: 6,
                                            largeUCRSpace: v(7), freeListLength: 8, ucrLength: 9, allocatedSpace: v(10))),
            .snapshot(c, HeapSnapshotFields(freeSpace: v(2), committedSpace: v(3), reservedSpace: v(4), flags: 5, processID: 6,
                                            largeUCRSpace: v(7), freeListLength: 8, ucrLength: 9)),
        ])
    }

    /// The documented payload sizes of FORMAT.md §5.1, as the encoder writes them.
    @Test func payloadSizesMatchTheFormat() {
        func payload(_ record: [UInt8]) -> Int { record.count - 0x20 }
        for (width, sizes) in [(ETLPointerWidth.bits32, [16, 12, 24, 20, 32, 40]), (.bits64, [28, 20, 44, 36, 60, 64])] {
            let h = Self.header(width)
            #expect(payload(ETLHeapRecords.alloc(h, heap: 1, size: 2, address: 3, source: 3)) == sizes[0])
            #expect(payload(ETLHeapRecords.free(h, heap: 1, address: 3, source: 3)) == sizes[1])
            #expect(payload(ETLHeapRecords.realloc(h, heap: 1, newAddress: 1, oldAddress: 1, newSize: 1, oldSize: 1, source: 3)) == sizes[2])
            #expect(payload(ETLHeapRecords.create(h, heap: 1, flags: 2)) == sizes[3])
            #expect(payload(ETLHeapRecords.expandOrContract(h, heap: 1, size: 1, address: 1, freeSpace: 1, committedSpace: 1,
                                                            reservedSpace: 1, noOfUCRs: 1, allocatedSpace: 1)) == sizes[4])
            #expect(payload(ETLHeapRecords.snapshot(h, heap: 1, freeSpace: 1, committedSpace: 1, reservedSpace: 1, flags: 1,
                                                    process: 1, largeUCRSpace: 1, freeListLength: 1, ucrLength: 1,
                                                    allocatedSpace: 1)) == sizes[5])
        }
    }

    @Test(arguments: widths)
    func remainingOpcodesKeepHeapAndOpcode(_ width: ETLPointerWidth) throws {
        let h = Self.header(width)
        let opcodes: [UInt8] = [0x27, 0x28, 0x29, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
                                0x38, 0x39, 0x3A, 0x01, 0xFF]
        let events = try ETLTestSupport.decode(width, opcodes.map {
            ETLHeapRecords.handleOnly(h, opcode: $0, heap: Self.v(width, 1), rest: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        })
        #expect(events == opcodes.map { .other(Self.context(width), opcode: $0) })
    }

    @Test(arguments: widths)
    func longerPayloadsAreAccepted(_ width: ETLPointerWidth) throws {
        let h = Self.header(width)
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.alloc(h, heap: Self.v(width, 1), size: 64, address: 0x5000, source: 3, extra: [0xAA, 0xBB, 0xCC, 0xDD, 0xEE]),
            ETLHeapRecords.free(h, heap: Self.v(width, 1), address: 0x5000, source: 3, extra: Array(repeating: 0xFF, count: 40)),
        ])
        #expect(events == [.alloc(Self.context(width), address: 0x5000, size: 64, source: .mainPath),
                           .free(Self.context(width), address: 0x5000, source: .mainPath)])
    }

    /// Version bits 0x0700 (PMC counters) and 0x8000 (PEBS index) put 8-byte words before the payload.
    @Test(arguments: widths, [(0, false), (1, false), (3, true), (7, false), (7, true), (0, true)])
    func pmcAndPebsWordsAreSkipped(_ width: ETLPointerWidth, _ ext: (Int, Bool)) throws {
        let h = Self.header(width, pmc: ext.0, pebs: ext.1)
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.alloc(h, heap: Self.v(width, 1), size: Self.v(width, 2), address: Self.v(width, 3), source: 3),
            ETLHeapRecords.create(h, heap: Self.v(width, 1), flags: 9, reserveSize: 1, commitSize: 2, allocatedSize: 3),
        ])
        #expect(events == [
            .alloc(Self.context(width), address: Self.v(width, 3), size: Self.v(width, 2), source: .mainPath),
            .create(Self.context(width), HeapCreateFields(flags: 9, reserveSize: 1, commitSize: 2, allocatedSize: 3)),
        ])
    }

    @Test(arguments: widths)
    func compactHeadersCarryHeapEventsToo(_ width: ETLPointerWidth) throws {
        let h = Self.header(width, compact: true, pmc: 2)
        let events = try ETLTestSupport.decode(width, [
            ETLHeapRecords.alloc(h, heap: Self.v(width, 1), size: 8, address: 0x10, source: 3),
        ])
        #expect(events == [.alloc(Self.context(width), address: 0x10, size: 8, source: .mainPath)])
    }

    /// The pointer size is decided per record: a 64-bit trace holds 32-bit records (WOW64) and vice versa.
    @Test func mixedWidthsInOneTrace() throws {
        let h32 = Self.header(.bits32)
        let h64 = Self.header(.bits64, ticks: 5_000_200)
        let bytes = ETLTestSupport.trace(.bits64) { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(h32, heap: 0xA0_0000, size: 0x20, address: 0xA0_1000, source: 3),
                ETLHeapRecords.alloc(h64, heap: 0x1A0_0000_0000, size: 0x30, address: 0x1A0_0000_1000, source: 3),
            ])
        }
        let events = try ETLTestSupport.readAll(bytes).events
        var c32 = Self.context(.bits32)
        c32.heap = 0xA0_0000
        var c64 = Self.context(.bits64, ticks: 5_000_200)
        c64.heap = 0x1A0_0000_0000
        #expect(events == [.alloc(c32, address: 0xA0_1000, size: 0x20, source: .mainPath),
                           .alloc(c64, address: 0x1A0_0000_1000, size: 0x30, source: .mainPath)])
    }

    /// Records of other kinds and groups around heap events are skipped.
    @Test func otherRecordsAreSkipped() throws {
        let h = Self.header(.bits64)
        let provider = ETLRecords.guid("222962ab-6180-4b88-a825-346b75f2a24a")
        let bytes = ETLTestSupport.trace(.bits64) { b in
            b.appendBuffer(cpu: 0, records: [
                // Process group, opcode 11 (Terminate): not a context record heapconv reads.
                ETLRecords.system(.bits64, group: 0x03, opcode: 11, thread: 1, process: 2, ticks: 5_000_050, payload: [1, 2, 3]),
                ETLRecords.eventHeader(.bits64, provider: provider, thread: 1, process: 2, ticks: 5_000_060,
                                       extendedItems: [(type: 6, data: [1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9])],
                                       userData: [1, 2, 3]),
                ETLRecords.classic(.bits32, guid: provider, thread: 1, process: 2, ticks: 5_000_070, payload: [7]),
                ETLRecords.classic(.bits64, instance: true, guid: provider, thread: 1, process: 2, ticks: 5_000_080),
                ETLRecords.message(number: 3, payload: [1, 2, 3, 4, 5]),
                ETLRecords.perfinfo(.bits32, group: 0x0F, opcode: 0x2E, ticks: 5_000_090, payload: [0, 0, 0, 0]),
                ETLHeapRecords.alloc(h, heap: Self.v(.bits64, 1), size: 1, address: 2, source: 3),
                // Thread group, opcode 0x24 (context switch): not a context record heapconv reads.
                ETLRecords.system(.bits32, compact: true, group: 0x05, opcode: 0x24, thread: 1, process: 2, ticks: 5_000_110, payload: []),
            ])
        }
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events == [.alloc(Self.context(.bits64), address: 2, size: 1, source: .mainPath)])
        let kinds = ETLFixtureTests.counts(reader.facts()?["records_by_header_kind"])
        #expect(kinds == ["SYSTEM64": 3, "COMPACT32": 1, "PERFINFO32": 1, "EVENT_HEADER64": 1, "FULL_HEADER32": 1,
                          "INSTANCE64": 1, "MESSAGE": 1])
        let groups = ETLFixtureTests.counts(reader.facts()?["records_by_group"])
        #expect(groups == ["Header": 1, "Process": 1, "Thread": 1, "PerfInfo": 1, "Heap": 1,
                           "222962ab-6180-4b88-a825-346b75f2a24a": 3, "WPP": 1])
    }
}

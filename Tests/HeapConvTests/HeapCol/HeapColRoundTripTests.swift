import Testing
@testable import HeapConv

/// Events written as heapcol and read back must equal the input, field for field and stack for stack.
@Suite struct HeapColRoundTripTests {
    typealias H = HeapColHarness

    @Test func everyKindRoundTrips() throws {
        let batch = SampleEvents.everyKind()
        #expect(try H.read(try H.write([batch])) == H.flatten(batch))
    }

    @Test func extremeTimesRoundTrip() throws {
        let batch = SampleEvents.extremeTimes()
        #expect(try H.read(try H.write([batch])) == H.flatten(batch))
    }

    @Test func severalBatchesKeepTheirOrder() throws {
        let batches = [SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.everyKind()]
        #expect(try H.read(try H.write(batches)) == batches.flatMap(H.flatten))
    }

    @Test func contextRecordsRoundTrip() throws {
        let batch = SampleEvents.contextRecords()
        let file = try H.write([batch])
        #expect(try H.read(file) == H.flatten(batch))
        // One context block with records before and after the row group's event, then the row group.
        let parts = H.Parts(try H.gunzip(file))
        #expect(parts.blocks.map(\.tag) == [HeapColContext.tag, HeapColFormat.rowGroupTag, HeapColFormat.footerTag])
    }

    /// Context records among heap events at every position of small row groups, and runs of context records
    /// long enough to end row groups early and to stand alone in blocks.
    @Test(arguments: [1, 3, 64, 65_536])
    func contextRecordsKeepTheirPlaceAcrossRowGroups(limit: Int) throws {
        let heap = SampleEvents.workload(count: 300)
        let context = SampleEvents.contextRecords()
        var batch = EventBatch()
        var rng = SplitMix64(seed: UInt64(limit))
        for event in heap.events {
            batch.append(event, from: heap)
            for _ in 0..<Int(rng.next() % 3) { batch.append(context.events[Int(rng.next() % UInt64(context.count))], from: context) }
        }
        for _ in 0..<(HeapColContextWriter.flushCount * 2 + 5) { batch.append(context.events[0], from: context) }
        for event in heap.events.prefix(10) { batch.append(event, from: heap) }
        for _ in 0..<(HeapColContextWriter.flushCount + 1) { batch.append(context.events[2], from: context) }
        let file = try H.write([batch], rowGroupLimit: limit)
        #expect(try H.read(file) == H.flatten(batch))
        #expect(try H.read(file, chunk: 7, limit: 5) == H.flatten(batch))
        // Never more than one block's worth of records waits on either side.
        let parts = H.Parts(try H.gunzip(file))
        #expect(parts.blocks.contains { $0.tag == HeapColContext.tag })
        for block in parts.blocks where block.tag == HeapColContext.tag {
            var p = 0
            #expect(H.readVarint(block.body, at: &p) <= UInt64(HeapColContextWriter.flushCount))
        }
    }

    @Test func workloadOfSeveralFullRowGroupsRoundTrips() throws {
        let batch = SampleEvents.workload(count: 140_000)
        let file = try H.write([batch])
        let parts = H.Parts(try H.gunzip(file))
        #expect(parts.blocks.filter { $0.tag == HeapColFormat.rowGroupTag }.count == 3)
        #expect(try H.read(file) == H.flatten(batch))
    }

    @Test func stackHeavyWorkloadRoundTrips() throws {
        let batch = HeapColWorkloads.stackHeavy(count: 20_000)
        #expect(try H.read(try H.write([batch], rowGroupLimit: 4096)) == H.flatten(batch))
    }

    @Test(arguments: [1, 2, 7, 64])
    func smallRowGroupsRoundTrip(limit: Int) throws {
        let batches = [SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.workload(count: 500)]
        let file = try H.write(batches, rowGroupLimit: limit)
        #expect(try H.read(file) == batches.flatMap(H.flatten))
    }

    @Test(arguments: [(1, 1), (1, 7), (3, 1), (4096, 5), (100_000, 13)])
    func anyReadSizeAndChunkingGiveTheSameEvents(limit: Int, chunk: Int) throws {
        let batches = [SampleEvents.everyKind(), SampleEvents.workload(count: 300)]
        let file = try H.write(batches, rowGroupLimit: 50)
        #expect(try H.read(file, chunk: chunk, limit: limit) == batches.flatMap(H.flatten))
    }

    @Test func stackDictionaryResetsKeepStacksRight() throws {
        // Tiny dictionary limits force resets in the middle of batches, and row groups that end early.
        let batches = [SampleEvents.everyKind(), HeapColWorkloads.stackHeavy(count: 3000), SampleEvents.everyKind()]
        let file = try H.write(batches, rowGroupLimit: 1000, stackEntryLimit: 5, stackFrameLimit: 400)
        let parts = H.Parts(try H.gunzip(file))
        let resets = parts.blocks.filter { $0.tag == HeapColFormat.rowGroupTag && $0.body.count > 1 && $0.body[$0.body.firstIndex(where: { $0 < 0x80 })! + 1] == 1 }
        #expect(resets.count > 10)
        #expect(try H.read(file) == batches.flatMap(H.flatten))
    }

    @Test func aStackLongerThanTheDictionaryLimitIsAnError() throws {
        var batch = EventBatch()
        batch.append(.destroy(EventContext(timestamp: 1, processID: 1, threadID: 1, heap: 1)), stack: [UInt64](repeating: 7, count: 11))
        #expect(throws: ConversionError.self) { try H.write([batch], stackFrameLimit: 10) }
        #expect(try H.read(try H.write([batch], stackFrameLimit: 11)) == H.flatten(batch))
    }

    @Test func emptyInputMakesAValidEmptyFile() throws {
        let file = try H.write([])
        #expect(try H.read(file).isEmpty)
        let stream = try H.gunzip(file)
        // The 1.1 header, then a footer of fifteen zeros.
        #expect(stream == HeapColFormat.magic + [1, 1] + H.block(tag: HeapColFormat.footerTag, body: [UInt8](repeating: 0, count: 15)))
    }

    @Test func randomFieldsOfEveryWidthRoundTrip() throws {
        var rng = SplitMix64(seed: 0xbadc0de)
        // Values of a random bit width, so that every packed width from 1 to 64 and every varint length occurs.
        func value() -> UInt64 {
            let bits = Int(rng.next() % 65)
            return bits == 0 ? 0 : rng.next() >> UInt64(64 - bits)
        }
        func u32() -> UInt32 { UInt32(truncatingIfNeeded: value()) }
        func maybe() -> UInt64? { rng.next() % 2 == 0 ? nil : value() }
        var batches: [EventBatch] = []
        for _ in 0..<40 {
            var batch = EventBatch()
            for _ in 0..<Int(1 + rng.next() % 300) {
                let c = EventContext(timestamp: Int64(bitPattern: value()), processID: u32(), threadID: u32(),
                                     cpu: rng.next() % 3 == 0 ? nil : u32(), heap: value())
                let source = HeapSource(rawValue: u32())
                let event: HeapEvent
                switch rng.next() % 9 {
                case 0: event = .create(c, HeapCreateFields(flags: u32(), reserveSize: maybe(), commitSize: maybe(), allocatedSize: maybe()))
                case 1: event = .alloc(c, address: value(), size: value(), source: source)
                case 2: event = .realloc(c, address: value(), size: value(), oldAddress: value(), oldSize: value(), source: source)
                case 3: event = .free(c, address: value(), source: source)
                case 4: event = .destroy(c)
                case 5: event = .expand(c, HeapExpandFields(committedSize: value(), address: value(), freeSpace: value(), committedSpace: value(),
                                                            reservedSpace: value(), noOfUCRs: u32(), allocatedSpace: maybe()))
                case 6: event = .contract(c, HeapContractFields(decommitSize: value(), decommitAddress: value(), freeSpace: value(),
                                                                committedSpace: value(), reservedSpace: value(), noOfUCRs: u32(), allocatedSpace: maybe()))
                case 7: event = .snapshot(c, HeapSnapshotFields(freeSpace: value(), committedSpace: value(), reservedSpace: value(), flags: u32(),
                                                                processID: u32(), largeUCRSpace: value(), freeListLength: u32(), ucrLength: u32(),
                                                                allocatedSpace: maybe()))
                default: event = .other(c, opcode: UInt8(truncatingIfNeeded: value()))
                }
                switch rng.next() % 4 {
                case 0: batch.append(event)
                case 1: batch.append(event, stack: [UInt64]())
                default: batch.append(event, stack: (0..<Int(rng.next() % 20)).map { _ in value() })
                }
            }
            batches.append(batch)
        }
        // A run of events from one process, for the runs layout.
        batches.append(SampleEvents.workload(count: 1000))
        let file = try H.write(batches, rowGroupLimit: 700)
        #expect(try H.read(file) == batches.flatMap(H.flatten))
        // The file uses all three integer-sequence layouts and many packed widths.
        var layouts = Set<UInt8>()
        var widths = Set<UInt8>()
        for column in H.columns(of: try H.gunzip(file)) {
            layouts.insert(column.bytes[0])
            if column.bytes[0] == 2 { widths.insert(column.bytes[1 + H.varint(UInt64(column.count)).count]) }
        }
        #expect(layouts == [0, 1, 2])
        #expect(widths.count > 5)
    }
}

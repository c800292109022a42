import Testing
@testable import HeapConv

@Suite struct LiveHeapStateTests {
    /// Live bytes and blocks after every event equal the test's own model (`LiveModel`), and the totals
    /// only list heaps that saw an allocation, reallocation or free.
    @Test func matchesAnIndependentModel() {
        var events = SampleEvents.everyKind()
        for event in SampleEvents.workload(count: 5_000).events { events.append(event) }
        var live = LiveHeapState()
        var model = LiveModel()
        for event in events.events {
            let change = live.apply(event)
            let before = model.heaps[LiveModel.Key(pid: event.context.processID, heap: event.context.heap)]
            model.apply(event)
            let key = HeapKey(processID: event.context.processID, heap: event.context.heap)
            let after = model.heaps[LiveModel.Key(pid: key.processID, heap: key.heap)]
            let totals = live.totals(of: key)
            #expect((totals?.liveBytes ?? 0) == (after?.bytes ?? 0), "\(event)")
            #expect((totals?.liveBlocks ?? 0) == (after?.count ?? 0), "\(event)")
            if (before?.bytes ?? 0) != (after?.bytes ?? 0) || (before?.count ?? 0) != (after?.count ?? 0) {
                #expect(change == .changed(key), "\(event)")
            }
        }
        for (key, heap) in model.heaps {
            let k = HeapKey(processID: key.pid, heap: key.heap)
            #expect(live.liveBlocks(of: k) == heap.blocks)
            #expect((live.totals[k]?.liveBytes ?? 0) == heap.bytes)
            if let (address, size) = heap.blocks.first { #expect(live.size(of: address, in: k) == size) }
        }
        #expect(live.totals[HeapKey(processID: 17185, heap: 0xa00000)] == nil, "only created and destroyed")
    }

    @Test func unknownFreesAreCountedAndChangeNothing() {
        var live = LiveHeapState()
        let c = EventContext(timestamp: 1, processID: 1, threadID: 1, heap: 5)
        #expect(live.apply(.free(c, address: 0x10, source: .mainPath)) == .none)
        #expect(live.apply(.realloc(c, address: 0x20, size: 8, oldAddress: 0x30, oldSize: 4, source: .mainPath)) == .changed(HeapKey(processID: 1, heap: 5)))
        let totals = live.totals(of: HeapKey(processID: 1, heap: 5))
        #expect(totals?.unknownFrees == 2 && totals?.liveBytes == 8 && totals?.liveBlocks == 1)
        #expect(live.apply(.destroy(c)) == .changed(HeapKey(processID: 1, heap: 5)))
        #expect(live.totals(of: HeapKey(processID: 1, heap: 5))?.liveBytes == 0)
        #expect(live.apply(.destroy(c)) == .none)
    }
}

/// What `heapconv info` reports about a stream of heap events: counts per kind, processes, heaps, the time
/// span, bytes allocated and freed, peak live bytes and the blocks never freed, per heap.
///
/// It is an ``EventWriter`` so that `info` runs the same streaming chain as a conversion; its memory grows
/// with live blocks, processes and heaps, never with the number of events.
public struct TraceSummary: EventWriter {
    public private(set) var eventCount: UInt64 = 0
    public private(set) var countsByKind = [UInt64](repeating: 0, count: EventKind.allCases.count)
    public private(set) var firstTimestamp: Int64?
    public private(set) var lastTimestamp: Int64?
    /// Events whose timestamp is earlier than the one before them.
    public private(set) var timeInversions: UInt64 = 0
    public private(set) var eventsWithStacks: UInt64 = 0
    public private(set) var live = LiveHeapState()

    // Processes, threads and heaps get dense slots (a direct-mapped cache in front of a dictionary answers
    // almost every lookup), and their counts live in arrays: no hashing per event.
    private var processSlots = HeapSlots()
    private var processEvents: [UInt64] = []
    private var processThreads: [UInt64] = []
    private var threadSlots = HeapSlots()
    private var heapSlots = HeapSlots()
    private var heapEvents: [UInt64] = []

    public init() {}

    /// Events per process id.
    public var eventsPerProcess: [UInt32: UInt64] {
        Dictionary(uniqueKeysWithValues: zip(processSlots.keys.lazy.map(\.processID), processEvents))
    }

    /// The thread ids seen in each process.
    public var threadsPerProcess: [UInt32: Set<UInt32>] {
        var result: [UInt32: Set<UInt32>] = [:]
        for key in threadSlots.keys { result[key.processID, default: []].insert(UInt32(truncatingIfNeeded: key.heap)) }
        return result
    }

    /// Events per heap (of any kind, not only those that change the live set).
    public var eventsPerHeap: [HeapKey: UInt64] {
        Dictionary(uniqueKeysWithValues: zip(heapSlots.keys, heapEvents))
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        let events = batch.events
        let ahead = LiveHeapState.prefetchDistance
        for i in events.indices {
            if i + ahead < events.count { live.prefetch(events[i + ahead]) }
            let event = events[i]
            let c = event.context
            eventCount += 1
            countsByKind[Int(event.kind.rawValue)] += 1
            if let last = lastTimestamp {
                if c.timestamp < last { timeInversions += 1 } else { lastTimestamp = c.timestamp }
                if c.timestamp < firstTimestamp! { firstTimestamp = c.timestamp }
            } else {
                firstTimestamp = c.timestamp
                lastTimestamp = c.timestamp
            }
            if c.stack.isPresent { eventsWithStacks += 1 }
            // A process is a key with heap 0, a thread one with the thread id in place of the heap.
            let (process, newProcess) = processSlots.slot(creating: HeapKey(processID: c.processID, heap: 0))
            if newProcess {
                processEvents.append(0)
                processThreads.append(0)
            }
            processEvents[process] += 1
            if threadSlots.slot(creating: HeapKey(processID: c.processID, heap: UInt64(c.threadID))).isNew {
                processThreads[process] += 1
            }
            let (heap, newHeap) = heapSlots.slot(creating: HeapKey(processID: c.processID, heap: c.heap))
            if newHeap { heapEvents.append(0) }
            heapEvents[heap] += 1
            live.apply(event)
        }
    }

    public mutating func finish() throws(ConversionError) {}

    /// The summary as a tree: `events`, `time`, `processes`, `heaps` (each with its totals).
    public var info: InfoValue {
        var kinds: [(String, InfoValue)] = []
        for kind in EventKind.allCases where countsByKind[Int(kind.rawValue)] > 0 {
            kinds.append((kind.name, .uint(countsByKind[Int(kind.rawValue)])))
        }
        var time: [(String, InfoValue)] = []
        if let first = firstTimestamp, let last = lastTimestamp {
            time = [("first", .string(Timestamps.iso8601(first))), ("last", .string(Timestamps.iso8601(last))),
                    ("span_ns", .int(last &- first))]
            if timeInversions > 0 { time.append(("inversions", .uint(timeInversions))) }
        }
        let processOrder = processSlots.keys.indices.sorted { processSlots.keys[$0] < processSlots.keys[$1] }
        let processes: [InfoValue] = processOrder.map { slot in
            .object([("pid", .uint(UInt64(processSlots.keys[slot].processID))), ("events", .uint(processEvents[slot])),
                     ("threads", .uint(processThreads[slot]))])
        }
        let eventsPerHeap = self.eventsPerHeap
        let heaps: [InfoValue] = eventsPerHeap.keys.sorted().map { key in
            let t = live.totals(of: key) ?? HeapTotals()
            var entries: [(String, InfoValue)] = [
                ("pid", .uint(UInt64(key.processID))), ("heap", .string("0x" + String(key.heap, radix: 16))),
                ("events", .uint(eventsPerHeap[key]!)),
                ("bytes_allocated", .uint(t.allocatedBytes)), ("bytes_freed", .uint(t.freedBytes)),
                ("peak_live_bytes", .uint(t.peakBytes)), ("peak_live_blocks", .uint(t.peakBlocks)),
                ("outstanding_blocks", .uint(t.liveBlocks)), ("outstanding_bytes", .uint(t.liveBytes)),
            ]
            if t.unknownFrees > 0 { entries.append(("frees_of_unknown_blocks", .uint(t.unknownFrees))) }
            return .object(entries)
        }
        return .object([
            ("events", .uint(eventCount)),
            ("events_by_kind", .object(kinds)),
            ("events_with_stacks", .uint(eventsWithStacks)),
            ("time", .object(time)),
            ("processes", .array(processes)),
            ("heaps", .array(heaps)),
        ])
    }
}

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
    public private(set) var eventsPerProcess: [UInt32: UInt64] = [:]
    public private(set) var threadsPerProcess: [UInt32: Set<UInt32>] = [:]
    public private(set) var eventsPerHeap: [HeapKey: UInt64] = [:]
    public private(set) var live = LiveHeapState()

    public init() {}

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        for event in batch.events {
            let c = event.context
            eventCount += 1
            countsByKind[Int(event.kind.rawValue)] += 1
            if let last = lastTimestamp, c.timestamp < last { timeInversions += 1 }
            if firstTimestamp == nil { firstTimestamp = c.timestamp }
            firstTimestamp = min(firstTimestamp!, c.timestamp)
            lastTimestamp = max(lastTimestamp ?? c.timestamp, c.timestamp)
            if c.stack.isPresent { eventsWithStacks += 1 }
            eventsPerProcess[c.processID, default: 0] += 1
            if threadsPerProcess[c.processID]?.contains(c.threadID) != true {
                threadsPerProcess[c.processID, default: []].insert(c.threadID)
            }
            eventsPerHeap[HeapKey(processID: c.processID, heap: c.heap), default: 0] += 1
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
        let processes: [InfoValue] = eventsPerProcess.keys.sorted().map { pid in
            .object([("pid", .uint(UInt64(pid))), ("events", .uint(eventsPerProcess[pid]!)),
                     ("threads", .uint(UInt64(threadsPerProcess[pid]?.count ?? 0)))])
        }
        let heaps: [InfoValue] = eventsPerHeap.keys.sorted().map { key in
            let t = live.totals[key] ?? HeapTotals()
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

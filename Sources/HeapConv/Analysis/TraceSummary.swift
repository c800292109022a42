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

    // Consecutive events mostly share their process, thread and heap: count runs and touch the
    // dictionaries once per run instead of once per event.
    private var runPID: UInt32?
    private var runThread: UInt64?
    private var runHeap: HeapKey?
    private var runPIDCount: UInt64 = 0
    private var runHeapCount: UInt64 = 0

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
            if c.processID != runPID { flushProcessRun(); runPID = c.processID }
            runPIDCount += 1
            let thread = UInt64(c.processID) << 32 | UInt64(c.threadID)
            if thread != runThread {
                runThread = thread
                if threadsPerProcess[c.processID]?.contains(c.threadID) != true {
                    threadsPerProcess[c.processID, default: []].insert(c.threadID)
                }
            }
            let heap = HeapKey(processID: c.processID, heap: c.heap)
            if heap != runHeap { flushHeapRun(); runHeap = heap }
            runHeapCount += 1
            live.apply(event)
        }
        flushProcessRun()
        flushHeapRun()
    }

    private mutating func flushProcessRun() {
        if let pid = runPID, runPIDCount > 0 { eventsPerProcess[pid, default: 0] += runPIDCount }
        runPIDCount = 0
    }

    private mutating func flushHeapRun() {
        if let heap = runHeap, runHeapCount > 0 { eventsPerHeap[heap, default: 0] += runHeapCount }
        runHeapCount = 0
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

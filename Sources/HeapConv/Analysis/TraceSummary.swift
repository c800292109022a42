/// What `heapconv info` reports about a stream of heap events: counts per kind, processes (named from the
/// trace's process records) with their heaps' totals, the time span, bytes allocated and freed, peak live
/// bytes and the blocks never freed, per heap, and how many stack frames fall in a known module.
///
/// It is an ``EventWriter`` so that `info` runs the same streaming chain as a conversion; its memory grows
/// with live blocks, processes, heaps and images, never with the number of events.
public struct TraceSummary: EventWriter {
    public private(set) var eventCount: UInt64 = 0
    public private(set) var countsByKind = [UInt64](repeating: 0, count: EventKind.allCases.count)
    public private(set) var firstTimestamp: Int64?
    public private(set) var lastTimestamp: Int64?
    /// Events whose timestamp is earlier than the one before them.
    public private(set) var timeInversions: UInt64 = 0
    public private(set) var eventsWithStacks: UInt64 = 0
    public private(set) var live = LiveHeapState()
    /// Context records (process, thread, image) seen.
    public private(set) var contextRecords: UInt64 = 0
    /// Process image names from the process records, the latest for each id.
    public var processNames: [UInt32: String] { processes.names }
    private var processes = ProcessNames()
    /// Stack frames of heap events, and those that fall in a module of the trace's image records.
    public private(set) var frames: UInt64 = 0
    public private(set) var framesInModules: UInt64 = 0
    private let modules = ModuleMap()

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
        // Stacks through a borrowed view: an array slice per stack costs a retain and a release.
        batch.withFrameView { view in
            for i in events.indices {
                if i + ahead < events.count { live.prefetch(events[i + ahead]) }
                let event = events[i]
                let c = event.context
                countsByKind[Int(event.kind.rawValue)] += 1
                if event.isContext {
                    noteContext(event, in: batch)
                    continue
                }
                eventCount += 1
                if let last = lastTimestamp {
                    if c.timestamp < last { timeInversions += 1 } else { lastTimestamp = c.timestamp }
                    if c.timestamp < firstTimestamp! { firstTimestamp = c.timestamp }
                } else {
                    firstTimestamp = c.timestamp
                    lastTimestamp = c.timestamp
                }
                if let stack = view.stack(c.stack) {
                    eventsWithStacks += 1
                    frames += UInt64(stack.count)
                    if !modules.isEmpty {
                        for frame in stack where modules.resolve(frame, processID: c.processID) != nil { framesInModules += 1 }
                    }
                }
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
    }

    private mutating func noteContext(_ event: HeapEvent, in batch: EventBatch) {
        contextRecords += 1
        modules.apply(event, in: batch)
        processes.note(event, in: batch)
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
        let eventsPerHeap = self.eventsPerHeap
        var perProcess: [UInt32: (heaps: UInt64, allocated: UInt64, blocks: UInt64, bytes: UInt64)] = [:]
        for key in eventsPerHeap.keys {
            let t = live.totals(of: key) ?? HeapTotals()
            var sums = perProcess[key.processID] ?? (0, 0, 0, 0)
            sums.heaps += 1
            sums.allocated &+= t.allocatedBytes
            sums.blocks += t.liveBlocks
            sums.bytes &+= t.liveBytes
            perProcess[key.processID] = sums
        }
        let processOrder = processSlots.keys.indices.sorted { processSlots.keys[$0] < processSlots.keys[$1] }
        let processes: [InfoValue] = processOrder.map { slot in
            let pid = processSlots.keys[slot].processID
            var entries: [(String, InfoValue)] = [("pid", .uint(UInt64(pid)))]
            if let name = processNames[pid] { entries.append(("name", .string(name))) }
            let sums = perProcess[pid] ?? (0, 0, 0, 0)
            entries += [("events", .uint(processEvents[slot])), ("threads", .uint(processThreads[slot])),
                        ("heaps", .uint(sums.heaps)), ("bytes_allocated", .uint(sums.allocated)),
                        ("outstanding_blocks", .uint(sums.blocks)), ("outstanding_bytes", .uint(sums.bytes))]
            return .object(entries)
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
        var frameFacts: [(String, InfoValue)] = [("total", .uint(frames)), ("in_modules", .uint(framesInModules))]
        if frames > 0 {
            let permille = (framesInModules * 1000 + frames / 2) / frames
            frameFacts.append(("in_modules_share", .string("\(permille / 10).\(permille % 10) %")))
        }
        frameFacts.append(("images", .uint(modules.images)))
        return .object([
            ("events", .uint(eventCount)),
            ("events_by_kind", .object(kinds)),
            ("context_records", .uint(contextRecords)),
            ("events_with_stacks", .uint(eventsWithStacks)),
            ("stack_frames", .object(frameFacts)),
            ("time", .object(time)),
            ("processes", .array(processes)),
            ("heaps", .array(heaps)),
        ])
    }
}

/// What a live block remembers of the event that made it live, for ``HeapAttribution``: at least the
/// allocating stack. Profiles need only that; leak reports the time as well. A smaller tag is a smaller
/// live-block table (24 bytes a block instead of 32).
public protocol AllocationTag: BitwiseCopyable, Sendable {
    init(stack: UInt32, time: Int64)
    /// The id of the allocating stack in the ``StackTable``.
    var stack: UInt32 { get }
}

/// The allocating stack alone: what profiles keep per live block.
public struct StackTag: AllocationTag {
    public var stack: UInt32
    public init(stack: UInt32, time: Int64) { self.stack = stack }
}

/// The allocating stack and the allocation time: what leak reports keep per live block.
public struct TimedStackTag: AllocationTag {
    public var time: Int64
    public var stack: UInt32
    public init(stack: UInt32, time: Int64) {
        self.stack = stack
        self.time = time
    }
}

/// Heap accounting by allocation stack: which call stacks allocated how much, and which hold the blocks still
/// live. What pprof profiles and `heapconv leaks` report, over the events in time order.
///
/// The block rules are ``HeapLedger``'s, the one implementation `info` and the Chrome writer use too; each
/// live block carries a `Tag` from the event that made it live (its stack, and for leaks its time). An alloc
/// adds one object and its size to its (process, stack)'s allocation counts; a realloc is a free of the old
/// block (its bytes leave the stack that allocated it) and an alloc of the new one on the realloc's stack.
/// Blocks still live after the last event are in use, on the stack that allocated them.
///
/// Context records feed the module map (frames resolve when their stack is first seen), the process names,
/// and which processes ended. Memory grows with live blocks, distinct stacks, processes and images, never
/// with the number of events.
public struct HeapAttribution<Tag: AllocationTag> {
    /// Allocation counts of one (process, stack).
    public struct Allocations: Sendable {
        public var objects: UInt64 = 0
        public var bytes: UInt64 = 0
    }

    public private(set) var ledger = HeapLedger<Tag>()
    public let stacks = StackTable()
    public let modules = ModuleMap()
    /// Allocation counts per stack id.
    public private(set) var allocations: [Allocations] = []
    /// Process names from the trace's process records, and which processes ended when. A process id can be
    /// reused after its end; the blocks allocated before the latest end were the ended process's.
    public private(set) var processes = ProcessNames()
    private var earliest: Int64 = 0, latest: Int64 = 0
    /// The time span of the heap events (nil without any).
    public var firstTimestamp: Int64? { heapEvents > 0 ? earliest : nil }
    public var lastTimestamp: Int64? { heapEvents > 0 ? latest : nil }
    public private(set) var heapEvents: UInt64 = 0

    public init() {}

    /// Applies every event of `batch`, in order.
    public mutating func apply(_ batch: EventBatch) {
        let events = batch.events
        let ahead = HeapLedger<Tag>.prefetchDistance
        batch.withFrameView { frames in
            for i in events.indices {
                if i + ahead < events.count { ledger.prefetch(events[i + ahead]) }
                let event = events[i]
                if event.isContext {
                    noteContext(event, in: batch)
                } else {
                    apply(event, frames: frames)
                }
            }
        }
    }

    @inline(__always)
    private mutating func apply(_ event: HeapEvent, frames: FrameView) {
        let c = event.context
        if heapEvents == 0 {
            earliest = c.timestamp
            latest = c.timestamp
        } else {
            earliest = min(earliest, c.timestamp)
            latest = max(latest, c.timestamp)
        }
        heapEvents += 1
        var stackID: UInt32 = 0
        switch event {
        case .alloc(_, _, let size, _), .realloc(_, _, let size, _, _, _):
            let id = stacks.intern(processID: c.processID, frames: frames.stack(c.stack), modules: modules)
            if id == allocations.count { allocations.append(Allocations()) }
            allocations[id].objects += 1
            allocations[id].bytes &+= size
            stackID = UInt32(id)
        case .free, .destroy:
            break
        default:
            return
        }
        ledger.apply(event, tag: Tag(stack: stackID, time: c.timestamp))
    }

    private mutating func noteContext(_ event: HeapEvent, in batch: EventBatch) {
        modules.apply(event, in: batch)
        processes.note(event, in: batch)
    }

    /// Whether the block of `processID` allocated at `time` belonged to a process that ended during the
    /// trace: the process ended at or after the allocation.
    public func hasEnded(_ processID: UInt32, allocatedAt time: Int64) -> Bool {
        guard let end = processes.ends[processID] else { return false }
        return end.time >= time
    }

    /// Blocks and bytes in use (live after the last event) per stack id.
    public func inUse() -> [Allocations] {
        var result = [Allocations](repeating: Allocations(), count: allocations.count)
        ledger.forEachLiveBlock { _, _, block in
            result[Int(block.tag.stack)].objects += 1
            result[Int(block.tag.stack)].bytes &+= block.size
        }
        return result
    }

    /// How a process is called in reports: `notepad.exe (1234)`, or `pid 1234` without a name; with
    /// `ended`, the name of the process that ended (an id can be reused by a later one).
    public func processLabel(_ pid: UInt32, ended: Bool = false) -> String {
        let name = ended ? processes.ends[pid]?.name : processes.names[pid]
        return name.map { "\($0) (\(pid))" } ?? "pid \(pid)"
    }

    /// The name of a frame: `module+0xoffset`, or `0x...` outside any module.
    public func frameName(_ site: StackTable.FrameSite) -> String {
        modules.frameName(site.address, module: site.module >= 0 ? Int(site.module) : nil, offset: site.address &- site.mappingStart)
    }
}

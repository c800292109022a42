/// What `heapconv leaks` reports: the blocks live at the end of the trace, grouped by (process, heap,
/// allocation stack), largest first, split between processes that exited during the trace (their blocks
/// were never freed before the process ended: leaked) and processes still running when recording stopped
/// (still live, perhaps freed later). A block is leaked when its process ended at or after its allocation,
/// so a process id reused after an end separates the two processes' blocks. `Schemas/leaks.schema.json`
/// documents the JSON form.
public struct LeakReport: Sendable {
    /// One group of live blocks: same process, heap and allocation stack.
    public struct Group: Sendable {
        public var processID: UInt32
        /// `notepad.exe (1234)` or `pid 1234`.
        public var process: String
        public var heap: UInt64
        public var bytes: UInt64
        public var blocks: UInt64
        /// The first and last allocation time of the group's blocks (UTC nanoseconds since the epoch).
        public var firstAllocation: Int64
        public var lastAllocation: Int64
        /// The allocation stack, innermost first, as `module+0xoffset` or `0x...`; `nil` when no stack was
        /// recorded.
        public var stack: [String]?
    }

    /// Groups in processes that exited during the trace, largest first.
    public var leaked: [Group]
    /// Groups in processes still running at the end, largest first.
    public var live: [Group]
    /// Totals over all groups of each kind, before `top` and `minimumBytes` cut the lists.
    public var leakedBytes: UInt64 = 0, leakedBlocks: UInt64 = 0, leakedGroups = 0
    public var liveBytes: UInt64 = 0, liveBlocks: UInt64 = 0, liveGroups = 0
    public var heapEvents: UInt64 = 0

    /// The report of `attribution` (after the last event): at most `top` groups of each kind, each of at
    /// least `minimumBytes`.
    public init(_ attribution: HeapAttribution<TimedStackTag>, top: Int, minimumBytes: UInt64) {
        struct Key: Hashable {
            var processID: UInt32
            var heap: UInt64
            var stack: UInt32
            var ended: Bool
        }
        var groups: [Key: Group] = [:]
        attribution.ledger.forEachLiveBlock { heap, _, block in
            let key = Key(processID: heap.processID, heap: heap.heap, stack: block.tag.stack,
                          ended: attribution.hasEnded(heap.processID, allocatedAt: block.tag.time))
            if var group = groups[key] {
                group.bytes &+= block.size
                group.blocks += 1
                group.firstAllocation = min(group.firstAllocation, block.tag.time)
                group.lastAllocation = max(group.lastAllocation, block.tag.time)
                groups[key] = group
            } else {
                groups[key] = Group(processID: heap.processID, process: "", heap: heap.heap, bytes: block.size, blocks: 1,
                                    firstAllocation: block.tag.time, lastAllocation: block.tag.time, stack: nil)
            }
        }
        var leaked: [Group] = [], live: [Group] = []
        // In a fixed order, so that ties on size sort the same on every run: dictionary order is seeded.
        let ordered = groups.sorted { a, b in
            (a.key.processID, a.key.heap, a.key.stack, a.key.ended ? 1 : 0) < (b.key.processID, b.key.heap, b.key.stack, b.key.ended ? 1 : 0)
        }
        for (key, var group) in ordered {
            group.process = attribution.processLabel(key.processID, ended: key.ended)
            let entry = attribution.stacks.entries[Int(key.stack)]
            group.stack = entry.hasStack ? attribution.stacks.frames(of: Int(key.stack)).map(attribution.frameName) : nil
            if key.ended {
                leakedBytes &+= group.bytes
                leakedBlocks += group.blocks
                leakedGroups += 1
                leaked.append(group)
            } else {
                liveBytes &+= group.bytes
                liveBlocks += group.blocks
                liveGroups += 1
                live.append(group)
            }
        }
        func order(_ a: Group, _ b: Group) -> Bool {
            (a.bytes, b.processID, b.heap, b.firstAllocation) > (b.bytes, a.processID, a.heap, a.firstAllocation)
        }
        // A stable sort keeps the fixed order above among groups that tie.
        func largest(_ list: [Group]) -> [Group] {
            let kept = list.filter { $0.bytes >= minimumBytes }.enumerated()
            return Array(kept.sorted { order($0.element, $1.element) || (!order($1.element, $0.element) && $0.offset < $1.offset) }
                .prefix(top).map(\.element))
        }
        self.leaked = largest(leaked)
        self.live = largest(live)
        heapEvents = attribution.heapEvents
    }

    /// The report as JSON (`Schemas/leaks.schema.json`).
    public func json(input: String) -> InfoValue {
        func groups(_ list: [Group]) -> InfoValue {
            .array(list.map { g in
                var entries: [(String, InfoValue)] = [
                    ("pid", .uint(UInt64(g.processID))), ("process", .string(g.process)),
                    ("heap", .string("0x" + String(g.heap, radix: 16))), ("bytes", .uint(g.bytes)), ("blocks", .uint(g.blocks)),
                    ("first_allocation", .string(Timestamps.iso8601(g.firstAllocation))),
                    ("last_allocation", .string(Timestamps.iso8601(g.lastAllocation))),
                    ("first_allocation_ns", .int(g.firstAllocation)), ("last_allocation_ns", .int(g.lastAllocation)),
                ]
                if let stack = g.stack { entries.append(("stack", .array(stack.map { .string($0) }))) }
                return .object(entries)
            })
        }
        return .object([
            ("input", .string(input)),
            ("heap_events", .uint(heapEvents)),
            ("leaked", .object([("bytes", .uint(leakedBytes)), ("blocks", .uint(leakedBlocks)),
                                ("groups", .uint(UInt64(leakedGroups))), ("largest", groups(leaked))])),
            ("live_at_end", .object([("bytes", .uint(liveBytes)), ("blocks", .uint(liveBlocks)),
                                     ("groups", .uint(UInt64(liveGroups))), ("largest", groups(live))])),
        ])
    }

    /// The report as text for a terminal.
    public func text() -> String {
        var out = ""
        func section(_ title: String, _ list: [Group], total: Int) {
            out += title + "\n"
            if list.isEmpty { out += "  (none)\n" }
            for (i, g) in list.enumerated() {
                out += "  \(i + 1). \(g.process), heap 0x\(String(g.heap, radix: 16)): \(Self.bytes(g.bytes)) in \(Self.count(g.blocks, "block")), "
                out += g.firstAllocation == g.lastAllocation ? "allocated \(Timestamps.iso8601(g.firstAllocation))\n"
                    : "allocated \(Timestamps.iso8601(g.firstAllocation)) to \(Timestamps.iso8601(g.lastAllocation))\n"
                if let stack = g.stack {
                    if stack.isEmpty { out += "       (empty stack)\n" }
                    for frame in stack { out += "       " + frame + "\n" }
                } else {
                    out += "       (no stack recorded)\n"
                }
            }
            if total > list.count { out += "  ... and \(Self.count(UInt64(total - list.count), "smaller group"))\n" }
        }
        section("Leaked: never freed before their process exited", leaked, total: leakedGroups)
        out += "\n"
        section("Still live when the trace ended", live, total: liveGroups)
        out += "\nTotal: \(Self.bytes(leakedBytes)) in \(Self.count(leakedBlocks, "block")) leaked; "
            + "\(Self.bytes(liveBytes)) in \(Self.count(liveBlocks, "block")) still live\n"
        return out
    }

    /// `1,234,567 bytes`.
    static func bytes(_ n: UInt64) -> String { count(n, "byte") }

    /// `n` with thousands separators and `noun`, plural unless `n` is 1: `1,234 blocks`.
    static func count(_ n: UInt64, _ noun: String) -> String {
        let digits = String(n)
        var grouped = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return grouped + " " + noun + (n == 1 ? "" : "s")
    }
}

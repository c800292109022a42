import ArgumentParser
import HeapConv

/// The event filters shared by `convert` and `info`.
struct FilterOptions: ParsableArguments {
    @Option(name: .customLong("pid"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Keep only events of these process ids (repeat or separate with commas).", valueName: "pid"))
    var pids: [String] = []

    @Option(name: .customLong("heap"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Keep only events of these heap handles (hex like 0x1a0000, or decimal).", valueName: "handle"))
    var heaps: [String] = []

    @Option(name: .customLong("event"), parsing: .singleValue,
            help: ArgumentHelp("Keep only these kinds: \(EventKind.heapKinds.map(\.name).joined(separator: ", ")).", valueName: "kind"),
            completion: .list(EventKind.heapKinds.map(\.name)))
    var kinds: [String] = []

    @Option(help: ArgumentHelp("Keep events at or after TIME: ISO 8601 (2019-04-17T18:40:00.5Z) or an offset from the first event (+1.5s, +250ms, +10us, +500ns, +2m).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Keep events before TIME (same forms as --since).", valueName: "time"))
    var until: String?

    @Flag(help: "Leave out the trace's process, thread and image records (kept by default: they name processes, threads and stack frames).")
    var noContext = false

    func filter() throws -> EventFilter {
        var filter = EventFilter()
        for item in pids.flatMap({ $0.split(separator: ",") }) {
            guard let pid = UInt32(trimmed(item)) else {
                throw ValidationError("--pid takes process ids, not '\(item)'")
            }
            filter.processIDs.insert(pid)
        }
        for item in heaps.flatMap({ $0.split(separator: ",") }) {
            let text = trimmed(item).lowercased()
            let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            guard let heap = value else { throw ValidationError("--heap takes heap handles like 0x1a0000, not '\(item)'") }
            filter.heaps.insert(heap)
        }
        for item in kinds.flatMap({ $0.split(separator: ",") }) {
            guard let kind = EventKind(name: trimmed(item).lowercased()), !kind.isContext else {
                throw ValidationError("--event takes \(EventKind.heapKinds.map(\.name).joined(separator: ", ")), not '\(item)'")
            }
            filter.kinds.insert(kind)
        }
        if let since {
            guard let bound = TimeBound(argument: since) else { throw ValidationError("--since: cannot read '\(since)' as an ISO 8601 time or +offset") }
            filter.since = bound
        }
        if let until {
            guard let bound = TimeBound(argument: until) else { throw ValidationError("--until: cannot read '\(until)' as an ISO 8601 time or +offset") }
            filter.until = bound
        }
        filter.dropsContext = noContext
        return filter
    }
}

private func trimmed(_ text: Substring) -> String {
    String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
}

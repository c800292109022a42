/// The one-line warning for a conversion that wrote no event: says whether the input had none or which
/// filter removed them all, so that an empty output is never silent.
public enum EmptyOutput {
    /// How many process ids a warning lists before "...".
    static let listed = 10

    /// The warning for an empty output, from what the filter stage saw (`input`) and what was asked
    /// (`filter`). `emptyHint` is the input format's explanation of an input without events.
    public static func warning(input: InputTally, filter: EventFilter, inputName: String, emptyHint: String?) -> String {
        guard input.events > 0 else {
            return "0 heap events: " + (emptyHint ?? "\(inputName) holds no events")
        }
        let total = "\(input.events) heap event\(input.events == 1 ? "" : "s")"
        if !filter.processIDs.isEmpty, filter.processIDs.isDisjoint(with: input.processes) {
            let asked = filter.processIDs.sorted().map(String.init).joined(separator: ",")
            let seen = input.processes.sorted()
            var list = seen.prefix(listed).map(String.init).joined(separator: ", ")
            if seen.count > listed { list += ", ..." }
            return "--pid \(asked) matched none of the \(seen.count) process\(seen.count == 1 ? "" : "es") (\(list))"
        }
        if let (since, until) = input.window {
            if since >= until {
                return "--since is at or after --until (\(describe(since)) ≥ \(describe(until))): no event can be in that window"
            }
            if until <= input.earliest || since > input.latest {
                return "the window \(describe(since)) to \(describe(until)) lies outside the trace, whose \(total) run from "
                    + "\(Timestamps.iso8601(input.earliest)) to \(Timestamps.iso8601(input.latest))"
            }
        }
        return "the filters matched none of the \(total)"
    }

    private static func describe(_ ns: Int64) -> String {
        switch ns {
        case .min: "the start"
        case .max: "the end"
        default: Timestamps.iso8601(ns)
        }
    }
}

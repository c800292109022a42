/// A point in time for a filter window: absolute, or relative to the first event of the input.
public enum TimeBound: Equatable, Sendable {
    /// UTC nanoseconds since the Unix epoch.
    case absolute(Int64)
    /// Nanoseconds after the first event's timestamp.
    case afterFirstEvent(Int64)

    /// Parses an ISO 8601 time (`2019-04-17T18:40:00.5Z`) or an offset from the first event (`+1.5s`,
    /// `+250ms`, `+10us`, `+500ns`, `+2m`).
    public init?(argument: String) {
        if argument.hasPrefix("+") {
            guard let ns = Timestamps.parseDuration(String(argument.dropFirst())) else { return nil }
            self = .afterFirstEvent(ns)
        } else {
            guard let ns = Timestamps.parseISO8601(argument) else { return nil }
            self = .absolute(ns)
        }
    }

    func resolved(firstEvent: Int64) -> Int64 {
        switch self {
        case .absolute(let ns): ns
        case .afterFirstEvent(let offset):
            firstEvent.addingReportingOverflow(offset).overflow ? .max : firstEvent + offset
        }
    }
}

/// Which events a conversion keeps: by process, heap, kind and a half-open time window `[since, until)`.
/// Empty sets keep everything.
public struct EventFilter: Equatable, Sendable {
    public var processIDs: Set<UInt32> = []
    public var heaps: Set<UInt64> = []
    public var kinds: Set<EventKind> = []
    public var since: TimeBound?
    public var until: TimeBound?

    public init() {}

    /// Whether the filter keeps every event.
    public var isEmpty: Bool {
        processIDs.isEmpty && heaps.isEmpty && kinds.isEmpty && since == nil && until == nil
    }
}

/// An ``EventFilter`` at work: it remembers the first event's timestamp for relative windows and removes
/// rejected events from batches in place.
struct EventFilterStage {
    let filter: EventFilter
    private var kindMask: UInt16 = 0
    private var window: (Int64, Int64)?

    init(_ filter: EventFilter) {
        self.filter = filter
        for kind in filter.kinds { kindMask |= 1 << kind.rawValue }
    }

    /// Removes from `batch` the events the filter rejects (their stack frames stay, unused).
    mutating func apply(to batch: inout EventBatch) {
        guard !filter.isEmpty, let first = batch.events.first else { return }
        if window == nil {
            window = (filter.since?.resolved(firstEvent: first.timestamp) ?? .min,
                      filter.until?.resolved(firstEvent: first.timestamp) ?? .max)
        }
        let (lo, hi) = window!
        let mask = kindMask
        let pids = filter.processIDs
        let heaps = filter.heaps
        batch.events.removeAll { event in
            if mask != 0 && mask & (1 << event.kind.rawValue) == 0 { return true }
            let c = event.context
            if c.timestamp < lo || c.timestamp >= hi { return true }
            if !pids.isEmpty && !pids.contains(c.processID) { return true }
            if !heaps.isEmpty && !heaps.contains(c.heap) { return true }
            return false
        }
    }
}

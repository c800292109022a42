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
///
/// Context records (process, thread, image) follow their own rules, since later heap events need them:
/// `--pid` keeps those of the kept processes and the kernel's images (process 0); kinds, heaps and `--since`
/// select heap events only; a context record before `--until` is kept; ``dropsContext`` drops them all.
public struct EventFilter: Equatable, Sendable {
    public var processIDs: Set<UInt32> = []
    public var heaps: Set<UInt64> = []
    public var kinds: Set<EventKind> = []
    public var since: TimeBound?
    public var until: TimeBound?
    /// `--no-context`: no process, thread or image records in the output.
    public var dropsContext = false

    public init() {}

    /// Whether the filter keeps every event.
    public var isEmpty: Bool {
        processIDs.isEmpty && heaps.isEmpty && kinds.isEmpty && since == nil && until == nil && !dropsContext
    }
}

/// What the filter stage saw of the input, whatever it kept: enough to say why a conversion came out empty.
/// Kept per batch and, with `--pid`, per change of process: bounded by the processes of the trace, never by
/// its events.
public struct InputTally: Sendable {
    /// Heap events the reader produced, before filters.
    public var events: UInt64 = 0
    /// Context records (process, thread, image) the reader produced, and those the filter kept.
    public var contextRecords: UInt64 = 0
    public var keptContextRecords: UInt64 = 0
    /// The `[since, until)` window the filter resolved, when one was given.
    public var window: (since: Int64, until: Int64)?
    /// With a window: the earliest and latest timestamps read.
    public var earliest: Int64 = .max
    public var latest: Int64 = .min
    /// With a `--pid` filter: the processes the input holds (at most ``processLimit``).
    public var processes: Set<UInt32> = []

    static let processLimit = 10_000
}

/// An ``EventFilter`` at work: it remembers the first event's timestamp for relative windows, removes
/// rejected events from batches in place, and keeps an ``InputTally``.
struct EventFilterStage {
    let filter: EventFilter
    private var kindMask: UInt16 = 0
    private var window: (Int64, Int64)?
    private(set) var tally = InputTally()

    init(_ filter: EventFilter) {
        self.filter = filter
        for kind in filter.kinds { kindMask |= 1 << kind.rawValue }
    }

    /// Removes from `batch` the events the filter rejects (their stack frames and strings stay, unused).
    mutating func apply(to batch: inout EventBatch) {
        guard let first = batch.events.first else { return }
        var context: UInt64 = 0
        for event in batch.events where event.isContext { context += 1 }
        tally.events += UInt64(batch.count) - context
        tally.contextRecords += context
        guard !filter.isEmpty else {
            tally.keptContextRecords += context
            return
        }
        // Relative times count from the first heap event (context rundowns come before it).
        if window == nil, let firstHeap = context == 0 ? first : batch.events.first(where: { !$0.isContext }) {
            window = (filter.since?.resolved(firstEvent: firstHeap.timestamp) ?? .min,
                      filter.until?.resolved(firstEvent: firstHeap.timestamp) ?? .max)
            if filter.since != nil || filter.until != nil { tally.window = window }
        }
        if tally.window != nil { noteTimeSpan(batch) }
        if !filter.processIDs.isEmpty { noteProcesses(batch) }
        let (lo, hi) = window ?? (.min, .max)
        let mask = kindMask
        let pids = filter.processIDs
        let heaps = filter.heaps
        let dropsContext = filter.dropsContext
        var keptContext: UInt64 = 0
        batch.events.removeAll { event in
            if event.isContext {
                if dropsContext || event.timestamp >= hi { return true }
                if !pids.isEmpty, !pids.contains(event.context.processID) {
                    // The kernel's images resolve kernel frames of every process.
                    guard case .image = event, event.context.processID == 0 else { return true }
                }
                keptContext += 1
                return false
            }
            if mask != 0 && mask & (1 << event.kind.rawValue) == 0 { return true }
            let c = event.context
            if c.timestamp < lo || c.timestamp >= hi { return true }
            if !pids.isEmpty && !pids.contains(c.processID) { return true }
            if !heaps.isEmpty && !heaps.contains(c.heap) { return true }
            return false
        }
        tally.keptContextRecords += keptContext
    }

    /// Widens the tally's time span to the batch's.
    private mutating func noteTimeSpan(_ batch: EventBatch) {
        for event in batch.events where !event.isContext {
            let ts = event.timestamp
            if ts < tally.earliest { tally.earliest = ts }
            if ts > tally.latest { tally.latest = ts }
        }
    }

    /// Adds the batch's processes to the tally, looking only at changes of process from event to event.
    private mutating func noteProcesses(_ batch: EventBatch) {
        guard tally.processes.count < InputTally.processLimit else { return }
        var last: UInt32?
        for event in batch.events {
            let pid = event.context.processID
            if pid != last, !event.isContext {
                tally.processes.insert(pid)
                last = pid
            }
        }
    }
}

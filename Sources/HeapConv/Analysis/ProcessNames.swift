/// The names of a trace's processes, from its process records, and when each ended: what `info`, profiles
/// and leak reports call processes by. The latest name of an id wins; a start record begins a new process
/// under its id, so it replaces the earlier name even when it has none.
public struct ProcessNames: Sendable {
    /// The current name of each process id.
    public private(set) var names: [UInt32: String] = [:]
    /// The processes that ended (an end or defunct record): when, and their name then. An id may be reused
    /// after its end.
    public private(set) var ends: [UInt32: (time: Int64, name: String?)] = [:]

    public init() {}

    /// Takes a context record whose strings are in `batch`; other records and heap events change nothing.
    mutating func note(_ event: HeapEvent, in batch: EventBatch) {
        guard case .process(let c, let f) = event else { return }
        let name = batch.string(f.name)
        if f.state == .start {
            names[c.processID] = name
        } else if let name {
            names[c.processID] = name
        }
        if !f.state.isAlive { ends[c.processID] = (c.timestamp, names[c.processID]) }
    }
}

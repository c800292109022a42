/// A source of heap events in one format.
///
/// A reader fills batches until its input ends. It owns its input and reports malformed data by throwing a
/// ``ConversionError`` that names the input and the line or byte offset.
public protocol EventReader {
    /// Appends up to `limit` events to `batch` (which the caller has emptied). Returns `false` once the input
    /// is exhausted and nothing was appended.
    mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool
    /// Facts about the input beyond its events (for `info` and writers' metadata).
    func facts() -> InfoValue?
    /// Problems skipped under `--keep-going`.
    var skippedProblems: [ConversionError] { get }
}

/// A consumer of heap events in one format.
///
/// A writer takes batches in order and owns its output sink; ``finish()`` writes any trailer and flushes.
/// A writer never closes or renames the output file: ``Conversion`` does that once everything succeeded.
public protocol EventWriter {
    /// Writes every event of `batch`.
    mutating func write(_ batch: EventBatch) throws(ConversionError)
    /// Writes what follows the last event and flushes the sink.
    mutating func finish() throws(ConversionError)
    /// Lines for the user once the output is finished.
    var report: [String] { get }
}

extension EventReader {
    /// Facts about the input beyond its events (for `info` and writers' metadata); `nil` when the format has
    /// none. Readers that parse a header know them from the start.
    public func facts() -> InfoValue? { nil }
    /// Problems skipped under `--keep-going`, one per damaged region; empty when nothing was skipped.
    public var skippedProblems: [ConversionError] { [] }
}

extension EventWriter {
    /// Lines for the user once the output is finished (sizes, viewer limits); empty by default.
    public var report: [String] { [] }
}

/// Runs `heapconv leaks`: reads an input through the streaming chain into a ``HeapAttribution`` and reports
/// the blocks live at the end (``LeakReport``).
public enum LeakAnalysis {
    /// The report for `options`' input, with at most `top` groups of each kind of at least `minimumBytes`;
    /// and the problems `--keep-going` skipped.
    public static func run(_ options: ConversionOptions, top: Int, minimumBytes: UInt64) throws(ConversionError)
        -> (report: LeakReport, skipped: [ConversionError])
    {
        var (reader, _, name) = try Inspection.openInput(options)
        var writer: any EventWriter = AttributionWriter()
        _ = try Conversion.pump(from: &reader, inputName: name, to: &writer, filter: options.filter, progress: nil)
        let attribution = (writer as! AttributionWriter).attribution
        return (LeakReport(attribution, top: top, minimumBytes: minimumBytes), reader.skippedProblems)
    }
}

/// An ``EventWriter`` that only accounts: the end of the chain for analyses.
struct AttributionWriter: EventWriter {
    var attribution = HeapAttribution<TimedStackTag>()

    mutating func write(_ batch: EventBatch) throws(ConversionError) {
        attribution.apply(batch)
    }

    mutating func finish() throws(ConversionError) {}
}

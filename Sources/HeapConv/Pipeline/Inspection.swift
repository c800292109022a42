/// Runs `heapconv info`: reads an input through the streaming chain into a ``TraceSummary``.
public enum Inspection {
    /// The input's own facts (for `.etl`: OS, clock, buffers, record counts) under `"input"` when the reader
    /// has any, and the event summary under `"summary"`.
    ///
    /// With `factsOnly`, only the facts the reader knows once open, without reading a single event: for
    /// `.etl` that is one pass over the records, several times faster than decoding the heap events for the
    /// summary (and it finds no damage inside heap payloads). Formats without facts and filters, which have
    /// nothing to select, are usage errors then.
    public static func run(_ options: ConversionOptions, factsOnly: Bool = false) throws(ConversionError) -> (info: InfoValue, skipped: [ConversionError]) {
        var (reader, format, name) = try openInput(options) { () throws(ConversionError) in
            if factsOnly, !options.filter.isEmpty {
                throw ConversionError(.usage, "--facts describes the whole file: it takes no --pid, --heap, --event, --since or --until")
            }
        }
        if factsOnly {
            guard let facts = reader.facts() else {
                throw ConversionError(.usage, "--facts: \(format.name) input has no facts beyond its events (.etl input has); run info without --facts")
            }
            return (.object([("file", .string(name)), ("format", .string(format.name)), ("input", facts)]), reader.skippedProblems)
        }
        var writer: any EventWriter = TraceSummary()
        _ = try Conversion.pump(from: &reader, inputName: name, to: &writer, filter: options.filter, progress: nil)
        let summary = writer as! TraceSummary
        var entries: [(String, InfoValue)] = [("file", .string(name)), ("format", .string(format.name))]
        if let facts = reader.facts() { entries.append(("input", facts)) }
        entries.append(("summary", summary.info))
        return (.object(entries), reader.skippedProblems)
    }
}

extension Inspection {
    /// Opens the input of an analysis (`info`, `leaks`): resolves its format, checks the options against it
    /// (and with `check`, the analysis's own), then opens its reader; errors name the input.
    static func openInput(_ options: ConversionOptions, check: () throws(ConversionError) -> Void = {})
        throws(ConversionError) -> (reader: any EventReader, format: FormatEntry, name: String)
    {
        let (format, gzip) = try FormatRegistry.resolve(path: options.inputPath, override: options.inputFormat, role: "input")
        let name = options.inputPath == "-" ? "<stdin>" : options.inputPath
        let makeReader = try FormatRegistry.reader(of: format, path: options.inputPath)
        try options.checkApplicable(input: format, output: nil)
        try check()
        do {
            return (try makeReader(ReaderContext(path: options.inputPath, name: name, gzip: gzip, options: options)), format, name)
        } catch {
            throw error.naming(name)
        }
    }
}

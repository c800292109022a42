/// Runs `heapconv info`: reads an input through the streaming chain into a ``TraceSummary``.
public enum Inspection {
    /// The input's own facts (for `.etl`: OS, clock, buffers, record counts) under `"input"` when the reader
    /// has any, and the event summary under `"summary"`.
    public static func run(_ options: ConversionOptions) throws(ConversionError) -> (info: InfoValue, skipped: [ConversionError]) {
        let (format, gzip) = try FormatRegistry.resolve(path: options.inputPath, override: options.inputFormat, role: "input")
        let name = options.inputPath == "-" ? "<stdin>" : options.inputPath
        guard let makeReader = format.makeReader else {
            throw ConversionError(.unsupported, "reading \(format.name) is not built yet")
        }
        var reader: any EventReader
        do {
            reader = try makeReader(ReaderContext(path: options.inputPath, name: name, gzip: gzip, options: options))
        } catch {
            throw error.naming(name)
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

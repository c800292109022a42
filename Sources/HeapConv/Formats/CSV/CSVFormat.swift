/// CSV (`.csv`, optionally `.gz`): RFC 4180 with a header row.
public enum CSVFormat {
    public static let entry = FormatEntry(
        name: "csv", extensions: ["csv"], allowsGzip: true,
        summary: "RFC 4180 CSV with a header row (read, write)", options: [.frames],
        makeReader: { context throws(ConversionError) in CSVReader(source: try context.openSequential()) },
        makeWriter: { context in CSVWriter(output: context.output, frames: context.options.frames) })
}

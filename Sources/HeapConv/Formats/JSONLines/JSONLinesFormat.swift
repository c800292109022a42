/// JSON Lines (`.jsonl`, `.ndjson`, optionally `.gz`): the normative text form.
public enum JSONLinesFormat {
    public static let entry = FormatEntry(
        name: "jsonl", extensions: ["jsonl", "ndjson"], allowsGzip: true,
        summary: "JSON Lines, one event per line (read, write)", options: [.frames],
        makeReader: { context throws(ConversionError) in JSONLinesReader(source: try context.openSequential()) },
        makeWriter: { context in JSONLinesWriter(output: context.output, frames: context.options.frames) })
}

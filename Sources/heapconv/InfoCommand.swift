import ArgumentParser
import HeapConv

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a trace: events per kind, processes, heaps, time span, bytes, peaks, blocks never freed.",
        usage: "heapconv info IN [--json] [--facts] [filters]",
        discussion: "For .etl input it also prints the file's facts: OS, pointer size, clock, buffers, records per header kind and provider, lost events."
    )

    @Argument(help: ArgumentHelp("Input file ('-' for standard input).", valueName: "IN"), completion: .file())
    var input: String

    @Option(help: ArgumentHelp("Input format, overriding the extension: \(FormatNames.readable.joined(separator: ", ")).", valueName: "format"),
            completion: .list(FormatNames.readableWithGzip))
    var from: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Flag(help: ArgumentHelp(
        "Print only the input file's own facts, without reading its events (.etl only).",
        discussion: "One pass over the records: OS, clock, buffers, records per header kind and provider, heap events per opcode, stack records, lost events. Several times faster than the full summary on large traces, but heap payloads are not decoded, so damage inside them is not found."))
    var facts = false

    @OptionGroup var filters: FilterOptions

    @Flag(help: "On damaged .etl input, summarize the intact buffers, report what was skipped, exit 3.")
    var keepGoing = false

    func run() throws {
        var options = ConversionOptions(inputPath: input, outputPath: "-")
        options.inputFormat = from
        options.filter = try filters.filter()
        options.keepGoing = keepGoing
        do {
            let (info, skipped) = try Inspection.run(options, factsOnly: facts)
            var text = json ? info.json + "\n" : info.text()
            try StandardOutput.write(&text)
            if !skipped.isEmpty {
                Diagnostics.skipped(skipped)
                throw ExitCode(3)
            }
        } catch let error as ConversionError {
            throw ExitCode(report(error))
        }
    }
}

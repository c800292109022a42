import ArgumentParser
import HeapConv

struct LeaksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaks",
        abstract: "List the heap blocks live at the end of a trace, by process, heap and allocation stack, largest first.",
        usage: "heapconv leaks IN [--top N] [--min-bytes N] [--json] [--fail-on-leaks]",
        discussion: """
            Blocks of processes that exited during the trace were never freed before their process ended: they leaked. Blocks of processes still running when recording stopped are listed apart: still live, perhaps freed later. Stacks are module+0xoffset where the trace has image records.

            The status is 0 whatever is found; --fail-on-leaks exits 1 when anything leaked (for CI).
            """
    )

    @Argument(help: ArgumentHelp("Input file ('-' for standard input): .etl, JSON Lines, CSV, heapcol or Parquet.", valueName: "IN"),
              completion: .file())
    var input: String

    @Option(help: ArgumentHelp("Input format, overriding the extension: \(FormatNames.readable.joined(separator: ", ")).", valueName: "format"),
            completion: .list(FormatNames.readableWithGzip))
    var from: String?

    @Option(help: "Show at most this many groups of each kind.")
    var top: Int = 20

    @Option(help: ArgumentHelp("Leave out groups holding fewer bytes.", valueName: "bytes"))
    var minBytes: UInt64 = 0

    @Flag(help: "Print the report as one JSON object (Schemas/leaks.schema.json).")
    var json = false

    @Flag(help: "Exit with status 1 when a process that exited during the trace leaked any block.")
    var failOnLeaks = false

    @OptionGroup var filters: FilterOptions

    @Flag(help: "On damaged .etl input, report on the intact buffers, say what was skipped, exit 3.")
    var keepGoing = false

    mutating func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1, not \(top)") }
        // Without every kind of heap event the frees are missing and everything looks live; without the
        // process records nothing is known to have exited.
        if !filters.kinds.isEmpty { throw ValidationError("leaks needs every heap event: --event does not apply (use --pid, --heap, --since, --until)") }
        if filters.noContext { throw ValidationError("leaks needs the process records: --no-context does not apply") }
    }

    func run() throws {
        var options = ConversionOptions(inputPath: input, outputPath: "-")
        options.inputFormat = from
        options.filter = try filters.filter()
        options.keepGoing = keepGoing
        do {
            let (report, skipped) = try LeakAnalysis.run(options, top: top, minimumBytes: minBytes)
            var text = json ? report.json(input: input == "-" ? "<stdin>" : input).json + "\n" : report.text()
            try StandardOutput.write(&text)
            if !skipped.isEmpty {
                Diagnostics.skipped(skipped)
                throw ExitCode(3)
            }
            if failOnLeaks, report.leakedBlocks > 0 { throw ExitCode(1) }
        } catch let error as ConversionError {
            throw ExitCode(report(error))
        }
    }
}

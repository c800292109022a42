import ArgumentParser
import HeapConv

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert IN to OUT (the default command: 'heapconv IN OUT').",
        discussion: """
            The output file appears only when the conversion succeeds; on any error nothing is left behind.

            Examples:
              heapconv trace.etl trace.jsonl
              heapconv trace.etl trace.json --lifetimes leaks --pid 4242
              heapconv events.csv.gz - --to jsonl --event alloc,free --since +1.5s --until +2s
            """
    )

    @Argument(help: "Input file ('-' for standard input).")
    var input: String

    @Argument(help: "Output file ('-' for standard output).")
    var output: String

    @Option(help: "Input format, overriding the extension (jsonl, csv, etl, heapcol; csv.gz, jsonl.gz for gzip).")
    var from: String?

    @Option(help: "Output format, overriding the extension (jsonl, csv, chrome, heapcol; csv.gz, jsonl.gz, chrome.gz for gzip).")
    var to: String?

    @OptionGroup var filters: FilterOptions

    @Flag(help: "On damaged .etl input, recover the events of intact buffers, report what was skipped, exit 3.")
    var keepGoing = false

    @Flag(help: "Write .etl events in file order instead of merging the per-CPU buffers into time order.")
    var fileOrder = false

    @Option(help: "zlib level for compressed outputs, 1 (fast) to 9 (small); default 6 for .gz, Huffman-only for .heapcol.")
    var level: Int32?

    @Option(help: ArgumentHelp("Chrome trace: draw block lifetimes as async slices: none, leaks, large:BYTES or all.",
                               valueName: "which"))
    var lifetimes: String = "none"

    @Flag(help: "Chrome trace: leave out the per-event instants (for huge traces).")
    var noInstants = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(inversion: .prefixedNo, help: "Show a progress line on standard error (default: when it is a terminal).")
    var progress: Bool?

    mutating func validate() throws {
        if let level, !(1...9).contains(level) { throw ValidationError("--level must be from 1 to 9") }
        if LifetimeSelection(argument: lifetimes) == nil {
            throw ValidationError("--lifetimes takes none, leaks, large:BYTES or all, not '\(lifetimes)'")
        }
    }

    func run() throws {
        var options = ConversionOptions(inputPath: input, outputPath: output)
        options.inputFormat = from
        options.outputFormat = to
        options.filter = try filters.filter()
        options.keepGoing = keepGoing
        options.fileOrder = fileOrder
        if let level { options.compressionLevel = level }
        options.lifetimes = LifetimeSelection(argument: lifetimes)!
        options.noInstants = noInstants
        options.quiet = quiet
        let meter = (progress ?? isTerminal(2)) && !quiet ? ProgressMeter() : nil
        do {
            let result = try Conversion.run(options, progress: meter.map { m in { m.update(events: $0) } })
            meter?.clear()
            if !quiet { for line in result.writerReport { Diagnostics.note(line) } }
            if !result.skippedProblems.isEmpty {
                Diagnostics.skipped(result.skippedProblems)
                throw ExitCode(3)
            }
        } catch let error as ConversionError {
            meter?.clear()
            throw ExitCode(report(error))
        }
    }
}

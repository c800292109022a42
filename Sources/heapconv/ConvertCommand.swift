import ArgumentParser
import HeapConv

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert IN to OUT (the default command: 'heapconv IN OUT').",
        usage: "heapconv IN OUT [options]",
        discussion: """
            The output file appears only when the conversion succeeds; on any error nothing is left behind.

            A conversion that writes no event succeeds with a warning saying why (the trace has no heap events, or which filter matched nothing); --fail-if-empty makes it exit 1 instead.

            Examples:
              heapconv trace.etl trace.jsonl
              heapconv trace.etl trace.json --lifetimes leaks --pid 4242
              heapconv events.csv.gz - --to jsonl --event alloc,free --since +1.5s
            """
    )

    @OptionGroup var options: ConvertOptions

    func run() throws {
        try options.run()
    }
}

/// Everything `heapconv IN OUT` takes, shared by the command and its shell completion.
struct ConvertOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Input file ('-' for standard input).", valueName: "IN"), completion: .file())
    var input: String

    @Argument(help: ArgumentHelp("Output file ('-' for standard output).", valueName: "OUT"), completion: .file())
    var output: String

    @Option(help: ArgumentHelp("Input format, overriding the extension: \(FormatNames.readable.joined(separator: ", ")) (csv.gz, jsonl.gz for gzip).",
                               valueName: "format"),
            completion: .list(FormatNames.readableWithGzip))
    var from: String?

    @Option(help: ArgumentHelp("Output format, overriding the extension: \(FormatNames.writable.joined(separator: ", ")) (csv.gz, jsonl.gz, chrome.gz for gzip).",
                               valueName: "format"),
            completion: .list(FormatNames.writableWithGzip))
    var to: String?

    @OptionGroup var filters: FilterOptions

    @Flag(help: "On damaged .etl input, recover the events of intact buffers, report what was skipped, exit 3.")
    var keepGoing = false

    @Flag(help: "Write .etl events in file order instead of merging the per-CPU buffers into time order.")
    var fileOrder = false

    @Option(help: "Compression level for compressed outputs (.gz, .heapcol, .parquet), 1 (fast) to 9 (small), 0 for uncompressed Parquet; default 6 for .gz, 1 for .parquet, Huffman-only for .heapcol.")
    var level: Int32?

    @Option(help: ArgumentHelp("Chrome trace: draw block lifetimes as async slices: none, leaks, large:BYTES or all.",
                               valueName: "which"),
            completion: .list(["none", "leaks", "all", "large:"]))
    var lifetimes: String?

    @Flag(help: "Chrome trace: leave out the per-event instants (for huge traces).")
    var noInstants = false

    @Flag(help: "JSON Lines and CSV: add a 'frames' field naming each stack frame as module+0xoffset (ntdll.dll+0x1a2b3), from the trace's image records.")
    var frames = false

    @Flag(help: "Exit with status 1 when no event was written (the output is still complete).")
    var failIfEmpty = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(inversion: .prefixedNo, help: "Show a progress line on standard error (default: when it is a terminal).")
    var progress: Bool?

    mutating func validate() throws {
        if let level, !(0...9).contains(level) { throw ValidationError("--level must be from 1 to 9 (0: uncompressed Parquet), not \(level)") }
        if let lifetimes, LifetimeSelection(argument: lifetimes) == nil {
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
        options.lifetimes = lifetimes.flatMap(LifetimeSelection.init(argument:)) ?? .none
        options.noInstants = noInstants
        options.frames = frames
        options.quiet = quiet
        let meter = (progress ?? isTerminal(2)) && !quiet ? ProgressMeter() : nil
        do {
            let result = try Conversion.run(options, progress: meter.map { m in { m.update(events: $0) } })
            meter?.clear()
            if !quiet {
                for line in result.writerReport { Diagnostics.note(line) }
                if let warning = result.emptyWarning { Diagnostics.warning(warning) }
            }
            if !result.skippedProblems.isEmpty {
                Diagnostics.skipped(result.skippedProblems)
                throw ExitCode(3)
            }
            if failIfEmpty, result.emptyWarning != nil { throw ExitCode(1) }
        } catch let error as ConversionError {
            meter?.clear()
            throw ExitCode(report(error))
        }
    }
}

/// Format names for help texts and shell completion, from the registry.
enum FormatNames {
    static let readable = FormatRegistry.all.filter { $0.makeReader != nil }.map(\.name)
    static let writable = FormatRegistry.all.filter { $0.makeWriter != nil }.map(\.name)
    static let readableWithGzip = readable + FormatRegistry.all.filter { $0.makeReader != nil && $0.allowsGzip }.map { $0.name + ".gz" }
    static let writableWithGzip = writable + FormatRegistry.all.filter { $0.makeWriter != nil && $0.allowsGzip }.map { $0.name + ".gz" }
}

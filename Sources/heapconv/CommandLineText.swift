import HeapConv

/// The texts of `--help` that are ours rather than swift-argument-parser's, and the one-line usage error.
enum CommandLineText {
    /// The top-level discussion: the main options, formats and exit statuses. Lines stay under 80 columns
    /// so that the help does not re-wrap them on a standard terminal.
    static let overview = """
        MAIN OPTIONS (heapconv convert --help lists them all):
          --to FMT, --from FMT       formats, when the extensions do not say
          --pid N, --heap H, --event KIND, --since T, --until T
                                     keep only some events
          --lifetimes leaks          Chrome: draw leaked blocks as slices
          --fail-if-empty            exit 1 when no event was written
          -q, --quiet                print nothing but errors

        FORMATS (from the file extension; --from/--to override; '-' is stdin/stdout):
        \(FormatRegistry.all.map { "  \($0.name + String(repeating: " ", count: max(0, 8 - $0.name.count))) .\($0.extensions.joined(separator: ", .")): \($0.summary)" }.joined(separator: "\n"))
          CSV, JSON Lines and Chrome JSON may also be gzip'd: out.jsonl.gz,
          or --from csv.gz / --to jsonl.gz on stdin and stdout.

        EXIT STATUS:
        \(exitStatuses)
        """

    /// The exit statuses, for `--help` and the README.
    static let exitStatuses = """
          0   success (also when no event matched: a warning says so)
          1   --fail-if-empty and no event was written; leaks --fail-on-leaks
              and a process leaked
          3   --keep-going skipped damaged parts of the input; the output
              holds what was intact
         64   usage error (bad option or argument, format cannot be inferred,
              input and output are the same file)
         65   malformed input (the message names the file and the line or
              byte offset)
         66   cannot open the input
         69   heapconv cannot read or write that format in that direction
         70   internal error (a bug: please report it)
         73   cannot create the output
         74   I/O error while reading or writing
        130   interrupted by SIGINT (the partial output is removed)
        141   standard output closed early (SIGPIPE, as with | head)
        143   terminated by SIGTERM (the partial output is removed)
        """

    /// Prints a command-line mistake as one line with the usage of the command `arguments` run.
    static func usageError(_ message: String, arguments: [String]) {
        let usage: String, help: String
        switch arguments.first(where: { !$0.hasPrefix("-") }) {
        case "info":
            (usage, help) = (InfoCommand.configuration.usage ?? "", "heapconv info --help")
        case "leaks":
            (usage, help) = (LeaksCommand.configuration.usage ?? "", "heapconv leaks --help")
        default:
            (usage, help) = ("heapconv IN OUT [options]", "heapconv --help")
        }
        Diagnostics.error(sentence(message) + " (usage: \(usage); see \(help))")
    }

    /// The parser's message as one lower-case clause: its first line, without a trailing period.
    static func sentence(_ message: String) -> String {
        var line = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? message
        if line.hasPrefix("Error: ") { line.removeFirst(7) }
        while line.hasSuffix(".") { line.removeLast() }
        guard let first = line.first, first.isUppercase, !(line.dropFirst().first?.isUppercase ?? false) else { return line }
        return first.lowercased() + line.dropFirst()
    }
}

/// Prints `error` as one line on standard error and returns the exit code for it.
func report(_ error: ConversionError) -> Int32 {
    Diagnostics.error(error.description)
    return error.exitStatus
}

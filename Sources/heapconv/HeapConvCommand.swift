import ArgumentParser
import HeapConv

@main
struct HeapConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heapconv",
        abstract: "Convert Windows ETW heap traces (HeapAlloc, HeapFree, HeapReAlloc, ...) between formats.",
        discussion: """
            FORMATS (inferred from the file extension; --from/--to override; '-' is stdin/stdout):
            \(FormatRegistry.all.map { "  \($0.name + String(repeating: " ", count: max(0, 8 - $0.name.count))) .\($0.extensions.joined(separator: ", .")): \($0.summary)" }.joined(separator: "\n"))
              CSV, JSON Lines and Chrome JSON may also be gzip'd: out.jsonl.gz,
              or --from csv.gz / --to jsonl.gz on stdin and stdout.

            EXIT STATUS:
            \(ExitStatusTable.text)
            """,
        version: HeapConvVersion.string,
        subcommands: [ConvertCommand.self, InfoCommand.self],
        defaultSubcommand: ConvertCommand.self
    )
}

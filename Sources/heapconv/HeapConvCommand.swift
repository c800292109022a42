import ArgumentParser
import HeapConv

@main
struct HeapConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heapconv",
        abstract: "Convert Windows ETW heap traces (HeapAlloc, HeapFree, HeapReAlloc, ...) between formats.",
        usage: """
            heapconv IN OUT [options]
            heapconv info IN [--json] [--facts] [filters]
            heapconv leaks IN [--top N] [--min-bytes N] [--json] [--fail-on-leaks]
            """,
        discussion: CommandLineText.overview,
        version: HeapConvVersion.string,
        subcommands: [ConvertCommand.self, InfoCommand.self, LeaksCommand.self],
        defaultSubcommand: ConvertCommand.self
    )

    /// Parses and runs like `ParsableCommand.main()`, but reports a command-line mistake as one
    /// `heapconv: error: ...` line with the usage of the command it concerns, instead of several lines.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let script = CompletionCommand.script(for: arguments) {
            print(script)
            return
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // Help, version, completion scripts and our own exit statuses print what they print.
            if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }
            CommandLineText.usageError(message(for: error), arguments: arguments)
            exit(withError: ExitCode(64))
        }
    }
}

import ArgumentParser

/// The command tree shell completion is generated from: `heapconv` taking convert's arguments and options
/// itself, with `info` and `leaks` as its subcommands.
///
/// swift-argument-parser completes a default subcommand's arguments only after its name (`heapconv convert
/// IN OUT`), so the real tree would offer nothing but `convert`, `info`, `leaks` and `help` after `heapconv `.
/// This tree is never parsed; it only describes what to complete.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heapconv",
        subcommands: [InfoCommand.self, LeaksCommand.self]
    )

    @OptionGroup var options: ConvertOptions

    /// The script for `--generate-completion-script SHELL` when those are the arguments, else `nil`.
    static func script(for arguments: [String]) -> String? {
        guard let flag = arguments.first, flag == "--generate-completion-script" || flag.hasPrefix("--generate-completion-script=") else {
            return nil
        }
        let name = flag.contains("=") ? String(flag.split(separator: "=", maxSplits: 1)[1]) : arguments.dropFirst().first
        guard let name, let shell = CompletionShell(rawValue: name) else { return nil }
        return completionScript(for: shell)
    }
}

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
        let script = completionScript(for: shell)
        return shell == .bash ? subcommandsFirst(bash: script) : script
    }

    /// The bash script offers the root's two positional arguments before it looks for a subcommand, so
    /// `heapconv leaks IN --<TAB>` would offer convert's options: dispatch `info`, `leaks` and `help`
    /// first. Only inserted where the generator's text is as expected (the dependency is pinned; the
    /// completion test notices a change).
    static func subcommandsFirst(bash script: String) -> String {
        let anchor = "    __heapconv_offer_flags_options 2\n"
        guard script.ranges(of: anchor).count == 1 else { return script }
        let dispatch = """
                case "${unparsed_words[0]}" in
                info|leaks|help)
                    local -r first="${unparsed_words[0]}"
                    unset 'unparsed_words[0]'
                    unparsed_words=("${unparsed_words[@]}")
                    "_heapconv_${first}"
                    return
                    ;;
                esac

            """
        return script.replacing(anchor, with: dispatch + anchor)
    }
}

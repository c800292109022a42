import Foundation
import Testing

/// Programs and Python modules some tests need to prove a format with its real consumer. A test that needs
/// one is skipped, with a message saying what to install, when it is missing on a developer's machine; under
/// `CI=true` (where `.ci/run` installs everything) it runs anyway and fails on the missing tool.
enum ExternalTool: String, CaseIterable {
    case jsonschema, duckdb, pandas, polars, pyarrow
    case jq
    case goPprof = "go tool pprof"

    /// What to install to get it.
    var installHint: String {
        switch self {
        case .jsonschema, .duckdb, .pandas, .polars, .pyarrow: "python3 -m pip install \(rawValue)"
        case .jq: "apt-get install jq"
        case .goPprof: "apt-get install golang-go"
        }
    }

    /// Whether it is installed here (looked up once).
    var isInstalled: Bool { Self.installed[self]! }

    private static let installed: [ExternalTool: Bool] = {
        var found: [ExternalTool: Bool] = [:]
        for tool in allCases {
            let command: [String]
            switch tool {
            case .jsonschema, .duckdb, .pandas, .polars, .pyarrow: command = ["python3", "-c", "import \(tool.rawValue)"]
            case .jq: command = ["jq", "--version"]
            case .goPprof: command = ["go", "tool", "pprof", "-h"]
            }
            found[tool] = (try? CLI.run(URL(fileURLWithPath: "/usr/bin/env"), command).status) == 0
        }
        return found
    }()

    static var underCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The trait for a test that needs `tools`: skipped with an install hint when one is missing, unless
    /// under CI.
    static func needed(_ tools: ExternalTool...) -> ConditionTrait {
        let missing = tools.filter { !$0.isInstalled }
        let hint = missing.map { "\($0.rawValue) (\($0.installHint))" }.joined(separator: ", ")
        return .enabled(if: missing.isEmpty || underCI, Comment(rawValue: "needs " + hint))
    }

    /// Records a failure naming what to install when `tools` are missing (under CI, where the test runs
    /// anyway); returns whether all are there.
    @discardableResult
    static func require(_ tools: ExternalTool..., sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let missing = tools.filter { !$0.isInstalled }
        for tool in missing {
            Issue.record("\(tool.rawValue) is not installed (CI=true makes that a failure): \(tool.installHint)", sourceLocation: sourceLocation)
        }
        return missing.isEmpty
    }
}

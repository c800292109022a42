import Foundation
import Testing
@testable import HeapConv

/// The README's promises about Examples/: the Makefile's pattern rules work, and the example traces convert.
@Suite struct ExamplesTests {
    static let examples = CLI.repositoryRoot.appendingPathComponent("Examples")

    @Test func makefileConvertsEveryTraceAndLeavesNothingHalfWritten() throws {
        let out = try CLI.temporaryDirectory()
        defer { CLI.remove(out) }
        let make = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                               ["make", "-C", Self.examples.path, "HEAPCONV=\(CLI.executable.path)", "OUT=\(out.path)"])
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        let traces = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".etl") }.sorted()
        #expect(traces == ["heap-32.etl", "heap-64.etl"])
        let made = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        var expected: [String] = []
        for trace in traces {
            let stem = String(trace.dropLast(4))
            expected += [stem + ".json", stem + ".jsonl", stem + ".parquet"]
        }
        #expect(made == expected.sorted())
        // Each JSON Lines file is what a direct conversion gives, and holds the three events of the trace.
        for trace in traces {
            let direct = try CLI.run([Self.examples.appendingPathComponent(trace).path, "-", "--to", "jsonl"])
            let made = try String(contentsOf: out.appendingPathComponent(String(trace.dropLast(4)) + ".jsonl"), encoding: .utf8)
            #expect(made == direct.stdout)
            let kinds: [String] = made.split(separator: "\n").map { String($0.split(separator: "\"")[3]) }
            #expect(kinds == ["alloc", "realloc", "free"])
        }
        // Up to date: a second run does nothing.
        let again = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                                ["make", "-q", "-C", Self.examples.path, "HEAPCONV=\(CLI.executable.path)", "OUT=\(out.path)"])
        #expect(again.status == 0)
    }

    /// `Examples/heap-64.json` is what the binary writes today (the README sends users to open it).
    @Test func theExampleChromeTraceIsWhatTheBinaryWrites() throws {
        let r = try CLI.run(["heap-64.etl", "-", "--to", "chrome", "--lifetimes", "all", "--quiet"], in: Self.examples)
        #expect(r.status == 0, "\(r.stderr)")
        let committed = try String(contentsOf: Self.examples.appendingPathComponent("heap-64.json"), encoding: .utf8)
        #expect(r.stdout == committed, "regenerate it: cd Examples && heapconv heap-64.etl heap-64.json --lifetimes all")
    }

    /// The rules the README shows are the Makefile's own, and the Makefile works from another folder.
    @Test func theReadmeShowsTheMakefileRulesAndTheyRunElsewhere() throws {
        let readme = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let makefile = try String(contentsOf: Self.examples.appendingPathComponent("Makefile"), encoding: .utf8)
        let block = try #require(readme.firstMatch(of: /```make\n([^`]*)```/)).output.1
        #expect(!block.isEmpty)
        #expect(makefile.contains(block), "README's make block:\n\(block)")
        // Another folder, with the Makefile named by -f and the default HEAPCONV replaced.
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent("heap-32.etl"), to: dir.appendingPathComponent("t.etl"))
        let make = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                               ["make", "-C", dir.path, "-f", Self.examples.appendingPathComponent("Makefile").path,
                                "HEAPCONV=\(CLI.executable.path)", "OUT=converted"])
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("converted").path).sorted() == ["t.json", "t.jsonl", "t.parquet"])
        // The default output folder is ignored by git.
        let ignored = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["git", "check-ignore", "-q", "Examples/out/t.jsonl"], in: CLI.repositoryRoot)
        #expect(ignored.status == 0)
    }

    @Test func theHeapcolReaderScriptPrintsItsUsage() throws {
        let script = Self.examples.appendingPathComponent("read_heapcol.py").path
        let help = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("usage: read_heapcol.py FILE.heapcol > events.jsonl\n"))
        let none = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script])
        #expect(none.status == 2)
        #expect(none.stderr == "usage: read_heapcol.py FILE.heapcol > events.jsonl\n")
    }

    @Test func theReadmeSetUpCommandPrintsTheExampleEvents() throws {
        // `swift run -c release heapconv Examples/heap-64.etl - --to jsonl`, with the binary already built.
        let r = try CLI.run(["Examples/heap-64.etl", "-", "--to", "jsonl"], in: CLI.repositoryRoot)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix(#"{"event":"alloc","ts":1555526400000010000,"pid":17185,"tid":4660,"#))
    }
}

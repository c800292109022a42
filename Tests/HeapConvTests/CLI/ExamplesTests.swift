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
            expected += [stem + ".json", stem + ".jsonl"]
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

    @Test func theReadmeSetUpCommandPrintsTheExampleEvents() throws {
        // `swift run -c release heapconv Examples/heap-64.etl - --to jsonl`, with the binary already built.
        let r = try CLI.run(["Examples/heap-64.etl", "-", "--to", "jsonl"], in: CLI.repositoryRoot)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix(#"{"event":"alloc","ts":1555526400000010000,"pid":17185,"tid":4660,"#))
    }
}

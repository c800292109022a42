import Foundation
import Testing
@testable import HeapConv

/// The command line as a new user meets it: one-line argument errors with the right usage, options that do
/// not apply are errors, an empty result is never silent, help and completion that help.
@Suite struct CommandLineTests {
    static let jsonl = TextGoldenTests.jsonl

    func workspace() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func argumentErrorsAreOneLineWithTheRightUsage() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        let convertUsage = " (usage: heapconv IN OUT [options]; see heapconv --help)\n"
        let cases: [([String], String)] = [
            (["in.jsonl"], "heapconv: error: missing expected argument '<OUT>'" + convertUsage),
            (["in.jsonl", "out.csv", "--pid", "-5"], "heapconv: error: --pid takes process ids, not '-5'" + convertUsage),
            (["in.jsonl", "out.csv", "--pid", "x"], "heapconv: error: --pid takes process ids, not 'x'" + convertUsage),
            (["in.jsonl", "out.csv", "--level", "12"], "heapconv: error: --level must be from 1 to 9 (0: uncompressed Parquet), not 12" + convertUsage),
            (["in.jsonl", "out.csv", "--lifetimes", "some"], "heapconv: error: --lifetimes takes none, leaks, large:BYTES or all, not 'some'" + convertUsage),
            (["info"], "heapconv: error: missing expected argument '<IN>' (usage: heapconv info IN [--json] [--facts] [filters]; see heapconv info --help)\n"),
        ]
        for (arguments, expected) in cases {
            let r = try CLI.run(arguments, in: dir)
            #expect(r.status == 64, "\(arguments)")
            #expect(r.stderr == expected, "\(arguments)")
            #expect(r.stdout.isEmpty)
        }
        let unknown = try CLI.run(["in.jsonl", "out.csv", "--frob"], in: dir)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix("heapconv: error: unknown option '--frob'"))
        #expect(unknown.stderr.hasSuffix(convertUsage))
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["in.jsonl"])
    }

    @Test func optionsTheFormatsIgnoreAreErrors() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        let cases: [([String], String)] = [
            (["in.jsonl", "out.csv", "--lifetimes", "leaks"], "--lifetimes applies to chrome output only, not csv (out.csv)"),
            (["in.jsonl", "-", "--to", "jsonl", "--no-instants"], "--no-instants applies to chrome output only, not jsonl"),
            (["in.jsonl", "out.csv", "--level", "3"], "--level applies to compressed outputs only (.gz, heapcol, pprof, parquet), not out.csv"),
            (["in.jsonl", "out.jsonl.gz", "--level", "0"], "--level 0 (uncompressed) applies to parquet output only; use 1 to 9"),
            (["in.jsonl", "out.csv", "--keep-going"], "--keep-going applies to etl input only, not jsonl (in.jsonl)"),
            (["in.jsonl", "out.csv", "--file-order"], "--file-order applies to etl input only, not jsonl (in.jsonl)"),
            (["info", "in.jsonl", "--keep-going"], "--keep-going applies to etl input only, not jsonl (in.jsonl)"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(arguments, in: dir)
            #expect(r.status == 64, "\(arguments)")
            #expect(r.stderr == "heapconv: error: \(message)\n", "\(arguments)")
        }
        // Where they apply, they are taken.
        #expect(try CLI.run(["in.jsonl", "out.json", "--lifetimes", "leaks", "--no-instants"], in: dir).status == 0)
        #expect(try CLI.run(["in.jsonl", "out.csv.gz", "--level", "3"], in: dir).status == 0)
        #expect(try CLI.run(["in.jsonl", "out.heapcol", "--level", "3"], in: dir).status == 0)
        let etl = try ETLTestSupport.fixturePath("SYNTHETIC-heap-64.etl")
        #expect(try CLI.run([etl, "out.csv", "--keep-going", "--file-order"], in: dir).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
                == ["in.jsonl", "out.csv", "out.csv.gz", "out.heapcol", "out.json"])
    }

    /// An output without events says why, on one line; the status stays 0 unless --fail-if-empty.
    @Test func anEmptyResultIsNeverSilent() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        func warning(_ arguments: [String]) throws -> String {
            let r = try CLI.run(arguments + ["-", "--to", "jsonl"], in: dir)
            #expect(r.status == 0, "\(arguments)")
            #expect(r.stdout.isEmpty, "\(arguments)")
            let quiet = try CLI.run(arguments + ["-", "--to", "jsonl", "--quiet"], in: dir)
            #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(arguments)")
            let failing = try CLI.run(arguments + ["-", "--to", "jsonl", "--fail-if-empty", "--quiet"], in: dir)
            #expect(failing.status == 1, "\(arguments)")
            return r.stderr
        }
        #expect(try warning(["in.jsonl", "--pid", "4242"])
                == "heapconv: warning: --pid 4242 matched none of the 1 process (17185)\n")
        // The first event is at 2019-04-17T18:40:00.000010Z; the earliest 5 ns before the epoch, the latest at
        // 2019-04-17T18:40:00.000040Z.
        #expect(try warning(["in.jsonl", "--since", "+2s", "--until", "+1s"])
                == "heapconv: warning: --since is at or after --until (2019-04-17T18:40:02.000010Z ≥ 2019-04-17T18:40:01.000010Z): no event can be in that window\n")
        #expect(try warning(["in.jsonl", "--since", "2030-01-01T00:00:00Z"])
                == "heapconv: warning: the window 2030-01-01T00:00:00Z to the end lies outside the trace, whose 9 heap events run from 1969-12-31T23:59:59.999999995Z to 2019-04-17T18:40:00.000040Z\n")
        #expect(try warning(["in.jsonl", "--event", "alloc", "--heap", "0x0"])
                == "heapconv: warning: the filters matched none of the 9 heap events\n")
        try "".write(to: dir.appendingPathComponent("empty.jsonl"), atomically: true, encoding: .utf8)
        #expect(try warning(["empty.jsonl"]) == "heapconv: warning: 0 heap events: empty.jsonl holds no events\n")
        // A real trace without heap events.
        let kernel = try ETLTestSupport.fixturePath("airbus-lxcore_kernel.etl")
        #expect(try warning([kernel]) == "heapconv: warning: 0 heap events: this trace has no Heap provider events (record with heap tracing enabled for the process)\n")
        // Events written: no warning, status 0 even with --fail-if-empty.
        let some = try CLI.run(["in.jsonl", "-", "--to", "jsonl", "--pid", "17185", "--fail-if-empty"], in: dir)
        #expect(some.status == 0 && some.stderr.isEmpty)
    }

    @Test func helpShowsTheConvertUsageMainOptionsAndEveryExitStatus() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: heapconv IN OUT [options]\n       heapconv info IN [--json] [--facts] [filters]\n"))
        for option in ["--to FMT", "--pid N", "--lifetimes leaks", "--fail-if-empty", "--quiet"] {
            #expect(r.stdout.contains(option), "\(option)")
        }
        for status in ["  0   success", "  1   --fail-if-empty", "  3   --keep-going", " 64   usage error", " 65   malformed input",
                       " 66   cannot open", " 69   heapconv cannot", " 70   internal error", " 73   cannot create", " 74   I/O error",
                       "130   interrupted by SIGINT", "141   standard output closed early", "143   terminated by SIGTERM"] {
            #expect(r.stdout.contains("\n" + status), "\(status)")
        }
        // Nothing wraps on an 80-column terminal: every line of ours is shorter.
        for line in r.stdout.split(separator: "\n") { #expect(line.count < 80, "\(line)") }
        let convert = try CLI.run(["convert", "--help"])
        #expect(convert.stdout.contains("USAGE: heapconv IN OUT [options]"))
        #expect(convert.stdout.contains("--fail-if-empty"))
    }

    /// The bash completion script, driven the way bash drives it: files for IN and OUT, the lists of
    /// values for the options that have them.
    @Test func bashCompletionOffersFilesFormatsKindsAndLifetimes() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        let script = try CLI.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        try script.stdout.write(to: dir.appendingPathComponent("completion.bash"), atomically: true, encoding: .utf8)
        let harness = #"""
            source ./completion.bash
            offer() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
              COMPREPLY=(); _heapconv heapconv "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
              printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '; echo; }
            offer heapconv ""
            offer heapconv in.jsonl ""
            offer heapconv in.jsonl out.csv --to ""
            offer heapconv in.jsonl out.csv --from ""
            offer heapconv in.jsonl out.csv --event ""
            offer heapconv in.jsonl out.csv --lifetimes ""
            offer heapconv in.jsonl out.csv --fa
            offer heapconv leaks ""
            offer heapconv leaks in.jsonl --fa
            """#
        let r = try CLI.run(URL(fileURLWithPath: "/bin/bash"), ["-c", harness], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == [
            "completion.bash in.jsonl ",
            "completion.bash in.jsonl ",
            "chrome chrome.gz csv csv.gz heapcol jsonl jsonl.gz parquet pprof ",
            "csv csv.gz etl heapcol jsonl jsonl.gz parquet ",
            "alloc contract create destroy expand free other realloc snapshot ",
            "all large: leaks none ",
            "--fail-if-empty ",
            "completion.bash in.jsonl ",
            "--fail-on-leaks ",
            "",
        ])
    }
}

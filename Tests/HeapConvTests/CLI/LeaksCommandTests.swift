import Foundation
import Testing

/// `heapconv leaks` against an accounting written here from the rules of `Schemas/leaks.md`, independently
/// of heapconv's: the groups of blocks live at the end, per (process, heap, allocation stack), with their
/// bytes, blocks and first and last allocation times, split between processes that exited and those still
/// running; the cuts, the exit statuses, and the same answer from every input format.
@Suite struct LeaksCommandTests {
    struct Group: Equatable, CustomStringConvertible {
        var bytes: UInt64 = 0, blocks: UInt64 = 0, first: Int64 = .max, last: Int64 = .min
        var description: String { "[\(bytes) B in \(blocks), \(first)...\(last)]" }
    }

    /// A trace as JSON Lines and its expected groups, keyed by "pid|heap|frames" (frames "-" for none).
    struct Workload {
        var lines: [String] = []
        /// Blocks allocated before their process ended.
        var leaked: [String: Group] = [:]
        /// Blocks of processes still running at the end.
        var live: [String: Group] = [:]
    }

    static let ntdll = 0x7ff8_0000_0000

    /// Allocs, reallocs, frees (of live and unknown blocks), allocs over live addresses and heap destroys
    /// in three processes; process 17 is named and ends before the trace does, 99 ends half-way and its
    /// id is reused by a new process (blocks of the first leaked, of the second are live), 4242 never ends.
    static func workload(seed: UInt64, count: Int) -> Workload {
        var rng = SplitMix64(seed: seed)
        var w = Workload()
        let stacks: [[Int]?] = [nil, [ntdll + 0x1234], [ntdll + 0x1234, ntdll + 0x2000], [0x5000, ntdll + 0x2000], []]
        struct Block { var size: UInt64; var time: Int64; var stack: Int? }
        var live: [String: Block] = [:]  // "pid|heap|address"
        var t: Int64 = 1_700_000_000_000_000_000
        var restart: Int64 = 0
        w.lines.append(#"{"event":"process","ts":\#(t),"pid":17,"state":"dcstart","name":"notepad.exe"}"#)
        w.lines.append(#"{"event":"image","ts":\#(t),"pid":17,"state":"dcstart","address":"0x\#(String(ntdll, radix: 16))","size":65536,"name":"\\Windows\\System32\\ntdll.dll"}"#)
        for n in 0..<count {
            t += 1000
            if n == count / 2 {
                w.lines.append(#"{"event":"process","ts":\#(t),"pid":99,"state":"end"}"#)
                restart = t
                w.lines.append(#"{"event":"process","ts":\#(t + 1),"pid":99,"state":"start","name":"svc.exe"}"#)
                t += 1
            }
            let pid = [4242, 17, 99][Int(rng.next() % 3)]
            // The second process 99 has its own heaps: the first's blocks stay as they were.
            let heap = (pid == 99 && restart > 0 ? [0x30000, 0x40000] : [0x10000, 0x20000])[Int(rng.next() % 2)]
            let address = 0x100000 + Int(rng.next() % 48) * 16
            let stackIndex = Int(rng.next() % UInt64(stacks.count))
            let stack = stacks[stackIndex]
            let stackJSON = stack.map { ",\"stack\":[" + $0.map { "\"0x" + String($0, radix: 16) + "\"" }.joined(separator: ",") + "]" } ?? ""
            let head = "\"ts\":\(t),\"pid\":\(pid),\"tid\":1,\"heap\":\"0x\(String(heap, radix: 16))\""
            let key = "\(pid)|\(heap)|\(address)"
            switch rng.next() % 10 {
            case 0...4:
                let size = 1 + rng.next() % 5000
                w.lines.append("{\"event\":\"alloc\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"size\":\(size),\"source\":\"mainpath\"\(stackJSON)}")
                live[key] = Block(size: size, time: t, stack: stackIndex)
            case 5...6:
                let old = 0x100000 + Int(rng.next() % 48) * 16
                let size = 1 + rng.next() % 5000
                w.lines.append("{\"event\":\"realloc\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"size\":\(size),\"old_address\":\"0x\(String(old, radix: 16))\",\"old_size\":1,\"source\":\"mainpath\"\(stackJSON)}")
                live["\(pid)|\(heap)|\(old)"] = nil
                live[key] = Block(size: size, time: t, stack: stackIndex)
            case 7...8:
                w.lines.append("{\"event\":\"free\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"source\":\"mainpath\"}")
                live[key] = nil
            default:
                if rng.next() % 3 == 0 {
                    w.lines.append("{\"event\":\"destroy\",\(head)}")
                    live = live.filter { !$0.key.hasPrefix("\(pid)|\(heap)|") }
                }
            }
        }
        t += 1000
        w.lines.append(#"{"event":"process","ts":\#(t),"pid":17,"state":"end","name":"notepad.exe"}"#)
        for (key, block) in live {
            let parts = key.split(separator: "|")
            let frames = stacks[block.stack!].map { $0.map { frameName($0, pid: Int(parts[0])!) }.joined(separator: " ") } ?? "-"
            let groupKey = "\(parts[0])|0x\(String(Int(parts[1])!, radix: 16))|\(frames)"
            let leaked = parts[0] == "17" || (parts[0] == "99" && block.time < restart)
            var g = (leaked ? w.leaked : w.live)[groupKey, default: Group()]
            g.bytes += block.size
            g.blocks += 1
            g.first = min(g.first, block.time)
            g.last = max(g.last, block.time)
            if leaked { w.leaked[groupKey] = g } else { w.live[groupKey] = g }
        }
        return w
    }

    /// The name the report gives a frame: inside ntdll's image (loaded in process 17 only)
    /// `ntdll.dll+0x...`, elsewhere `0x...`.
    static func frameName(_ address: Int, pid: Int) -> String {
        pid == 17 && (ntdll..<ntdll + 65536).contains(address) ? "ntdll.dll+0x" + String(address - ntdll, radix: 16) : "0x" + String(address, radix: 16)
    }

    /// The groups of one list of `leaks --json` (the leaked one with `leaked`), keyed like
    /// ``Workload/live``; checks the process names and the time forms on the way.
    static func groups(_ list: Any?, leaked: Bool = false) throws -> [(key: String, group: Group)] {
        let array = try #require(list as? [[String: Any]])
        return try array.map { g in
            let pid = try #require(g["pid"] as? Int)
            let heap = try #require(g["heap"] as? String)
            let frames = (g["stack"] as? [String]).map { $0.joined(separator: " ") } ?? "-"
            let first = try #require(g["first_allocation_ns"] as? Int64)
            let last = try #require(g["last_allocation_ns"] as? Int64)
            let process = try #require(g["process"] as? String)
            // The first process 99 had no name; the one that reused its id is svc.exe.
            #expect(process == (pid == 17 ? "notepad.exe (17)" : pid == 99 ? (leaked ? "pid 99" : "svc.exe (99)") : "pid \(pid)"))
            #expect((g["first_allocation"] as? String)?.hasSuffix("Z") == true)
            return ("\(pid)|\(heap)|\(frames)",
                    Group(bytes: try #require(g["bytes"] as? UInt64), blocks: try #require(g["blocks"] as? UInt64), first: first, last: last))
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func write(_ w: Workload, to dir: URL) throws {
        try (w.lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
    }

    @Test(arguments: [1, 2, 3])
    func groupsAreWhatTheRulesLeaveLive(seed: UInt64) throws {
        let w = Self.workload(seed: seed, count: 3_000)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.write(w, to: dir)
        let run = try CLI.run(["leaks", "t.jsonl", "--json", "--top", "100000"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        let leaked = try #require(report["leaked"] as? [String: Any])
        let live = try #require(report["live_at_end"] as? [String: Any])
        let leakedGroups = try Self.groups(leaked["largest"], leaked: true)
        let liveGroups = try Self.groups(live["largest"])
        let expectedLeaked = w.leaked, expectedLive = w.live
        #expect(expectedLeaked.keys.contains { $0.hasPrefix("99|") } && expectedLive.keys.contains { $0.hasPrefix("99|") })
        #expect(Dictionary(uniqueKeysWithValues: leakedGroups.map { ($0.key, $0.group) }) == expectedLeaked)
        #expect(Dictionary(uniqueKeysWithValues: liveGroups.map { ($0.key, $0.group) }) == expectedLive)
        #expect(leakedGroups.map(\.group.bytes) == leakedGroups.map(\.group.bytes).sorted(by: >), "largest first")
        #expect(liveGroups.map(\.group.bytes) == liveGroups.map(\.group.bytes).sorted(by: >), "largest first")
        #expect(leaked["bytes"] as? UInt64 == expectedLeaked.values.reduce(0) { $0 + $1.bytes })
        #expect(live["blocks"] as? UInt64 == expectedLive.values.reduce(0) { $0 + $1.blocks })
        #expect(live["groups"] as? Int == expectedLive.count)
        #expect(report["input"] as? String == "t.jsonl")
        #expect(report["heap_events"] as? Int == w.lines.filter { !$0.contains(#""event":"process""#) && !$0.contains(#""event":"image""#) }.count)
    }

    /// `--top` and `--min-bytes` cut the lists but not the totals; the text says how many groups were left out.
    @Test func topAndMinimumBytesCutTheLists() throws {
        let w = Self.workload(seed: 4, count: 3_000)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.write(w, to: dir)
        let live = w.live.values.map(\.bytes).sorted(by: >)
        #expect(live.count > 5)
        let cut = live[3]
        let run = try CLI.run(["leaks", "t.jsonl", "--json", "--top", "2", "--min-bytes", String(cut)], in: dir)
        let report = try Self.json(run.stdout)
        let liveReport = try #require(report["live_at_end"] as? [String: Any])
        #expect(try Self.groups(liveReport["largest"]).map(\.group.bytes) == Array(live.prefix(2)))
        #expect(liveReport["groups"] as? Int == live.count)
        let minimum = try Self.json(try CLI.run(["leaks", "t.jsonl", "--json", "--min-bytes", String(cut)], in: dir).stdout)
        let kept = try Self.groups((minimum["live_at_end"] as? [String: Any])?["largest"])
        #expect(kept.map(\.group.bytes) == live.filter { $0 >= cut }.prefix(20).map { $0 })
        let text = try CLI.run(["leaks", "t.jsonl", "--top", "3"], in: dir)
        #expect(text.status == 0)
        #expect(text.stdout.contains("... and \(live.count - 3) smaller groups"), "\(text.stdout)")
        #expect(text.stdout.hasPrefix("Leaked: never freed before their process exited\n  1. "))
        #expect(text.stdout.contains("\nStill live when the trace ended\n  1. "))
        let all = try CLI.run(["leaks", "t.jsonl", "--top", "1000"], in: dir).stdout
        #expect(all.contains("notepad.exe (17), heap 0x"))
        #expect(all.contains("\n       ntdll.dll+0x1234\n"))
        #expect(all.contains("\n       (no stack recorded)\n"))
        #expect(all.contains("\n       (empty stack)\n"))
        #expect(!all.contains("smaller group"))
    }

    /// Exit 0 whatever is found; `--fail-on-leaks` exits 1 only when a process that exited leaked.
    @Test func failOnLeaks() throws {
        let w = Self.workload(seed: 5, count: 2_000)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.write(w, to: dir)
        #expect(w.leaked.keys.contains { $0.hasPrefix("17|") })
        #expect(try CLI.run(["leaks", "t.jsonl"], in: dir).status == 0)
        #expect(try CLI.run(["leaks", "t.jsonl", "--fail-on-leaks"], in: dir).status == 1)
        // Without processes 17 and 99 nothing leaked: 4242 was still running.
        let others = try CLI.run(["leaks", "t.jsonl", "--fail-on-leaks", "--pid", "4242"], in: dir)
        #expect(others.status == 0, "\(others.stderr)")
        #expect(others.stdout.contains("Leaked: never freed before their process exited\n  (none)\n"))
        #expect(!others.stdout.contains("notepad.exe"))
    }

    /// `.etl`-free formats all give the same report: JSON Lines, CSV, heapcol, on a file and on stdin.
    @Test func everyReadableFormatGivesTheSameReport() throws {
        let w = Self.workload(seed: 6, count: 1_500)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.write(w, to: dir)
        let reference = try CLI.run(["leaks", "t.jsonl", "--json"], in: dir).stdout
        for output in ["t.csv", "t.heapcol", "t.jsonl.gz"] {
            #expect(try CLI.run(["t.jsonl", output], in: dir).status == 0)
            let run = try CLI.run(["leaks", output, "--json"], in: dir)
            #expect(run.status == 0, "\(output): \(run.stderr)")
            #expect(run.stdout.replacingOccurrences(of: "\"\(output)\"", with: "\"t.jsonl\"") == reference, "\(output)")
        }
        let stdin = try CLI.run(["leaks", "-", "--from", "jsonl", "--json"], in: dir, stdin: Data(contentsOf: dir.appendingPathComponent("t.jsonl")))
        #expect(stdin.stdout.replacingOccurrences(of: "\"<stdin>\"", with: "\"t.jsonl\"") == reference)
    }

    /// `--json` follows `Schemas/leaks.schema.json`, checked by `jsonschema`.
    @Test(ExternalTool.needed(.jsonschema)) func jsonValidatesAgainstTheSchema() throws {
        guard ExternalTool.require(.jsonschema) else { return }
        let w = Self.workload(seed: 7, count: 1_000)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.write(w, to: dir)
        let run = try CLI.run(["leaks", "t.jsonl", "--json", "--top", "1000"], in: dir)
        try run.stdout.write(to: dir.appendingPathComponent("leaks.json"), atomically: true, encoding: .utf8)
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", CLI.repositoryRoot.appendingPathComponent("Tests/Tools/validate_jsonl.py").path,
                             CLI.repositoryRoot.appendingPathComponent("Schemas/leaks.schema.json").path,
                             dir.appendingPathComponent("leaks.json").path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout == "1 lines valid\n")
    }

    /// An image record without a name cannot name its frames: they stay hex in `--frames`, in Chrome and
    /// in the leak report alike (one rule, in the module map).
    @Test func framesInAnUnnamedImageStayHex() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try ([#"{"event":"image","ts":1,"pid":7,"state":"dcstart","address":"0x7ff800000000","size":65536}"#,
              #"{"event":"alloc","ts":2,"pid":7,"tid":1,"heap":"0x10","address":"0x20","size":5,"source":"mainpath","stack":["0x7ff800001234"]}"#]
            .joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let frames = try CLI.run(["t.jsonl", "-", "--to", "jsonl", "--frames"], in: dir)
        #expect(frames.stdout.contains(#""frames":["0x7ff800001234"]"#), "\(frames.stdout)")
        let chrome = try CLI.run(["t.jsonl", "-", "--to", "chrome", "-q"], in: dir)
        #expect(chrome.stdout.contains(#""stack":["0x7ff800001234"]"#), "\(chrome.stdout)")
        let leaks = try CLI.run(["leaks", "t.jsonl"], in: dir)
        #expect(leaks.stdout.contains("\n       0x7ff800001234\n"), "\(leaks.stdout)")
    }

    @Test func usageErrorsAreOneLine() throws {
        let top = try CLI.run(["leaks", "t.jsonl", "--top", "0"])
        #expect(top.status == 64)
        #expect(top.stderr == "heapconv: error: --top must be at least 1, not 0 (usage: heapconv leaks IN [--top N] [--min-bytes N] [--json] [--fail-on-leaks]; see heapconv leaks --help)\n")
        // Filters that would make the answer wrong: without frees everything looks live, without process
        // records nothing exited.
        for option in [["--event", "alloc"], ["--no-context"]] {
            let r = try CLI.run(["leaks", "t.jsonl"] + option)
            #expect(r.status == 64 && r.stderr.contains("leaks needs"), "\(option): \(r.stderr)")
        }
        let missing = try CLI.run(["leaks", "/nonexistent/t.jsonl"])
        #expect(missing.status == 66)
        #expect(missing.stderr.hasPrefix("heapconv: error: /nonexistent/t.jsonl"))
        let help = try CLI.run(["leaks", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--fail-on-leaks"))
    }
}

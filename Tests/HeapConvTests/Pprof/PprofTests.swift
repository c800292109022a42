import Foundation
import Testing
@testable import HeapConv

/// pprof output read by its real consumer, `go tool pprof`: every sample's values equal an accounting
/// written here from the rules of `Schemas/pprof.md`, independently of heapconv's, per (process, stack); the
/// file has only top-level fields 1–14 (Perfetto's importer rejects any other) and the string table starts
/// with "".
@Suite struct PprofTests {
    /// Per (process, stack): allocated and in-use objects and bytes.
    struct Totals: Equatable, CustomStringConvertible {
        var allocObjects: Int64 = 0, allocBytes: Int64 = 0, inuseObjects: Int64 = 0, inuseBytes: Int64 = 0
        var description: String { "[\(allocObjects) \(allocBytes) \(inuseObjects) \(inuseBytes)]" }
    }

    /// A generated trace as JSON Lines and what the rules make of it: keyed by "pid|frame frame ...".
    struct Workload {
        var lines: [String] = []
        var expected: [String: Totals] = [:]
    }

    /// Events over three processes and two heaps each, on eight stacks (one of them none): allocs, reallocs,
    /// frees of live and of unknown blocks, allocs over a live address, heap destroys.
    static func workload(seed: UInt64, count: Int) -> Workload {
        var rng = SplitMix64(seed: seed)
        var w = Workload()
        let stacks: [[UInt64]?] = [nil, [0x7ff8_0000_1000], [0x7ff8_0000_1000, 0x7ff8_0000_2000], [0x7ff8_0000_3000, 0x7ff8_0000_2000],
                                   [], [0xffff_f800_0000_0010, 0x7ff8_0000_1000], [0x10, 0x20, 0x30], [0x7ff8_0000_2000]]
        struct Block { var size: Int64; var key: String }
        var live: [String: Block] = [:]  // "pid|heap|address"
        func key(_ pid: Int, _ stack: [UInt64]?) -> String {
            "\(pid)|" + (stack.map { $0.map { "0x" + String($0, radix: 16) }.joined(separator: " ") } ?? "")
        }
        var t: Int64 = 1_700_000_000_000_000_000
        for _ in 0..<count {
            t += 1000
            let pid = [4242, 17, 99][Int(rng.next() % 3)]
            let heap = [0x10000, 0x20000][Int(rng.next() % 2)]
            let address = 0x100000 + Int(rng.next() % 64) * 16
            let stack = stacks[Int(rng.next() % UInt64(stacks.count))]
            let stackJSON = stack.map { ",\"stack\":[" + $0.map { "\"0x" + String($0, radix: 16) + "\"" }.joined(separator: ",") + "]" } ?? ""
            let head = "\"ts\":\(t),\"pid\":\(pid),\"tid\":1,\"heap\":\"0x\(String(heap, radix: 16))\""
            let blockKey = "\(pid)|\(heap)|\(address)"
            switch rng.next() % 10 {
            case 0...4:
                let size = Int64(1 + rng.next() % 5000)
                w.lines.append("{\"event\":\"alloc\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"size\":\(size),\"source\":\"mainpath\"\(stackJSON)}")
                w.expected[key(pid, stack), default: Totals()].allocObjects += 1
                w.expected[key(pid, stack), default: Totals()].allocBytes += size
                live[blockKey] = Block(size: size, key: key(pid, stack))  // over a live address: the old block ends
            case 5...6:
                let old = 0x100000 + Int(rng.next() % 64) * 16
                let size = Int64(1 + rng.next() % 5000)
                w.lines.append("{\"event\":\"realloc\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"size\":\(size),\"old_address\":\"0x\(String(old, radix: 16))\",\"old_size\":1,\"source\":\"mainpath\"\(stackJSON)}")
                live["\(pid)|\(heap)|\(old)"] = nil
                w.expected[key(pid, stack), default: Totals()].allocObjects += 1
                w.expected[key(pid, stack), default: Totals()].allocBytes += size
                live[blockKey] = Block(size: size, key: key(pid, stack))
            case 7...8:
                w.lines.append("{\"event\":\"free\",\(head),\"address\":\"0x\(String(address, radix: 16))\",\"source\":\"mainpath\"}")
                live[blockKey] = nil
            default:
                if rng.next() % 4 == 0 {
                    w.lines.append("{\"event\":\"destroy\",\(head)}")
                    live = live.filter { !$0.key.hasPrefix("\(pid)|\(heap)|") }
                }
            }
        }
        for block in live.values {
            w.expected[block.key, default: Totals()].inuseObjects += 1
            w.expected[block.key, default: Totals()].inuseBytes += block.size
        }
        return w
    }

    /// `go tool pprof -raw` output as samples: "pid|frames" (from the function names, the root frame
    /// `pid N` giving the process) → values.
    static func rawSamples(_ text: String) throws -> [String: Totals] {
        let lines = text.components(separatedBy: "\n")
        let samplesAt = try #require(lines.firstIndex(of: "Samples:"))
        let locationsAt = try #require(lines.firstIndex(of: "Locations"))
        let mappingsAt = try #require(lines.firstIndex(of: "Mappings"))
        var names: [String: String] = [:]
        for line in lines[(locationsAt + 1)..<mappingsAt] {
            // "     1: 0x7ff800001000 M=1 0x7ff800001000 :0 s=0()"
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 4 else { continue }
            let id = String(parts[0].dropLast())
            let name = parts[3] == "pid" ? "pid " + parts[4] : String(parts[3])
            names[id] = name
        }
        var result: [String: Totals] = [:]
        for line in lines[(samplesAt + 2)..<locationsAt] where line.contains(":") && !line.hasPrefix("                ") {
            let halves = line.split(separator: ":", maxSplits: 1)
            let values = halves[0].split(separator: " ").compactMap { Int64($0) }
            let ids = halves[1].split(separator: " ").map(String.init)
            let frames = try ids.map { try #require(names[$0], "location \($0)") }
            let root = try #require(frames.last)
            #expect(root.hasPrefix("pid "), "the outermost frame names the process: \(line)")
            let key = String(root.dropFirst(4)) + "|" + frames.dropLast().joined(separator: " ")
            #expect(result[key] == nil, "one sample per (process, stack): \(key)")
            result[key] = Totals(allocObjects: values[0], allocBytes: values[1], inuseObjects: values[2], inuseBytes: values[3])
        }
        return result
    }

    static func pprof(_ arguments: [String], in dir: URL) throws -> CLI.Result {
        try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["go", "tool", "pprof"] + arguments, in: dir)
    }

    @Test(ExternalTool.needed(.goPprof), arguments: [1, 2, 3])
    func goToolPprofReadsWhatTheRulesSay(seed: UInt64) throws {
        guard ExternalTool.require(.goPprof) else { return }
        let w = Self.workload(seed: seed, count: 3_000)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try (w.lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let convert = try CLI.run(["t.jsonl", "t.pb.gz"], in: dir)
        #expect(convert.status == 0, "\(convert.stderr)")
        let raw = try Self.pprof(["-raw", "t.pb.gz"], in: dir)
        #expect(raw.status == 0, "\(raw.stderr)")
        let samples = try Self.rawSamples(raw.stdout)
        #expect(samples == w.expected.filter { $0.value.allocObjects > 0 || $0.value.inuseObjects > 0 })
        #expect(raw.stdout.contains("PeriodType: space bytes\nPeriod: 1\n"))
        #expect(raw.stdout.contains("alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]"))
        // -top totals for each sample type (counts print bare; bytes as B/kB/MB unless -unit=B).
        for (index, total) in [("alloc_objects", w.expected.values.reduce(0) { $0 + $1.allocObjects }),
                               ("inuse_objects", w.expected.values.reduce(0) { $0 + $1.inuseObjects }),
                               ("alloc_space", w.expected.values.reduce(0) { $0 + $1.allocBytes }),
                               ("inuse_space", w.expected.values.reduce(0) { $0 + $1.inuseBytes })] {
            let unit = index.hasSuffix("space") ? "B" : ""
            let top = try Self.pprof(["-top", "-sample_index=\(index)"] + (unit.isEmpty ? [] : ["-unit=B"]) + ["t.pb.gz"], in: dir)
            #expect(top.status == 0, "\(top.stderr)")
            #expect(top.stdout.contains("% of \(total)\(unit) total"), "\(index): \(top.stdout.prefix(400))")
        }
    }

    /// The file's top level, read with a protobuf decoder written here: fields 1–14 only, with the wire
    /// types Perfetto's importer checks, and `string_table[0]` empty.
    @Test func topLevelFieldsAreThoseBothConsumersAccept() throws {
        let w = Self.workload(seed: 9, count: 500)
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try (w.lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["t.jsonl", "t.pprof"], in: dir).status == 0)
        let gunzip = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "gzip -dc t.pprof | od -An -v -tu1"], in: dir)
        let bytes = gunzip.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt8($0) }
        #expect(bytes.count > 100)
        var i = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        var seen: [Int: Int] = [:]
        var firstString: [UInt8]?
        let lengthDelimited: Set<Int> = [1, 2, 3, 4, 5, 6, 11, 13]
        while i < bytes.count {
            let tag = varint()
            let field = Int(tag >> 3), wire = Int(tag & 7)
            #expect((1...14).contains(field), "top-level field \(field)")
            seen[field, default: 0] += 1
            if wire == 2 {
                #expect(lengthDelimited.contains(field), "field \(field) length-delimited")
                let length = Int(varint())
                if field == 6 && firstString == nil { firstString = Array(bytes[i..<i + length]) }
                i += length
            } else {
                #expect(wire == 0 && !lengthDelimited.subtracting([13]).contains(field), "field \(field) wire type \(wire)")
                _ = varint()
            }
        }
        #expect(firstString == [])
        #expect(seen[7] == nil, "no drop_frames")
        #expect(seen[9] == 1 && seen[12] == 1 && seen[14] == 1 && seen[1] == 4)
    }

    /// Frames in images are named `module+0xoffset`, with one mapping per image (its path, the PDB identity
    /// in symbol-server form as build id); the root frame names the process.
    @Test(ExternalTool.needed(.goPprof)) func modulesAndProcessNames() throws {
        guard ExternalTool.require(.goPprof) else { return }
        let lines = [
            #"{"event":"process","ts":1,"pid":7,"state":"dcstart","name":"notepad.exe"}"#,
            #"{"event":"image","ts":2,"pid":7,"state":"dcstart","address":"0x7ff800000000","size":65536,"name":"\\Windows\\System32\\ntdll.dll","pdb_name":"wntdll.pdb","pdb_guid":"ec83d8df-5559-46e0-b630-133ebd979266","pdb_age":2}"#,
            #"{"event":"image","ts":3,"pid":0,"state":"dcstart","address":"0xfffff80000000000","size":1048576,"name":"\\SystemRoot\\system32\\ntoskrnl.exe"}"#,
            #"{"event":"alloc","ts":4,"pid":7,"tid":1,"heap":"0x10","address":"0x20","size":100,"source":"mainpath","stack":["0xfffff80000000123","0x7ff800001234","0x5000"]}"#,
            #"{"event":"alloc","ts":5,"pid":8,"tid":1,"heap":"0x10","address":"0x20","size":50,"source":"mainpath"}"#,
        ]
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["t.jsonl", "t.pb.gz"], in: dir).status == 0)
        let raw = try Self.pprof(["-raw", "t.pb.gz"], in: dir)
        #expect(raw.status == 0, "\(raw.stderr)")
        for name in ["ntoskrnl.exe+0x123", "ntdll.dll+0x1234", "0x5000", "notepad.exe (7)", "pid 8"] {
            #expect(raw.stdout.contains(" \(name) "), "\(name)")
        }
        #expect(raw.stdout.contains(#"0x7ff800000000/0x7ff800010000/0x0 \Windows\System32\ntdll.dll EC83D8DF555946E0B630133EBD9792662 [FN]"#))
        #expect(raw.stdout.contains("[kernel]") == false, "every kernel frame fell in a module")
        #expect(raw.stdout.contains("[pid 7]") && raw.stdout.contains("[pid 8]"))
        let top = try Self.pprof(["-top", "-sample_index=alloc_space", "-unit=B", "t.pb.gz"], in: dir)
        #expect(top.stdout.contains("150B total"))
        #expect(top.stdout.contains("ntdll.dll+0x1234"))
    }
}

import Foundation
import Testing
@testable import HeapConv

/// The three fixtures with kernel context records decode to exactly what an independent decoder finds:
/// `Tests/Tools/etl_context_reference.py`, written from CONTEXT.md and FORMAT.md alone, produced the goldens in
/// `Fixtures/etl/context/`, and its counts equal CONTEXT.md §0 and §9.
@Suite struct ETLContextFixtureTests {
    struct Figures: Sendable, CustomTestStringConvertible {
        var name: String
        /// Records per kind and state, CONTEXT.md §0 (image dcstart/dcend: PERFINFO + SYSTEM headers).
        var processes: [String: Int]
        var threads: [String: Int]
        var images: [String: Int]
        /// CONTEXT.md §9: distinct threads (tid, pid), images (pid, base, size, name), DbgID_RSDS records.
        var distinctThreads: Int
        var distinctImages: Int
        var rsds: Int
        var testDescription: String { name }
    }

    static let figures: [Figures] = [
        Figures(name: "airbus-ShutdownPerfDiagLogger",
                processes: ["end": 60, "dcstart": 94, "dcend": 37, "defunct": 5],
                threads: ["start": 350, "end": 1032, "dcstart": 1175, "dcend": 501],
                images: ["load": 72, "unload": 4791, "dcstart": 6549 + 196, "dcend": 1952 + 193],
                distinctThreads: 1532, distinctImages: 6931, rsds: 0),
        Figures(name: "perfview-net.4.5.2.x64",
                processes: ["start": 1, "end": 1, "dcstart": 32, "dcend": 32, "defunct": 2],
                threads: ["start": 9, "end": 15, "dcstart": 670, "dcend": 664],
                images: ["load": 35, "unload": 32, "dcstart": 1622 + 141, "dcend": 1625 + 141],
                distinctThreads: 672, distinctImages: 1824, rsds: 3534),
        Figures(name: "perfview-net.4.5.2.x86",
                processes: ["start": 1, "end": 1, "dcstart": 35, "dcend": 35, "defunct": 2],
                threads: ["start": 16, "end": 29, "dcstart": 705, "dcend": 692],
                images: ["load": 57, "unload": 47, "dcstart": 1669 + 141, "dcend": 1679 + 141],
                distinctThreads: 714, distinctImages: 1904, rsds: 3680),
    ]

    /// The fixture converted to JSON Lines by the binary, as lines.
    static func lines(_ name: String) throws -> [String] {
        let r = try CLI.run([try ETLTestSupport.fixturePath(name + ".etl"), "-", "--to", "jsonl", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    static func golden(_ name: String) throws -> [String] {
        let url = try #require(Bundle.module.url(forResource: name + ".context.jsonl", withExtension: "gz",
                                                 subdirectory: "Fixtures/etl/context"))
        let r = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "gzip -dc '\(url.path)'"])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test(arguments: figures)
    func recordsEqualTheIndependentDecodersAndTheFigures(_ f: Figures) throws {
        let ours = try Self.lines(f.name)
        // The same records (the reference lists them in file order, heapconv in time order).
        #expect(ours.sorted() == (try Self.golden(f.name)).sorted())
        var counts: [String: [String: Int]] = [:]
        var threads = Set<String>(), images = Set<String>()
        var rsds = 0
        var timestamps: [Int64] = []
        for line in ours {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let kind = object["event"] as! String
            counts[kind, default: [:]][object["state"] as! String, default: 0] += 1
            timestamps.append((object["ts"] as! NSNumber).int64Value)
            if kind == "thread" { threads.insert("\(object["tid"]!) \(object["pid"]!)") }
            if kind == "image" {
                images.insert("\(object["pid"]!) \(object["address"]!) \(object["size"]!) \(object["name"] ?? "")")
                if object["pdb_guid"] != nil && object["pdb_kind"] == nil { rsds += 1 }
            }
        }
        #expect(counts["process"] ?? [:] == f.processes)
        #expect(counts["thread"] ?? [:] == f.threads)
        #expect(counts["image"] ?? [:] == f.images)
        #expect(threads.count == f.distinctThreads)
        #expect(images.count == f.distinctImages)
        #expect(rsds == f.rsds)
        #expect(timestamps == timestamps.sorted(), "records in time order")
    }

    /// Values CONTEXT.md quotes: names, command lines and PDB identities as decoded there.
    @Test func knownValuesOfThePerfViewTrace() throws {
        let lines = try Self.lines("perfview-net.4.5.2.x64")
        #expect(lines.contains { $0.hasPrefix(#"{"event":"process","#) && $0.contains(#""state":"dcstart","parent_pid":0,"session":4294967295,"name":"Idle"}"#) })
        let ntdll = try #require(lines.first { $0.contains(#""name":"\\Device\\HarddiskVolume2\\Windows\\SysWOW64\\ntdll.dll""#) && $0.contains("pdb") })
        #expect(ntdll.contains(#""pdb_name":"wntdll.pdb","pdb_guid":"ec83d8df-5559-46e0-b630-133ebd979266","pdb_age":2"#))
        #expect(lines.contains { $0.contains(#""pdb_name":"ntkrnlmp.pdb","pdb_guid":"72482100-1c1c-4a03-"#) })
        // An IL-only assembly's identity, and the one PerfView itself has a full build path for.
        #expect(lines.contains { $0.hasSuffix(#","pdb_kind":"il"}"#) })
        #expect(lines.contains { $0.contains(#""pdb_name":"E:\\A\\_work\\622\\s\\src\\PerfView\\obj\\Release\\net45\\PerfView.pdb""#) })
    }

    /// A Windows 10 trace: thread names, and the v5 defunct records.
    @Test func namesOfTheWindows10Trace() throws {
        let lines = try Self.lines("airbus-ShutdownPerfDiagLogger")
        #expect(lines.contains { $0.hasPrefix(#"{"event":"thread","#) && $0.hasSuffix(#""name":"DWM Token Thread"}"#) })
        #expect(lines.filter { $0.contains(#""event":"thread""#) && $0.contains(#""name":"#) }.count == 94)
        #expect(lines.filter { $0.contains(#""state":"defunct""#) }.allSatisfy { $0.contains(#""exit_status":"#) })
        #expect(lines.contains { $0.contains(#""name":"StartMenuExperienceHost.exe""#) })
    }
}

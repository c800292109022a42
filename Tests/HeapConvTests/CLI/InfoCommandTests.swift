import Foundation
import Testing
@testable import HeapConv

@Suite struct InfoCommandTests {
    @Test func summarizesKindsProcessesHeapsAndLiveBytes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        // Hand-computed: heap 0x10 gets allocs of 100 and 50, a realloc of the 100 block to 300, a free of the
        // 50 block and a free of a block from before the trace; the 300 block is never freed.
        let text = """
            {"event":"alloc","ts":1000,"pid":7,"tid":1,"heap":"0x10","address":"0xa0","size":100,"source":"mainpath"}
            {"event":"alloc","ts":2000,"pid":7,"tid":2,"heap":"0x10","address":"0xb0","size":50,"source":"mainpath","stack":["0x1"]}
            {"event":"realloc","ts":3000,"pid":7,"tid":1,"heap":"0x10","address":"0xc0","size":300,"old_address":"0xa0","old_size":100,"source":"mainpath"}
            {"event":"free","ts":4000,"pid":7,"tid":1,"heap":"0x10","address":"0xb0","source":"mainpath"}
            {"event":"free","ts":5000,"pid":7,"tid":1,"heap":"0x10","address":"0xeeee","source":"mainpath"}
            {"event":"alloc","ts":6000,"pid":8,"tid":3,"heap":"0x10","address":"0xa0","size":8,"source":"mainpath"}

            """
        try text.write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["info", "--json", "t.jsonl"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["events"] as? Int == 6)
        #expect(summary["events_by_kind"] as? [String: Int] == ["alloc": 3, "realloc": 1, "free": 2])
        #expect(summary["events_with_stacks"] as? Int == 1)
        let time = try #require(summary["time"] as? [String: Any])
        #expect(time["first"] as? String == "1970-01-01T00:00:00.000001Z")
        #expect(time["span_ns"] as? Int == 5000)
        let heaps = try #require(summary["heaps"] as? [[String: Any]])
        #expect(heaps.count == 2)
        let h = heaps[0]
        #expect(h["pid"] as? Int == 7)
        #expect(h["bytes_allocated"] as? Int == 450)
        #expect(h["bytes_freed"] as? Int == 150)
        #expect(h["peak_live_bytes"] as? Int == 350)
        #expect(h["peak_live_blocks"] as? Int == 2)
        #expect(h["outstanding_blocks"] as? Int == 1)
        #expect(h["outstanding_bytes"] as? Int == 300)
        #expect(h["frees_of_unknown_blocks"] as? Int == 1)
        #expect(heaps[1]["pid"] as? Int == 8)
        let processes = try #require(summary["processes"] as? [[String: Int]])
        // Per process, its heaps' totals: pid 7 allocated 450 bytes (100 + 50 + 300) and holds the 300.
        #expect(processes == [["pid": 7, "events": 5, "threads": 2, "heaps": 1, "bytes_allocated": 450, "outstanding_blocks": 1,
                               "outstanding_bytes": 300],
                              ["pid": 8, "events": 1, "threads": 1, "heaps": 1, "bytes_allocated": 8, "outstanding_blocks": 1,
                               "outstanding_bytes": 8]])

        let plain = try CLI.run(["info", "t.jsonl"], in: dir)
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("    - pid: 7\n      heap: 0x10\n"))
        #expect(plain.stdout.contains("      outstanding_bytes: 300\n"))
    }

    @Test func infoOnMalformedInputExits65() throws {
        let r = try CLI.run(["info", "-", "--from", "csv"], stdin: Data("event,ts\n".utf8))
        #expect(r.status == 65)
        #expect(r.stderr == "heapconv: error: <stdin>:1: the header row lacks the column \"pid\"\n")
    }

    /// `--facts` prints the first pass's facts of an .etl file and nothing read from its events: exactly the
    /// full `info`'s input facts without the second pass's counters.
    @Test func factsOnlyIsTheFirstPassOfTheFullInfo() throws {
        let trace = CLI.repositoryRoot.appendingPathComponent("Examples/heap-64.etl").path
        let quick = try CLI.run(["info", "--facts", "--json", trace])
        #expect(quick.status == 0, "\(quick.stderr)")
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(quick.stdout.utf8)) as? [String: Any])
        #expect(facts.keys.sorted() == ["file", "format", "input"])
        let full = try CLI.run(["info", "--json", trace])
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any])
        var expected = try #require(whole["input"] as? [String: Any])
        expected["complete"] = nil
        var stacks = try #require(expected["stacks"] as? [String: Any])
        for key in ["fragments_attached", "fragments_unmatched", "fragments_of_other_threads", "unresolved_keys",
                    "events_released_without_waiting"] {
            #expect(stacks.removeValue(forKey: key) != nil, "\(key)")
        }
        expected["stacks"] = stacks
        var ordering = try #require(expected["ordering"] as? [String: Any])
        #expect(ordering.removeValue(forKey: "late_events") != nil)
        expected["ordering"] = ordering
        let input = try #require(facts["input"] as? [String: Any])
        #expect(NSDictionary(dictionary: input).isEqual(to: expected))
        #expect(input["heap_events"] as? Int == 3)
    }

    @Test func factsOnlyRefusesFormatsWithoutFactsAndFilters() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try "".write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let jsonl = try CLI.run(["info", "--facts", "t.jsonl"], in: dir)
        #expect(jsonl.status == 64)
        #expect(jsonl.stderr == "heapconv: error: --facts: jsonl input has no facts beyond its events (.etl input has); run info without --facts\n")
        let trace = CLI.repositoryRoot.appendingPathComponent("Examples/heap-64.etl").path
        let filtered = try CLI.run(["info", "--facts", "--pid", "7", trace])
        #expect(filtered.status == 64)
        #expect(filtered.stderr.contains("--facts describes the whole file"))
    }
}

import Foundation
import Testing
@testable import HeapConv

/// The real `.etl` files of `Fixtures/etl`: every one reads without error, with the record counts of the
/// fixtures README and no heap events; the two synthetic heap traces give exactly the events listed there.
@Suite struct ETLFixtureTests {
    struct Expected: CustomTestStringConvertible, Sendable {
        var name: String
        var records: UInt64
        var kinds: [String: UInt64]
        var compressed: UInt64 = 0
        var groups: [String: UInt64] = [:]
        var testDescription: String { name }
    }

    // Totals and the kinds named in the README; other kinds from two independent walkers (FORMAT.md §8,
    // equal to dissect.etl's counts).
    static let expected: [Expected] = [
        Expected(name: "airbus-AMSITrace.etl", records: 21, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 19]),
        Expected(name: "airbus-ShutdownPerfDiagLogger.etl", records: 17_078,
                 kinds: ["SYSTEM64": 8_433, "PERFINFO64": 8_645]),
        Expected(name: "airbus-lxcore_kernel.etl", records: 4, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 2]),
        Expected(name: "perfview-SelfDescribingSingleEvent.etl", records: 23,
                 kinds: ["SYSTEM64": 4, "FULL_HEADER64": 18, "EVENT_HEADER64": 1], compressed: 2),
        Expected(name: "perfview-primitive-types.etl", records: 7, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 5]),
        Expected(name: "perfview-gcevents.etl", records: 71, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 69]),
        Expected(name: "perfview-gcrundownevents.etl", records: 112, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 110]),
        Expected(name: "perfview-net.4.5.2.x64.etl", records: 179_474,
                 kinds: ["PERFINFO64": 100_157, "SYSTEM64": 3_189, "SYSTEM32": 2, "EVENT_HEADER64": 34_765,
                         "EVENT_HEADER32": 33_378, "FULL_HEADER64": 7_956, "FULL_HEADER32": 27],
                 compressed: 359, groups: ["StackWalk": 12_280]),
        Expected(name: "perfview-net.4.5.2.x86.etl", records: 168_298,
                 kinds: ["EVENT_HEADER32": 39_425, "SYSTEM64": 4_472, "PERFINFO64": 115_091, "SYSTEM32": 2,
                         "EVENT_HEADER64": 1_073, "FULL_HEADER64": 8_162, "FULL_HEADER32": 73],
                 compressed: 275, groups: ["StackWalk": 16_474]),
        Expected(name: "krabsetw-powershell.etl", records: 114, kinds: ["SYSTEM64": 2, "EVENT_HEADER64": 112]),
        Expected(name: "findneedle-wppemitter-nonselfdesc.etl", records: 34,
                 kinds: ["SYSTEM64": 2, "PERFINFO64": 2, "MESSAGE": 30]),
        Expected(name: "findneedle-wppbin-sample.etl", records: 6, kinds: ["SYSTEM64": 2, "PERFINFO64": 2, "MESSAGE": 2]),
        Expected(name: "SYNTHETIC-heap-64.etl", records: 5, kinds: ["SYSTEM64": 4, "PERFINFO64": 1],
                 groups: ["Heap": 3, "StackWalk": 1]),
        Expected(name: "SYNTHETIC-heap-32.etl", records: 5, kinds: ["SYSTEM32": 4, "PERFINFO32": 1],
                 groups: ["Heap": 3, "StackWalk": 1]),
    ]

    static func counts(_ value: InfoValue?) -> [String: UInt64] {
        guard case .object(let entries)? = value else { return [:] }
        var result: [String: UInt64] = [:]
        for (key, value) in entries { if case .uint(let n) = value { result[key] = n } }
        return result
    }

    @Test(arguments: expected)
    func recordCountsMatchTheReadme(_ expected: Expected) throws {
        let bytes = try ETLTestSupport.fixture(expected.name)
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        let facts = try #require(reader.facts())
        #expect(facts["records"] == .uint(expected.records))
        #expect(Self.counts(facts["records_by_header_kind"]) == expected.kinds)
        #expect(facts["compressed_buffers"] == .uint(expected.compressed))
        let groups = Self.counts(facts["records_by_group"])
        for (group, count) in expected.groups { #expect(groups[group] == count, "\(group)") }
        #expect(groups.values.reduce(0, +) == expected.records)
        if !expected.name.hasPrefix("SYNTHETIC") {
            // Real fixtures hold no heap events; some hold context records (CONTEXT.md §0).
            #expect(events.allSatisfy { $0.isContext })
            #expect(facts["heap_events"] == .uint(0))
            #expect(facts["context_records"] == .uint(UInt64(events.count)))
        }
        #expect(facts["complete"] == .bool(true))
        #expect(reader.skippedProblems.isEmpty)
    }

    @Test func headerFactsOfARealTrace() throws {
        let reader = try ETLReader(input: MemoryETLInput(try ETLTestSupport.fixture("airbus-ShutdownPerfDiagLogger.etl")))
        let facts = try #require(reader.facts())
        #expect(facts["format"] == .string("etl"))
        #expect(facts["os_version"] == .string("10.0"))
        #expect(facts["pointer_size"] == .uint(8))
        #expect(facts["clock"] == .object([("type", .string("QPC")), ("frequency_hz", .int(10_000_000))]))
        // StartTime 132273542277445790 (FILETIME), EndTime 132273837534159885.
        #expect(facts["start_time"] == .string("2020-02-28T09:03:47.744579Z"))
        #expect(facts["end_time"] == .string("2020-02-28T17:15:53.415988500Z"))
        #expect(facts["buffers"] == .uint(49))
        #expect(facts["cpus"] == .uint(2))
        #expect(facts["logger_name"] == .string("PerfDiag Logger"))
        #expect(facts["events_lost"] == .uint(0))
        #expect(facts["buffers_lost"] == .uint(0))
        let groups = Self.counts(facts["records_by_group"])
        #expect(groups == ["Header": 9, "Process": 328, "Thread": 3_058, "Image": 13_683])
    }

    @Test func providerGUIDsUseWindowsByteOrder() throws {
        let reader = try ETLReader(input: MemoryETLInput(try ETLTestSupport.fixture("perfview-gcrundownevents.etl")))
        // CLRRundown: dissect.etl prints it byte-swapped (FORMAT.md §8.1, defect 5).
        #expect(Self.counts(try #require(reader.facts())["records_by_group"])["a669021c-c450-4609-a035-5af59af4df18"] == 110)
    }

    @Test func stackWalkRecordsOfTheMergedTrace() throws {
        let reader = try ETLReader(input: MemoryETLInput(try ETLTestSupport.fixture("perfview-net.4.5.2.x64.etl")))
        let facts = try #require(reader.facts())
        #expect(Self.counts(facts["stackwalk_records"])
                == ["Stack": 252, "StackKeyKernel": 2_061, "StackKeyUser": 7_046, "KeyDelete": 1_909, "KeyRundown": 1_012])
        #expect(facts["ordering"]?["cpu_stream_inversions"] == .uint(0))
    }

    /// Expected events of the synthetic fixtures (fixtures README).
    static func expectSyntheticEvents(_ events: [HeapEvent], _ stacks: [[UInt64]?], is64: Bool) {
        let heap: UInt64 = is64 ? 0x1a0_0000_0000 : 0xa0_0000
        let first: UInt64 = is64 ? 0x1a0_0000_1000 : 0xa0_1000
        let second: UInt64 = is64 ? 0x1a0_0000_2000 : 0xa0_2000
        let frame: UInt64 = is64 ? 0x7ff8_0000_1000 : 0x7700_1000
        func context(_ ns: Int64) -> EventContext {
            EventContext(timestamp: ns, processID: 17_185, threadID: 4_660, cpu: 1, heap: heap)
        }
        #expect(events.count == 3)
        guard events.count == 3 else { return }
        var alloc = context(1_555_526_400_000_010_000)
        alloc.stack = StackRef(offset: 0, count: 3)
        #expect(events[0] == .alloc(alloc, address: first, size: 64, source: .mainPath))
        #expect(events[1] == .realloc(context(1_555_526_400_000_030_000), address: second, size: 128,
                                      oldAddress: first, oldSize: 64, source: .mainPath))
        #expect(events[2] == .free(context(1_555_526_400_000_040_000), address: second, source: .mainPath))
        #expect(stacks == [[frame, frame + 1, frame + 2], nil, nil])
    }

    @Test(arguments: [true, false])
    func syntheticHeapTraces(is64: Bool) throws {
        let name = is64 ? "SYNTHETIC-heap-64.etl" : "SYNTHETIC-heap-32.etl"
        let bytes = try ETLTestSupport.fixture(name)
        for fileOrder in [false, true] {
            let (events, stacks, reader) = try ETLTestSupport.readAll(bytes, fileOrder: fileOrder)
            Self.expectSyntheticEvents(events, stacks, is64: is64)
            let facts = try #require(reader.facts())
            #expect(facts["pointer_size"] == .uint(is64 ? 8 : 4))
            #expect(Self.counts(facts["heap_events_by_opcode"]) == ["HeapAlloc": 1, "HeapReAlloc": 1, "HeapFree": 1])
            #expect(facts["stacks"]?["fragments_attached"] == .uint(1))
        }
    }

    @Test(arguments: [true, false])
    func syntheticHeapTraceFromAFile(is64: Bool) throws {
        let path = try ETLTestSupport.fixturePath(is64 ? "SYNTHETIC-heap-64.etl" : "SYNTHETIC-heap-32.etl")
        var options = ConversionOptions(inputPath: path, outputPath: "-")
        options.inputFormat = "etl"
        var reader = try ETLFormat.entry.makeReader!(ReaderContext(path: path, name: path, gzip: false, options: options))
        var batch = EventBatch()
        var events: [HeapEvent] = []
        var stacks: [[UInt64]?] = []
        while try reader.read(into: &batch, limit: 2) {
            for event in batch.events {
                events.append(event)
                stacks.append(batch.stack(of: event).map(Array.init))
            }
            batch.removeAll()
        }
        Self.expectSyntheticEvents(events, stacks, is64: is64)
    }

    /// Process, Thread and Image records per fixture: CONTEXT.md §0's figures without the ImageID group
    /// (ImageID, DbgID, None, FileVersion), which heapconv joins to images rather than writing:
    /// 17,007, 12,907 − 7,885 and 13,386 − 8,136.
    static let contextRecords: [String: UInt64] = [
        "airbus-ShutdownPerfDiagLogger.etl": 17_007,
        "perfview-net.4.5.2.x64.etl": 5_022,
        "perfview-net.4.5.2.x86.etl": 5_250,
    ]

    /// Every fixture converts without error to every output format heapconv can write.
    @Test(arguments: expected.map(\.name))
    func convertsToEveryWritableFormat(_ name: String) throws {
        let path = try ETLTestSupport.fixturePath(name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etl-convert-\(getpid())-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for format in FormatRegistry.all where format.makeWriter != nil {
            let output = directory.appendingPathComponent("out." + format.extensions[0]).path
            let report = try Conversion.run(ConversionOptions(inputPath: path, outputPath: output))
            #expect(report.heapEventsWritten == (name.hasPrefix("SYNTHETIC") ? 3 : 0), "\(format.name)")
            #expect(report.input.contextRecords == Self.contextRecords[name, default: 0], "\(format.name)")
            #expect(FileManager.default.fileExists(atPath: output))
        }
    }
}

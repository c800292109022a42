import Foundation
import Testing
@testable import HeapConv

@Suite struct ChromeWriterTests {
    static let modes: [LifetimeSelection] = [.none, .leaks, .large(4), .all]

    /// Splits a batch into batches of `size` events, stacks included.
    static func split(_ batch: EventBatch, size: Int) -> [EventBatch] {
        var batches: [EventBatch] = []
        var current = EventBatch()
        for event in batch.events {
            current.append(event, from: batch)
            if current.count == size {
                batches.append(current)
                current = EventBatch()
            }
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    @Test(arguments: modes)
    func everyKindPassesEveryCheck(_ lifetimes: LifetimeSelection) throws {
        let input = SampleEvents.everyKind()
        let trace = try ChromeTrace.write([input], lifetimes: lifetimes)
        ChromeChecks.all(trace, input: input, lifetimes: lifetimes)
        #expect(trace.report.count == 1, "no warnings: \(trace.report)")
    }

    @Test(arguments: modes)
    func workloadPassesEveryCheck(_ lifetimes: LifetimeSelection) throws {
        let input = SampleEvents.workload(count: 6_000)
        // A small buffer makes records cross flushes; small batches cross batch boundaries.
        let trace = try ChromeTrace.write(Self.split(input, size: 700), lifetimes: lifetimes, bufferCapacity: 4096)
        ChromeChecks.all(trace, input: input, lifetimes: lifetimes)
    }

    @Test(arguments: [LifetimeSelection.none, .leaks, .all])
    func withoutInstantsCountersAndSlicesRemain(_ lifetimes: LifetimeSelection) throws {
        let input = SampleEvents.workload(count: 3_000, seed: 7)
        let trace = try ChromeTrace.write([input], lifetimes: lifetimes, noInstants: true)
        ChromeChecks.all(trace, input: input, lifetimes: lifetimes, instants: false)
        #expect(trace.metadata["instants"] as? Bool == false)
    }

    @Test func instantNamesAreTheWindowsNames() {
        for kind in EventKind.heapKinds {
            let name = ChromeArgsEmitter.instantNames[Int(kind.rawValue)]
            #expect(name.description == kind.windowsName + "\"")
        }
    }

    @Test func argKeysAreTheJSONLinesFieldNames() {
        #expect(ChromeArgsEmitter.keyPrefixes.count == EventField.allCases.count)
        for field in EventField.allCases {
            #expect(ChromeArgsEmitter.keyPrefixes[field.rawValue].description == ",\"\(field.name)\":")
        }
    }

    /// Addresses and flags are hex strings; sizes are JSON numbers up to 2^53 and hex strings above, so the
    /// viewers (which read numbers as doubles) show every value exactly.
    @Test func addressesAreHexAndSizesAreExactNumbers() throws {
        var input = SampleEvents.everyKind()
        var t: Int64 = 1_555_526_500_000_000_000
        for size: UInt64 in [129, 1 << 53, (1 << 53) + 1] {
            t += 1000
            input.append(.alloc(EventContext(timestamp: t, processID: 1, threadID: 1, heap: 0x10), address: size, size: size, source: .mainPath))
        }
        let trace = try ChromeTrace.write([input], lifetimes: .all)
        let addresses: Set<String> = ["heap", "address", "old_address", "flags"]
        let sizes: Set<String> = ["size", "old_size", "reserve_size", "commit_size", "allocated_size", "committed_size", "decommit_size",
                                  "free_space", "committed_space", "reserved_space", "large_ucr_space", "allocated_space"]
        let hex = /0x[0-9a-f]{1,16}/
        var sizesSeen = 0
        for record in trace.records where record.ph == "i" || record.ph == "b" {
            for (key, value) in record.args where addresses.contains(key) {
                let text = value as? String
                #expect(text.map { $0.wholeMatch(of: hex) != nil } == true, "\(key) in \(record.line)")
            }
            for (key, value) in record.args where sizes.contains(key) {
                sizesSeen += 1
                // The record's own text: a number of at most 16 digits, or a hex string past 2^53.
                let number = try Regex("\"\(key)\":([0-9]+|\"0x[0-9a-f]+\")[,}]")
                let match = try #require(record.line.firstMatch(of: number), "\(key) in \(record.line)")
                let written = String(match.output[1].substring!)
                if let text = value as? String {
                    let parsed = try #require(UInt64(text.dropFirst(2), radix: 16))
                    #expect(parsed > 1 << 53, "\(key) in \(record.line)")
                    #expect(written == "\"" + text + "\"")
                } else {
                    #expect(UInt64(written).map { $0 <= 1 << 53 } == true, "\(key) in \(record.line)")
                }
            }
            for frame in record.args["stack"] as? [Any] ?? [] {
                #expect((frame as? String).map { $0.wholeMatch(of: hex) != nil } == true)
            }
        }
        #expect(sizesSeen > 20)
        let small = try #require(trace.records.first { $0.ph == "i" && $0.args["address"] as? String == "0x81" })
        #expect(small.line.contains(#""size":129,"#))
        let limit = try #require(trace.records.first { $0.ph == "i" && $0.args["address"] as? String == "0x20000000000000" })
        #expect(limit.line.contains(#""size":9007199254740992,"#))
        let above = try #require(trace.records.first { $0.ph == "i" && $0.args["address"] as? String == "0x20000000000001" })
        #expect(above.line.contains(#""size":"0x20000000000001","#))
        let extreme = try #require(trace.records.first { $0.ph == "i" && $0.args["address"] as? String == "0xffffffffffffffff" })
        #expect(extreme.args["size"] as? String == "0xffffffffffffffff")
        #expect(trace.records.contains { $0.ph == "M" && $0.pid == UInt64(UInt32.max) })
    }

    @Test func timestampsAreExactAcrossTheWholeInt64Range() throws {
        let trace = try ChromeTrace.write([SampleEvents.extremeTimes()])
        let instants = trace.records.filter { $0.ph == "i" }
        #expect(instants.map(\.tsText) == ["0", "9223372036854775.807", "9223372036854775.808",
                                          "9223372036854775.809", "18446744073709551.615"])
        #expect(trace.metadata["ts-origin-ns"] as? String == String(Int64.min))
        #expect(trace.report.contains { $0.contains("lose sub-microsecond precision") })
    }

    @Test func timestampsUseAtMostThreeDecimals() throws {
        var batch = EventBatch()
        for (i, offset) in [0, 1, 10, 100, 120, 1000, 1500, 999_999, 1_000_001].enumerated() {
            batch.append(.free(EventContext(timestamp: 1_000 + Int64(offset), processID: 1, threadID: 1, heap: 1),
                               address: UInt64(i), source: .mainPath))
        }
        let trace = try ChromeTrace.write([batch])
        #expect(trace.records.filter { $0.ph == "i" }.map(\.tsText) ==
                ["0", "0.001", "0.01", "0.1", "0.12", "1", "1.5", "999.999", "1000.001"])
    }

    @Test func outOfOrderEventsAreDrawnInOrderAndReported() throws {
        let sorted = SampleEvents.workload(count: 300, seed: 3)
        var shuffled = EventBatch()
        for event in sorted.events.reversed() { shuffled.append(event, from: sorted) }
        let trace = try ChromeTrace.write([shuffled], lifetimes: .all)
        ChromeChecks.structure(trace)
        ChromeChecks.sorted(trace, leaksTail: false)
        // Everything is drawn at the first (latest) event's time.
        #expect(trace.records.filter { $0.ph != "M" }.allSatisfy { $0.tsText == "0" })
        #expect(trace.report.contains { $0.contains("299 events were earlier than an event before them") })
        #expect((trace.metadata["out-of-order-events"] as? NSNumber)?.intValue == 299)
        ChromeChecks.instantsAndCounters(trace, input: shuffled)
        ChromeChecks.slices(trace, input: shuffled, lifetimes: .all)
    }

    @Test func freesOfUnknownBlocksNeverDriveCountersNegative() throws {
        var batch = EventBatch()
        var t: Int64 = 10_000
        func ctx() -> EventContext {
            t += 1_000
            return EventContext(timestamp: t, processID: 7, threadID: 8, heap: 0x50000)
        }
        batch.append(.free(ctx(), address: 0x1000, source: .mainPath))
        batch.append(.realloc(ctx(), address: 0x2000, size: 16, oldAddress: 0x1100, oldSize: 8, source: .mainPath))
        batch.append(.alloc(ctx(), address: 0x3000, size: 32, source: .mainPath))
        batch.append(.free(ctx(), address: 0x3000, source: .mainPath))
        batch.append(.free(ctx(), address: 0x3000, source: .mainPath))
        batch.append(.free(ctx(), address: 0x2000, source: .mainPath))
        batch.append(.free(ctx(), address: 0x2000, source: .mainPath))
        let trace = try ChromeTrace.write([batch], lifetimes: .all)
        ChromeChecks.all(trace, input: batch, lifetimes: .all)
        let values = trace.records.filter { $0.ph == "C" && $0.name == "heap 0x50000 bytes" }
            .map { ($0.args["live"] as? NSNumber)?.int64Value ?? -1 }
        #expect(values == [16, 48, 16, 0])
        // The first free changed nothing, so nothing but names and its instant came before the realloc.
        #expect(trace.records.prefix(3).map(\.ph) == ["M", "M", "i"])
    }

    @Test func countersPastTwoToTheFiftyThreeStayValidNumbers() throws {
        var batch = EventBatch()
        batch.append(.alloc(EventContext(timestamp: 5, processID: 1, threadID: 1, heap: 2), address: 3, size: 1 << 60, source: .mainPath))
        let trace = try ChromeTrace.write([batch])
        let bytes = try #require(trace.records.first { $0.name == "heap 0x2 bytes" })
        #expect((bytes.args["live"] as? NSNumber)?.doubleValue == Double(UInt64(1) << 60))
        #expect(!bytes.line.contains("\"live\":1152921504606846976"))
        ChromeChecks.instantsAndCounters(trace, input: batch)
    }

    @Test func destroyedHeapsCloseTheirSlicesAndZeroTheirCounters() throws {
        var batch = EventBatch()
        func ctx(_ t: Int64, heap: UInt64 = 0x9000) -> EventContext {
            EventContext(timestamp: t, processID: 3, threadID: 4, heap: heap)
        }
        batch.append(.alloc(ctx(1_000), address: 0x10, size: 100, source: .mainPath))
        batch.append(.alloc(ctx(2_000, heap: 0xa000), address: 0x10, size: 7, source: .mainPath))
        batch.append(.alloc(ctx(3_000), address: 0x20, size: 200, source: .mainPath))
        batch.append(.destroy(ctx(4_000)))
        for lifetimes in [LifetimeSelection.all, .leaks] {
            let trace = try ChromeTrace.write([batch], lifetimes: lifetimes)
            ChromeChecks.all(trace, input: batch, lifetimes: lifetimes)
            let ends = trace.records.filter { $0.ph == "e" }
            if lifetimes == .all {
                #expect(ends.filter { $0.args["heap_destroyed"] as? Bool == true }.count == 2)
            }
            #expect(ends.filter { $0.args["leaked"] as? Bool == true }.map(\.name) == ["heap 0xa000 block"])
            let lastBytes = trace.records.last { $0.name == "heap 0x9000 bytes" }
            #expect((lastBytes?.args["live"] as? NSNumber)?.intValue == 0)
            let total = trace.records.last { $0.name == "all heaps bytes" }
            #expect((total?.args["live"] as? NSNumber)?.intValue == 7)
        }
    }

    @Test func leakedSlicesKeepTheirAllocationStack() throws {
        var batch = EventBatch()
        let stack: [UInt64] = [0x7ff6_0000_1000, 0x7ff6_0000_2000]
        for i in 0..<50 {
            let c = EventContext(timestamp: Int64(i) * 1_000, processID: 9, threadID: 10 + UInt32(i % 3), heap: 0x4000)
            batch.append(.alloc(c, address: 0x100 + UInt64(i) * 16, size: 24, source: .lookaside), stack: i % 2 == 0 ? stack : [UInt64(i)])
        }
        let trace = try ChromeTrace.write([batch], lifetimes: .leaks)
        ChromeChecks.all(trace, input: batch, lifetimes: .leaks)
        // The last block was allocated at the last event's time: a zero-length `n`.
        let begins = trace.records.filter { $0.ph == "b" || $0.ph == "n" }
        #expect(begins.count == 50 && begins.last?.ph == "n")
        #expect(begins.first?.args["stack"] as? [String] == ["0x7ff600001000", "0x7ff600002000"])
        // The leaked slice sits on the allocating thread.
        let threads: [UInt64?] = (0..<50).map { (i: Int) -> UInt64? in UInt64(10 + i % 3) }
        #expect(begins.map(\.tid) == threads)
    }

    @Test(arguments: [LifetimeSelection.all, .large(20), .leaks])
    func blocksEndingWhenTheyBeginAreSingleInstants(_ lifetimes: LifetimeSelection) throws {
        var batch = EventBatch()
        func ctx(_ t: Int64) -> EventContext { EventContext(timestamp: t, processID: 2, threadID: 3, heap: 0x8000) }
        batch.append(.alloc(ctx(1_000), address: 0x10, size: 16, source: .mainPath), stack: [0xabc])
        batch.append(.free(ctx(1_000), address: 0x10, source: .mainPath))
        batch.append(.alloc(ctx(1_000), address: 0x20, size: 32, source: .mainPath))
        batch.append(.alloc(ctx(1_000), address: 0x20, size: 48, source: .mainPath))
        batch.append(.realloc(ctx(1_000), address: 0x30, size: 64, oldAddress: 0x20, oldSize: 48, source: .mainPath))
        batch.append(.alloc(ctx(2_000), address: 0x40, size: 80, source: .mainPath), stack: [0xdef, 0x123])
        batch.append(.free(ctx(3_000), address: 0x30, source: .mainPath))
        batch.append(.alloc(ctx(3_000), address: 0x50, size: 96, source: .mainPath))
        let trace = try ChromeTrace.write([batch], lifetimes: lifetimes)
        ChromeChecks.all(trace, input: batch, lifetimes: lifetimes)
        let instants = trace.records.filter { $0.ph == "n" }
        if lifetimes == .leaks {
            #expect(instants.map { $0.args["address"] as? String } == ["0x50"])
        } else {
            #expect(instants.first?.args["stack"] as? [String] == (lifetimes == .all ? ["0xabc"] : nil))
            #expect(instants.last?.args["leaked"] as? Bool == true)
        }
        let (status, report) = try ChromeLintTests.lint([batch], lifetimes: lifetimes)
        #expect(status == 0, "\(report)")
    }

    @Test func manyBlocksEndingAtOneTimeAreFound() throws {
        var batch = EventBatch()
        func ctx(_ t: Int64) -> EventContext { EventContext(timestamp: t, processID: 1, threadID: 1, heap: 1) }
        for i in 0..<200 { batch.append(.alloc(ctx(0), address: UInt64(i), size: 8, source: .mainPath)) }
        for i in stride(from: 0, to: 200, by: 2) { batch.append(.free(ctx(0), address: UInt64(i), source: .mainPath)) }
        batch.append(.free(ctx(1_000), address: 1, source: .mainPath))
        let trace = try ChromeTrace.write([batch], lifetimes: .all)
        ChromeChecks.all(trace, input: batch, lifetimes: .all)
        #expect(trace.records.filter { $0.ph == "n" }.count == 100)
        #expect(trace.records.filter { $0.ph == "e" && $0.args["leaked"] as? Bool == true }.count == 99)
    }

    @Test func inputsWithoutTimeStillBalanceTheirSlices() throws {
        // Every event at one time: held-back begins are released in bounded groups.
        var batch = EventBatch()
        for i in 0..<(ChromeWriter.maximumHeldBegins + 100) {
            batch.append(.alloc(EventContext(timestamp: 0, processID: 1, threadID: 1, heap: 1), address: UInt64(i), size: 1, source: .mainPath))
        }
        let trace = try ChromeTrace.write([batch], lifetimes: .all)
        ChromeChecks.sorted(trace, leaksTail: false)
        ChromeChecks.slices(trace, input: batch, lifetimes: .all, zeroLengthAsN: false)
        #expect(trace.records.filter { $0.ph == "n" }.count == 100)
    }

    @Test func metadataRecordsSourceVersionOriginAndInputFacts() throws {
        let odd = "quote \" backslash \\ newline \n control \u{1} é"
        let facts = InfoValue.object([("clock", .string("QPC, 10 MHz")), ("huge", .uint(.max)), ("small", .int(-3)),
                                      ("odd", .string(odd)), ("long", .string(String(repeating: "x", count: 10_000)))])
        let input = SampleEvents.everyKind()
        // Facts longer than the buffer make the trailer cross a flush.
        let trace = try ChromeTrace.write([input], lifetimes: .large(4096), facts: facts, bufferCapacity: 4096)
        let metadata = trace.metadata
        #expect(metadata["source"] as? String == "sample.jsonl")
        #expect(metadata["heapconv-version"] as? String == HeapConvVersion.string)
        #expect(metadata["clock"] as? String == "QPC, 10 MHz")
        #expect(metadata["lifetimes"] as? String == "large:4096")
        #expect((metadata["heap-events"] as? NSNumber)?.intValue == input.count)
        #expect((metadata["trace-events"] as? NSNumber)?.intValue == trace.records.count)
        #expect(metadata["ts-origin-ns"] as? String == String(input.events[0].timestamp))
        #expect(metadata["ts-origin"] as? String == Timestamps.iso8601(input.events[0].timestamp))
        let inputFacts = try #require(metadata["input"] as? [String: Any])
        #expect(inputFacts["huge"] as? String == String(UInt64.max))
        #expect((inputFacts["small"] as? NSNumber)?.intValue == -3)
        #expect(inputFacts["odd"] as? String == odd)
        #expect((inputFacts["long"] as? String)?.count == 10_000)
        #expect(metadata["clock-domain"] == nil, "catapult would take it as its clock domain")
    }

    @Test func theTrailerFitsWhereverTheMetadataEnds() throws {
        // Metadata of every length across a buffer's worth, so that it ends at each position in the buffer.
        for padding in 0..<2_100 {
            let sink = MemoryByteSink()
            var writer = ChromeWriter(output: OutputBuffer(sink: sink, capacity: 2048),
                                      options: ConversionOptions(inputPath: "a", outputPath: "b"), inputName: "a",
                                      inputFacts: .object([("pad", .string(String(repeating: "x", count: 2_000 + padding)))]))
            try writer.finish()
            #expect(sink.bytes.suffix(3) == Array("}}\n".utf8))
        }
    }

    @Test func emptyInputIsAValidTrace() throws {
        let trace = try ChromeTrace.write([], lifetimes: .leaks)
        #expect(trace.records.isEmpty)
        #expect(trace.text.hasPrefix("{\"traceEvents\":["))
        #expect(trace.metadata["ts-origin"] == nil)
        #expect(trace.report == ["chrome: 0 trace events for 0 heap events, \(trace.text.utf8.count) bytes of JSON"])
    }

    @Test func reportGivesCountsSizeAndViewerLimits() throws {
        let input = SampleEvents.workload(count: 2_000)
        let trace = try ChromeTrace.write([input])
        let bytes = trace.text.utf8.count
        #expect(trace.report.first == "chrome: \(ChromeWriter.grouped(UInt64(trace.records.count))) trace events for 2,000 heap events, "
                + "\(ChromeWriter.size(UInt64(bytes))) of JSON (\(bytes / 2000) bytes per heap event)")
        #expect(ChromeWriter.viewerWarnings(bytes: ChromeWriter.catapultLimit).isEmpty)
        let catapult = ChromeWriter.viewerWarnings(bytes: ChromeWriter.catapultLimit + 1)
        #expect(catapult.count == 1 && catapult[0].contains("chrome://tracing loads (512 MiB)") && catapult[0].contains("--no-instants"))
        let perfetto = ChromeWriter.viewerWarnings(bytes: 3 << 30, instants: false, lifetimes: .all)
        #expect(perfetto == ["chrome: warning: 3.0 GiB of JSON is more than the Perfetto web UI loads (about 1 GB) and "
                             + "chrome://tracing (512 MiB): keep fewer events with --pid, --heap, --event or --since/--until, "
                             + "draw fewer lifetimes with --lifetimes leaks or large:BYTES; or open it in Perfetto through "
                             + "a native trace_processor (trace_processor --httpd)"])
        #expect(ChromeWriter.grouped(1_234_567) == "1,234,567")
        #expect(ChromeWriter.grouped(12) == "12")
        #expect(ChromeWriter.size(5_872_026) == "5.6 MiB")
        #expect(ChromeWriter.duration(1_500_000) == "1.5 ms")
    }

    @Test(arguments: [LifetimeSelection.all, .leaks])
    func crowdedHeapsAreReported(_ lifetimes: LifetimeSelection) throws {
        var batch = EventBatch()
        for i in 0..<400 {
            batch.append(.alloc(EventContext(timestamp: Int64(i), processID: 5, threadID: 6, heap: 0x7000),
                                address: UInt64(i) * 32, size: 32, source: .mainPath))
        }
        let trace = try ChromeTrace.write([batch], lifetimes: lifetimes)
        let what = lifetimes == .leaks ? "400 leaked blocks" : "400 lifetime slices open at once"
        #expect(trace.report.contains("chrome: warning: heap 0x7000 of process 5 has \(what), one row each in the viewers; "
                                      + "draw fewer with --lifetimes large:BYTES, --heap or --since/--until"))
        let quiet = try ChromeTrace.write([batch], lifetimes: .large(33))
        #expect(quiet.report.count == 1)
    }

    @Test func outputStreamsInsteadOfWaitingForTheEnd() throws {
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: sink, capacity: 1 << 16)
        var options = ConversionOptions(inputPath: "a", outputPath: "b")
        options.lifetimes = .all
        var writer = ChromeWriter(output: output, options: options, inputName: "a")
        let input = SampleEvents.workload(count: 10_000)
        for batch in Self.split(input, size: 4096) { try writer.write(batch) }
        #expect(sink.bytes.count > 1_000_000, "the bulk reached the sink before finish()")
        #expect(!sink.finished)
        try writer.finish()
        #expect(sink.finished)
    }
}

@Suite struct ChromeFormatTests {
    @Test func registryRoutesJSONAndGzipToTheChromeWriter() throws {
        let (plain, plainGzip) = try FormatRegistry.resolve(path: "trace.json", override: nil, role: "output")
        #expect(plain.name == "chrome" && !plainGzip && plain.makeWriter != nil)
        let (packed, gzip) = try FormatRegistry.resolve(path: "Trace.JSON.GZ", override: nil, role: "output")
        #expect(packed.name == "chrome" && gzip)
    }

    /// A JSON Lines file converted by ``Conversion`` to `.json` and `.json.gz`: the same trace either way.
    @Test func conversionWritesPlainAndGzippedTraces() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("heapconv-chrome-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = SampleEvents.everyKind()
        let jsonl = directory.appendingPathComponent("in.jsonl")
        let sink = MemoryByteSink()
        var jsonlWriter = JSONLinesWriter(output: OutputBuffer(sink: sink))
        try jsonlWriter.write(input)
        try jsonlWriter.finish()
        try Data(sink.bytes).write(to: jsonl)

        var options = ConversionOptions(inputPath: jsonl.path, outputPath: directory.appendingPathComponent("out.json").path)
        options.lifetimes = .all
        let report = try Conversion.run(options)
        #expect(report.eventsWritten == UInt64(input.count))
        #expect(report.writerReport.first?.hasPrefix("chrome: ") == true)
        let plain = try ChromeTrace(bytes: Array(Data(contentsOf: URL(fileURLWithPath: options.outputPath))))
        #expect(plain.metadata["source"] as? String == jsonl.path)

        options.outputPath = directory.appendingPathComponent("out.json.gz").path
        _ = try Conversion.run(options)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gunzip.arguments = ["gzip", "-dc", options.outputPath]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let unpacked = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0)
        #expect(Array(unpacked) == Array(plain.text.utf8))
    }
}

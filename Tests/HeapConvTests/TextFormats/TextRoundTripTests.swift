import Testing
@testable import HeapConv

@Suite struct TextRoundTripTests {
    static let samples: [(String, EventBatch)] = [
        ("everyKind", SampleEvents.everyKind()),
        ("extremeTimes", SampleEvents.extremeTimes()),
        ("workload", SampleEvents.workload(count: 5_000)),
        ("contextRecords", SampleEvents.contextRecords()),
    ]

    @Test(arguments: [0, 1, 2, 3])
    func jsonLinesReadsBackEveryField(_ index: Int) throws {
        let (_, batch) = Self.samples[index]
        let bytes = try Codecs.jsonl(batch)
        #expect(try Codecs.readJSONL(bytes) == Codecs.flatten(batch))
    }

    @Test(arguments: [0, 1, 2, 3])
    func csvReadsBackEveryField(_ index: Int) throws {
        let (_, batch) = Self.samples[index]
        let bytes = try Codecs.csv(batch)
        #expect(try Codecs.readCSV(bytes) == Codecs.flatten(batch))
    }

    @Test(arguments: [0, 1, 2, 3])
    func jsonLinesToCSVToJSONLinesIsByteIdentical(_ index: Int) throws {
        let (_, batch) = Self.samples[index]
        let jsonl = try Codecs.jsonl(batch)
        let csv = try Codecs.csv(Codecs.batch(try Codecs.readJSONL(jsonl)))
        let again = try Codecs.jsonl(Codecs.batch(try Codecs.readCSV(csv)))
        #expect(again == jsonl)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 4093])
    func readersRefillAcrossChunkBoundaries(_ chunk: Int) throws {
        let batch = SampleEvents.everyKind()
        let expected = Codecs.flatten(batch)
        #expect(try Codecs.readJSONL(try Codecs.jsonl(batch), chunk: chunk) == expected)
        #expect(try Codecs.readCSV(try Codecs.csv(batch), chunk: chunk) == expected)
    }

    /// Stacks longer than the output buffer: the writers hand over what they wrote and flush in the middle
    /// of a stack, and every frame reads back, in order.
    @Test func stacksLongerThanTheOutputBuffer() throws {
        var batch = EventBatch()
        var rng = SplitMix64(seed: 7)
        for length in [0, 1, 150, 3_000] {
            let context = EventContext(timestamp: 1_555_526_400_000_000_000, processID: 7, threadID: 8, cpu: 1, heap: 0x10)
            let frames = (0..<length).map { _ in rng.next() >> (rng.next() % 64) }
            batch.append(.alloc(context, address: 0x20, size: 5, source: .mainPath), stack: frames)
            batch.append(.free(context, address: 0x20, source: .lowFragmentation))
        }
        let expected = Codecs.flatten(batch)
        #expect(try Codecs.readJSONL(try Codecs.jsonl(batch)) == expected)
        #expect(try Codecs.readCSV(try Codecs.csv(batch)) == expected)
    }

    @Test func smallBatchLimitsKeepStacksWithTheirEvents() throws {
        let batch = SampleEvents.everyKind()
        let bytes = try Codecs.jsonl(batch)
        let flats = try Codecs.read(bytes, limit: 3) { JSONLinesReader(source: $0) }
        #expect(flats == Codecs.flatten(batch))
    }

    /// JSON Lines are parsed two chunks at a time, the second on a helper thread: with chunks of a few lines,
    /// blank lines and CRLF endings among them and the input served in small pieces, every event comes back
    /// once, in order, with its stack.
    @Test(arguments: [1, 2, 5, 64])
    func jsonLinesChunksParsedOnTwoThreadsKeepTheirOrder(_ limit: Int) throws {
        let batch = SampleEvents.workload(count: 1_500)
        var lines = String(decoding: try Codecs.jsonl(batch), as: UTF8.self).split(separator: "\n").map(String.init)
        for i in stride(from: 5, to: lines.count, by: 37) { lines[i] += "\r" }
        for i in stride(from: lines.count - 3, to: 0, by: -101) { lines.insert(" ", at: i) }
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let flats = try Codecs.read(bytes, chunk: 5_000, limit: limit) { JSONLinesReader(source: $0) }
        #expect(flats == Codecs.flatten(batch))
    }

    /// An error in a chunk parsed by the helper thread names its own line, and comes after the events of
    /// the chunks before it (chunks 2 and 4 are the helper's with limits 4 and 2, chunk 3 this thread's with
    /// limit 3).
    @Test(arguments: [2, 3, 4])
    func jsonLinesErrorsOnTheHelperThreadNameTheirLine(_ limit: Int) throws {
        let good = String(decoding: try Codecs.jsonl(SampleEvents.everyKind()), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        var lines = Array(good.prefix(9))
        lines.insert("{\"event\":\"alloc\",\"size\":}", at: 7)
        var reader = JSONLinesReader(source: MemoryByteSource(Array(lines.joined(separator: "\n").utf8)))
        var batch = EventBatch()
        var events = 0
        do {
            while try reader.read(into: &batch, limit: limit) {
                events += batch.count
                batch.removeAll()
            }
            Issue.record("the malformed line was accepted")
        } catch {
            #expect(error.location == .line(8, column: 25))
            #expect(events == (8 - 1) / limit * limit)
        }
    }

    /// CSV rows are cut into chunks only at line breaks outside quotes: with every cell quoted, CRLF endings,
    /// blank lines and chunks of a few rows, every event comes back in order.
    @Test(arguments: [1, 2, 5, 64])
    func csvChunksParsedOnTwoThreadsKeepTheirOrder(_ limit: Int) throws {
        let batch = SampleEvents.workload(count: 600)
        // The writer ends rows with CRLF, one Character in Swift.
        var lines = String(decoding: try Codecs.csv(batch), as: UTF8.self).split(separator: "\r\n").map(String.init)
        #expect(lines.count == 601)
        for i in 1..<lines.count {
            lines[i] = lines[i].split(separator: ",", omittingEmptySubsequences: false).map { "\"\($0)\"" }.joined(separator: ",")
        }
        for i in stride(from: 3, to: lines.count, by: 29) { lines[i] += "\r" }
        for i in stride(from: lines.count - 2, to: 1, by: -71) { lines.insert("", at: i) }
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let flats = try Codecs.read(bytes, chunk: 3_000, limit: limit) { CSVReader(source: $0) }
        #expect(flats == Codecs.flatten(batch))
    }

    /// A quoted cell spanning a line break stays in one chunk: its error names the row's first line, the
    /// same whatever the chunk size.
    @Test func csvQuotedLineBreakIsNotAChunkBoundary() throws {
        var lines = String(decoding: try Codecs.csv(SampleEvents.everyKind()), as: UTF8.self)
            .split(separator: "\r\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let stackColumn = try #require(header.firstIndex(of: "stack"))
        var cells = lines[6].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[stackColumn] = "\"0x1\n0x2\""
        lines[6] = cells.joined(separator: ",")
        let bytes = Array(lines.joined(separator: "\n").utf8)
        var locations: [ConversionError.Location?] = []
        for limit in [1, 2, 3, 4096] {
            do {
                _ = try Codecs.read(bytes, limit: limit) { CSVReader(source: $0) }
                Issue.record("the line break inside the stack cell was accepted")
            } catch {
                locations.append(error.location)
                // Cut inside the quotes, the row would end in an unterminated quoted field instead.
                #expect(error.message.contains("in column \"stack\""), "limit \(limit): \(error.message)")
            }
        }
        #expect(locations.allSatisfy { $0 == locations.last! })
        if case .line(let line, _)? = locations.last { #expect(line == 7) } else { Issue.record("no line in \(locations)") }
    }
}

/// How `InputBuffer.takeRecords` cuts CSV into records: at line breaks outside quoted cells only.
@Suite struct CSVRecordCuttingTests {
    static func records(_ text: String, maximum: Int = 1) throws -> [String] {
        let input = InputBuffer(source: MemoryByteSource(Array(text.utf8), chunkLimit: 3), capacity: 16)
        var chunks: [String] = []
        while let chunk = try input.takeRecords(maximum: maximum, quoted: true) {
            chunks.append(String(decoding: chunk.bytes, as: UTF8.self))
        }
        return chunks
    }

    @Test func quotedLineBreaksAndEscapesStayInTheirRecord() throws {
        #expect(try Self.records("a,\"x\ny\",b\nc,\"\"\"q\"\"\",d\ne\n") == ["a,\"x\ny\",b\n", "c,\"\"\"q\"\"\",d\n", "e\n"])
        #expect(try Self.records("\"\"\n\"a\"\"\n\"\n") == ["\"\"\n", "\"a\"\"\n\"\n"])
    }

    /// A stray quote inside a bare cell does not open a quoted cell: the row ends at its line break, where the
    /// parser reports the quote, rather than running on to the next quote in the file.
    @Test func aStrayQuoteInABareCellEndsAtItsLineBreak() throws {
        #expect(try Self.records("a,b\"c,d\ne,f\ng\n") == ["a,b\"c,d\n", "e,f\n", "g\n"])
    }
}

/// The JSON Lines reader compares each key with the previous line's key at the same place before scanning
/// it: lines whose keys come in other orders, or differ from the previous line's by a byte or a suffix,
/// read as they do alone, and errors still name the key.
@Suite struct JSONKeyPredictionTests {
    static let lines = [
        #"{"event":"alloc","ts":1555526400000000001,"pid":7,"tid":8,"heap":"0x10","address":"0x20","size":5,"source":"mainpath"}"#,
        #"{"event":"alloc","ts":1555526400000000002,"pid":7,"tid":8,"heap":"0x10","address":"0x30","size":6,"source":"lowfrag"}"#,
        #"{"ts":1555526400000000003,"event":"free","tid":9,"pid":7,"heap":"0x10","address":"0x20","source":3}"#,
        #"{ "event" : "alloc", "ts":1555526400000000004,"pid":7,"tid":8,"cpu":1,"heap":"0x10","address":"0x40","size":7,"source":"mainpath","stack":["0x1"]}"#,
        #"{"event":"realloc","ts":1555526400000000005,"pid":7,"tid":8,"heap":"0x10","address":"0x50","size":8,"old_address":"0x40","old_size":7,"source":"mainpath"}"#,
    ]

    @Test func linesReadTogetherAsTheyReadAlone() throws {
        let alone = try Self.lines.flatMap { try Codecs.readJSONL(Array($0.utf8)) }
        #expect(alone.count == Self.lines.count)
        let together = try Codecs.readJSONL(Array(Self.lines.joined(separator: "\n").utf8))
        #expect(together == alone)
    }

    @Test func keysThatAlmostMatchThePreviousLineAreStillChecked() {
        let first = Self.lines[0] + "\n"
        let suffixed = Codecs.readError(first + #"{"event":"alloc","tsx":1,"pid":7,"tid":8,"heap":"0x10","address":"0x20","size":5}"#)
        #expect(suffixed?.location == .line(2, column: 18))
        #expect(suffixed?.message == #"unknown key "tsx""#)
        let repeated = Codecs.readError(first + #"{"event":"alloc","ts":1,"ts":2,"tid":8,"heap":"0x10","address":"0x20","size":5}"#)
        #expect(repeated?.location == .line(2, column: 25))
        #expect(repeated?.message == #"duplicate key "ts""#)
    }
}

import Testing
@testable import HeapConv

@Suite struct TextRoundTripTests {
    static let samples: [(String, EventBatch)] = [
        ("everyKind", SampleEvents.everyKind()),
        ("extremeTimes", SampleEvents.extremeTimes()),
        ("workload", SampleEvents.workload(count: 5_000)),
    ]

    @Test(arguments: [0, 1, 2])
    func jsonLinesReadsBackEveryField(_ index: Int) throws {
        let (_, batch) = Self.samples[index]
        let bytes = try Codecs.jsonl(batch)
        #expect(try Codecs.readJSONL(bytes) == Codecs.flatten(batch))
    }

    @Test(arguments: [0, 1, 2])
    func csvReadsBackEveryField(_ index: Int) throws {
        let (_, batch) = Self.samples[index]
        let bytes = try Codecs.csv(batch)
        #expect(try Codecs.readCSV(bytes) == Codecs.flatten(batch))
    }

    @Test(arguments: [0, 1, 2])
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

    @Test func smallBatchLimitsKeepStacksWithTheirEvents() throws {
        let batch = SampleEvents.everyKind()
        let bytes = try Codecs.jsonl(batch)
        let flats = try Codecs.read(bytes, limit: 3) { JSONLinesReader(source: $0) }
        #expect(flats == Codecs.flatten(batch))
    }
}

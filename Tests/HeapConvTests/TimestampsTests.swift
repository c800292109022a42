import Testing
@testable import HeapConv

@Suite struct TimestampsTests {
    @Test func iso8601FormatsWholeAndFractionalTimes() {
        #expect(Timestamps.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamps.iso8601(1_555_526_400_000_010_000) == "2019-04-17T18:40:00.000010Z")
        #expect(Timestamps.iso8601(1_555_526_400_500_000_000) == "2019-04-17T18:40:00.500Z")
        #expect(Timestamps.iso8601(1) == "1970-01-01T00:00:00.000000001Z")
        #expect(Timestamps.iso8601(-1) == "1969-12-31T23:59:59.999999999Z")
        #expect(Timestamps.iso8601(951_782_400_000_000_000) == "2000-02-29T00:00:00Z")
    }

    @Test func iso8601ParsesWhatItFormatsAndZones() {
        for ns: Int64 in [0, 1, -1, 1_555_526_400_000_010_000, 951_782_400_000_000_000, 4_102_444_800_123_456_789] {
            #expect(Timestamps.parseISO8601(Timestamps.iso8601(ns)) == ns)
        }
        #expect(Timestamps.parseISO8601("2019-04-17T20:40:00+02:00") == 1_555_526_400_000_000_000)
        #expect(Timestamps.parseISO8601("2019-04-17 18:40:00.5") == 1_555_526_400_500_000_000)
        #expect(Timestamps.parseISO8601("2019-04-17") == 1_555_459_200_000_000_000)
        #expect(Timestamps.parseISO8601("2019-04-17T18:40:00.1234567891Z") == nil)
        #expect(Timestamps.parseISO8601("2019-13-01") == nil)
        #expect(Timestamps.parseISO8601("yesterday") == nil)
        #expect(Timestamps.parseISO8601("2019-04-17T18:40:00Zjunk") == nil)
    }

    @Test func durationsAreExact() {
        #expect(Timestamps.parseDuration("1.5s") == 1_500_000_000)
        #expect(Timestamps.parseDuration("250ms") == 250_000_000)
        #expect(Timestamps.parseDuration("10us") == 10_000)
        #expect(Timestamps.parseDuration("500ns") == 500)
        #expect(Timestamps.parseDuration("2m") == 120_000_000_000)
        #expect(Timestamps.parseDuration("1h") == 3_600_000_000_000)
        #expect(Timestamps.parseDuration("0.000000001s") == 1)
        #expect(Timestamps.parseDuration("0.0000000001s") == nil)
        #expect(Timestamps.parseDuration("1.5") == nil)
        #expect(Timestamps.parseDuration("-1s") == nil)
    }

    @Test func fileTimeConvertsExactly() {
        #expect(Timestamps.unixNanoseconds(fileTime: 132_000_000_000_000_000) == 1_555_526_400_000_000_000)
        #expect(Timestamps.unixNanoseconds(fileTime: Timestamps.fileTimeUnixEpoch) == 0)
        #expect(Timestamps.unixNanoseconds(fileTime: -1) == nil)
    }
}

@Suite struct EventFilterTests {
    @Test func filtersInPlaceAndKeepStacksWithTheirEvents() {
        var batch = SampleEvents.everyKind()
        let all = Codecs.flatten(batch)
        var filter = EventFilter()
        filter.kinds = [.alloc]
        filter.heaps = [0x1a0000]
        var stage = EventFilterStage(filter)
        stage.apply(to: &batch)
        let expected = all.filter { $0.event.kind == .alloc && $0.event.context.heap == 0x1a0000 }
        #expect(!expected.isEmpty)
        #expect(Codecs.flatten(batch) == expected)
    }

    @Test func relativeWindowsCountFromTheFirstEventAcrossBatches() {
        var filter = EventFilter()
        filter.since = TimeBound(argument: "+2us")
        filter.until = TimeBound(argument: "+4us")
        var stage = EventFilterStage(filter)
        var first = SampleEvents.everyKind()
        let start = first.events[0].timestamp
        stage.apply(to: &first)
        #expect(first.events.map(\.timestamp) == [start + 2_000, start + 3_000])
        var second = SampleEvents.everyKind()
        for i in second.events.indices { second.events[i].context.timestamp += 1_000 }
        stage.apply(to: &second)
        #expect(second.events.map(\.timestamp) == [start + 2_000, start + 3_000])
    }
}

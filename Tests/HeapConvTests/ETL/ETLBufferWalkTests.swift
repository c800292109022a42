import ETLSynth
import Testing
@testable import HeapConv

/// The buffer walk: `Offset` (never `SavedOffset`) ends the data, 0xFF and zero tails, the processor index,
/// empty buffers, records after the log-file header in the header buffer.
@Suite struct ETLBufferWalkTests {
    static func alloc(_ ticks: Int64, _ address: UInt64) -> [UInt8] {
        ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: ticks), heap: 1, size: 8, address: address, source: 3)
    }

    static func addresses(_ bytes: [UInt8]) throws -> [UInt64] {
        try ETLTestSupport.readAll(bytes).events.compactMap(\.address)
    }

    @Test func zeroAndFFTails() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [Self.alloc(5_000_100, 1)], options: ETLBufferOptions(tail: .zero))
            b.appendBuffer(cpu: 1, records: [Self.alloc(5_000_200, 2)], options: ETLBufferOptions(tail: .ff))
        }
        #expect(try Self.addresses(bytes) == [1, 2])
    }

    /// Some writers set Offset to the whole buffer and fill the unused space with 0xFF: the marker ends it.
    @Test func ffMarkerEndsTheDataBeforeOffset() throws {
        var bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [Self.alloc(5_000_100, 1), Self.alloc(5_000_101, 2)])
        }
        ETLBadInputTests.patch32(&bytes, at: 0x1000 + 0x30, 0x1000)
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.compactMap(\.address) == [1, 2])
        #expect(reader.facts()?["records"] == .uint(3))
    }

    /// Records between SavedOffset and Offset count (as in real header buffers).
    @Test func savedOffsetIsNotTheEnd() throws {
        var options = ETLBufferOptions()
        options.savedOffset = 0x48
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [Self.alloc(5_000_100, 1), Self.alloc(5_000_101, 2)], options: options)
        }
        #expect(try Self.addresses(bytes) == [1, 2])
    }

    @Test func emptyDataBuffers() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [])
            b.appendBuffer(cpu: 1, records: [Self.alloc(5_000_100, 1)])
            b.appendBuffer(cpu: 0, records: [], options: ETLBufferOptions(compressed: true))
        }
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.compactMap(\.address) == [1])
        #expect(reader.facts()?["buffers"] == .uint(4))
        #expect(reader.facts()?["compressed_buffers"] == .uint(1))
    }

    /// ProcessorIndex is masked with 0x7FF when the PROC_INDEX flag (0x20) is set, else only its low byte counts.
    @Test func processorIndex() throws {
        var bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0x0902, records: [Self.alloc(5_000_100, 1)])
            b.appendBuffer(cpu: 0x0102, records: [Self.alloc(5_000_200, 2)])
        }
        // Clear PROC_INDEX in the second data buffer.
        bytes[0x2000 + 0x34] &= ~0x20
        let events = try ETLTestSupport.readAll(bytes).events
        #expect(events.map { $0.context.cpu } == [0x102, 0x02])
    }

    /// The header buffer holds more than the log-file header (extension, build info, ...): all counted.
    @Test func headerBufferRecords() throws {
        var builder = ETLFileBuilder(header: ETLLogHeader())
        builder.headerBufferRecords = [
            ETLRecords.system(.bits64, group: 0, opcode: 5, thread: 0, process: 0, ticks: 5_000_000, payload: [1, 2, 3, 4]),
            ETLRecords.perfinfo(.bits64, group: 0, opcode: 66, ticks: 5_000_000, payload: Array(repeating: 7, count: 20)),
        ]
        builder.appendBuffer(cpu: 0, records: [Self.alloc(5_000_100, 1)])
        let (events, _, reader) = try ETLTestSupport.readAll(builder.build())
        #expect(events.count == 1)
        #expect(ETLFixtureTests.counts(reader.facts()?["records_by_header_kind"]) == ["SYSTEM64": 3, "PERFINFO64": 1])
        #expect(ETLFixtureTests.counts(reader.facts()?["records_by_group"]) == ["Header": 3, "Heap": 1])
    }

    /// Header types 0x0C-0x0E (documented as unused) are walked by their size and counted.
    @Test func wnodeRecordsAreWalked() throws {
        var wnode = ETLRecords.message(number: 1, payload: [0, 0, 0, 0])
        wnode[2] = 0x0E
        wnode[3] = 0xC0
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [wnode, Self.alloc(5_000_100, 1)])
        }
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.count == 1)
        #expect(ETLFixtureTests.counts(reader.facts()?["records_by_group"])["WNODE"] == 1)
    }

    /// Facts the log-file header sets, as `info` shows them.
    @Test func headerFacts() throws {
        var header = ETLLogHeader(width: .bits32, bufferSize: 8192)
        header.version = 0x0002_0106  // Windows 6.1, format 2.0
        header.eventsLost = 12
        header.buffersLost = 3
        header.loggerName = "HeapSession"
        header.logFileName = "C:\\heap.etl"
        var builder = ETLFileBuilder(header: header)
        builder.appendBuffer(cpu: 0, records: [Self.alloc(5_000_100, 1)], options: ETLBufferOptions(extraFlags: 0x02))
        let reader = try ETLReader(bytes: builder.build())
        let facts = try #require(reader.facts())
        #expect(facts["os_version"] == .string("6.1"))
        #expect(facts["trace_format_version"] == .string("2.0"))
        #expect(facts["pointer_size"] == .uint(4))
        #expect(facts["events_lost"] == .uint(12))
        #expect(facts["buffers_lost"] == .uint(3))
        #expect(facts["buffers_flagged_events_lost"] == .uint(1))
        #expect(facts["logger_name"] == .string("HeapSession"))
        #expect(facts["log_file_name"] == .string("C:\\heap.etl"))
        #expect(facts["buffer_size"] == .uint(8192))
        #expect(facts["start_time"] == .string("2019-04-17T18:40:00Z"))
        #expect(facts["end_time"] == .string("2019-04-17T18:40:01Z"))
        #expect(facts["heap_events"] == .uint(1))
        // Before reading: no second-pass counters, and so no `complete` either.
        #expect(facts["complete"] == nil)
        #expect(facts["stacks"]?["key_definitions"] == .uint(0))
        #expect(facts["stacks"]?["fragments_attached"] == nil)
        #expect(facts["ordering"]?["late_events"] == nil)
    }
}

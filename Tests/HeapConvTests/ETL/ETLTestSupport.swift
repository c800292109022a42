import Foundation
import Testing
@testable import HeapConv

/// Helpers shared by the ETL tests.
enum ETLTestSupport {
    /// The bytes of `Fixtures/etl/<name>`.
    static func fixture(_ name: String) throws -> [UInt8] {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        let url = try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/etl"))
        return Array(try Data(contentsOf: url))
    }

    /// Path of `Fixtures/etl/<name>`.
    static func fixturePath(_ name: String) throws -> String {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/etl")).path
    }

    /// Reads every event of an in-memory `.etl` image.
    static func readAll(_ bytes: [UInt8], keepGoing: Bool = false, fileOrder: Bool = false, batchLimit: Int = 4096)
        throws(ConversionError) -> (events: [HeapEvent], stacks: [[UInt64]?], reader: ETLReader)
    {
        var reader = try ETLReader(input: MemoryETLInput(bytes), keepGoing: keepGoing, fileOrder: fileOrder)
        var events: [HeapEvent] = []
        var stacks: [[UInt64]?] = []
        var batch = EventBatch()
        while true {
            batch.removeAll()
            guard try reader.read(into: &batch, limit: batchLimit) else { break }
            for event in batch.events {
                events.append(event)
                stacks.append(batch.stack(of: event).map(Array.init))
            }
        }
        return (events, stacks, reader)
    }
}

import ETLSynth

extension ETLTestSupport {
    /// Unix nanoseconds of the default synthetic StartTime (FILETIME 132,000,000,000,000,000).
    static let startNs: Int64 = 1_555_526_400_000_000_000
    /// The default header record tick; ticks are 100 ns.
    static let headerTicks: Int64 = 5_000_000

    /// Unix ns of `ticks` under the default synthetic clock (QPC at 10 MHz).
    static func ns(_ ticks: Int64) -> Int64 { startNs + (ticks - headerTicks) * 100 }

    /// A trace built by `body` on a builder with `width` records and `bufferSize` buffers.
    /// Compressed buffers use the test target's real MS-XCA encoder (matches, not only literals).
    static func trace(_ width: ETLPointerWidth = .bits64, bufferSize: UInt32 = 4096,
                      _ body: (inout ETLFileBuilder) -> Void) -> [UInt8] {
        var builder = ETLFileBuilder(header: ETLLogHeader(width: width, bufferSize: bufferSize))
        builder.compressor = XpressLZ77Encoder.compress
        body(&builder)
        return builder.build()
    }

    /// The heap events of a one-buffer trace of `records` on CPU 0.
    static func decode(_ width: ETLPointerWidth, _ records: [[UInt8]]) throws(ConversionError) -> [HeapEvent] {
        let bytes = trace(width) { b in b.appendBuffer(cpu: 0, records: records) }
        return try readAll(bytes).events
    }
}

extension HeapEvent {
    /// The event without its stack reference (which depends on the batch it came in).
    var withoutStack: HeapEvent {
        var copy = self
        copy.context.stack = .none
        return copy
    }

    /// The address of an alloc or free (tests use it as an event's identity).
    var address: UInt64? {
        switch self {
        case .alloc(_, let address, _, _), .free(_, let address, _), .realloc(_, let address, _, _, _, _): address
        default: nil
        }
    }
}

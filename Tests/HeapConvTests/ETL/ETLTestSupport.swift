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

    /// Whether the real LZ77 decoder is present (the branch carries a throwing placeholder until it is merged).
    static var lz77Available: Bool {
        var output = [UInt8](repeating: 0, count: 4)
        let input: [UInt8] = [0, 0, 0, 0, 0x61]
        return input.withUnsafeBytes { i in
            output.withUnsafeMutableBytes { o in
                do throws(XpressLZ77Error) {
                    _ = try XpressLZ77.decompress(i, into: o)
                    return true
                } catch {
                    return !error.message.hasPrefix("not implemented")
                }
            }
        }
    }
}

import Testing
@testable import HeapConv

/// A sink written on its own thread: the same bytes in the same order as a direct write, whether the output
/// buffer formats into its chunks (same size) or copies into them (different size); the downstream's error
/// reported; nothing written downstream once abandoned.
@Suite struct ThreadedSinkTests {
    /// Formats a deterministic mix through `output`: small appends, cursor records, decimals and hex, and
    /// pieces larger than a chunk; finishes it.
    static func formatMix(into output: OutputBuffer, records: Int) throws {
        let large = (0..<(700_001)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for i in 0..<records {
            var cursor = try output.cursor(reserving: 64)
            cursor.append("{\"n\":")
            cursor.append(decimal: UInt64(i) &* 2_654_435_761)
            cursor.append(",\"a\":\"")
            cursor.append(hex: UInt64(i) << 20 | 0x7ff0)
            cursor.append("\"}\n")
            output.commit(cursor)
            if i % 10_000 == 9_999 {
                try large.withUnsafeBytes { bytes in
                    try output.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<(i % 700_001)]))
                }
            }
        }
        try output.finish()
    }

    static func direct(records: Int) throws -> [UInt8] {
        let sink = MemoryByteSink()
        try formatMix(into: OutputBuffer(sink: sink, capacity: 1 << 12), records: records)
        #expect(sink.finished)
        return sink.bytes
    }

    @Test(arguments: [(1 << 18, 1 << 18), (1 << 12, 1 << 12), (1 << 18, 1 << 12), (1 << 12, 1 << 16)])
    func sameBytesAsADirectWrite(chunkSize: Int, bufferCapacity: Int) throws {
        let records = 60_000
        let memory = MemoryByteSink()
        let output = OutputBuffer(sink: ThreadedSink(memory, chunkSize: chunkSize, chunks: 3), capacity: bufferCapacity)
        try Self.formatMix(into: output, records: records)
        #expect(memory.finished)
        let expected = try Self.direct(records: records)
        #expect(memory.bytes.count == expected.count)
        #expect(memory.bytes == expected)
        #expect(output.totalBytes == UInt64(expected.count))
    }

    @Test func nothingWrittenFinishesEmpty() throws {
        let memory = MemoryByteSink()
        try OutputBuffer(sink: ThreadedSink(memory, chunkSize: 1 << 18), capacity: 1 << 18).finish()
        #expect(memory.finished)
        #expect(memory.bytes.isEmpty)
    }

    /// Accepts `limit` writes, then fails; counts the writes it saw.
    final class FailingSink: ByteSink, @unchecked Sendable {
        // Safety: touched by the sink's thread until it is joined, then by the test.
        var writes = 0
        let limit: Int
        init(limit: Int) { self.limit = limit }
        func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
            writes += 1
            if writes > limit { throw ConversionError(.io, file: "out.jsonl", "No space left on device") }
        }
        func finish() throws(ConversionError) {}
    }

    @Test(arguments: [0, 3])
    func theDownstreamErrorIsReported(limit: Int) {
        let failing = FailingSink(limit: limit)
        let output = OutputBuffer(sink: ThreadedSink(failing, chunkSize: 1 << 12, chunks: 2), capacity: 1 << 12)
        #expect(throws: ConversionError(.io, file: "out.jsonl", "No space left on device")) {
            try Self.formatMix(into: output, records: 20_000)
        }
        // The sink's thread stops writing at the first failure.
        #expect(failing.writes == limit + 1)
    }

    /// Abandoning returns only once the thread is done: nothing reaches the downstream afterwards, and it is
    /// not finished.
    @Test func abandonStopsTheThread() throws {
        final class SlowSink: ByteSink, @unchecked Sendable {
            // Safety: written by the sink's thread, read by the test after `abandon()` joined it.
            var writes = 0
            var finished = false
            func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
                usleep(2_000)
                writes += 1
            }
            func finish() throws(ConversionError) { finished = true }
        }
        let slow = SlowSink()
        let output = OutputBuffer(sink: ThreadedSink(slow, chunkSize: 1 << 12, chunks: 4), capacity: 1 << 12)
        let piece = [UInt8](repeating: 0x61, count: 10 << 12)
        try piece.withUnsafeBytes { bytes in try output.append(bytes: bytes) }
        output.abandon()
        let writes = slow.writes
        #expect(writes >= 1 && writes <= 10)
        usleep(20_000)
        #expect(slow.writes == writes)
        #expect(!slow.finished)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

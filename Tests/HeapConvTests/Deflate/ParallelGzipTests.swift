import Testing
@testable import HeapConv

/// zlib on several threads, one gzip member: checked by zlib's inflater (and its CRC-32 and length check),
/// against one zlib stream's size, and for giving the same bytes whatever the number of threads.
@Suite struct ParallelGzipTests {
    static let block = ParallelGzipSink.blockSize

    static func compress(_ bytes: [UInt8], threads: Int, level: Int32 = 6, piece: Int = 100_000) throws -> [UInt8] {
        let sink = MemoryByteSink()
        let gzip = try ParallelGzipSink(sink, name: "test.gz", level: level, threads: threads)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + piece)
            try bytes[start..<end].withUnsafeBytes { try gzip.write($0) }
            start = end
        }
        try gzip.finish()
        #expect(sink.finished)
        return sink.bytes
    }

    /// JSON Lines-like text: repeated keys, varying numbers, so that matches reach across block cuts.
    static func text(_ lines: Int) -> [UInt8] {
        var text: [UInt8] = []
        for i in 0..<lines {
            text += Array("{\"event\":\"alloc\",\"ts\":\(1_555_526_400_000_000_000 + i * 2600),\"address\":\"0x\(String(0x1a0_1000 + i * 48 % 9973, radix: 16))\",\"size\":\(i % 977)}\n".utf8)
        }
        return text
    }

    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test(arguments: [0, 1, 1000, block - 1, block, block + 1, 5 * block + 12345])
    func roundTripsAtBlockBoundaries(count: Int) throws {
        let bytes = Array(Self.text(count / 80 + 1).prefix(count))
        for threads in [1, 3] {
            #expect(try HeapColHarness.gunzip(try Self.compress(bytes, threads: threads)) == bytes, "\(threads) threads")
        }
    }

    @Test func sameBytesWhateverTheThreadsAndTheWrites() throws {
        let bytes = Self.text(40_000)
        let one = try Self.compress(bytes, threads: 1)
        #expect(try Self.compress(bytes, threads: 2) == one)
        #expect(try Self.compress(bytes, threads: 4, piece: 7) == one)
        #expect(try HeapColHarness.gunzip(one) == bytes)
    }

    /// Cutting the input costs a sync marker per block and nothing else: matches reach back across the cut.
    @Test func withinAPercentOfOneZlibStream() throws {
        let bytes = Self.text(60_000)
        let parallel = try Self.compress(bytes, threads: 2).count
        let serial = try HeapColHarness.gzip(bytes, level: 6).count
        #expect(Double(parallel) <= 1.01 * Double(serial), "\(parallel) bytes against \(serial)")
    }

    /// Random bytes come out slightly larger than they went in: the output buffer must grow.
    @Test func incompressibleInput() throws {
        let bytes = Self.random(3 * Self.block + 99, seed: 9)
        #expect(try HeapColHarness.gunzip(try Self.compress(bytes, threads: 2, level: 9)) == bytes)
    }

    /// A downstream that fails: the error comes back and the threads stop (the sink is released).
    @Test func aFailingDownstreamIsReported() throws {
        final class FailingSink: ByteSink {
            func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
                throw ConversionError(.io, "disk full")
            }
            func finish() throws(ConversionError) {}
        }
        let bytes = Self.text(30_000)
        #expect(throws: ConversionError.self) {
            let gzip = try ParallelGzipSink(FailingSink(), name: "x.gz", threads: 2)
            try bytes.withUnsafeBytes { try gzip.write($0) }
            try gzip.finish()
        }
    }
}

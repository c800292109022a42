import Testing
@testable import HeapConv

/// A source read ahead on its own thread: every byte in order, the upstream's error after the bytes before
/// it, and no hang when the reader stops early.
@Suite struct ThreadedSourceTests {
    static let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }

    /// Everything `source` gives, in reads of `size` bytes.
    static func drain(_ source: any ByteSource, readSize size: Int) throws(ConversionError) -> [UInt8] {
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Serves `limit` bytes of a pattern, then fails.
    final class FailingSource: ByteSource {
        var served = 0
        let limit: Int
        init(limit: Int) { self.limit = limit }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
            guard served < limit else { throw ConversionError(.malformedInput, file: "x.gz", at: .offset(UInt64(limit)), "corrupt gzip data") }
            let n = min(buffer.count, limit - served, 1000)
            for i in 0..<n { buffer[i] = UInt8(truncatingIfNeeded: served + i) }
            served += n
            return n
        }
    }

    @Test(arguments: [(1, 7, 2), (1000, 4096, 4), (1 << 20, 1 << 18, 4), (333, 100_003, 1)])
    func everyByteInOrder(readSize: Int, chunkSize: Int, chunks: Int) throws {
        let source = ThreadedSource(MemoryByteSource(Self.bytes, chunkLimit: 777), chunkSize: chunkSize, chunks: chunks)
        #expect(try Self.drain(source, readSize: readSize) == Self.bytes)
        // The end stays the end.
        #expect(try Self.drain(source, readSize: 10) == [])
    }

    @Test func emptyUpstream() throws {
        #expect(try Self.drain(ThreadedSource(MemoryByteSource([])), readSize: 100) == [])
    }

    @Test func theUpstreamErrorComesAfterItsBytes() {
        let source = ThreadedSource(FailingSource(limit: 5_500), chunkSize: 1024, chunks: 2)
        var received = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 300, alignment: 1)
        defer { buffer.deallocate() }
        #expect(throws: ConversionError(.malformedInput, file: "x.gz", at: .offset(5_500), "corrupt gzip data")) {
            while true {
                let n = try source.read(into: buffer)
                #expect(n > 0)
                for i in 0..<n { #expect(buffer[i] == UInt8(truncatingIfNeeded: received + i)) }
                received += n
            }
        }
        #expect(received == 5_500)
    }

    /// The reader gives up after one read: releasing the source stops its thread, whether it is waiting
    /// for a free chunk or still reading.
    @Test func releasedEarly() throws {
        for chunks in [1, 3] {
            let source = ThreadedSource(MemoryByteSource(Self.bytes, chunkLimit: 100), chunkSize: 512, chunks: chunks)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 1)
            defer { buffer.deallocate() }
            #expect(try source.read(into: buffer) == 10)
        }
    }
}

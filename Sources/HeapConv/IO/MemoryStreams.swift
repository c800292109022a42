/// A ``ByteSource`` over bytes in memory, for tests and for callers that already hold their input.
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    /// Largest read to serve at once; small values exercise readers' refill paths.
    private let chunkLimit: Int

    public init(_ bytes: [UInt8], chunkLimit: Int = .max) {
        self.bytes = bytes
        self.chunkLimit = max(1, chunkLimit)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
        let n = min(buffer.count, bytes.count - position, chunkLimit)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// A ``ByteSink`` that keeps everything written to it in memory.
public final class MemoryByteSink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var finished = false

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        self.bytes.append(contentsOf: bytes)
    }

    public func finish() throws(ConversionError) {
        finished = true
    }
}

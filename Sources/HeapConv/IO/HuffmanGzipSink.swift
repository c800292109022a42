/// Compresses everything written to it as one gzip stream (RFC 1952) of Huffman-only deflate blocks coded
/// by ``HuffmanDeflater``: `.heapcol`'s default compression, at a little over a third of zlib's cost for
/// the same coding. The checksum is zlib's `crc32`.
public final class HuffmanGzipSink: ByteSink {
    private let downstream: any ByteSink
    private let deflater = HuffmanDeflater()
    /// Input waiting to fill a block.
    private let pending = UnsafeMutableRawBufferPointer.allocate(byteCount: HuffmanDeflater.blockSize, alignment: 8)
    private var pendingCount = 0
    private var member = GzipMember()
    private var headerWritten = false

    public init(_ downstream: any ByteSink) {
        self.downstream = downstream
    }

    deinit { pending.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        guard bytes.count > 0 else { return }
        member.update(bytes)
        var rest = bytes
        if pendingCount > 0 {
            let n = min(rest.count, pending.count - pendingCount)
            UnsafeMutableRawBufferPointer(rebasing: pending[pendingCount..<pendingCount + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            pendingCount += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            guard pendingCount == pending.count else { return }
            try encode(UnsafeRawBufferPointer(pending), final: false)
            pendingCount = 0
        }
        // Whole blocks straight from the caller's bytes; the rest waits.
        while rest.count >= pending.count {
            try encode(UnsafeRawBufferPointer(rebasing: rest[0..<pending.count]), final: false)
            rest = UnsafeRawBufferPointer(rebasing: rest[pending.count...])
        }
        if !rest.isEmpty {
            UnsafeMutableRawBufferPointer(rebasing: pending[0..<rest.count]).copyMemory(from: rest)
            pendingCount = rest.count
        }
    }

    public func finish() throws(ConversionError) {
        try encode(UnsafeRawBufferPointer(rebasing: pending[0..<pendingCount]), final: true)
        pendingCount = 0
        deflater.finish()
        deflater.appendBytes(member.trailer)
        try deflater.takeCompleted { (bytes) throws(ConversionError) in try downstream.write(bytes) }
        try downstream.finish()
    }

    private func encode(_ block: UnsafeRawBufferPointer, final: Bool) throws(ConversionError) {
        if !headerWritten {
            headerWritten = true
            deflater.appendBytes(GzipMember.header(extraFlags: 4))
        }
        deflater.encodeBlock(block, final: final)
        try deflater.takeCompleted { (bytes) throws(ConversionError) in try downstream.write(bytes) }
    }
}

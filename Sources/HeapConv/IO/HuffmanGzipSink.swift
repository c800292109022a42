import CZlib

/// Compresses everything written to it as one gzip stream (RFC 1952) of Huffman-only deflate blocks coded
/// by ``HuffmanDeflater``: `.heapcol`'s default compression, at about a fifth of zlib's cost for the same
/// coding. The checksum is zlib's `crc32`.
public final class HuffmanGzipSink: ByteSink {
    private let downstream: any ByteSink
    private let deflater = HuffmanDeflater()
    /// Input waiting to fill a block.
    private let pending = UnsafeMutableRawBufferPointer.allocate(byteCount: HuffmanDeflater.blockSize, alignment: 8)
    private var pendingCount = 0
    private var crc = crc32_z(0, nil, 0)
    private var size: UInt32 = 0
    private var headerWritten = false

    /// The 10-byte member header: deflate, no name or time, "fastest" (as zlib marks level 1), Unix.
    static let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 4, 3]

    public init(_ downstream: any ByteSink) {
        self.downstream = downstream
    }

    deinit { pending.deallocate() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crc = crc32_z(crc, base.assumingMemoryBound(to: Bytef.self), bytes.count)
        size &+= UInt32(truncatingIfNeeded: bytes.count)
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
        let crc = UInt32(truncatingIfNeeded: crc)
        deflater.appendBytes((0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
                             + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) })
        try deflater.takeCompleted { (bytes) throws(ConversionError) in try downstream.write(bytes) }
        try downstream.finish()
    }

    private func encode(_ block: UnsafeRawBufferPointer, final: Bool) throws(ConversionError) {
        if !headerWritten {
            headerWritten = true
            deflater.appendBytes(Self.header)
        }
        deflater.encodeBlock(block, final: final)
        try deflater.takeCompleted { (bytes) throws(ConversionError) in try downstream.write(bytes) }
    }
}

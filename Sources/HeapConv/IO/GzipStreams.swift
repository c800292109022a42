import CZlib

/// Decompresses a gzip (or zlib) stream from another source as it is read, member after member, the way
/// `gzip -d` treats concatenated files. A stream that ends early or is corrupt is an error naming the
/// compressed byte offset.
public final class GzipSource: ByteSource {
    private let upstream: any ByteSource
    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var compressedOffset: UInt64 = 0
    private var upstreamEnded = false
    private var memberEnded = false

    public init(_ upstream: any ByteSource, name: String) throws(ConversionError) {
        self.upstream = upstream
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        let status = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw ConversionError(.internal, file: name, "zlib inflateInit2 failed (\(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(clamping: buffer.count)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !upstreamEnded {
                let n = try upstream.read(into: input)
                if n == 0 {
                    upstreamEnded = true
                } else {
                    stream.pointee.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: Bytef.self))
                    stream.pointee.avail_in = UInt32(n)
                }
            }
            if stream.pointee.avail_in == 0 && upstreamEnded {
                if memberEnded { break }
                throw ConversionError(.malformedInput, file: name, at: .offset(compressedOffset),
                                      "gzip stream ends early (truncated file?)")
            }
            if memberEnded {
                // Another gzip member follows the one that ended.
                inflateReset(stream)
                memberEnded = false
            }
            let before = stream.pointee.avail_in
            let status = inflate(stream, Z_NO_FLUSH)
            compressedOffset += UInt64(before - stream.pointee.avail_in)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberEnded = true
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw ConversionError(.malformedInput, file: name, at: .offset(compressedOffset),
                                      "corrupt gzip data: " + detail)
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }
}

/// How deflate looks for redundancy.
public enum GzipStrategy: Sendable, Equatable {
    /// LZ77 matching plus Huffman coding: what `gzip` does (zlib's `Z_DEFAULT_STRATEGY`).
    case standard
    /// Huffman coding of single bytes, no matching (zlib's `Z_HUFFMAN_ONLY`): several times faster, and as
    /// small as matching on data with no repeated byte strings left, such as heapcol's columns.
    case huffmanOnly
}

/// A zlib stream for raw deflate (no zlib or gzip framing: the callers frame their own), on the heap and
/// never moved, since zlib's state points back at its stream. Free it with ``freeRawDeflateStream(_:)``.
func makeRawDeflateStream(level: Int32, name: String) throws(ConversionError) -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
        stream.deallocate()
        throw ConversionError(.internal, file: name, "zlib deflateInit2 failed (\(status))")
    }
    return stream
}

func freeRawDeflateStream(_ stream: UnsafeMutablePointer<z_stream>) {
    deflateEnd(stream)
    stream.deallocate()
}

/// The parts of a gzip member (RFC 1952) around its deflate data, for the sinks that frame their own.
struct GzipMember {
    /// The 10-byte header: deflate, no name or time, `extraFlags` (4 for "fastest", as zlib marks level 1),
    /// Unix.
    static func header(extraFlags: UInt8 = 0) -> [UInt8] { [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, extraFlags, 3] }

    private var crc = crc32_z(0, nil, 0)
    private var size: UInt32 = 0

    /// Counts `bytes` into the CRC-32 and the length of the uncompressed data.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crc = crc32_z(crc, base.assumingMemoryBound(to: Bytef.self), bytes.count)
        size &+= UInt32(truncatingIfNeeded: bytes.count)
    }

    /// The 8-byte trailer: the CRC-32 and the length modulo 2^32 of the data counted, little-endian.
    var trailer: [UInt8] {
        let crc = UInt32(truncatingIfNeeded: crc)
        return (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
    }
}

extension GzipSettings {
    /// A sink compressing into `downstream` as these settings say, off the caller's thread: heapconv's own
    /// encoder (``HuffmanGzipSink``) on a thread of its own for Huffman-only coding, which it does in under
    /// half of zlib's instructions; zlib on one thread per processor (``ParallelGzipSink``) for matching.
    public func makeSink(_ downstream: any ByteSink, name: String) throws(ConversionError) -> any ByteSink {
        if strategy == .huffmanOnly { return ThreadedSink(HuffmanGzipSink(downstream)) }
        return try ParallelGzipSink(downstream, name: name, level: level)
    }
}

/// Compresses everything written to it as one gzip stream into another sink, with zlib on the caller's
/// thread. Conversions use ``ParallelGzipSink``, which spreads the same work over the processors; this one
/// suits embedders that want no threads, and is the tests' reference for zlib's own output.
public final class GzipSink: ByteSink {
    private let downstream: any ByteSink
    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer

    /// - Parameters:
    ///   - level: zlib level, 1 (fastest) to 9 (smallest).
    ///   - strategy: zlib's compression strategy; ``GzipStrategy/huffmanOnly`` skips LZ77 matching.
    public init(_ downstream: any ByteSink, name: String, level: Int32 = 6, strategy: GzipStrategy = .standard) throws(ConversionError) {
        self.downstream = downstream
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 1 << 18, alignment: 16)
        let status = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8,
                                   strategy == .huffmanOnly ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw ConversionError(.internal, file: name, "zlib deflateInit2 failed (\(status))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.pointee.next_in = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(bytes.count)
        try pump(Z_NO_FLUSH)
    }

    public func finish() throws(ConversionError) {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(Z_FINISH)
        try downstream.finish()
    }

    private func pump(_ flush: Int32) throws(ConversionError) {
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw ConversionError(.internal, file: name, "zlib deflate failed (\(status))")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 {
                try downstream.write(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 {
                return
            }
        }
    }
}

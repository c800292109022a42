import CZlib

/// Decompresses Parquet pages: GZIP (one or more gzip members; zlib streams too, as arrow accepts) with
/// zlib, and SNAPPY (a raw Snappy block, pyarrow's and DuckDB's default codec) with the decoder below.
/// Every page must decompress to exactly the size its header gives.
enum ParquetDecompression {
    struct Failure: Error {
        var message: String
    }

    /// The `expected` bytes `compressed` holds under `codec`.
    static func decompress(_ compressed: UnsafeRawBufferPointer, codec: Parquet.Codec, expected: Int) throws(Failure) -> [UInt8] {
        switch codec {
        case .uncompressed:
            guard compressed.count == expected else {
                throw Failure(message: "an uncompressed page of \(compressed.count) bytes says it has \(expected)")
            }
            return Array(compressed)
        case .gzip:
            return try gunzip(compressed, expected: expected)
        case .snappy:
            return try snappy(compressed, expected: expected)
        default:
            throw Failure(message: "pages compressed with \(codec.name), which heapconv cannot read: it reads UNCOMPRESSED, GZIP and SNAPPY (polars: write_parquet(..., compression=\"snappy\"))")
        }
    }

    /// Inflates gzip members (or a zlib stream) one after another until the input ends.
    static func gunzip(_ compressed: UnsafeRawBufferPointer, expected: Int) throws(Failure) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expected)
        guard !compressed.isEmpty else {
            guard expected == 0 else { throw Failure(message: "an empty GZIP page says it has \(expected) bytes") }
            return output
        }
        // On the heap, never moved: zlib's state points back at its stream. A spare byte, to tell a page
        // longer than its header says.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let spare = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { spare.deallocate() }
        // 15 + 32: detect a gzip or a zlib header.
        guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw Failure(message: "zlib inflateInit2 failed")
        }
        defer {
            inflateEnd(stream)
            stream.deallocate()
        }
        var produced = 0
        var consumed = 0
        var failure: String?
        var ended = false
        output.withUnsafeMutableBytes { out in
            while consumed < compressed.count {
                ended = false
                stream.pointee.next_in = compressed.baseAddress!.assumingMemoryBound(to: Bytef.self) + consumed
                stream.pointee.avail_in = UInt32(min(compressed.count - consumed, Int(UInt32.max)))
                let room = min(out.count - produced, Int(UInt32.max))
                if room > 0 {
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.pointee.avail_out = UInt32(room)
                } else {
                    stream.pointee.next_out = spare
                    stream.pointee.avail_out = 1
                }
                let before = stream.pointee.avail_in
                let status = inflate(stream, Z_NO_FLUSH)
                consumed += Int(before - stream.pointee.avail_in)
                if room > 0 {
                    produced += room - Int(stream.pointee.avail_out)
                } else if stream.pointee.avail_out == 0 {
                    failure = "a GZIP page holds more than the \(expected) bytes its header gives"
                    return
                }
                if status == Z_STREAM_END {
                    ended = true
                    // Another member may follow.
                    guard inflateReset(stream) == Z_OK else {
                        failure = "zlib inflateReset failed"
                        return
                    }
                    continue
                }
                guard status == Z_OK else {
                    failure = status == Z_BUF_ERROR ? "a GZIP page ends in the middle of its data" : "a GZIP page is damaged (zlib error \(status))"
                    return
                }
                if before == stream.pointee.avail_in && (room == 0 || stream.pointee.avail_out > 0) {
                    failure = "a GZIP page ends in the middle of its data"
                    return
                }
            }
        }
        if let failure { throw Failure(message: failure) }
        guard ended else { throw Failure(message: "a GZIP page ends in the middle of its data") }
        guard produced == expected else {
            throw Failure(message: "a GZIP page holds \(produced) bytes, not the \(expected) its header gives")
        }
        return output
    }

    /// Decodes a raw Snappy block (google/snappy `format_description.txt`): the length as a varint, then
    /// literals and copies.
    static func snappy(_ input: UnsafeRawBufferPointer, expected: Int) throws(Failure) -> [UInt8] {
        var position = 0
        func byte() throws(Failure) -> Int {
            guard position < input.count else { throw Failure(message: "a SNAPPY page ends in the middle of its data") }
            defer { position += 1 }
            return Int(input[position])
        }
        var length = 0
        var shift = 0
        while true {
            let b = try byte()
            guard shift <= 28 else { throw Failure(message: "a SNAPPY page's length overflows") }
            length |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        guard length == expected else {
            throw Failure(message: "a SNAPPY page holds \(length) bytes, not the \(expected) its header gives")
        }
        var out = [UInt8](repeating: 0, count: length)
        var written = 0
        while position < input.count {
            let tag = try byte()
            switch tag & 3 {
            case 0:
                var n = tag >> 2
                if n >= 60 {
                    let extra = n - 59
                    n = 0
                    for k in 0..<extra { n |= try byte() << (8 * k) }
                }
                n += 1
                guard n <= input.count - position, n <= length - written else {
                    throw Failure(message: "a SNAPPY literal runs past the end of its page")
                }
                for k in 0..<n { out[written + k] = input[position + k] }
                position += n
                written += n
            default:
                let n: Int, offset: Int
                switch tag & 3 {
                case 1:
                    n = ((tag >> 2) & 7) + 4
                    offset = ((tag >> 5) << 8) | (try byte())
                case 2:
                    n = (tag >> 2) + 1
                    offset = try byte() | (try byte() << 8)
                default:
                    n = (tag >> 2) + 1
                    offset = try byte() | (try byte() << 8) | (try byte() << 16) | (try byte() << 24)
                }
                guard offset > 0, offset <= written, n <= length - written else {
                    throw Failure(message: "a SNAPPY copy reaches outside its page")
                }
                // Byte by byte: a copy may overlap what it writes.
                for k in 0..<n { out[written + k] = out[written - offset + k] }
                written += n
            }
        }
        guard written == length else { throw Failure(message: "a SNAPPY page ends after \(written) of its \(length) bytes") }
        return out
    }
}

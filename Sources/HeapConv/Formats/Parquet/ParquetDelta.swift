/// Parquet's DELTA_BINARY_PACKED encoding (apache/parquet-format `Encodings.md`) of 64-bit integers:
/// the first value, then the differences between neighbours in blocks of 128, each block's differences
/// less their minimum bit-packed in four miniblocks of 32 at the width each needs. heapconv writes the
/// timestamp column with it: events a few microseconds apart take a byte or two instead of eight.
enum ParquetDelta {
    static let blockSize = 128
    static let miniblocks = 4
    static let miniblockSize = 32

    /// Packs values LSB first, as the RLE hybrid's bit-packed runs do, at any width up to 64.
    private struct BitWriter {
        var accumulator: UInt64 = 0
        var bits = 0

        mutating func put(_ value: UInt64, width: Int, to out: inout [UInt8]) {
            guard width > 0 else { return }
            accumulator |= value << UInt64(bits)
            if bits + width >= 64 {
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(8 * k))) }
                let left = bits + width - 64
                accumulator = left > 0 ? value >> UInt64(width - left) : 0
                bits = left
            } else {
                bits += width
            }
        }

        mutating func flush(to out: inout [UInt8]) {
            var k = 0
            while k < bits {
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(k)))
                k += 8
            }
            accumulator = 0
            bits = 0
        }
    }

    /// Appends `values` (two's-complement 64-bit integers) encoded.
    static func encode(_ values: UnsafeBufferPointer<UInt64>, to out: inout [UInt8]) {
        ParquetRLE.appendVarint(UInt64(blockSize), to: &out)
        ParquetRLE.appendVarint(UInt64(miniblocks), to: &out)
        ParquetRLE.appendVarint(UInt64(values.count), to: &out)
        let first = Int64(bitPattern: values.first ?? 0)
        ParquetRLE.appendVarint(UInt64(bitPattern: (first << 1) ^ (first >> 63)), to: &out)
        guard values.count > 1 else { return }
        var deltas = [Int64](repeating: 0, count: blockSize)
        var start = 1
        var writer = BitWriter()
        while start < values.count {
            let n = min(blockSize, values.count - start)
            var minimum = Int64.max
            for k in 0..<n {
                deltas[k] = Int64(bitPattern: values[start + k] &- values[start + k - 1])
                minimum = min(minimum, deltas[k])
            }
            ParquetRLE.appendVarint(UInt64(bitPattern: (minimum << 1) ^ (minimum >> 63)), to: &out)
            var widths = [Int](repeating: 0, count: miniblocks)
            for m in 0..<miniblocks where m * miniblockSize < n {
                var widest: UInt64 = 0
                for k in m * miniblockSize..<min(n, (m + 1) * miniblockSize) {
                    widest |= UInt64(bitPattern: deltas[k] &- minimum)
                }
                widths[m] = ParquetRLE.bitWidth(widest)
            }
            for w in widths { out.append(UInt8(w)) }
            // Miniblocks past the last value have their width byte but no body.
            for m in 0..<miniblocks where m * miniblockSize < n {
                for k in m * miniblockSize..<(m + 1) * miniblockSize {
                    let v = k < n ? UInt64(bitPattern: deltas[k] &- minimum) : 0
                    writer.put(v, width: widths[m], to: &out)
                }
                writer.flush(to: &out)
            }
            start += n
        }
    }
}

/// Reads DELTA_BINARY_PACKED values, checking the header's block layout and every miniblock against the
/// bytes left.
struct ParquetDeltaDecoder {
    private let bytes: UnsafeRawBufferPointer
    /// Where the encoded values end, once decoded (DELTA_LENGTH_BYTE_ARRAY's strings follow).
    private(set) var position = 0
    private var blockSize = 0
    private var miniblockCount = 0
    private var total = 0
    private var first: Int64 = 0

    struct Failure: Error {
        var message: String
    }

    init(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        self.bytes = bytes
        let size = try varint()
        let miniblocks = try varint()
        let count = try varint()
        guard size > 0, size % 128 == 0, size <= 1 << 16, miniblocks > 0, size % miniblocks == 0, (size / miniblocks) % 32 == 0 else {
            throw Failure(message: "a DELTA_BINARY_PACKED header with blocks of \(size) values in \(miniblocks) miniblocks")
        }
        guard count <= UInt64(Int32.max) else { throw Failure(message: "a DELTA_BINARY_PACKED page of \(count) values") }
        blockSize = Int(size)
        miniblockCount = Int(miniblocks)
        total = Int(count)
        first = try zigzag()
    }

    private mutating func varint() throws(Failure) -> UInt64 {
        guard let value = ParquetRLE.readVarint(bytes, &position) else {
            throw Failure(message: "DELTA_BINARY_PACKED data ends in the middle of a number, or it overflows")
        }
        return value
    }

    private mutating func zigzag() throws(Failure) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    /// Appends the first `count` values (as two's-complement bit patterns) to `out`.
    mutating func decode(count: Int, into out: inout [UInt64]) throws(Failure) {
        guard count <= total else { throw Failure(message: "DELTA_BINARY_PACKED data holds \(total) values, not \(count)") }
        guard count > 0 else { return }
        var previous = first
        out.append(UInt64(bitPattern: previous))
        var produced = 1
        let perMiniblock = blockSize / miniblockCount
        while produced < count {
            let minimum = try zigzag()
            guard bytes.count - position >= miniblockCount else { throw Failure(message: "DELTA_BINARY_PACKED data ends before its bit widths") }
            let widthsAt = position
            position += miniblockCount
            for m in 0..<miniblockCount where produced < count {
                let width = Int(bytes[widthsAt + m])
                guard width <= 64 else { throw Failure(message: "a DELTA_BINARY_PACKED bit width of \(width)") }
                let size = perMiniblock * width / 8
                guard size <= bytes.count - position else { throw Failure(message: "a DELTA_BINARY_PACKED miniblock runs past the end of its page") }
                var bit = 0
                for _ in 0..<perMiniblock where produced < count {
                    var delta: UInt64 = 0
                    var got = 0
                    while got < width {
                        let byte = UInt64(bytes[position + (bit >> 3)]) >> UInt64(bit & 7)
                        let take = min(8 - (bit & 7), width - got)
                        delta |= (byte & ((1 << UInt64(take)) - 1)) << UInt64(got)
                        got += take
                        bit += take
                    }
                    previous = previous &+ minimum &+ Int64(bitPattern: delta)
                    out.append(UInt64(bitPattern: previous))
                    produced += 1
                }
                position += size
            }
        }
    }
}

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

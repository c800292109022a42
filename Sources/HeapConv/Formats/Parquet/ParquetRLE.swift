/// Parquet's RLE / bit-packing hybrid (apache/parquet-format `Encodings.md`): definition and repetition
/// levels and dictionary indices. A stream is a sequence of runs: an RLE run is `varint(count << 1)` and
/// the value in ⌈width/8⌉ little-endian bytes; a bit-packed run is `varint(groups << 1 | 1)` and groups of
/// eight values, each value's bits packed from the least significant bit of each byte.
enum ParquetRLE {
    /// The bits needed for values up to `maximum` (0 for 0).
    static func bitWidth(_ maximum: UInt64) -> Int {
        maximum == 0 ? 0 : 64 - maximum.leadingZeroBitCount
    }

    /// Reads a ULEB128 varint at `position`, advancing it; `nil` when the bytes end first or it passes
    /// 64 bits.
    static func readVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            guard shift <= 63, shift < 63 || b <= 1 else { return nil }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func appendRun(value: UInt64, count: Int, width: Int, to out: inout [UInt8]) {
        appendVarint(UInt64(count) << 1, to: &out)
        var v = value
        for _ in 0..<(width + 7) / 8 {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// Appends `values` bit-packed in groups of eight (the last group padded with zeros) with their header.
    /// Widths are at most 32, so the accumulator (under 8 bits left over plus one value) never overflows.
    private static func appendPacked<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, width: Int, to out: inout [UInt8]
    ) {
        let groups = (values.count + 7) / 8
        appendVarint(UInt64(groups) << 1 | 1, to: &out)
        var accumulator: UInt64 = 0
        var bits = 0
        for i in 0..<groups * 8 {
            let v = i < values.count ? UInt64(values[i]) : 0
            accumulator |= v << UInt64(bits)
            bits += width
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: accumulator)) }
    }

    /// Appends `values` (each below 2^`width`, `width` at most 32) as RLE runs where eight or more
    /// repeat and bit-packed runs elsewhere.
    static func encode<T: FixedWidthInteger & UnsignedInteger>(_ values: UnsafeBufferPointer<T>, width: Int, to out: inout [UInt8]) {
        let n = values.count
        var literalStart = 0
        var i = 0
        while i < n {
            var j = i + 1
            let v = values[i]
            while j < n && values[j] == v { j += 1 }
            let run = j - i
            if run >= 8 {
                // Literals before the run must make whole groups of eight: take values from the run's start.
                let pending = i - literalStart
                let borrow = (8 - pending % 8) % 8
                if run - borrow >= 8 {
                    if pending + borrow > 0 {
                        appendPacked(UnsafeBufferPointer(rebasing: values[literalStart..<i + borrow]), width: width, to: &out)
                    }
                    appendRun(value: UInt64(v), count: run - borrow, width: width, to: &out)
                    literalStart = j
                }
            }
            i = j
        }
        if literalStart < n {
            appendPacked(UnsafeBufferPointer(rebasing: values[literalStart..<n]), width: width, to: &out)
        }
    }

    /// Appends the definition levels 0/1 of `count` rows from `bits` (bit `r` of word `r / 64` set: row
    /// `r` has a value), rows from `first` (a multiple of 8) on, at width 1: whole bytes of the bitmap are
    /// the bit-packed groups (bit `k` of a little-endian word's byte is the `k`th row of its eight), and
    /// runs of all-0 or all-1 bytes become RLE runs.
    static func encodeBitmap(_ bits: UnsafeBufferPointer<UInt64>, first: Int, count: Int, to out: inout [UInt8]) {
        precondition(first % 8 == 0)
        let bytes = UnsafeRawBufferPointer(bits)
        let start = first / 8
        let fullBytes = count / 8
        var k = 0
        var literalStart = 0
        while k < fullBytes {
            let b = bytes[start + k]
            guard b == 0 || b == 0xFF else { k += 1; continue }
            var j = k + 1
            while j < fullBytes && bytes[start + j] == b { j += 1 }
            if j - k >= 2 || (j == fullBytes && count % 8 == 0) {
                if k > literalStart { appendPackedBytes(bytes, from: start + literalStart, count: k - literalStart, to: &out) }
                appendRun(value: b == 0 ? 0 : 1, count: (j - k) * 8, width: 1, to: &out)
                literalStart = j
            }
            k = j
        }
        let tail = count % 8
        var tailByte: UInt8 = 0
        if tail > 0 { tailByte = bytes[start + fullBytes] & UInt8((1 << tail) - 1) }
        if fullBytes > literalStart || tail > 0 {
            let uniform = tail > 0 && fullBytes == literalStart && (tailByte == 0 || tailByte == UInt8((1 << tail) - 1))
            if uniform {
                appendRun(value: tailByte == 0 ? 0 : 1, count: tail, width: 1, to: &out)
            } else {
                let groups = fullBytes - literalStart + (tail > 0 ? 1 : 0)
                appendVarint(UInt64(groups) << 1 | 1, to: &out)
                for b in (start + literalStart)..<(start + fullBytes) { out.append(bytes[b]) }
                if tail > 0 { out.append(tailByte) }
            }
        }
    }

    private static func appendPackedBytes(_ bytes: UnsafeRawBufferPointer, from: Int, count: Int, to out: inout [UInt8]) {
        appendVarint(UInt64(count) << 1 | 1, to: &out)
        for b in from..<from + count { out.append(bytes[b]) }
    }
}

/// Reads an RLE / bit-packing hybrid stream, checking every run against the bytes left.
struct ParquetRLEDecoder {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let width: Int
    /// Values left in the current run, and whether it is an RLE run (`repeated`) or bit-packed.
    private var left = 0
    private var repeated = false
    private var value: UInt32 = 0
    /// Bit position of the next packed value, in bits from `packedStart`.
    private var packedStart = 0
    private var packedBit = 0

    struct Failure: Error {
        var message: String
    }

    /// A decoder of `bytes` at `width` bits per value (0 to 32).
    init(_ bytes: UnsafeRawBufferPointer, width: Int) throws(Failure) {
        guard width >= 0 && width <= 32 else { throw Failure(message: "bit width \(width) is over 32") }
        self.bytes = bytes
        self.width = width
    }

    private mutating func varint() throws(Failure) -> UInt64 {
        guard let value = ParquetRLE.readVarint(bytes, &position) else {
            throw Failure(message: "the levels or indices end in the middle of a run header, or it overflows")
        }
        return value
    }

    private mutating func nextRun() throws(Failure) {
        let header = try varint()
        if header & 1 == 0 {
            let count = header >> 1
            guard count > 0, count <= UInt64(Int32.max) else { throw Failure(message: "an RLE run of \(count) values") }
            let size = (width + 7) / 8
            guard bytes.count - position >= size else { throw Failure(message: "an RLE run's value runs past the end of its data") }
            var v: UInt64 = 0
            for k in 0..<size { v |= UInt64(bytes[position + k]) << UInt64(8 * k) }
            position += size
            guard v >> width == 0 || width == 0 && v == 0 else { throw Failure(message: "an RLE run's value \(v) is wider than \(width) bits") }
            left = Int(count)
            repeated = true
            value = UInt32(truncatingIfNeeded: v)
        } else {
            let groups = header >> 1
            guard groups > 0, groups <= UInt64(bytes.count - position) else {
                throw Failure(message: "a bit-packed run of \(groups) groups runs past the end of its data")
            }
            let size = Int(groups) * width
            guard size <= bytes.count - position else { throw Failure(message: "a bit-packed run runs past the end of its data") }
            left = Int(groups) * 8
            repeated = false
            packedStart = position
            packedBit = 0
            position += size
        }
    }

    /// The next value.
    @inline(__always)
    mutating func next() throws(Failure) -> UInt32 {
        if left == 0 { try nextRun() }
        left -= 1
        if repeated { return value }
        if width == 0 { return 0 }
        var result: UInt64 = 0
        var got = 0
        while got < width {
            let byteIndex = packedStart + (packedBit >> 3)
            let shift = packedBit & 7
            let take = min(8 - shift, width - got)
            let b = UInt64(bytes[byteIndex] >> UInt8(shift)) & ((1 << UInt64(take)) - 1)
            result |= b << UInt64(got)
            got += take
            packedBit += take
        }
        return UInt32(truncatingIfNeeded: result)
    }

    /// Fills `out` with the next `out.count` values.
    mutating func decode(into out: UnsafeMutableBufferPointer<UInt32>) throws(Failure) {
        for i in 0..<out.count { out[i] = try next() }
    }
}

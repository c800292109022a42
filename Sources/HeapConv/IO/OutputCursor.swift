/// Where a writer formats one record: a position inside room reserved in an ``OutputBuffer``, and the
/// room's end. Every append checks the end with a precondition, so a wrong bound traps instead of writing
/// out of bounds.
///
/// A local value, so that the position stays in a register while a record is formatted; appending through
/// the buffer itself reloads and stores its count around every byte. Take one with
/// ``OutputBuffer/cursor(reserving:)``, hand it back with ``OutputBuffer/commit(_:)``.
public struct OutputCursor {
    private(set) var position: UnsafeMutableRawPointer
    let limit: UnsafeMutableRawPointer

    /// The room `[position, limit)`, which the caller owns until it commits.
    init(position: UnsafeMutableRawPointer, limit: UnsafeMutableRawPointer) {
        precondition(position <= limit)
        self.position = position
        self.limit = limit
    }

    /// Bytes left before the end of the room.
    @inline(__always)
    public var room: Int { position.distance(to: limit) }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        precondition(position < limit, "OutputCursor: append beyond the reserved room")
        position.storeBytes(of: byte, as: UInt8.self)
        position += 1
    }

    /// Appends ASCII text known at compile time (keys, punctuation).
    @inline(__always)
    public mutating func append(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        precondition(n <= room, "OutputCursor: append beyond the reserved room")
        position.copyMemory(from: text.utf8Start, byteCount: n)
        position += n
    }

    /// Appends bytes that fit in the room (text formatted once and copied often).
    @inline(__always)
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= room, "OutputCursor: append beyond the reserved room")
        guard let source = bytes.baseAddress else { return }
        position.copyMemory(from: source, byteCount: bytes.count)
        position += bytes.count
    }

    /// Appends `value` in decimal (at most 20 bytes).
    @inline(__always)
    public mutating func append(decimal value: UInt64) {
        precondition(room >= 20, "OutputCursor: append beyond the reserved room")
        let digits = Self.decimalDigitCount(value)
        var v = value
        var i = position + digits
        let pairs = Self.digitPairs.utf8Start
        // Two digits per division; the writes stay in [position, position + digits), inside the room checked.
        while v >= 100 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            i -= 2
            i.storeBytes(of: pairs[Int(r) * 2], as: UInt8.self)
            i.storeBytes(of: pairs[Int(r) * 2 + 1], toByteOffset: 1, as: UInt8.self)
            v = q
        }
        if v >= 10 {
            i -= 2
            i.storeBytes(of: pairs[Int(v) * 2], as: UInt8.self)
            i.storeBytes(of: pairs[Int(v) * 2 + 1], toByteOffset: 1, as: UInt8.self)
        } else {
            i -= 1
            i.storeBytes(of: UInt8(truncatingIfNeeded: v) &+ 0x30, as: UInt8.self)
        }
        position += digits
    }

    /// Appends `value` in decimal with a leading `-` when negative (at most 20 bytes).
    @inline(__always)
    public mutating func append(decimal value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            append(decimal: value.magnitude)
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Appends `value` as lower-case hex with `0x` and no leading zeros (at most 18 bytes).
    @inline(__always)
    public mutating func append(hex value: UInt64) {
        precondition(room >= 18, "OutputCursor: append beyond the reserved room")
        let nibbles = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        // All sixteen digits as two words of text with the significant ones first; the bytes after them
        // are written but not counted (the check covers all 18), and the next append overwrites them.
        let aligned = value << UInt64(4 * (16 - nibbles))
        let p = position
        p.storeBytes(of: (0x7830 as UInt16).littleEndian, as: UInt16.self)  // "0x"
        p.storeBytes(of: Self.hexText(UInt32(truncatingIfNeeded: aligned >> 32)).littleEndian, toByteOffset: 2, as: UInt64.self)
        p.storeBytes(of: Self.hexText(UInt32(truncatingIfNeeded: aligned)).littleEndian, toByteOffset: 10, as: UInt64.self)
        position += 2 + nibbles
    }

    /// The eight hex digits of `value` (lower case, most significant first) as eight bytes of text in a
    /// word to store little-endian: every nibble spread into its own byte, then 0-9 and a-f added at once.
    @inline(__always)
    static func hexText(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // Nibble j is now byte j, least significant first; text wants the most significant first.
        x = x.byteSwapped
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return x &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    /// How many decimal digits `value` has (1 for 0).
    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        // Estimate from the bit length (log10(2) ≈ 1233/4096), then correct by one comparison.
        let bits = 64 - (value | 1).leadingZeroBitCount
        let estimate = (bits * 1233) >> 12
        return max(1, estimate + (value >= PowersOfTen.of(estimate) ? 1 : 0))
    }

    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}

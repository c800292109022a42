/// Eight ASCII digits at a time in one 64-bit word (SIMD within a register): the text readers spend most of
/// their time on hex addresses, stack frames and 19-digit timestamps, which this parses in a few operations
/// per eight bytes instead of a branch per byte.
///
/// A word holds eight bytes loaded little-endian, so byte 0 is the first character and the most significant
/// digit.
enum SWARDigits {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// 0x80 in each byte of `word` that is at least `low` and at most `high` (ASCII bounds), else 0.
    @inline(__always)
    private static func inRange(_ word: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        // Seven-bit bytes plus at most 0x80 never carry into the next byte; bytes with their top bit set
        // are not ASCII and never in range.
        let seven = word & ~highs
        let atLeastLow = (seven &+ ones &* UInt64(0x80 - low)) & highs
        let aboveHigh = (seven &+ ones &* UInt64(0x80 - (high + 1))) & highs
        return atLeastLow & ~aboveHigh & ~word
    }

    /// How many bytes from byte 0 are marked (0x80) in `valid`, up to the first that is not.
    @inline(__always)
    private static func leadingCount(_ valid: UInt64) -> Int {
        (~valid & highs).trailingZeroBitCount >> 3
    }

    /// The hex digits (either case) at the start of `word`: how many, and their value.
    @inline(__always)
    static func leadingHex(_ word: UInt64) -> (count: Int, value: UInt64) {
        let valid = inRange(word, 0x30, 0x39) | inRange(word | ones &* 0x20, 0x61, 0x66)
        let count = leadingCount(valid)
        guard count > 0 else { return (0, 0) }
        // Letters have bit 6 set and their low nibble is 1...6: add 9 to make them 10...15.
        var x = (word & (ones &* 0x0F)) &+ ((word >> 6) & ones) &* 9
        // Drop the bytes after the digits; the ones shifted in are leading zeros.
        x <<= UInt64(8 * (8 - count))
        x = ((x & 0x000F_000F_000F_000F) << 4) | ((x & 0x0F00_0F00_0F00_0F00) >> 8)
        x = ((x & 0x0000_00FF_0000_00FF) << 8) | ((x & 0x00FF_0000_00FF_0000) >> 16)
        x = ((x & 0x0000_0000_0000_FFFF) << 16) | ((x & 0x0000_FFFF_0000_0000) >> 32)
        return (count, x)
    }

    /// The decimal digits at the start of `word`: how many, and their value.
    @inline(__always)
    static func leadingDecimal(_ word: UInt64) -> (count: Int, value: UInt64) {
        let count = leadingCount(inRange(word, 0x30, 0x39))
        guard count > 0 else { return (0, 0) }
        var x = (word & (ones &* 0x0F)) << UInt64(8 * (8 - count))
        x = (x &* 10 &+ (x >> 8)) & 0x00FF_00FF_00FF_00FF
        x = (x &* 100 &+ (x >> 16)) & 0x0000_FFFF_0000_FFFF
        x = (x &* 10_000 &+ (x >> 32)) & 0xFFFF_FFFF
        return (count, x)
    }

    /// The value of byte `byte` as a hex digit (either case), or 0x40 when it is not one: one table load
    /// instead of two range tests, for the digits left after the words.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8 {
        hexValues.utf8Start[Int(byte)]
    }

    /// The lower-case hex digit of `nibble` (0-15).
    @inline(__always)
    static func lowerHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }

    /// The value of each byte as a hex digit (either case), or 0x40 (`@`) when it is not one (256 entries).
    static let hexValues: StaticString = """
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@\u{0}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{9}@@@@@@\
        @\u{A}\u{B}\u{C}\u{D}\u{E}\u{F}@@@@@@@@@@@@@@@@@@@@@@@@@\
        @\u{A}\u{B}\u{C}\u{D}\u{E}\u{F}@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        """
}

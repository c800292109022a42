import Testing
@testable import HeapConv

/// The writers' number formatting, against the standard library's: hex (eight digits at a time) and decimal,
/// for edge values, every power of two and its neighbours, and random values, appended back to back so that
/// the bytes a hex append writes past its end are overwritten correctly.
@Suite struct OutputBufferNumberTests {
    static var values: [UInt64] {
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 255, 256, 0xFFFF_FFFF, 0x1_0000_0000, .max, .max - 1,
                                0x7FF8_0000_1000, 0xFFFF_F800_0000_1000, 0xABCD_EF01_2345_6789]
        for shift in 0..<64 {
            let p = UInt64(1) << UInt64(shift)
            values += [p, p - 1, p + 1]
        }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5_000 { values.append(rng.next() >> (rng.next() % 64)) }
        return values
    }

    @Test func hexAndDecimalMatchTheStandardLibrary() throws {
        let values = Self.values
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: sink, capacity: 4096)
        var expected = ""
        for value in values {
            try output.reserve(40)
            output.append(hex: value)
            output.append(UInt8(ascii: " "))
            output.append(decimal: value)
            output.append(UInt8(ascii: ";"))
            expected += "0x" + String(value, radix: 16) + " " + String(value) + ";"
        }
        try output.finish()
        #expect(String(decoding: sink.bytes, as: UTF8.self) == expected)
    }

    @Test func powersOfTen() {
        var power: UInt64 = 1
        for exponent in 0...19 {
            #expect(PowersOfTen.of(exponent) == power, "10^\(exponent)")
            if exponent < 19 { power *= 10 }
        }
    }
}

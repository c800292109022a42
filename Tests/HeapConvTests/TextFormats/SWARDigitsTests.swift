import Testing
@testable import HeapConv

/// The eight-at-a-time digit parsers agree with a byte-at-a-time reference on every byte value in every
/// position after runs of valid digits, and on random words.
@Suite struct SWARDigitsTests {
    static func hexDigit(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: UInt64(b - 0x30)
        case 0x41...0x46: UInt64(b - 0x41 + 10)
        case 0x61...0x66: UInt64(b - 0x61 + 10)
        default: nil
        }
    }

    static func reference(_ bytes: [UInt8], hex: Bool) -> (Int, UInt64) {
        var value: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            let digit = hex ? hexDigit(b) : (b >= 0x30 && b <= 0x39 ? UInt64(b - 0x30) : nil)
            guard let digit else { return (i, value) }
            value = value * (hex ? 16 : 10) + digit
        }
        return (8, value)
    }

    static func word(_ bytes: [UInt8]) -> UInt64 {
        bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    static func check(_ bytes: [UInt8]) {
        let w = word(bytes)
        let hex = SWARDigits.leadingHex(w)
        let decimal = SWARDigits.leadingDecimal(w)
        #expect(hex == reference(bytes, hex: true), "\(bytes)")
        #expect(decimal == reference(bytes, hex: false), "\(bytes)")
    }

    @Test func everyByteInEveryPosition() {
        let prefixes: [[UInt8]] = [Array("9aF07Bc1".utf8), Array("12345678".utf8), Array("fFfFfFfF".utf8)]
        for prefix in prefixes {
            for position in 0..<8 {
                for b in 0...255 {
                    var bytes = prefix
                    bytes[position] = UInt8(b)
                    Self.check(bytes)
                }
            }
        }
    }

    @Test func randomWords() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEFxX\"gG/:@`".utf8)
        for _ in 0..<50_000 {
            Self.check((0..<8).map { _ in
                rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            })
        }
    }

    /// The hex digit table has one entry per byte value, each the digit's value or 0x40.
    @Test func hexDigitTable() {
        #expect(SWARDigits.hexValues.utf8CodeUnitCount == 256)
        for byte in 0..<256 {
            let expected = UInt8(String(UnicodeScalar(UInt8(byte))), radix: 16) ?? 0x40
            #expect(SWARDigits.hexValue(UInt8(byte)) == expected, "byte \(byte)")
        }
    }
}

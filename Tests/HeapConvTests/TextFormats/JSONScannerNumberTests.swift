import Testing
@testable import HeapConv

/// The JSON scanner reads numbers and hex strings eight digits at a time while eight bytes remain in the
/// line, and byte by byte after that: every length of number, with every kind of text after it and every
/// distance to the end of the line, must read as Swift's own parser reads it.
@Suite struct JSONScannerNumberTests {
    static let decimals = ["0", "7", "42", "1234567", "12345678", "123456789", "1234567812345678", "12345678123456789",
                           "1555526400000101000", "9999999999999999999", "18446744073709551615", "18446744073709551616",
                           "99999999999999999999", "123456789012345678901"]
    static let hexes = ["0x0", "0x1a", "0XAbC", "0x1234567", "0x12345678", "0x123456789", "0x7ff6009586b4",
                        "0xffffffffffffffff", "0x1ffffffffffffffff", "0x", "0xg1"]
    static let suffixes = ["", ",", "}", ",\"pid\":1234567}", "  ", ".5", "e3", "x"]

    /// `text` in a line, then `suffix`; the scanner starts at the text.
    static func scan<T>(_ text: String, _ suffix: String, _ body: (inout JSONScanner) -> T) -> (T, Int) {
        let line = Array((text + suffix).utf8)
        return line.withUnsafeBytes { bytes in
            var scanner = JSONScanner(line: bytes, scratch: ByteStorage())
            let value = body(&scanner)
            return (value, scanner.position)
        }
    }

    @Test func unsignedDecimalsOfEveryLength() {
        for text in Self.decimals {
            for suffix in Self.suffixes {
                let expected: UInt64? = ["." , "e"].contains(where: { suffix.hasPrefix($0) }) ? nil : UInt64(text)
                let (value, position) = Self.scan(text, suffix) { $0.unsigned() }
                #expect(value == expected, "\(text)\(suffix)")
                if value != nil { #expect(position == text.utf8.count, "\(text)\(suffix)") }
                let (bounded, _) = Self.scan(text, suffix) { $0.unsigned(maximum: 1_000_000) }
                #expect(bounded == expected.flatMap { $0 <= 1_000_000 ? $0 : nil }, "\(text)\(suffix) bounded")
            }
        }
    }

    @Test func hexStringsOfEveryLength() {
        for text in Self.hexes {
            for suffix in Self.suffixes {
                let digits = text.dropFirst(2)
                let expected = digits.count <= 16 ? UInt64(digits, radix: 16) : nil
                let (value, position) = Self.scan("\"" + text + "\"", suffix) { $0.hexString() }
                #expect(value == expected, "\"\(text)\"\(suffix)")
                if value != nil { #expect(position == text.utf8.count + 2) }
                // Without the closing quote it is not a hex string.
                let (open, _) = Self.scan("\"" + text, suffix) { $0.hexString() }
                #expect(open == nil || suffix.hasPrefix("\""), "\"\(text)\(suffix)")
            }
        }
    }
}

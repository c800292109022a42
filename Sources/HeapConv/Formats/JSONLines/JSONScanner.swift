/// A cursor over the bytes of one JSON line with just what event objects need: strings without
/// allocation, integers and hex strings parsed while scanning, literals. A string with escapes (`\"`, `\\`,
/// `\/`, `\b\f\n\r\t`, `\uXXXX` with surrogate pairs) is decoded into the scratch storage the parser
/// lends, valid until the next string is read; every other string is returned in place.
///
/// Reads go through ``byte``, which returns 0 past the end (0 is never valid JSON outside strings), so the
/// scanning loops need one comparison per byte.
struct JSONScanner {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private(set) var position = 0
    /// Where strings with escapes are decoded.
    private let scratch: ByteStorage

    init(line: UnsafeRawBufferPointer, scratch: ByteStorage) {
        self.scratch = scratch
        // An empty buffer may have no base address; point at a static zero byte instead.
        base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? JSONScanner.emptyLine
        end = line.count
    }

    nonisolated(unsafe) private static let emptyLine: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// 1-based column of the cursor.
    var column: Int { position + 1 }

    var atEnd: Bool { position >= end }

    /// The byte at the cursor, or 0 at the end of the line.
    @inline(__always)
    var byte: UInt8 {
        // Safe: `position < end` and the line holds `end` bytes from `base`.
        position < end ? base[position] : 0
    }

    @inline(__always)
    func peek() -> UInt8? { position < end ? base[position] : nil }

    @inline(__always)
    mutating func advance() { position += 1 }

    /// The bytes from `start` to the cursor.
    @inline(__always)
    func bytes(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: min(position, end) - start)
    }

    /// The next token of the unread line (a string with its quotes, or text up to a separator), for error
    /// messages.
    var rest: UnsafeRawBufferPointer { token(at: position) }

    /// The token starting at `start`, for error messages.
    func token(at start: Int) -> UnsafeRawBufferPointer {
        let from = min(start, end)
        var stop = from
        if stop < end && base[stop] == UInt8(ascii: "\"") {
            stop += 1
            while stop < end && base[stop] != UInt8(ascii: "\"") { stop += 1 }
            stop = min(stop + 1, end)
        } else {
            while stop < end, !",}] \t".utf8.contains(base[stop]) { stop += 1 }
            // A delimiter where a value belongs: show it rather than nothing.
            if stop == from && from < end { stop += 1 }
        }
        return UnsafeRawBufferPointer(start: base + from, count: stop - from)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            let b = base[position]
            // Most calls find no white space at all: one comparison says so for every printable byte.
            if b > 0x20 { return }
            guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
            position += 1
        }
    }

    @inline(__always)
    mutating func expect(_ expected: UInt8, _ message: @autoclosure () -> String) throws(JSONLineError) {
        guard byte == expected else { throw unexpected(message()) }
        position += 1
    }

    @inline(never)
    private func unexpected(_ message: String) -> JSONLineError {
        JSONLineError(column: column, message: message + (atEnd ? ", found the end of the line" : ", found " + TextScalar.quoted(UnsafeRawBufferPointer(rebasing: rest.prefix(12)))))
    }

    /// Consumes `word` (`null`, ...) if it is next, followed by a non-letter.
    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard position + n <= end else { return false }
        for i in 0..<n where base[position + i] != word.utf8Start[i] { return false }
        if position + n < end {
            let next = base[position + n] | 0x20
            if next >= 0x61 && next <= 0x7A { return false }
        }
        position += n
        return true
    }

    /// Consumes the quoted key `key` if it is next, compared as two words when 16 bytes follow the quote.
    @inline(__always)
    mutating func matchKey(_ key: KeyText) -> Bool {
        let n = key.length
        guard position + n + 2 <= end, base[position] == UInt8(ascii: "\""), base[position + 1 + n] == UInt8(ascii: "\"")
        else { return false }
        let text = UnsafeRawPointer(base + position + 1)
        let low: UInt64
        let high: UInt64
        if position + 17 <= end {
            // Safe: position + 17 <= end, so the 16 bytes after the quote are inside the line.
            low = UInt64(littleEndian: text.loadUnaligned(as: UInt64.self)) & key.lowMask
            high = UInt64(littleEndian: text.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & key.highMask
        } else {
            (low, high) = KeyText.words(UnsafeRawBufferPointer(start: text, count: n))
        }
        guard low == key.low, high == key.high else { return false }
        position += n + 2
        return true
    }

    /// The bytes of a JSON string (between the quotes); the cursor moves past the closing quote.
    @inline(__always)
    mutating func string() throws(JSONLineError) -> UnsafeRawBufferPointer {
        guard byte == UInt8(ascii: "\"") else {
            throw JSONLineError(column: column, message: "expected a string, found " + (atEnd ? "the end of the line" : TextScalar.quoted(UnsafeRawBufferPointer(rebasing: rest.prefix(12)))))
        }
        let start = position
        position += 1
        let contentStart = position
        // Eight bytes at a time while they fit: stop at the word holding a quote, a backslash or a control byte.
        while position + 8 <= end {
            // Safe: position + 8 <= end, so the 8 bytes loaded are inside the line.
            let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
            if Self.hasSpecialByte(word) { break }
            position += 8
        }
        while position < end {
            let b = base[position]
            if b == UInt8(ascii: "\"") {
                let content = UnsafeRawBufferPointer(start: base + contentStart, count: position - contentStart)
                position += 1
                return content
            }
            if b == UInt8(ascii: "\\") {
                return try unescaped(from: contentStart, quote: start)
            }
            if b < 0x20 {
                throw JSONLineError(column: position + 1, message: "control character in a string")
            }
            position += 1
        }
        throw JSONLineError(column: start + 1, message: "unterminated string")
    }

    /// Decodes the string whose content starts at `contentStart` (its quote at `quote`) into the scratch
    /// storage: its escapes resolved, UTF-16 surrogate pairs joined, a lone surrogate as U+FFFD. The cursor
    /// moves past the closing quote.
    private mutating func unescaped(from contentStart: Int, quote: Int) throws(JSONLineError) -> UnsafeRawBufferPointer {
        // The decoded string is never longer than its JSON text.
        scratch.reserve(end - contentStart)
        let out = scratch.prefix(end - contentStart)
        var count = 0
        func put(_ byte: UInt8) {
            out[count] = byte
            count += 1
        }
        func putScalar(_ value: UInt32) {
            // Safe: a `\uXXXX` escape (6 bytes, or 12 for a pair) decodes to at most 3 (4) bytes.
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            for byte in UTF8.encode(scalar)! { put(byte) }
        }
        position = contentStart
        while position < end {
            let b = base[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                return UnsafeRawBufferPointer(rebasing: out[0..<count])
            }
            if b < 0x20 { throw JSONLineError(column: position + 1, message: "control character in a string") }
            guard b == UInt8(ascii: "\\") else {
                put(b)
                position += 1
                continue
            }
            let escape = position
            position += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): put(byte)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                position += 1
                guard let unit = hexQuad() else {
                    throw JSONLineError(column: escape + 1, message: "expected four hex digits after \\u")
                }
                if unit >= 0xD800 && unit < 0xDC00, byte == UInt8(ascii: "\\"), position + 1 < end, base[position + 1] == UInt8(ascii: "u") {
                    let save = position
                    position += 2
                    if let low = hexQuad(), low >= 0xDC00 && low < 0xE000 {
                        putScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        continue
                    }
                    position = save
                }
                putScalar(unit)  // a lone surrogate becomes U+FFFD
                continue
            default:
                throw JSONLineError(column: escape + 1, message: "unknown escape sequence " + TextScalar.quoted(UnsafeRawBufferPointer(start: base + escape, count: min(2, end - escape))))
            }
            position += 1
        }
        throw JSONLineError(column: quote + 1, message: "unterminated string")
    }

    /// Four hex digits at the cursor as a UTF-16 code unit, the cursor moved past them; `nil` if they are not.
    private mutating func hexQuad() -> UInt32? {
        guard position + 4 <= end else { return nil }
        var value: UInt32 = 0
        for i in 0..<4 {
            let digit = SWARDigits.hexValue(base[position + i])
            guard digit < 0x10 else { return nil }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    /// Whether any byte of `word` is `"`, `\` or below 0x20 (classic SWAR zero-byte tests).
    @inline(__always)
    private static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let quote = hasZero(word ^ (ones &* 0x22))
        let backslash = hasZero(word ^ (ones &* 0x5C))
        let control = (word &- ones &* 0x20) & ~word & highs
        return (quote | backslash | control) != 0
    }

    /// Parses an unsigned decimal integer at the cursor. Returns `nil` (cursor unspecified) when no digit is
    /// there, the number has a fraction or exponent, or it exceeds `maximum`.
    @inline(__always)
    mutating func unsigned(maximum: UInt64 = .max) -> UInt64? {
        let start = position
        var value: UInt64 = 0
        // Eight digits at a time for the first sixteen, while eight bytes remain in the line (timestamps
        // have nineteen); the byte loop below takes the rest.
        while position + 8 <= end, position - start < 16 {
            // Safe: position + 8 <= end, so the 8 bytes loaded are inside the line.
            let (count, digits) = SWARDigits.leadingDecimal(UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)))
            value = value &* PowersOfTen.of(count) &+ digits
            position += count
            if count < 8 { break }
        }
        while position < end {
            let digit = base[position] &- 0x30
            if digit >= 10 { break }
            if position - start < 19 {
                value = value &* 10 &+ UInt64(digit)
            } else {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(digit))
                if o1 || o2 { return nil }
                value = a
            }
            position += 1
        }
        guard position > start, value <= maximum else { return nil }
        let next = byte
        if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
        return value
    }

    /// Parses an optionally negative decimal integer that fits in `Int64`.
    @inline(__always)
    mutating func signed() -> Int64? {
        if byte == UInt8(ascii: "-") {
            position += 1
            guard let magnitude = unsigned(maximum: UInt64(Int64.max) + 1) else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard let value = unsigned(maximum: UInt64(Int64.max)) else { return nil }
        return Int64(value)
    }

    /// Parses a string `"0x..."` of 1 to 16 hex digits (either case) at the cursor.
    @inline(__always)
    mutating func hexString() -> UInt64? {
        guard position + 4 <= end, base[position] == UInt8(ascii: "\""), base[position + 1] == UInt8(ascii: "0"),
              base[position + 2] | 0x20 == UInt8(ascii: "x") else { return nil }
        position += 3
        let start = position
        var value: UInt64 = 0
        while position < end {
            let digit = SWARDigits.hexValue(base[position])
            if digit >= 0x10 { break }
            value = value << 4 | UInt64(digit)
            position += 1
        }
        let digits = position - start
        guard digits >= 1, digits <= 16, byte == UInt8(ascii: "\"") else { return nil }
        position += 1
        return value
    }
}

/// A JSON key of at most 16 bytes as its length and two little-endian words, zero-padded: compared in two
/// integer comparisons.
struct KeyText: Sendable {
    let length: Int
    let low: UInt64
    let high: UInt64
    /// The bytes of each word that belong to the key, for comparing it with the 16 bytes after a quote.
    let lowMask: UInt64
    let highMask: UInt64

    /// `key`'s first 16 bytes (keys heapconv knows are shorter).
    init(_ key: UnsafeRawBufferPointer) {
        length = min(key.count, 16)
        (low, high) = Self.words(UnsafeRawBufferPointer(rebasing: key.prefix(16)))
        lowMask = Self.mask(length)
        highMask = Self.mask(length - 8)
    }

    /// The first 16 bytes of `bytes` as two little-endian words, zero-padded.
    static func words(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for i in 0..<min(bytes.count, 16) {
            if i < 8 { low |= UInt64(bytes[i]) << (8 * UInt64(i)) } else { high |= UInt64(bytes[i]) << (8 * UInt64(i - 8)) }
        }
        return (low, high)
    }

    /// The low `bytes` bytes of a word set (none for 0 or less, all for 8 or more).
    @inline(__always)
    static func mask(_ bytes: Int) -> UInt64 {
        bytes >= 8 ? .max : bytes <= 0 ? 0 : (1 << UInt64(8 * bytes)) - 1
    }
}

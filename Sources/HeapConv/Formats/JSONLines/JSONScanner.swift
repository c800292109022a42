/// A cursor over the bytes of one JSON line, with just what event objects need: strings without
/// allocation, integer tokens, literals. Strings containing escapes are rejected: no key or value heapconv
/// reads needs one.
struct JSONScanner {
    private let line: UnsafeRawBufferPointer
    private var position = 0

    init(line: UnsafeRawBufferPointer) {
        self.line = line
    }

    /// 1-based column of the cursor.
    var column: Int { position + 1 }

    var atEnd: Bool { position >= line.count }

    /// The next token of the unread line (a string with its quotes, or text up to a separator), for error
    /// messages.
    var rest: UnsafeRawBufferPointer {
        var end = min(position, line.count)
        if end < line.count && line[end] == UInt8(ascii: "\"") {
            end += 1
            while end < line.count && line[end] != UInt8(ascii: "\"") { end += 1 }
            end = min(end + 1, line.count)
        } else {
            while end < line.count, !",}] \t".utf8.contains(line[end]) { end += 1 }
        }
        return UnsafeRawBufferPointer(rebasing: line[min(position, line.count)..<end])
    }

    @inline(__always)
    func peek() -> UInt8? { position < line.count ? line[position] : nil }

    @inline(__always)
    mutating func advance() { position += 1 }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < line.count {
            let b = line[position]
            guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ message: @autoclosure () -> String) throws(JSONLineError) {
        guard peek() == byte else {
            throw JSONLineError(column: column, message: message() + (atEnd ? ", found the end of the line" : ", found " + TextScalar.quoted(UnsafeRawBufferPointer(rebasing: rest.prefix(12)))))
        }
        position += 1
    }

    /// Consumes `word` (`null`, ...) if it is next, followed by a non-letter.
    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard position + n <= line.count else { return false }
        for i in 0..<n where line[position + i] != word.utf8Start[i] { return false }
        if position + n < line.count {
            let next = line[position + n] | 0x20
            if next >= 0x61 && next <= 0x7A { return false }
        }
        position += n
        return true
    }

    /// The bytes of a JSON string (between the quotes); the cursor moves past the closing quote.
    @inline(__always)
    mutating func string() throws(JSONLineError) -> UnsafeRawBufferPointer {
        let start = position
        guard peek() == UInt8(ascii: "\"") else {
            throw JSONLineError(column: column, message: "expected a string, found " + (atEnd ? "the end of the line" : TextScalar.quoted(UnsafeRawBufferPointer(rebasing: rest.prefix(12)))))
        }
        position += 1
        let contentStart = position
        while position < line.count {
            let b = line[position]
            if b == UInt8(ascii: "\"") {
                let content = UnsafeRawBufferPointer(rebasing: line[contentStart..<position])
                position += 1
                return content
            }
            if b == UInt8(ascii: "\\") {
                throw JSONLineError(column: position + 1, message: "escape sequences are not expected in heap event strings")
            }
            if b < 0x20 {
                throw JSONLineError(column: position + 1, message: "control character in a string")
            }
            position += 1
        }
        throw JSONLineError(column: start + 1, message: "unterminated string")
    }

    /// The bytes of a number token (`-`, digits, and any `.eE+` that follow so the caller can reject them
    /// whole); empty if no number starts here.
    @inline(__always)
    mutating func number() -> UnsafeRawBufferPointer {
        let start = position
        while position < line.count {
            let b = line[position]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                position += 1
            } else {
                break
            }
        }
        return UnsafeRawBufferPointer(rebasing: line[start..<position])
    }
}

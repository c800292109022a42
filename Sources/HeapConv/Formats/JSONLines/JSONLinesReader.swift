/// Reads JSON Lines heap events: one object per line, keys in any order, any JSON white space, blank
/// lines skipped. Unknown keys, unknown event names and malformed values are errors naming the line and
/// column. Parses bytes directly; Foundation's JSON decoding is not used.
public struct JSONLinesReader: EventReader {
    private let input: InputBuffer
    private var lineNumber = 0
    private var builder = TextEventBuilder()
    private let keys = FieldNameTable()

    public init(source: any ByteSource) {
        input = InputBuffer(source: source)
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        var appended = 0
        while appended < limit {
            guard let line = try input.nextLine() else { break }
            lineNumber += 1
            var scanner = JSONScanner(line: line)
            scanner.skipWhitespace()
            if scanner.atEnd { continue }
            do throws(JSONLineError) {
                try parseObject(&scanner, into: &batch)
            } catch {
                throw ConversionError(.malformedInput, at: .line(lineNumber, column: error.column), error.message)
            }
            appended += 1
        }
        return appended > 0
    }

    private mutating func parseObject(_ s: inout JSONScanner, into batch: inout EventBatch) throws(JSONLineError) {
        builder.reset()
        try s.expect(UInt8(ascii: "{"), "expected \"{\" at the start of an event object")
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "}") {
            s.advance()
        } else {
            while true {
                s.skipWhitespace()
                let keyColumn = s.column
                let key = try s.string()
                guard let field = keys.field(named: key) else {
                    throw JSONLineError(column: keyColumn, message: "unknown key " + TextScalar.quoted(key))
                }
                if builder.has(field) {
                    throw JSONLineError(column: keyColumn, message: "duplicate key \"\(field.name)\"")
                }
                s.skipWhitespace()
                try s.expect(UInt8(ascii: ":"), "expected \":\" after a key")
                s.skipWhitespace()
                try parseValue(of: field, &s, into: &batch)
                s.skipWhitespace()
                if s.peek() == UInt8(ascii: ",") {
                    s.advance()
                    continue
                }
                try s.expect(UInt8(ascii: "}"), "expected \",\" or \"}\"")
                break
            }
        }
        s.skipWhitespace()
        guard s.atEnd else { throw JSONLineError(column: s.column, message: "unexpected text after the event object") }
        switch builder.build() {
        case .success(let event): batch.append(event)
        case .failure(let problem): throw JSONLineError(column: nil, message: problem.message)
        }
    }

    private mutating func parseValue(of field: EventField, _ s: inout JSONScanner, into batch: inout EventBatch) throws(JSONLineError) {
        let column = s.column
        if s.literal("null") { return }
        func bad(_ what: String, _ found: UnsafeRawBufferPointer) -> JSONLineError {
            JSONLineError(column: column, message: "expected \(what) for \"\(field.name)\", found " + TextScalar.quoted(found))
        }
        switch field.encoding {
        case .kind:
            let text = try s.string()
            guard let kind = TextScalar.kind(text) else {
                throw JSONLineError(column: column, message: "unknown event " + TextScalar.quoted(text))
            }
            builder.setKind(kind)
        case .signed:
            let token = s.number()
            guard let value = TextScalar.signed(token) else { throw bad("an integer", token.isEmpty ? s.rest : token) }
            builder.set(field, UInt64(bitPattern: value))
        case .decimal:
            let token = s.number()
            guard let value = TextScalar.decimal(token, maximum: field.maximum) else {
                throw bad(field.maximum == .max ? "an unsigned 64-bit integer" : "an integer from 0 to \(field.maximum)",
                          token.isEmpty ? s.rest : token)
            }
            builder.set(field, value)
        case .hex:
            let value = try hexValue(&s, field: field, column: column)
            builder.set(field, value)
        case .source:
            if s.peek() == UInt8(ascii: "\"") {
                let text = try s.string()
                guard let source = TextScalar.source(text), TextScalar.decimal(text) == nil else {
                    throw bad("a source name", text)
                }
                builder.setSource(source)
            } else {
                let token = s.number()
                guard let value = TextScalar.decimal(token, maximum: UInt64(UInt32.max)) else {
                    throw bad("a source name or number", token.isEmpty ? s.rest : token)
                }
                builder.setSource(HeapSource(rawValue: UInt32(value)))
            }
        case .frames:
            try s.expect(UInt8(ascii: "["), "expected an array of hex strings for \"stack\"")
            let start = batch.frames.count
            s.skipWhitespace()
            if s.peek() == UInt8(ascii: "]") {
                s.advance()
            } else {
                while true {
                    s.skipWhitespace()
                    batch.frames.append(try hexValue(&s, field: field, column: s.column))
                    s.skipWhitespace()
                    if s.peek() == UInt8(ascii: ",") { s.advance(); continue }
                    try s.expect(UInt8(ascii: "]"), "expected \",\" or \"]\" in \"stack\"")
                    break
                }
            }
            builder.setStack(StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start)))
        }
    }

    /// A hex string (`"0x1a0"`) or, as a convenience, a plain unsigned integer.
    private func hexValue(_ s: inout JSONScanner, field: EventField, column: Int) throws(JSONLineError) -> UInt64 {
        if s.peek() == UInt8(ascii: "\"") {
            let text = try s.string()
            guard let value = TextScalar.hex(text) else {
                throw JSONLineError(column: column, message: "expected a hex string like \"0x1a0\" for \"\(field.name)\", found " + TextScalar.quoted(text))
            }
            return value
        }
        let token = s.number()
        guard let value = TextScalar.decimal(token) else {
            throw JSONLineError(column: column, message: "expected a hex string like \"0x1a0\" for \"\(field.name)\", found "
                                + TextScalar.quoted(token.isEmpty ? s.rest : token))
        }
        return value
    }
}

/// A parse problem inside one line; the reader adds the line number.
struct JSONLineError: Error {
    var column: Int?
    var message: String
}

/// Maps key bytes to fields: candidates are grouped by key length, then compared byte by byte.
final class FieldNameTable: Sendable {
    private let byLength: [[(EventField, [UInt8])]]

    init() {
        var table = [[(EventField, [UInt8])]](repeating: [], count: 32)
        for field in EventField.allCases {
            let bytes = Array(field.name.utf8)
            table[bytes.count].append((field, bytes))
        }
        byLength = table
    }

    @inline(__always)
    func field(named key: UnsafeRawBufferPointer) -> EventField? {
        guard key.count < byLength.count else { return nil }
        for (field, name) in byLength[key.count] where TextScalar.equals(key, name) { return field }
        return nil
    }
}

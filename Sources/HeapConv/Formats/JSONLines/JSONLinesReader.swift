#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads JSON Lines heap events: one object per line, keys in any order, any JSON white space, blank
/// lines skipped. Unknown keys, unknown event names and malformed values are errors naming the line and
/// column. Parses bytes directly; Foundation's JSON decoding is not used.
///
/// Parsing is the whole cost of reading, so the reader cuts the input into chunks of whole lines and parses
/// every second chunk on a helper thread (see ``ParallelChunks``): two chunks at a time, handed out in input
/// order.
public struct JSONLinesReader: EventReader {
    private var chunks: ParallelChunks<JSONLineParser>

    /// Reads `source`; with `parallel` (the default) every second chunk is parsed on a helper thread,
    /// without it everything happens on the caller's thread (fuzzing, embedding).
    public init(source: any ByteSource, parallel: Bool = true) {
        chunks = ParallelChunks(input: InputBuffer(source: source), parser: JSONLineParser(),
                                helper: parallel ? JSONLineParser() : nil)
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        try chunks.read(into: &batch, limit: limit)
    }
}

/// Parses JSON Lines: one ``ChunkParser`` per thread.
struct JSONLineParser: ChunkParser {
    private var builder = TextEventBuilder()
    private let keys = FieldNameTable()

    static let quotedRecords = false

    /// Parses each line of `chunk` (`\n` or `\r\n` terminated, the last one maybe not).
    mutating func parse(chunk: UnsafeRawBufferPointer, firstLine: Int, into batch: inout EventBatch) throws(ConversionError) {
        guard let base = chunk.baseAddress else { return }
        var number = firstLine
        // A UTF-8 byte-order mark may start the input (the first chunk's first line); it is not JSON.
        var offset = firstLine == 1 && TextScalar.startsWithByteOrderMark(chunk) ? 3 : 0
        while offset < chunk.count {
            let rest = chunk.count - offset
            var length = rest
            if let hit = memchr(base + offset, 0x0A, rest) { length = (base + offset).distance(to: UnsafeRawPointer(hit)) }
            let next = offset + length + 1
            if length > 0 && chunk[offset + length - 1] == 0x0D { length -= 1 }
            try parse(line: UnsafeRawBufferPointer(start: base + offset, count: length), number: number, into: &batch)
            number += 1
            offset = next
        }
    }

    private mutating func parse(line: UnsafeRawBufferPointer, number: Int, into batch: inout EventBatch) throws(ConversionError) {
        var scanner = JSONScanner(line: line, scratch: scratch)
        scanner.skipWhitespace()
        if scanner.atEnd { return }
        do throws(JSONLineError) {
            try parseObject(&scanner, into: &batch)
        } catch {
            throw ConversionError(.malformedInput, at: .line(number, column: error.column), error.message)
        }
    }

    /// The keys of earlier lines by place, one list per event kind (and one for keys before the kind is
    /// known). Producers (heapconv among them) write the keys of every line of a kind in one order, so each
    /// key is first compared with the key at its place in the last line of the same kind: a comparison of two
    /// words instead of scanning the string and looking it up. Lists of kinds apart, so that a trace mixing
    /// allocs and frees still predicts every key.
    private var predictions = [Prediction](repeating: .none, count: Self.predictionLists * Self.predictionPlaces)
    private static let predictionPlaces = 32
    /// One list per ``EventKind``, then the list for keys before the `event` key.
    private static let predictionLists = EventKind.allCases.count + 1

    private struct Prediction {
        var text: KeyText
        var field: EventField
        var valid: Bool
        static let none = Prediction(text: KeyText(UnsafeRawBufferPointer(start: nil, count: 0)), field: .event, valid: false)
    }

    /// Fields of the current line given as `null`.
    private var nulls: UInt64 = 0
    /// Where strings with escapes are decoded.
    private let scratch = ByteStorage()

    private mutating func parseObject(_ s: inout JSONScanner, into batch: inout EventBatch) throws(JSONLineError) {
        builder.reset()
        nulls = 0
        try s.expect(UInt8(ascii: "{"), "expected \"{\" at the start of an event object")
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "}") {
            s.advance()
        } else {
            var keyIndex = 0
            // The prediction list: keys before `event` use the last one, then the event kind's.
            var list = (Self.predictionLists - 1) * Self.predictionPlaces
            while true {
                s.skipWhitespace()
                let keyColumn = s.column
                let field: EventField
                let place = list + keyIndex
                if keyIndex < Self.predictionPlaces, predictions[place].valid, s.matchKey(predictions[place].text) {
                    field = predictions[place].field
                } else {
                    let key = try s.string()
                    guard let named = keys.field(named: key) else {
                        throw JSONLineError(column: keyColumn, message: "unknown key " + TextScalar.quoted(key))
                    }
                    field = named
                    if keyIndex < Self.predictionPlaces {
                        predictions[place] = Prediction(text: KeyText(key), field: field, valid: true)
                    }
                }
                keyIndex += 1
                if builder.has(field) {
                    throw JSONLineError(column: keyColumn, message: "duplicate key \"\(field.name)\"")
                }
                // Compact JSON (heapconv's own) has the colon right after the key.
                if s.byte == UInt8(ascii: ":") {
                    s.advance()
                } else {
                    s.skipWhitespace()
                    try s.expect(UInt8(ascii: ":"), "expected \":\" after a key")
                }
                s.skipWhitespace()
                if s.byte == UInt8(ascii: "n"), s.literal("null") {
                    // null stands for an absent field; a required one is reported as null, not missing.
                    nulls |= field.bit
                } else {
                    try parseValue(of: field, &s, into: &batch)
                    if field == .event { list = Int(builder.kind.rawValue) * Self.predictionPlaces }
                }
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
        switch builder.build(into: &batch) {
        case .success(let event): batch.append(event)
        case .failure(.missing(let field)) where nulls & field.bit != 0:
            throw JSONLineError(column: nil, message: "\"\(field.name)\" is null, expected \(Self.expectation(of: field))")
        case .failure(let problem): throw JSONLineError(column: nil, message: problem.message)
        }
    }

    private mutating func parseValue(of field: EventField, _ s: inout JSONScanner, into batch: inout EventBatch) throws(JSONLineError) {
        let column = s.column
        let start = s.position
        switch field.encoding {
        case .signed:
            guard let value = s.signed(), field != .exitStatus || Int64(Int32.min)...Int64(Int32.max) ~= value else {
                throw bad(field, Self.expectation(of: field), s, start)
            }
            builder.set(field, UInt64(bitPattern: value))
        case .decimal:
            guard let value = s.unsigned(maximum: field.maximum) else {
                throw bad(field, Self.expectation(of: field), s, start)
            }
            builder.set(field, value)
        case .hex:
            builder.set(field, try hexValue(&s, field: field))
        case .kind:
            let text = try s.string()
            guard let kind = TextScalar.kind(text) else {
                throw JSONLineError(column: column, message: "unknown event " + TextScalar.quoted(text))
            }
            builder.setKind(kind)
        case .source:
            if s.byte == UInt8(ascii: "\"") {
                let text = try s.string()
                guard let source = TextScalar.source(text) else {
                    throw JSONLineError(column: column, message: "expected a source name or number for \"source\", found " + TextScalar.quoted(text))
                }
                builder.setSource(source)
            } else {
                guard let value = s.unsigned(maximum: UInt64(UInt32.max)) else {
                    throw bad(field, "a source name or number", s, start)
                }
                builder.setSource(HeapSource(rawValue: UInt32(value)))
            }
        case .state:
            let text = try s.string()
            guard let state = TextScalar.state(text) else {
                throw JSONLineError(column: column, message: "unknown state " + TextScalar.quoted(text) + "; states are "
                                    + ContextState.allCases.map(\.name).joined(separator: ", "))
            }
            builder.setState(state)
        case .text:
            guard s.byte == UInt8(ascii: "\"") else { throw bad(field, Self.expectation(of: field), s, start) }
            let text = try s.string()
            guard UTF8Validation.isValid(text) else { throw bad(field, "UTF-8 text", s, start) }
            // An empty name is no value, as the trace's own empty names are; an empty PDB name is a value.
            builder.setText(field, text.isEmpty && field != .pdbName ? .none : batch.appendText(text))
        case .guid:
            guard s.byte == UInt8(ascii: "\""), case let text = try s.string(), let guid = PDBIdentity.guidBytes(text) else {
                throw bad(field, Self.expectation(of: field), s, start)
            }
            builder.setText(field, batch.appendText(guid))
        case .pdbKind:
            guard s.byte == UInt8(ascii: "\""), case let text = try s.string(), TextScalar.equals(text, Array("il".utf8)) else {
                throw bad(field, Self.expectation(of: field), s, start)
            }
            builder.setIgnored(field)
        case .derived:
            try skipStringArray(&s, field: field)
            builder.setIgnored(field)
        case .frames:
            try s.expect(UInt8(ascii: "["), "expected an array of hex strings for \"stack\"")
            let first = batch.frames.count
            s.skipWhitespace()
            if s.byte == UInt8(ascii: "]") {
                s.advance()
            } else {
                while true {
                    s.skipWhitespace()
                    batch.frames.append(try hexValue(&s, field: field))
                    s.skipWhitespace()
                    if s.byte == UInt8(ascii: ",") { s.advance(); continue }
                    try s.expect(UInt8(ascii: "]"), "expected \",\" or \"]\" in \"stack\"")
                    break
                }
            }
            builder.setStack(StackRef(offset: UInt32(first), count: UInt32(batch.frames.count - first)))
        }
    }

    /// Skips an array of strings (`frames`, which readers ignore).
    private func skipStringArray(_ s: inout JSONScanner, field: EventField) throws(JSONLineError) {
        try s.expect(UInt8(ascii: "["), "expected an array of strings for \"\(field.name)\"")
        s.skipWhitespace()
        if s.byte == UInt8(ascii: "]") {
            s.advance()
            return
        }
        while true {
            s.skipWhitespace()
            _ = try s.string()
            s.skipWhitespace()
            if s.byte == UInt8(ascii: ",") { s.advance(); continue }
            try s.expect(UInt8(ascii: "]"), "expected \",\" or \"]\" in \"\(field.name)\"")
            return
        }
    }

    /// A hex string (`"0x1a0"`) or, as a convenience, a plain unsigned integer.
    @inline(__always)
    private func hexValue(_ s: inout JSONScanner, field: EventField) throws(JSONLineError) -> UInt64 {
        let start = s.position
        if s.byte == UInt8(ascii: "\"") {
            if let value = s.hexString() { return value }
        } else if let value = s.unsigned() {
            return value
        }
        throw bad(field, "a hex string like \"0x1a0\"", s, start)
    }

    /// What a field's value must be, for messages.
    static func expectation(of field: EventField) -> String {
        switch field.encoding {
        case .signed: field == .exitStatus ? "an integer from -2147483648 to 2147483647" : "an integer"
        case .decimal: field.maximum == .max ? "an unsigned 64-bit integer" : "an integer from 0 to \(field.maximum)"
        case .hex: "a hex string like \"0x1a0\""
        case .kind: "an event name"
        case .source: "a source name or number"
        case .frames: "an array of hex strings"
        case .state: "a state name"
        case .text: "a string"
        case .guid: "a GUID like \"ec83d8df-5559-46e0-b630-133ebd979266\""
        case .pdbKind: "\"il\""
        case .derived: "an array of strings"
        }
    }

    /// `expected WHAT for "field", found a string "x"`: names the JSON type found, since a quoted number
    /// (`"pid":"17185"`) looks right until one sees the quotes.
    @inline(never)
    private func bad(_ field: EventField, _ what: String, _ s: JSONScanner, _ start: Int) -> JSONLineError {
        let token = s.token(at: start)
        let found: String
        switch token.first ?? 0 {
        case UInt8(ascii: "\""): found = "a string " + TextScalar.quoted(token)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): found = "the number " + String(decoding: token.prefix(40), as: UTF8.self)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): found = "a boolean " + TextScalar.quoted(token)
        case UInt8(ascii: "{"): found = "an object"
        case UInt8(ascii: "["): found = "an array"
        default: found = TextScalar.quoted(token)
        }
        return JSONLineError(column: start + 1, message: "expected \(what) for \"\(field.name)\", found \(found)")
    }
}

/// A parse problem inside one line; the reader adds the line number.
struct JSONLineError: Error {
    var column: Int?
    var message: String
}

/// Maps key bytes to fields. Every key is at most 16 bytes, so a key is compared as a ``KeyText``: its
/// length and two zero-padded little-endian words, one table probe and two integer comparisons instead of a
/// byte loop.
final class FieldNameTable: Sendable {
    private struct Entry: Sendable {
        var text: KeyText
        var field: EventField
    }
    /// Entries grouped by key length: `byLength[n]` are the keys of n bytes.
    private let byLength: [[Entry]]

    init() {
        var table = [[Entry]](repeating: [], count: 17)
        for field in EventField.allCases {
            let bytes = Array(field.name.utf8)
            precondition(bytes.count <= 16)
            let text = bytes.withUnsafeBytes { KeyText($0) }
            table[bytes.count].append(Entry(text: text, field: field))
        }
        byLength = table
    }

    @inline(__always)
    func field(named key: UnsafeRawBufferPointer) -> EventField? {
        guard key.count <= 16 else { return nil }
        let candidates = byLength[key.count]
        if candidates.isEmpty { return nil }
        let (low, high) = KeyText.words(key)
        for entry in candidates where entry.text.low == low && entry.text.high == high { return entry.field }
        return nil
    }
}

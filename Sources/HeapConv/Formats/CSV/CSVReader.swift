#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads RFC 4180 CSV heap events: a header row naming ``EventField`` columns in any order (columns no
/// event needs may be left out), quoted or bare cells, CRLF or LF line breaks. Bad rows are errors naming
/// the line and column.
///
/// After the header, rows are parsed in chunks on two threads (see ``ParallelChunks``); chunks are cut only
/// at line breaks outside quotes, so a quoted cell may still span lines.
public struct CSVReader: EventReader {
    private let input: InputBuffer
    private let parallel: Bool
    private var chunks: ParallelChunks<CSVRecordParser>?

    /// Reads `source`; with `parallel` (the default) every second chunk of rows is parsed on a helper
    /// thread, without it everything happens on the caller's thread (fuzzing, embedding).
    public init(source: any ByteSource, parallel: Bool = true) {
        input = InputBuffer(source: source)
        self.parallel = parallel
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        if chunks == nil {
            var header = CSVRecordParser(input: input, columns: [])
            guard try header.nextRecord() else {
                throw ConversionError(.malformedInput, at: .line(1), "empty file: expected a header row")
            }
            let columns = try header.readHeader()
            header.consumeRecord()
            chunks = ParallelChunks(input: input, parser: CSVRecordParser(columns: columns),
                                    helper: parallel ? CSVRecordParser(columns: columns) : nil, firstLine: header.lineNumber)
        }
        return try chunks!.read(into: &batch, limit: limit)
    }
}

/// Splits CSV records into cells and builds their events: on the reader's input for the header row, and on
/// chunks of rows on each of ``ParallelChunks``' threads.
struct CSVRecordParser: ChunkParser {
    static let quotedRecords = true

    private let input: InputBuffer
    private let chunkSource = ChunkSource()
    /// Line of the next record's first byte (1-based).
    private(set) var lineNumber = 1
    private let columns: [EventField]
    private var builder = TextEventBuilder()
    private var cells = CSVCells()
    private var scratch: [UInt8] = []

    init(input: InputBuffer, columns: [EventField]) {
        self.input = input
        self.columns = columns
    }

    /// A parser of chunks, with its own buffer.
    init(columns: [EventField]) {
        self.init(input: InputBuffer(source: ChunkSource()), columns: columns)
    }

    mutating func parse(chunk: UnsafeRawBufferPointer, firstLine: Int, into batch: inout EventBatch) throws(ConversionError) {
        chunkSource.serve(chunk)
        input.restart(source: chunkSource)
        pendingConsume = nil
        lineNumber = firstLine
        while true {
            let line = lineNumber
            guard try nextRecord() else { break }
            if cells.count == 1 && cells[0].length == 0 { continue }  // blank line
            try buildEvent(line: line, into: &batch)
        }
    }

    /// Consumes the record `nextRecord()` returned last.
    mutating func consumeRecord() {
        if let pendingConsume { input.consume(pendingConsume); self.pendingConsume = nil }
    }

    /// The columns the header row (the current record) names.
    func readHeader() throws(ConversionError) -> [EventField] {
        let known = FieldNameTable()
        var seen: UInt64 = 0
        var columns: [EventField] = []
        for (index, cell) in cells.enumerated() {
            var name = cellBytes(cell)
            // Spreadsheet programs start UTF-8 files with a byte-order mark.
            if index == 0, TextScalar.startsWithByteOrderMark(name) { name = UnsafeRawBufferPointer(rebasing: name.dropFirst(3)) }
            guard let field = known.field(named: name) else {
                throw ConversionError(.malformedInput, at: .line(1, column: cell.column),
                                      "unknown column " + TextScalar.quoted(name) + " in the header row")
            }
            guard seen & field.bit == 0 else {
                throw ConversionError(.malformedInput, at: .line(1, column: cell.column), "duplicate column \"\(field.name)\"")
            }
            seen |= field.bit
            columns.append(field)
        }
        for field in [EventField.event, .ts, .pid] where seen & field.bit == 0 {
            throw ConversionError(.malformedInput, at: .line(1), "the header row lacks the column \"\(field.name)\"")
        }
        return columns
    }

    private mutating func buildEvent(line: Int, into batch: inout EventBatch) throws(ConversionError) {
        guard cells.count == columns.count else {
            throw ConversionError(.malformedInput, at: .line(line),
                                  "expected \(columns.count) fields as in the header, found \(cells.count)")
        }
        builder.reset()
        let window = input.available
        for index in 0..<columns.count {
            let cell = cells[index]
            if cell.length == 0 { continue }
            let field = columns[index]
            let bytes = cell.inScratch ? cellBytes(cell) : UnsafeRawBufferPointer(rebasing: window[cell.start..<cell.start + cell.length])
            func bad(_ what: String) -> ConversionError {
                ConversionError(.malformedInput, at: .line(line, column: cell.column),
                                "expected \(what) in column \"\(field.name)\", found " + TextScalar.quoted(bytes))
            }
            switch field.encoding {
            case .kind:
                guard let kind = TextScalar.kind(bytes) else {
                    throw ConversionError(.malformedInput, at: .line(line, column: cell.column),
                                          "unknown event " + TextScalar.quoted(bytes))
                }
                builder.setKind(kind)
            case .signed:
                guard let value = TextScalar.signed(bytes), field != .exitStatus || Int64(Int32.min)...Int64(Int32.max) ~= value else {
                    throw bad(field == .exitStatus ? "an integer from -2147483648 to 2147483647" : "an integer")
                }
                builder.set(field, UInt64(bitPattern: value))
            case .decimal:
                guard let value = TextScalar.decimal(bytes, maximum: field.maximum) else {
                    throw bad(field.maximum == .max ? "an unsigned 64-bit integer" : "an integer from 0 to \(field.maximum)")
                }
                builder.set(field, value)
            case .hex:
                guard let value = TextScalar.hex(bytes) ?? TextScalar.decimal(bytes) else { throw bad("a hex number like 0x1a0") }
                builder.set(field, value)
            case .source, .state, .text, .guid, .pdbKind:
                if let expected = builder.setText(field, parsing: bytes, into: &batch) { throw bad(expected) }
            case .derived:
                builder.setIgnored(field)
            case .frames:
                let start = batch.frames.count
                if !(bytes.count == 2 && bytes[0] == UInt8(ascii: "[") && bytes[1] == UInt8(ascii: "]")) {
                    // Each frame is `0x` and 1 to 16 hex digits, frames joined by `;`.
                    var frameStart = 0
                    while frameStart <= bytes.count {
                        var stop = bytes.count
                        if frameStart < bytes.count, let base = bytes.baseAddress,
                           let hit = memchr(base + frameStart, Int32(UInt8(ascii: ";")), bytes.count - frameStart) {
                            stop = base.distance(to: UnsafeRawPointer(hit))
                        }
                        let frame = UnsafeRawBufferPointer(rebasing: bytes[frameStart..<stop])
                        guard let value = TextScalar.hex(frame) else {
                            batch.frames.removeSubrange(start...)
                            throw ConversionError(.malformedInput, at: .line(line, column: cell.column),
                                                  "expected hex frames joined by \";\" in column \"stack\", found "
                                                  + TextScalar.quoted(frame))
                        }
                        batch.frames.append(value)
                        frameStart = stop + 1
                    }
                }
                builder.setStack(StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start)))
            }
        }
        switch builder.build(into: &batch) {
        case .success(let event): batch.append(event)
        case .failure(let problem): throw ConversionError(.malformedInput, at: .line(line), problem.message)
        }
    }

    /// The bytes of a cell: a slice of the input window, or of `scratch` for quoted cells with `""` escapes.
    private func cellBytes(_ cell: CSVCell) -> UnsafeRawBufferPointer {
        if cell.inScratch {
            return scratch.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[cell.start..<cell.start + cell.length]) }
        }
        return UnsafeRawBufferPointer(rebasing: input.available[cell.start..<cell.start + cell.length])
    }

    /// Splits the next record into `cells` and consumes it except for its bytes, which stay readable until
    /// the next call. Returns `false` at the end of the input.
    mutating func nextRecord() throws(ConversionError) -> Bool {
        consumeRecord()
        while true {
            if input.atEnd && input.available.isEmpty { return false }
            switch scanRecord(input.available, atEnd: input.atEnd) {
            case .complete(let length, let newlines):
                pendingConsume = length
                lineNumber += newlines
                return true
            case .needMore:
                if try !input.fill() {
                    if input.available.isEmpty { return false }
                    continue  // scan again with atEnd set
                }
            case .error(let offset, let message):
                var column = 1
                let bytes = input.available
                var i = offset
                while i > 0 && bytes[i - 1] != 0x0A { i -= 1; column += 1 }
                var line = lineNumber
                for k in 0..<offset where bytes[k] == 0x0A { line += 1 }
                throw ConversionError(.malformedInput, at: .line(line, column: column), message)
            }
        }
    }

    private var pendingConsume: Int?

    private enum ScanResult {
        case complete(length: Int, newlines: Int)
        case needMore
        case error(offset: Int, message: String)
    }

    /// The common row, one line without quotes, split at its commas eight bytes at a time; `nil` for any
    /// other row (quotes anywhere on the line, or a line not yet complete), which ``scanRecord`` scans byte
    /// by byte.
    @inline(__always)
    private mutating func scanBareRow(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> ScanResult? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        var lineEnd = bytes.count
        var newlines = 0
        if let hit = memchr(base, 0x0A, bytes.count) {
            lineEnd = base.distance(to: UnsafeRawPointer(hit))
            newlines = 1
        } else if !atEnd {
            return nil
        }
        guard memchr(base, 0x22, lineEnd) == nil else { return nil }
        let commas: UInt64 = 0x2C2C_2C2C_2C2C_2C2C
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var start = 0
        var i = 0
        while i + 8 <= lineEnd {
            // Exact per-byte test for ',' (0x80 in each byte of `found` that is one; no borrow between bytes).
            // Safe: i + 8 <= lineEnd <= bytes.count.
            let x = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ commas
            var found = ~(((x & low7) &+ low7) | x | low7)
            while found != 0 {
                let comma = i + found.trailingZeroBitCount >> 3
                cells.append(CSVCell(start: start, length: comma - start, inScratch: false, column: start + 1))
                start = comma + 1
                found &= found &- 1
            }
            i += 8
        }
        while i < lineEnd {
            if bytes[i] == UInt8(ascii: ",") {
                cells.append(CSVCell(start: start, length: i - start, inScratch: false, column: start + 1))
                start = i + 1
            }
            i += 1
        }
        var end = lineEnd
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        cells.append(CSVCell(start: start, length: end - start, inScratch: false, column: start + 1))
        return .complete(length: min(lineEnd + 1, bytes.count), newlines: newlines)
    }

    /// Scans one record at the start of `bytes`, filling `cells`.
    private mutating func scanRecord(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> ScanResult {
        cells.removeAll()
        scratch.removeAll(keepingCapacity: true)
        if let simple = scanBareRow(bytes, atEnd: atEnd) { return simple }
        var i = 0
        var newlines = 0
        var lineStart = 0
        let count = bytes.count
        while true {
            // At the start of a cell.
            let column = i - lineStart + 1
            if i < count && bytes[i] == UInt8(ascii: "\"") {
                let quoteStart = i
                i += 1
                let start = scratch.count
                var contentStart = i
                var closed = false
                while i < count {
                    let b = bytes[i]
                    if b == UInt8(ascii: "\"") {
                        if i + 1 < count && bytes[i + 1] == UInt8(ascii: "\"") {
                            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[contentStart...i]))
                            i += 2
                            contentStart = i
                            continue
                        }
                        if i + 1 >= count && !atEnd { return .needMore }
                        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[contentStart..<i]))
                        i += 1
                        closed = true
                        break
                    }
                    if b == 0x0A { newlines += 1; lineStart = i + 1 }
                    i += 1
                }
                if !closed { return atEnd ? .error(offset: quoteStart, message: "unterminated quoted field") : .needMore }
                cells.append(CSVCell(start: start, length: scratch.count - start, inScratch: true, column: column))
                if i < count && bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if i < count && bytes[i] == 0x0D && i + 1 < count && bytes[i + 1] == 0x0A { return .complete(length: i + 2, newlines: newlines + 1) }
                if i < count && bytes[i] == 0x0A { return .complete(length: i + 1, newlines: newlines + 1) }
                if i >= count || (bytes[i] == 0x0D && i + 1 >= count) {
                    if atEnd { return .complete(length: count, newlines: newlines) }
                    return .needMore
                }
                return .error(offset: i, message: "unexpected text after a closing quote")
            } else {
                let start = i
                while i < count {
                    let b = bytes[i]
                    if b == UInt8(ascii: ",") || b == 0x0A { break }
                    if b == UInt8(ascii: "\"") { return .error(offset: i, message: "quote inside an unquoted field") }
                    i += 1
                }
                if i >= count && !atEnd { return .needMore }
                var end = i
                if i < count && bytes[i] == 0x0A && end > start && bytes[end - 1] == 0x0D { end -= 1 }
                if i >= count && end > start && bytes[end - 1] == 0x0D { end -= 1 }
                cells.append(CSVCell(start: start, length: end - start, inScratch: false, column: column))
                if i < count && bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if i < count { return .complete(length: i + 1, newlines: newlines + 1) }
                return .complete(length: count, newlines: newlines)
            }
        }
    }
}

/// The cells of the current record, in storage reused from record to record: appending a cell is a store,
/// not an array append with its uniqueness check.
struct CSVCells {
    private final class Storage {
        var base: UnsafeMutablePointer<CSVCell>
        var capacity: Int
        init() {
            capacity = 64
            base = .allocate(capacity: capacity)
        }
        deinit { base.deallocate() }
    }
    private let storage = Storage()
    private(set) var count = 0

    @inline(__always)
    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ cell: CSVCell) {
        if count == storage.capacity {
            let bigger = UnsafeMutablePointer<CSVCell>.allocate(capacity: storage.capacity * 2)
            bigger.moveInitialize(from: storage.base, count: count)
            storage.base.deallocate()
            storage.base = bigger
            storage.capacity *= 2
        }
        // Safe: count < capacity after the growth above.
        (storage.base + count).initialize(to: cell)
        count += 1
    }

    @inline(__always)
    subscript(index: Int) -> CSVCell {
        precondition(index >= 0 && index < count)
        return storage.base[index]
    }
}

extension CSVCells: Sequence {
    func makeIterator() -> AnyIterator<CSVCell> {
        var i = 0
        let copy = self
        return AnyIterator { () -> CSVCell? in
            guard i < copy.count else { return nil }
            defer { i += 1 }
            return copy[i]
        }
    }
}

/// Where a cell's bytes are: in the input window or in the reader's scratch buffer.
struct CSVCell {
    var start: Int
    var length: Int
    var inScratch: Bool
    var column: Int
}

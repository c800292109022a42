/// Reads events from a Parquet file with heapconv's columns (`Schemas/parquet.md`): files heapconv writes,
/// and the same columns written by DuckDB, pyarrow or polars, so that events selected in SQL convert to
/// Chrome or pprof. Columns are matched by name; `event`, `ts` and `pid` are required, the others
/// optional, and columns heapconv does not know are ignored. Row groups are read one at a time, each
/// column a page at a time.
public struct ParquetReader: EventReader {
    private let input: any RandomAccessInput
    private let name: String
    private let metadata: Parquet.FileMetaData
    private let leaves: [ParquetLeaf]
    private var rowGroup = -1
    private var rowsLeft = 0
    private var cursors: [ParquetColumnCursor] = []
    private var builder = TextEventBuilder()
    /// Rows read before the current one, for messages.
    private var row = 0
    private var frameScratch: [UInt64] = []
    private var textScratch: [[UInt8]] = []

    /// The most bytes a footer may have.
    static let maximumFooter = 1 << 28

    init(input: any RandomAccessInput, name: String) throws(ConversionError) {
        self.input = input
        self.name = name
        do throws(ParquetColumnCursor.Failure) {
            metadata = try Self.footer(input)
            leaves = try Self.leaves(metadata.schema)
        } catch {
            throw ConversionError(.malformedInput, file: name, at: error.offset.map { .offset($0) }, error.message)
        }
        for group in metadata.rowGroups where group.columns.count < (leaves.map(\.index).max() ?? -1) + 1 {
            throw ConversionError(.malformedInput, file: name, "a row group has \(group.columns.count) columns; the schema has more")
        }
    }

    /// Reads a file held in memory (tests, fuzzing).
    public init(bytes: [UInt8], name: String) throws(ConversionError) {
        try self.init(input: MemoryInput(bytes), name: name)
    }

    init(context: ReaderContext) throws(ConversionError) {
        let file = try RandomAccessFile.open(context.path, check: ParquetSpoolCheck())
        try self.init(input: file, name: context.name)
    }

    private static func footer(_ input: any RandomAccessInput) throws(ParquetColumnCursor.Failure) -> Parquet.FileMetaData {
        let size = input.size
        guard size >= 12 else { throw .init(message: "not a Parquet file: \(size) bytes is too short", offset: nil) }
        var tail = [UInt8](repeating: 0, count: 8)
        var head = [UInt8](repeating: 0, count: 4)
        do throws(ConversionError) {
            try withRawBytes(&tail) { (buffer) throws(ConversionError) in try input.read(at: size - 8, into: buffer) }
            try withRawBytes(&head) { (buffer) throws(ConversionError) in try input.read(at: 0, into: buffer) }
        } catch {
            throw .init(message: error.message, offset: nil)
        }
        guard head == Parquet.magic else { throw .init(message: "not a Parquet file: it does not start with PAR1", offset: 0) }
        guard Array(tail[4...]) == Parquet.magic else {
            throw .init(message: "not a Parquet file, or cut short: it does not end with PAR1", offset: size - 4)
        }
        let length = UInt64(tail[0]) | UInt64(tail[1]) << 8 | UInt64(tail[2]) << 16 | UInt64(tail[3]) << 24
        guard length > 0, length <= size - 12, length <= UInt64(maximumFooter) else {
            throw .init(message: "the footer length \(length) does not fit the file's \(size) bytes", offset: size - 8)
        }
        let start = size - 8 - length
        var bytes = [UInt8](repeating: 0, count: Int(length))
        do throws(ConversionError) {
            try withRawBytes(&bytes) { (buffer) throws(ConversionError) in try input.read(at: start, into: buffer) }
        } catch {
            throw .init(message: error.message, offset: start)
        }
        var reader = ThriftCompactReader(bytes, baseOffset: start)
        do throws(ThriftCompactReader.Failure) {
            let metadata = try Parquet.FileMetaData.decode(&reader)
            return metadata
        } catch {
            throw .init(message: "footer: " + error.message, offset: error.offset)
        }
    }

    /// Maps the schema's leaves to heapconv's fields, checking their types.
    private static func leaves(_ schema: [Parquet.SchemaElement]) throws(ParquetColumnCursor.Failure) -> [ParquetLeaf] {
        func fail(_ message: String) -> ParquetColumnCursor.Failure { .init(message: message, offset: nil) }
        guard let rootChildren = schema[0].numChildren else { throw fail("the schema's root is not a group") }
        var position = 1
        var leafIndex = 0
        var leaves: [ParquetLeaf] = []
        /// Skips the subtree at `position`, counting its leaves; without recursion, so that a schema nested
        /// a million deep is an error, not a stack overflow.
        func skip() throws(ParquetColumnCursor.Failure) {
            var open = 1  // subtrees still to skip
            while open > 0 {
                guard position < schema.count else { throw fail("the schema ends in the middle of a group") }
                let element = schema[position]
                position += 1
                open -= 1
                if let n = element.numChildren, element.type == nil {
                    guard n <= schema.count - position else { throw fail("a schema group has more children than the schema has elements") }
                    open += n
                } else {
                    guard element.type != nil else { throw fail("schema element \(Parquet.quoted(element.name)) has neither a type nor children") }
                    leafIndex += 1
                }
            }
        }
        let fields = Dictionary(uniqueKeysWithValues: EventField.stored.map { ($0.name, $0) })
        for _ in 0..<rootChildren {
            guard position < schema.count else { throw fail("the schema lists fewer columns than its root says") }
            let element = schema[position]
            guard let field = fields[element.name] else {
                try skip()
                continue
            }
            guard !leaves.contains(where: { $0.field == field }) else { throw fail("the file has two columns \"\(element.name)\"") }
            let optional = element.repetition != .required ? 1 : 0
            if field == .stack {
                // The standard three-level LIST: stack (LIST) { repeated group list { element } }.
                guard element.numChildren == 1, element.type == nil, position + 2 < schema.count,
                      schema[position + 1].repetition == .repeated, schema[position + 1].numChildren == 1,
                      let type = schema[position + 2].type, schema[position + 2].numChildren == nil || schema[position + 2].numChildren == 0
                else { throw fail("column \"stack\" is not a standard three-level LIST of integers") }
                guard element.repetition != .repeated else { throw fail("column \"stack\" is repeated, not a LIST") }
                let leaf = schema[position + 2]
                try checkType(field, type, leaf)
                let elementOptional = leaf.repetition == .optional ? 1 : 0
                leaves.append(ParquetLeaf(field: field, index: leafIndex, type: type,
                                          maxDefinition: optional + 1 + elementOptional, maxRepetition: 1,
                                          listPresent: optional, listEntry: optional + 1,
                                          signed: isSigned(leaf), timeScale: 1))
                position += 3
                leafIndex += 1
                continue
            }
            guard let type = element.type, element.numChildren == nil || element.numChildren == 0 else {
                throw fail("column \"\(element.name)\" is a group; heapconv expects \(expectation(field))")
            }
            guard element.repetition != .repeated else { throw fail("column \"\(element.name)\" is repeated; heapconv expects one value per row") }
            try checkType(field, type, element)
            leaves.append(ParquetLeaf(field: field, index: leafIndex, type: type, maxDefinition: optional, maxRepetition: 0,
                                      listPresent: 0, listEntry: 0, signed: isSigned(element),
                                      timeScale: field == .ts ? try timeScale(element) : 1))
            position += 1
            leafIndex += 1
        }
        for required in [EventField.event, .ts, .pid] where !leaves.contains(where: { $0.field == required }) {
            throw fail("the file has no column \"\(required.name)\"; heapconv needs event, ts and pid (Schemas/parquet.md)")
        }
        return leaves
    }

    private static func isSigned(_ element: Parquet.SchemaElement) -> Bool {
        if case .integer(_, let signed)? = element.logicalType { return signed }
        if let converted = element.convertedType, [Parquet.ConvertedType.uint8, Parquet.ConvertedType.uint16,
                                                   Parquet.ConvertedType.uint32, Parquet.ConvertedType.uint64].contains(converted) {
            return false
        }
        return true
    }

    private static func timeScale(_ element: Parquet.SchemaElement) throws(ParquetColumnCursor.Failure) -> Int64 {
        if case .timestamp(_, let unit)? = element.logicalType {
            switch unit {
            case 1: return 1_000_000
            case 2: return 1_000
            default: return 1
            }
        }
        if element.convertedType == Parquet.ConvertedType.timestampMillis { return 1_000_000 }
        if element.convertedType == Parquet.ConvertedType.timestampMicros { return 1_000 }
        return 1
    }

    private static func expectation(_ field: EventField) -> String {
        switch field.encoding {
        case .kind, .source, .state, .text, .guid, .pdbKind, .derived: "BYTE_ARRAY (text)"
        case .signed where field == .ts: "INT64 (a TIMESTAMP or nanoseconds)"
        case .hex: "INT32 or INT64, or BYTE_ARRAY hex text"
        case .frames: "a LIST of INT64 (or of hex text)"
        default: "INT32 or INT64"
        }
    }

    private static func checkType(_ field: EventField, _ type: Parquet.PhysicalType, _ element: Parquet.SchemaElement) throws(ParquetColumnCursor.Failure) {
        let ok: Bool
        switch field.encoding {
        case .kind, .source, .state, .text, .guid, .pdbKind, .derived: ok = type == .byteArray
        case .signed where field == .ts: ok = type == .int64
        case .hex, .frames: ok = type == .int32 || type == .int64 || type == .byteArray
        default: ok = type == .int32 || type == .int64
        }
        guard ok else {
            throw .init(message: "column \"\(field.name)\" has type \(type.name); heapconv expects \(expectation(field))", offset: nil)
        }
    }

    // MARK: - Rows

    /// Opens the next row group with rows; `false` after the last.
    private mutating func nextRowGroup() throws(ConversionError) -> Bool {
        while rowsLeft == 0 {
            rowGroup += 1
            guard rowGroup < metadata.rowGroups.count else { return false }
            let group = metadata.rowGroups[rowGroup]
            guard group.numRows > 0 else { continue }
            rowsLeft = Int(group.numRows)
            cursors.removeAll(keepingCapacity: true)
            for leaf in leaves {
                let chunk = group.columns[leaf.index]
                guard chunk.type == leaf.type else {
                    throw ConversionError(.malformedInput, file: name, "column \"\(leaf.field.name)\" has type \(chunk.type.name) in row group \(rowGroup) but \(leaf.type.name) in the schema")
                }
                do throws(ParquetColumnCursor.Failure) {
                    cursors.append(try ParquetColumnCursor(leaf: leaf, input: input, chunk: chunk))
                } catch {
                    throw ConversionError(.malformedInput, file: name, at: error.offset.map { .offset($0) }, error.message)
                }
            }
        }
        return true
    }

    /// A batch ends early once its frames or text pass this many (their references are 32-bit).
    static let maximumBatchStorage = 1 << 28

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        while batch.count < limit && batch.frames.count < Self.maximumBatchStorage && batch.text.count < Self.maximumBatchStorage {
            if rowsLeft == 0 {
                guard try nextRowGroup() else { break }
            }
            do throws(ParquetColumnCursor.Failure) {
                try readRow(into: &batch)
            } catch {
                throw ConversionError(.malformedInput, file: name, at: error.offset.map { .offset($0) }, "row \(row + 1): " + error.message)
            }
            rowsLeft -= 1
            row += 1
        }
        return !batch.isEmpty
    }

    private mutating func readRow(into batch: inout EventBatch) throws(ParquetColumnCursor.Failure) {
        builder.reset()
        for k in cursors.indices {
            let leaf = cursors[k].leaf
            let field = leaf.field
            if leaf.maxRepetition > 0 {
                frameScratch.removeAll(keepingCapacity: true)
                textScratch.removeAll(keepingCapacity: true)
                guard try cursors[k].nextList(integers: &frameScratch, texts: &textScratch) else { continue }
                let start = batch.frames.count
                if leaf.type == .byteArray {
                    for text in textScratch {
                        guard let frame = text.withUnsafeBytes({ TextScalar.hex($0) }) else {
                            throw .init(message: "column \"stack\": frame \(text.withUnsafeBytes { TextScalar.quoted($0) }) is not a hex number like 0x7ff8ed0814e8", offset: nil)
                        }
                        batch.frames.append(frame)
                    }
                } else {
                    batch.frames.append(contentsOf: frameScratch.map { leaf.type == .int32 ? $0 & 0xFFFF_FFFF : $0 })
                }
                builder.setStack(StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start)))
                continue
            }
            guard let value = try cursors[k].nextFlat() else { continue }
            if leaf.type == .byteArray {
                try setText(field, cursors[k].text[value.text], into: &batch)
            } else {
                try setInteger(leaf, value.integer)
            }
        }
        switch builder.build(into: &batch) {
        case .success(let event): batch.append(event)
        case .failure(let problem): throw .init(message: problem.message, offset: nil)
        }
    }

    private mutating func setText(_ field: EventField, _ bytes: ArraySlice<UInt8>, into batch: inout EventBatch) throws(ParquetColumnCursor.Failure) {
        func bad(_ expected: String) -> ParquetColumnCursor.Failure {
            let shown = bytes.withUnsafeBytes { TextScalar.quoted($0) }
            return .init(message: "column \"\(field.name)\": expected \(expected), found \(shown)", offset: nil)
        }
        switch field.encoding {
        case .kind:
            guard let kind = bytes.withUnsafeBytes({ TextScalar.kind($0) }) else {
                throw bad("an event kind (" + EventKind.allCases.map(\.name).joined(separator: ", ") + ")")
            }
            builder.setKind(kind)
        case .source, .state, .text, .guid, .pdbKind:
            if let expected = bytes.withUnsafeBytes({ builder.setText(field, parsing: $0, into: &batch) }) { throw bad(expected) }
        case .hex:
            guard let value = bytes.withUnsafeBytes({ TextScalar.hex($0) }) else { throw bad("a hex number like 0x1a0") }
            builder.set(field, value)
        default:
            builder.setIgnored(field)
        }
    }

    private mutating func setInteger(_ leaf: ParquetLeaf, _ raw: UInt64) throws(ParquetColumnCursor.Failure) {
        let field = leaf.field
        // INT32 values come zero-extended; a signed column's are sign-extended here.
        let value = leaf.type == .int32 && leaf.signed ? UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: raw))) : raw
        let signedValue = Int64(bitPattern: value)
        switch field.encoding {
        case .signed where field == .ts:
            let (scaled, overflow) = signedValue.multipliedReportingOverflow(by: leaf.timeScale)
            guard !overflow else { throw .init(message: "column \"ts\": \(signedValue) is out of range in nanoseconds", offset: nil) }
            builder.set(field, UInt64(bitPattern: scaled))
        case .signed:
            guard Int64(Int32.min)...Int64(Int32.max) ~= signedValue else {
                throw .init(message: "column \"\(field.name)\": \(signedValue) is not a 32-bit integer", offset: nil)
            }
            builder.set(field, value)
        case .hex:
            // Addresses and handles are bit patterns: a signed column's negative values are the high half.
            builder.set(field, leaf.type == .int32 ? raw : value)
        default:
            if leaf.signed && signedValue < 0 {
                throw .init(message: "column \"\(field.name)\": \(signedValue) is negative", offset: nil)
            }
            guard value <= field.maximum else {
                throw .init(message: "column \"\(field.name)\": \(value) is above \(field.maximum)", offset: nil)
            }
            builder.set(field, value)
        }
    }
}

/// Checks that a spooled stream starts as a Parquet file (`PAR1`), so that anything else stops at once.
struct ParquetSpoolCheck: SpoolCheck {
    private var seen: [UInt8] = []
    var headerOffset: UInt64 { 0 }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> ConversionError? {
        guard seen.count < 4 else { return nil }
        seen.append(contentsOf: bytes.prefix(4 - seen.count))
        guard seen.count == 4 || bytes.isEmpty else { return nil }
        return seen.elementsEqual(Parquet.magic.prefix(seen.count)) ? nil
            : ConversionError(.malformedInput, at: .offset(0), "not a Parquet file: it does not start with PAR1")
    }
}

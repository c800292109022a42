/// Writes RFC 4180 CSV: a header row with every ``EventField`` name, then one row per event with empty
/// cells for the fields that do not apply (`Schemas/heap-events.tableschema.json`). No value ever needs
/// quoting: hex, decimal and names only. A stack is its frames joined by `;`; a recorded but empty stack
/// is `[]`, an empty cell means no stack.
public struct CSVWriter: EventWriter {
    let output: OutputBuffer
    private var wroteHeader = false

    public init(output: OutputBuffer) {
        self.output = output
    }

    /// The header row, without its line break.
    public static let header = EventField.allCases.map(\.name).joined(separator: ",")

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        if !wroteHeader { try writeHeader() }
        // One emitter for the batch: one made per event retained and released the buffer every time.
        var emitter = CSVFieldEmitter(output: output, cursor: try output.cursor(reserving: 0))
        let output = self.output
        try batch.withFrameView { (frames) throws(ConversionError) in
            for event in batch.events {
                emitter.startRow(try output.cursor(reserving: maximumTextEventLength))
                try emitter.emit(event, frames: frames)
                emitter.endRow()
                output.commit(emitter.cursor)
            }
        }
    }

    private mutating func writeHeader() throws(ConversionError) {
        wroteHeader = true
        try output.append(string: Self.header + "\r\n")
    }

    public mutating func finish() throws(ConversionError) {
        if !wroteHeader { try writeHeader() }
        try output.finish()
    }
}

/// Formats fields into their columns through a cursor over the room reserved for the row, writing the
/// separators of the cells it skips.
struct CSVFieldEmitter: TextFieldEmitter {
    let output: OutputBuffer
    var cursor: OutputCursor
    private var column = 0

    init(output: OutputBuffer, cursor: OutputCursor) {
        self.output = output
        self.cursor = cursor
    }

    /// Starts the next row in the room of `cursor`.
    mutating func startRow(_ cursor: OutputCursor) {
        self.cursor = cursor
        column = 0
    }

    @inline(__always)
    private mutating func moveTo(_ field: EventField) {
        while column < field.rawValue {
            cursor.append(UInt8(ascii: ","))
            column += 1
        }
    }

    /// Writes the separators of the remaining empty cells and the line break (CRLF, as RFC 4180 says).
    mutating func endRow() {
        moveTo(.stack)
        cursor.append("\r\n")
    }

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        moveTo(.event)
        cursor.append(CSVFieldEmitter.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create", "alloc", "realloc", "free", "destroy", "expand", "contract", "snapshot", "other",
    ]

    @inline(__always)
    mutating func signed(_ field: EventField, _ value: Int64) {
        moveTo(field)
        cursor.append(decimal: value)
    }

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64) {
        moveTo(field)
        cursor.append(decimal: value)
    }

    @inline(__always)
    mutating func hex(_ field: EventField, _ value: UInt64) {
        moveTo(field)
        cursor.append(hex: value)
    }

    @inline(__always)
    mutating func source(_ source: HeapSource) {
        moveTo(.source)
        if let name = source.staticName {
            cursor.append(name)
        } else {
            cursor.append(decimal: UInt64(source.rawValue))
        }
    }

    mutating func stack(_ frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) {
        moveTo(.stack)
        if frames.isEmpty {
            cursor.append("[]")
            return
        }
        var first = true
        for frame in frames {
            try output.ensureRoom(maximumTextFrameLength + 4, in: &cursor)
            if !first { cursor.append(UInt8(ascii: ";")) }
            first = false
            cursor.append(hex: frame)
        }
    }
}

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
        for event in batch.events {
            try output.reserve(maximumTextEventLength)
            var emitter = CSVFieldEmitter(output: output)
            try emitter.emit(event, in: batch)
            emitter.endRow()
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

/// Formats fields into their columns, writing the separators of the cells it skips.
struct CSVFieldEmitter: TextFieldEmitter {
    let output: OutputBuffer
    private var column = 0

    init(output: OutputBuffer) {
        self.output = output
    }

    @inline(__always)
    private mutating func moveTo(_ field: EventField) {
        while column < field.rawValue {
            output.append(UInt8(ascii: ","))
            column += 1
        }
    }

    /// Writes the separators of the remaining empty cells and the line break (CRLF, as RFC 4180 says).
    mutating func endRow() {
        moveTo(.stack)
        output.append(UInt8(ascii: "\r"))
        output.append(UInt8(ascii: "\n"))
    }

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        moveTo(.event)
        output.append(CSVFieldEmitter.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create", "alloc", "realloc", "free", "destroy", "expand", "contract", "snapshot", "other",
    ]

    @inline(__always)
    mutating func signed(_ field: EventField, _ value: Int64) {
        moveTo(field)
        output.append(decimal: value)
    }

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64) {
        moveTo(field)
        output.append(decimal: value)
    }

    @inline(__always)
    mutating func hex(_ field: EventField, _ value: UInt64) {
        moveTo(field)
        output.append(hex: value)
    }

    @inline(__always)
    mutating func source(_ source: HeapSource) {
        moveTo(.source)
        if let name = source.staticName {
            output.append(name)
        } else {
            output.append(decimal: UInt64(source.rawValue))
        }
    }

    mutating func stack(_ frames: ArraySlice<UInt64>) throws(ConversionError) {
        moveTo(.stack)
        if frames.isEmpty {
            output.append("[]")
            return
        }
        var first = true
        for frame in frames {
            try output.reserve(maximumTextFrameLength + 4)
            if !first { output.append(UInt8(ascii: ";")) }
            first = false
            output.append(hex: frame)
        }
    }
}

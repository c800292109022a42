/// Writes RFC 4180 CSV: a header row with every stored ``EventField`` name, then one row per event with
/// empty cells for the fields that do not apply (`Schemas/heap-events.tableschema.json`). Only strings of
/// context records (names, command lines) are ever quoted. A stack is its frames joined by `;`; a recorded
/// but empty stack is `[]`, an empty cell means no stack.
public struct CSVWriter: EventWriter {
    let output: OutputBuffer
    private var wroteHeader = false
    /// With `--frames`: the images that name each heap event's stack frames in a last `frames` column.
    let modules: ModuleMap?

    public init(output: OutputBuffer, frames: Bool = false) {
        self.output = output
        modules = frames ? ModuleMap() : nil
    }

    /// The header row, without its line break.
    public static let header = EventField.stored.map(\.name).joined(separator: ",")

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        if !wroteHeader { try writeHeader() }
        // One emitter for the batch: one made per event retained and released the buffer every time.
        var emitter = CSVFieldEmitter(output: output, cursor: try output.cursor(reserving: 0),
                                      lastColumn: modules == nil ? EventField.stored.last! : .frames)
        let output = self.output
        let modules = self.modules
        try batch.withFrameView { (frames) throws(ConversionError) in
            for event in batch.events {
                emitter.startRow(try output.cursor(reserving: maximumTextEventLength))
                try emitter.emit(event, frames: frames)
                if let modules {
                    if event.isContext {
                        modules.apply(event, in: batch)
                    } else if let stack = frames.stack(event.context.stack) {
                        try emitter.frames(stack, processID: event.context.processID, modules: modules)
                    }
                }
                emitter.endRow()
                output.commit(emitter.cursor)
            }
        }
    }

    private mutating func writeHeader() throws(ConversionError) {
        wroteHeader = true
        try output.append(string: Self.header + (modules == nil ? "" : ",frames") + "\r\n")
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
    /// The row's last column (`stack`, or `frames` with `--frames`).
    let lastColumn: EventField

    init(output: OutputBuffer, cursor: OutputCursor, lastColumn: EventField = EventField.stored.last!) {
        self.output = output
        self.cursor = cursor
        self.lastColumn = lastColumn
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
        moveTo(lastColumn)
        cursor.append("\r\n")
    }

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        moveTo(.event)
        cursor.append(CSVFieldEmitter.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create", "alloc", "realloc", "free", "destroy", "expand", "contract", "snapshot", "other",
        "process", "thread", "image",
    ]

    mutating func state(_ state: ContextState) {
        moveTo(.state)
        cursor.append(Self.stateNames[Int(state.rawValue)])
    }

    private static let stateNames: [StaticString] = ["start", "end", "dcstart", "dcend", "defunct", "load", "unload"]

    mutating func text(_ field: EventField, _ bytes: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        moveTo(field)
        try output.appendCSVCell(bytes, reserveAfter: 128, to: &cursor)
    }

    /// The `frames` cell: the stack's frames as `module+0xoffset` names joined by `;` (quoted when a module
    /// name needs it).
    mutating func frames(_ stack: UnsafeBufferPointer<UInt64>, processID: UInt32, modules: ModuleMap) throws(ConversionError) {
        moveTo(.frames)
        var cell: [UInt8] = []
        for (i, frame) in stack.enumerated() {
            if i > 0 { cell.append(UInt8(ascii: ";")) }
            cell += modules.frameName(frame, processID: processID).utf8
        }
        if stack.isEmpty { cell = Array("[]".utf8) }
        try cell.withUnsafeBufferPointer { (bytes) throws(ConversionError) in
            try output.appendCSVCell(bytes, reserveAfter: 8, to: &cursor)
        }
    }

    mutating func pdb(_ encoded: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        guard let pdb = PDBIdentity(encoded: encoded) else { return }
        try pdb.name.withUnsafeBufferPointer { (name) throws(ConversionError) in try text(.pdbName, name) }
        moveTo(.pdbGUID)
        for byte in pdb.guidText.utf8 { cursor.append(byte) }
        decimal(.pdbAge, UInt64(pdb.age))
        if pdb.isIL {
            moveTo(.pdbKind)
            cursor.append("il")
        }
    }

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

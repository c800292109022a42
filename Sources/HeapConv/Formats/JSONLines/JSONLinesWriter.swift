/// Writes one JSON object per event per line, keys in ``EventField`` order, no spaces: the normative text
/// form, byte-for-byte deterministic (`Schemas/heap-event.schema.json`).
public struct JSONLinesWriter: EventWriter {
    let output: OutputBuffer
    /// With `--frames`: the images that name each heap event's stack frames in a `frames` array.
    let modules: ModuleMap?

    public init(output: OutputBuffer, frames: Bool = false) {
        self.output = output
        modules = frames ? ModuleMap() : nil
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        // One emitter for the batch: one made per event retained and released the buffer every time.
        var emitter = JSONFieldEmitter(output: output, cursor: try output.cursor(reserving: 0))
        let output = self.output
        let modules = self.modules
        try batch.withFrameView { (frames) throws(ConversionError) in
            for event in batch.events {
                emitter.cursor = try output.cursor(reserving: maximumTextEventLength)
                try emitter.emit(event, frames: frames)
                if let modules {
                    if event.isContext {
                        modules.apply(event, in: batch)
                    } else if let stack = frames.stack(event.context.stack) {
                        emitter.cursor.append(",\"frames\":")
                        try output.appendStackArray(stack, names: modules, processID: event.context.processID,
                                                    reserveAfter: 3, to: &emitter.cursor)
                    }
                }
                emitter.cursor.append("}\n")
                output.commit(emitter.cursor)
            }
        }
    }

    public mutating func finish() throws(ConversionError) {
        try output.finish()
    }
}

/// Formats fields as `"key":value` pairs through a cursor over the room reserved for the event; the first
/// field opens the object.
struct JSONFieldEmitter: TextFieldEmitter {
    let output: OutputBuffer
    var cursor: OutputCursor

    @inline(__always)
    private mutating func key(_ field: EventField) {
        cursor.append(Self.keyPrefixes[field.rawValue])
    }

    // `,"key":` for every field, as static strings (`{"event":"` for the first; `"` after the colon for
    // hex fields).
    static let keyPrefixes: [StaticString] = [
        "{\"event\":\"", ",\"ts\":", ",\"pid\":", ",\"tid\":", ",\"cpu\":", ",\"state\":\"", ",\"heap\":\"",
        ",\"address\":\"", ",\"size\":", ",\"old_address\":\"", ",\"old_size\":", ",\"source\":", ",\"flags\":",
        ",\"opcode\":", ",\"reserve_size\":", ",\"commit_size\":", ",\"allocated_size\":", ",\"committed_size\":",
        ",\"decommit_size\":", ",\"free_space\":", ",\"committed_space\":", ",\"reserved_space\":",
        ",\"large_ucr_space\":", ",\"allocated_space\":", ",\"no_of_ucrs\":", ",\"free_list_length\":",
        ",\"ucr_length\":", ",\"process_id\":", ",\"parent_pid\":", ",\"session\":", ",\"exit_status\":",
        ",\"name\":", ",\"command_line\":", ",\"checksum\":", ",\"timestamp\":", ",\"pdb_name\":",
        ",\"pdb_guid\":\"", ",\"pdb_age\":", ",\"pdb_kind\":\"", ",\"stack\":", ",\"frames\":",
    ]

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        key(.event)
        cursor.append(Self.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create\"", "alloc\"", "realloc\"", "free\"", "destroy\"", "expand\"", "contract\"", "snapshot\"", "other\"",
        "process\"", "thread\"", "image\"",
    ]

    mutating func state(_ state: ContextState) {
        key(.state)
        cursor.append(Self.stateNames[Int(state.rawValue)])
    }

    private static let stateNames: [StaticString] = [
        "start\"", "end\"", "dcstart\"", "dcend\"", "defunct\"", "load\"", "unload\"",
    ]

    mutating func text(_ field: EventField, _ bytes: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        key(field)
        try output.appendJSONString(bytes, reserveAfter: 128, to: &cursor)
    }

    mutating func pdb(_ encoded: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        guard let pdb = PDBIdentity(encoded: encoded) else { return }
        try pdb.name.withUnsafeBufferPointer { (name) throws(ConversionError) in try text(.pdbName, name) }
        key(.pdbGUID)
        for byte in pdb.guidText.utf8 { cursor.append(byte) }
        cursor.append(UInt8(ascii: "\""))
        decimal(.pdbAge, UInt64(pdb.age))
        if pdb.isIL {
            key(.pdbKind)
            cursor.append("il\"")
        }
    }

    @inline(__always)
    mutating func signed(_ field: EventField, _ value: Int64) {
        key(field)
        cursor.append(decimal: value)
    }

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64) {
        key(field)
        cursor.append(decimal: value)
    }

    @inline(__always)
    mutating func hex(_ field: EventField, _ value: UInt64) {
        key(field)
        cursor.append(hex: value)
        cursor.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func source(_ source: HeapSource) {
        key(.source)
        cursor.appendJSON(source)
    }

    mutating func stack(_ frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) {
        key(.stack)
        // Room after the array for the line's end, `}` and a line break.
        try output.appendStackArray(frames, reserveAfter: 3, to: &cursor)
    }
}

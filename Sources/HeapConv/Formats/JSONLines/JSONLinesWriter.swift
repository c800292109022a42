/// Writes one JSON object per event per line, keys in ``EventField`` order, no spaces: the normative text
/// form, byte-for-byte deterministic (`Schemas/heap-event.schema.json`).
public struct JSONLinesWriter: EventWriter {
    let output: OutputBuffer

    public init(output: OutputBuffer) {
        self.output = output
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        // One emitter for the batch: one made per event retained and released the buffer every time.
        var emitter = JSONFieldEmitter(output: output, cursor: try output.cursor(reserving: 0))
        let output = self.output
        try batch.withFrameView { (frames) throws(ConversionError) in
            for event in batch.events {
                emitter.cursor = try output.cursor(reserving: maximumTextEventLength)
                try emitter.emit(event, frames: frames)
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

    // `,"key":` for every field, as static strings (`{"event":` for the first).
    private static let keyPrefixes: [StaticString] = [
        "{\"event\":\"", ",\"ts\":", ",\"pid\":", ",\"tid\":", ",\"cpu\":", ",\"heap\":\"", ",\"address\":\"",
        ",\"size\":", ",\"old_address\":\"", ",\"old_size\":", ",\"source\":", ",\"flags\":", ",\"opcode\":",
        ",\"reserve_size\":", ",\"commit_size\":", ",\"allocated_size\":", ",\"committed_size\":",
        ",\"decommit_size\":", ",\"free_space\":", ",\"committed_space\":", ",\"reserved_space\":",
        ",\"large_ucr_space\":", ",\"allocated_space\":", ",\"no_of_ucrs\":", ",\"free_list_length\":",
        ",\"ucr_length\":", ",\"process_id\":", ",\"stack\":",
    ]

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        key(.event)
        cursor.append(Self.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create\"", "alloc\"", "realloc\"", "free\"", "destroy\"", "expand\"", "contract\"", "snapshot\"", "other\"",
    ]

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

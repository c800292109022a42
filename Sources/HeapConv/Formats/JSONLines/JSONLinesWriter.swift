/// Writes one JSON object per event per line, keys in ``EventField`` order, no spaces: the normative text
/// form, byte-for-byte deterministic (`Schemas/heap-event.schema.json`).
public struct JSONLinesWriter: EventWriter {
    let output: OutputBuffer

    public init(output: OutputBuffer) {
        self.output = output
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        var emitter = JSONFieldEmitter(output: output)
        for event in batch.events {
            try output.reserve(maximumTextEventLength)
            try emitter.emit(event, in: batch)
            output.append(UInt8(ascii: "}"))
            output.append(UInt8(ascii: "\n"))
        }
    }

    public mutating func finish() throws(ConversionError) {
        try output.finish()
    }
}

/// Formats fields as `"key":value` pairs; the first field opens the object.
struct JSONFieldEmitter: TextFieldEmitter {
    let output: OutputBuffer

    @inline(__always)
    private func key(_ field: EventField) {
        output.append(Self.keyPrefixes[field.rawValue])
    }

    // `,"key":` for every field, as static strings (`{"event":` for the first).
    private static let keyPrefixes: [StaticString] = [
        "{\"event\":\"", ",\"ts\":", ",\"pid\":", ",\"tid\":", ",\"cpu\":", ",\"heap\":\"", ",\"address\":\"",
        ",\"size\":", ",\"old_address\":\"", ",\"old_size\":", ",\"source\":", ",\"flags\":", ",\"opcode\":",
        ",\"reserve_size\":", ",\"commit_size\":", ",\"allocated_size\":", ",\"committed_size\":",
        ",\"decommit_size\":", ",\"free_space\":", ",\"committed_space\":", ",\"reserved_space\":",
        ",\"large_ucr_space\":", ",\"allocated_space\":", ",\"no_of_ucrs\":", ",\"free_list_length\":",
        ",\"ucr_length\":", ",\"process_id\":", ",\"stack\":[",
    ]

    @inline(__always)
    mutating func kind(_ kind: EventKind) {
        key(.event)
        output.append(Self.kindNames[Int(kind.rawValue)])
    }

    private static let kindNames: [StaticString] = [
        "create\"", "alloc\"", "realloc\"", "free\"", "destroy\"", "expand\"", "contract\"", "snapshot\"", "other\"",
    ]

    @inline(__always)
    mutating func signed(_ field: EventField, _ value: Int64) {
        key(field)
        output.append(decimal: value)
    }

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64) {
        key(field)
        output.append(decimal: value)
    }

    @inline(__always)
    mutating func hex(_ field: EventField, _ value: UInt64) {
        key(field)
        output.append(hex: value)
        output.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func source(_ source: HeapSource) {
        key(.source)
        output.appendJSON(source)
    }

    mutating func stack(_ frames: ArraySlice<UInt64>) throws(ConversionError) {
        key(.stack)
        var first = true
        for frame in frames {
            try output.reserve(maximumTextFrameLength + 4)
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            output.append(UInt8(ascii: "\""))
            output.append(hex: frame)
            output.append(UInt8(ascii: "\""))
        }
        output.append(UInt8(ascii: "]"))
    }
}

/// Byte-level pieces of Chrome trace records: timestamps, counter values, lifetime ids and the `args` of an
/// instant.
///
/// Everything is formatted through an ``OutputCursor`` over room the ``ChromeWriter`` reserved; these
/// helpers only append.

extension OutputCursor {
    /// Appends `ns` nanoseconds as microseconds with at most three decimals and no trailing zeros
    /// (`12345678` → `12345.678`, `1500` → `1.5`, `2000` → `2`): exact, never through `Double` (at most
    /// 24 bytes).
    @inline(__always)
    mutating func appendMicroseconds(_ ns: UInt64) {
        let (us, fraction) = ns.quotientAndRemainder(dividingBy: 1000)
        append(decimal: us)
        guard fraction != 0 else { return }
        append(UInt8(ascii: "."))
        let (hundreds, rest) = fraction.quotientAndRemainder(dividingBy: 100)
        let (tens, ones) = rest.quotientAndRemainder(dividingBy: 10)
        append(UInt8(truncatingIfNeeded: hundreds) &+ 0x30)
        if rest != 0 {
            append(UInt8(truncatingIfNeeded: tens) &+ 0x30)
            if ones != 0 { append(UInt8(truncatingIfNeeded: ones) &+ 0x30) }
        }
    }

    /// Appends a counter value as a JSON number that both importers read without loss up to 2^53: an
    /// integer below that, the shortest round-tripping double above it (an integer past `Int64.max` would
    /// make Perfetto's tokenizer reject the whole file). At most 24 bytes.
    @inline(__always)
    mutating func appendCounterValue(_ value: UInt64) {
        if value <= ChromeWriter.exactDoubleLimit {
            append(decimal: value)
        } else {
            appendLargeCounterValue(value)
        }
    }

    private mutating func appendLargeCounterValue(_ value: UInt64) {
        // Rare (2^53 live bytes is 8 PiB): a String here costs nothing per event.
        for byte in Double(value).description.utf8 { append(byte) }
    }

    /// Appends a size as a JSON number up to 2^53, which both importers hold exactly as a double, and as a
    /// `"0x..."` string above, where a number would reach the viewers rounded (at most 20 bytes).
    @inline(__always)
    mutating func appendSizeValue(_ value: UInt64) {
        if value <= ChromeWriter.exactDoubleLimit {
            append(decimal: value)
        } else {
            append(UInt8(ascii: "\""))
            append(hex: value)
            append(UInt8(ascii: "\""))
        }
    }

    /// Appends `"0x...:0x...:n"`, the `id2.local` of a block's lifetime slice (at most 60 bytes).
    @inline(__always)
    mutating func appendLifetimeID(heap: UInt64, address: UInt64, sequence: UInt64) {
        append(UInt8(ascii: "\""))
        append(hex: heap)
        append(UInt8(ascii: ":"))
        append(hex: address)
        append(UInt8(ascii: ":"))
        append(decimal: sequence)
        append(UInt8(ascii: "\""))
    }
}

/// Formats an event's fields as the `args` of its instant: `"cpu":3,"heap":"0x1a0000","address":"0x..."`.
///
/// Addresses, heap handles and flags are `"0x..."` strings; sizes, spaces, counts and ids are JSON numbers
/// up to 2^53, which both importers (reading numbers as doubles) hold exactly, and `"0x..."` strings above. Time, process and thread are
/// the record's own `ts`, `pid` and `tid`, so they are left out here.
struct ChromeArgsEmitter: TextFieldEmitter {
    let output: OutputBuffer
    /// Where the fields go: set before each event.
    var cursor: OutputCursor
    /// Room to leave after a long stack for the rest of the record.
    let reserveAfterStack: Int
    /// The images that name stack frames (`ntdll.dll+0x1a2b3`).
    let modules: ModuleMap
    /// The process of the event being written, whose images name its user-mode frames.
    var processID: UInt32 = 0

    @inline(__always)
    mutating func kind(_ kind: EventKind) {}

    @inline(__always)
    mutating func signed(_ field: EventField, _ value: Int64) {}

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64) {
        switch field {
        case .pid, .tid:
            return
        case .cpu:
            // The first argument: `heap` always follows it.
            cursor.append("\"cpu\":")
            cursor.append(decimal: value)
            cursor.append(UInt8(ascii: ","))
        case .flags:
            cursor.append(",\"flags\":\"")
            cursor.append(hex: value)
            cursor.append(UInt8(ascii: "\""))
        default:
            cursor.append(Self.keyPrefixes[field.rawValue])
            cursor.appendSizeValue(value)
        }
    }

    @inline(__always)
    mutating func hex(_ field: EventField, _ value: UInt64) {
        if field == .heap {
            cursor.append("\"heap\":\"")
        } else {
            cursor.append(Self.keyPrefixes[field.rawValue])
            cursor.append(UInt8(ascii: "\""))
        }
        cursor.append(hex: value)
        cursor.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func source(_ source: HeapSource) {
        cursor.append(",\"source\":")
        cursor.appendJSON(source)
    }

    mutating func stack(_ frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) {
        cursor.append(",\"stack\":")
        try output.appendStackArray(frames, names: modules, processID: processID, reserveAfter: reserveAfterStack, to: &cursor)
    }

    // Context records are not instants: the Chrome writer turns them into names (see ``ChromeWriter``).
    mutating func state(_ state: ContextState) {}
    mutating func text(_ field: EventField, _ bytes: UnsafeBufferPointer<UInt8>) throws(ConversionError) {}
    mutating func pdb(_ encoded: UnsafeBufferPointer<UInt8>) throws(ConversionError) {}

    /// `,"key":` for every ``EventField``, in its order (the same names as JSON Lines).
    static let keyPrefixes: [StaticString] = [
        ",\"event\":", ",\"ts\":", ",\"pid\":", ",\"tid\":", ",\"cpu\":", ",\"state\":", ",\"heap\":",
        ",\"address\":", ",\"size\":", ",\"old_address\":", ",\"old_size\":", ",\"source\":", ",\"flags\":",
        ",\"opcode\":", ",\"reserve_size\":", ",\"commit_size\":", ",\"allocated_size\":", ",\"committed_size\":",
        ",\"decommit_size\":", ",\"free_space\":", ",\"committed_space\":", ",\"reserved_space\":",
        ",\"large_ucr_space\":", ",\"allocated_space\":", ",\"no_of_ucrs\":", ",\"free_list_length\":",
        ",\"ucr_length\":", ",\"process_id\":", ",\"parent_pid\":", ",\"session\":", ",\"exit_status\":",
        ",\"name\":", ",\"command_line\":", ",\"checksum\":", ",\"timestamp\":", ",\"pdb_name\":",
        ",\"pdb_guid\":", ",\"pdb_age\":", ",\"pdb_kind\":", ",\"stack\":", ",\"frames\":",
    ]

    /// The instant names users know from Windows tools, by ``EventKind`` raw value, with the closing quote.
    static let instantNames: [StaticString] = [
        "HeapCreate\"", "HeapAlloc\"", "HeapReAlloc\"", "HeapFree\"", "HeapDestroy\"", "HeapExpand\"",
        "HeapContract\"", "HeapSnapShot\"", "HeapEvent\"",
    ]
}

/// Text formatted once and copied into many records: the current event's `ts`, shared by its instant and
/// counters, and the `pid` and name prefix of each counter track.
struct ChromeRecordText {
    private var ts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var tsCount = 0
    private var arena: [UInt8] = []

    /// Formats `ns` nanoseconds as the `ts` to copy (``OutputCursor/appendMicroseconds(_:)``, at most 24
    /// of the 32 bytes).
    @inline(__always)
    mutating func setTimestamp(_ ns: UInt64) {
        tsCount = withUnsafeMutableBytes(of: &ts) { text -> Int in
            let start = text.baseAddress!
            var cursor = OutputCursor(position: start, limit: start + text.count)
            cursor.appendMicroseconds(ns)
            return start.distance(to: cursor.position)
        }
    }

    /// Appends the `ts` last set.
    @inline(__always)
    func appendTimestamp(to cursor: inout OutputCursor) {
        withUnsafeBytes(of: ts) { cursor.append(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<tsCount])) }
    }

    /// Keeps `text` for ``append(_:to:)``.
    mutating func store(_ text: String) -> Range<Int> {
        let start = arena.count
        arena.append(contentsOf: text.utf8)
        return start..<arena.count
    }

    /// Appends text kept by ``store(_:)``.
    @inline(__always)
    func append(_ range: Range<Int>, to cursor: inout OutputCursor) {
        arena.withUnsafeBytes { cursor.append(bytes: UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}

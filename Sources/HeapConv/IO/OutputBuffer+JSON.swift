extension OutputCursor {
    /// Appends a heap source as a JSON string: its name, or its decimal number when it has no name (`"9"`),
    /// so that the key has one JSON type (at most 12 bytes). Shared by the JSON writers so they spell sources
    /// alike.
    @inline(__always)
    mutating func appendJSON(_ source: HeapSource) {
        append(UInt8(ascii: "\""))
        if let name = source.staticName {
            append(name)
        } else {
            append(decimal: UInt64(source.rawValue))
        }
        append(UInt8(ascii: "\""))
    }
}

extension OutputBuffer {
    /// Appends a stack as a JSON array of strings through `cursor`, making room frame by frame (a stack may
    /// hold thousands of frames): hex addresses, or, when `names` holds images, the frames' names in
    /// `processID` (`"ntdll.dll+0x1a2b3"`, `"0x..."` outside any module). Leaves at least `reserveAfter`
    /// bytes of room before the closing `]`.
    func appendStackArray(_ frames: some Collection<UInt64>, names: ModuleMap? = nil, processID: UInt32 = 0,
                          reserveAfter: Int, to cursor: inout OutputCursor) throws(ConversionError) {
        // Without images every name would be the hex address: skip the lookups.
        let modules = names.flatMap { $0.isEmpty ? nil : $0 }
        let perFrame = (modules?.maximumFrameNameLength ?? maximumTextFrameLength) + 4
        try ensureRoom(1, in: &cursor)
        cursor.append(UInt8(ascii: "["))
        var first = true
        for frame in frames {
            try ensureRoom(perFrame, in: &cursor)
            if !first { cursor.append(UInt8(ascii: ",")) }
            first = false
            cursor.append(UInt8(ascii: "\""))
            if let modules {
                modules.appendFrameName(frame, processID: processID, to: &cursor)
            } else {
                cursor.append(hex: frame)
            }
            cursor.append(UInt8(ascii: "\""))
        }
        try ensureRoom(reserveAfter, in: &cursor)
        cursor.append(UInt8(ascii: "]"))
    }
}

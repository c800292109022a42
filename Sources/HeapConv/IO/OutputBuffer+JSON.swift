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
    /// Appends a stack as a JSON array of hex strings through `cursor`, making room frame by frame (a stack
    /// may hold thousands of frames). Leaves at least `reserveAfter` bytes of room before the closing `]`.
    func appendStackArray(_ frames: some Collection<UInt64>, reserveAfter: Int,
                          to cursor: inout OutputCursor) throws(ConversionError) {
        try ensureRoom(1, in: &cursor)
        cursor.append(UInt8(ascii: "["))
        var first = true
        for frame in frames {
            try ensureRoom(maximumTextFrameLength + 4, in: &cursor)
            if !first { cursor.append(UInt8(ascii: ",")) }
            first = false
            cursor.append(UInt8(ascii: "\""))
            cursor.append(hex: frame)
            cursor.append(UInt8(ascii: "\""))
        }
        try ensureRoom(reserveAfter, in: &cursor)
        cursor.append(UInt8(ascii: "]"))
    }
}

extension OutputBuffer {
    /// Appends a stack as a JSON array of frame names (`"ntdll.dll+0x1a2b3"`, or `"0x..."` outside any
    /// module) through `cursor`, making room frame by frame. Leaves at least `reserveAfter` bytes of room.
    func appendFrameNames(_ frames: some Collection<UInt64>, processID: UInt32, modules: ModuleMap, reserveAfter: Int,
                          to cursor: inout OutputCursor) throws(ConversionError) {
        let perFrame = modules.maximumFrameNameLength + 4
        try ensureRoom(2 + reserveAfter, in: &cursor)
        cursor.append(UInt8(ascii: "["))
        var first = true
        for frame in frames {
            try ensureRoom(perFrame + 1 + reserveAfter, in: &cursor)
            if !first { cursor.append(UInt8(ascii: ",")) }
            first = false
            cursor.append(UInt8(ascii: "\""))
            modules.appendFrameName(frame, processID: processID, to: &cursor)
            cursor.append(UInt8(ascii: "\""))
        }
        cursor.append(UInt8(ascii: "]"))
    }
}

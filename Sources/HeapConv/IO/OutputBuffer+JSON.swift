extension OutputCursor {
    /// Appends a heap source as a JSON value: its name in quotes, or its number when it has no name
    /// (at most 13 bytes). Shared by the JSON writers so they spell sources alike.
    @inline(__always)
    mutating func appendJSON(_ source: HeapSource) {
        if let name = source.staticName {
            append(UInt8(ascii: "\""))
            append(name)
            append(UInt8(ascii: "\""))
        } else {
            append(decimal: UInt64(source.rawValue))
        }
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

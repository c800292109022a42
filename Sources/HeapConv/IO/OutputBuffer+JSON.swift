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
    /// Appends a heap source as a JSON value (see ``OutputCursor/appendJSON(_:)``).
    @inline(__always)
    func appendJSON(_ source: HeapSource) {
        write { $0.appendJSON(source) }
    }
}

/// Strings of context records (names, command lines, PDB paths) in JSON and CSV, through a cursor, making
/// room as they go: a command line may be far longer than the room reserved for a record.
extension OutputBuffer {
    /// Appends `bytes` (UTF-8) as a JSON string, quotes included: `"` and `\` escaped, control characters
    /// as `\b \f \n \r \t` or `\u00XX`, everything else as it is. Leaves at least `reserveAfter` bytes of room.
    func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>, reserveAfter: Int,
                          to cursor: inout OutputCursor) throws(ConversionError) {
        // Each byte takes at most 6 bytes (`\u00XX`); room for the worst case, in pieces of 256 bytes (outputs may buffer as little as 4 KiB).
        try ensureRoom(2 + reserveAfter, in: &cursor)
        cursor.append(UInt8(ascii: "\""))
        var start = 0
        while start < bytes.count {
            let end = min(start + 256, bytes.count)
            try ensureRoom(6 * (end - start) + 1 + reserveAfter, in: &cursor)
            for byte in bytes[start..<end] {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    cursor.append(UInt8(ascii: "\\"))
                    cursor.append(byte)
                case 0x20...:
                    cursor.append(byte)
                case 0x08: cursor.append("\\b")
                case 0x0C: cursor.append("\\f")
                case 0x0A: cursor.append("\\n")
                case 0x0D: cursor.append("\\r")
                case 0x09: cursor.append("\\t")
                default:
                    cursor.append("\\u00")
                    cursor.append(SWARDigits.lowerHexDigit(byte >> 4))
                    cursor.append(SWARDigits.lowerHexDigit(byte & 0xF))
                }
            }
            start = end
        }
        cursor.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` as a CSV cell (RFC 4180): as they are, or in double quotes, with quotes doubled, when
    /// they hold a comma, a quote, a line break, or start or end with a space.
    func appendCSVCell(_ bytes: UnsafeBufferPointer<UInt8>, reserveAfter: Int, to cursor: inout OutputCursor) throws(ConversionError) {
        let needsQuotes = bytes.first == 0x20 || bytes.last == 0x20
            || bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        var start = 0
        try ensureRoom(2 + reserveAfter, in: &cursor)
        if needsQuotes { cursor.append(UInt8(ascii: "\"")) }
        while start < bytes.count {
            let end = min(start + 256, bytes.count)
            try ensureRoom(2 * (end - start) + 1 + reserveAfter, in: &cursor)
            for byte in bytes[start..<end] {
                if byte == UInt8(ascii: "\"") { cursor.append(byte) }
                cursor.append(byte)
            }
            start = end
        }
        if needsQuotes { cursor.append(UInt8(ascii: "\"")) }
    }
}

/// One record found in a buffer: its kind and where it is. Nothing of it is decoded yet.
struct RawRecord {
    var kind: RecordKind
    /// Offset of the record's first byte from the buffer start.
    var position: Int
    /// The record's size from its header (header included, alignment padding excluded).
    var size: Int
}

/// Why a buffer's records cannot be walked past `position`.
struct RecordWalkError: Error {
    var position: Int
    var message: String
}

/// Walks the records of one buffer reading only each record's 4-byte marker and its size, so records that
/// are not heap events cost a few loads each (FORMAT.md §1.2, §2).
///
/// Records start at 0x48 and are 8-byte aligned from the buffer start. The walk ends at `Offset` (the end of
/// valid data, never `SavedOffset`), at a `0xFFFFFFFF` marker (unused space), or when fewer than 4 bytes
/// remain. A marker that is no trace header, a size smaller than its header or one that runs past `Offset`
/// stops the walk with an error: the following records cannot be found.
struct RecordCursor {
    let bytes: ByteView
    /// `Offset`, at most `bytes.count`.
    let end: Int
    private(set) var position: Int

    init(_ buffer: LoadedBuffer) {
        self.init(bytes: buffer.bytes, end: buffer.dataEnd)
    }

    init(bytes: ByteView, end: Int, position: Int = BufferHeader.size) {
        precondition(end <= bytes.count)
        self.bytes = bytes
        self.end = end
        self.position = position
    }

    /// The next record, or `nil` at the end of the buffer's data.
    @inline(__always)
    mutating func next() throws(RecordWalkError) -> RawRecord? {
        let pos = position
        // Safe: `end <= bytes.count` (checked in init), so `pos + 4 <= end` keeps the load inside the view.
        guard pos <= end &- 4 else { return nil }
        let marker = bytes.u32Unchecked(pos)
        if marker == 0xFFFF_FFFF { return nil }
        let flags = UInt8(truncatingIfNeeded: marker >> 24)
        let kind: RecordKind
        if flags & 0xC0 == 0xC0 {
            guard let known = RecordKind.traceHeader(type: UInt8(truncatingIfNeeded: marker >> 16)) else {
                throw RecordWalkError(position: pos, message: "unknown record header type \(UInt8(truncatingIfNeeded: marker >> 16).hex) (marker \(Self.hex8(marker)))")
            }
            kind = known
        } else if flags & 0x80 != 0 {
            kind = .message
        } else {
            throw RecordWalkError(position: pos, message: "\(Self.hex8(marker)) is not a record marker")
        }
        let sizeAt = pos + kind.sizeFieldOffset
        guard sizeAt <= end &- 2 else {
            throw RecordWalkError(position: pos, message: "\(kind.name) record header runs past the buffer end (Offset \(end.hex))")
        }
        // Safe: `sizeAt + 2 <= end <= bytes.count` was checked just above.
        let size = Int(bytes.u16Unchecked(sizeAt))
        guard size >= kind.headerSize else {
            throw RecordWalkError(position: pos, message: "record size \(size.hex) is smaller than its \(kind.headerSize.hex)-byte \(kind.name) header")
        }
        guard size <= end - pos else {
            throw RecordWalkError(position: pos, message: "record size \(size.hex) runs past the buffer end (Offset \(end.hex))")
        }
        position = pos + ((size + 7) & ~7)
        return RawRecord(kind: kind, position: pos, size: size)
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

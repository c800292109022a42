/// Checks the buffer headers of an `.etl` stream as its bytes arrive, before they are spooled to disk.
///
/// A pipe or device cannot be read at random offsets, so its bytes are copied to a temporary file first; this
/// check makes that copy stop at the first byte that cannot belong to an `.etl` file (the first buffer header
/// whose size or data end is impossible) instead of filling the disk with `/dev/zero` or a garbage stream.
/// It follows the chain of buffer sizes from offset 0, keeping only the header being gathered: its state is
/// 0x48 bytes whatever the stream's length.
struct StreamedBufferCheck: SpoolCheck {
    /// Bytes fed so far.
    private(set) var position: UInt64 = 0
    /// File offset of the buffer header being gathered (or awaited).
    private(set) var headerOffset: UInt64 = 0
    private var header = [UInt8](repeating: 0, count: BufferHeader.size)
    private var gathered = 0

    /// Feeds the next `bytes` of the stream. Returns the problem of the first impossible buffer header among
    /// them (its offset is ``headerOffset``); `nil` while every header is possible.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> ConversionError? {
        var i = 0
        while i < bytes.count {
            let here = position + UInt64(i)
            if here < headerOffset {
                // Inside a buffer's body: skip to its end or the end of these bytes.
                i += Int(min(headerOffset - here, UInt64(bytes.count - i)))
                continue
            }
            let take = min(BufferHeader.size - gathered, bytes.count - i)
            header.withUnsafeMutableBytes { target in
                // Safe: `gathered + take <= 0x48` and `i + take <= bytes.count` by the `min` above.
                target.baseAddress!.advanced(by: gathered).copyMemory(from: bytes.baseAddress!.advanced(by: i), byteCount: take)
            }
            gathered += take
            i += take
            if gathered == BufferHeader.size {
                if let problem = checkHeader() {
                    position += UInt64(i)
                    return problem
                }
                gathered = 0
            }
        }
        position += UInt64(bytes.count)
        return nil
    }

    /// Checks the gathered header and moves ``headerOffset`` past its buffer.
    private mutating func checkHeader() -> ConversionError? {
        let parsed = header.withUnsafeBytes { BufferHeader(ByteView($0)) }
        // The stream's length is unknown: no header is checked against it, only against the largest
        // buffer ETW writes.
        if let problem = parsed.problem(at: headerOffset, fileSize: .max, logicalSize: BufferHeader.maximumSize) {
            let text = headerOffset == 0 ? "first buffer: " + problem + " (not an .etl file?)" : problem
            return ConversionError(.malformedInput, at: .offset(headerOffset), text)
        }
        headerOffset += UInt64(parsed.bufferSize)
        return nil
    }
}

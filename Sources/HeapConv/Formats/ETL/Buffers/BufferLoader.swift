/// One buffer ready for its records to be walked: its header, where it is in the file, and its logical
/// bytes `[0, Offset)` — the header followed by the records, decompressed when the buffer was compressed.
struct LoadedBuffer {
    var header: BufferHeader
    /// File offset of the buffer's first byte.
    var fileOffset: UInt64
    /// The buffer as it was in memory when ETW flushed it, up to `Offset`. Valid until the storage it was
    /// loaded into is reused.
    var bytes: ByteView

    var dataEnd: Int { Int(header.dataEnd) }

    /// Where a problem at `position` (from the buffer start) is, for an error: the file offset for an
    /// uncompressed buffer; the buffer's file offset for a compressed one, whose message then names the
    /// offset within the decompressed data (see ``describe(_:at:)``).
    func location(of position: Int) -> UInt64 {
        header.isCompressed ? fileOffset : fileOffset + UInt64(position)
    }

    /// `message`, prefixed for compressed buffers with the offset in the decompressed data.
    func describe(_ message: String, at position: Int) -> String {
        guard header.isCompressed else { return message }
        return "compressed buffer, at decompressed offset \((position - BufferHeader.size).hex): " + message
    }

    func error(_ message: String, at position: Int) -> ConversionError {
        ConversionError(.malformedInput, at: .offset(location(of: position)), describe(message, at: position))
    }
}

/// Reads buffers from an ``ETLInput`` and decompresses compressed ones (buffer flag 0x40, an MS-XCA plain
/// LZ77 stream after the header) into a reused ``ByteStorage``.
struct BufferLoader {
    let input: any ETLInput
    /// The log file's logical buffer size: the largest a compressed buffer may decompress to.
    let logicalSize: UInt32
    /// Compressed bytes of the buffer being decompressed (shared by every stream).
    let scratch: ByteStorage

    init(input: any ETLInput, logicalSize: UInt32, scratch: ByteStorage = ByteStorage()) {
        self.input = input
        self.logicalSize = logicalSize
        self.scratch = scratch
    }

    /// Reads and checks the buffer header at `offset` (which must leave at least 0x48 bytes in the file).
    func header(at offset: UInt64) throws(ConversionError) -> BufferHeader {
        var raw = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return try withUnsafeMutableBytes(of: &raw) { (bytes) throws(ConversionError) -> BufferHeader in
            let part = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<BufferHeader.size])
            try input.read(at: offset, into: part)
            return BufferHeader(ByteView(UnsafeRawBufferPointer(part)))
        }
    }

    /// Loads a buffer the first pass validated, reading its header again. Throws when the header no longer
    /// passes (the file changed between the passes).
    func reload(_ entry: BufferEntry, into storage: ByteStorage) throws(ConversionError) -> LoadedBuffer {
        try load(try validatedHeader(at: entry.fileOffset), at: entry.fileOffset, into: storage)
    }

    /// Reads again the header at `offset`, which passed its checks when it was first read; throws an I/O
    /// error when it no longer does (the file changed while heapconv read it).
    func validatedHeader(at offset: UInt64) throws(ConversionError) -> BufferHeader {
        let header = try header(at: offset)
        guard offset < input.size, header.violation(at: offset, fileSize: input.size, logicalSize: logicalSize) == nil else {
            throw ConversionError(.io, at: .offset(offset), "the buffer changed since heapconv first read it (the file is being written?)")
        }
        return header
    }

    /// Loads the buffer whose (already validated) header is `header` into `storage`. Throws a malformed-input
    /// error naming the buffer's file offset when its compressed data is corrupt.
    func load(_ header: BufferHeader, at offset: UInt64, into storage: ByteStorage) throws(ConversionError) -> LoadedBuffer {
        let dataEnd = Int(header.dataEnd)
        storage.reserve(dataEnd)
        if !header.isCompressed {
            let target = storage.prefix(dataEnd)
            try input.read(at: offset, into: target)
            return LoadedBuffer(header: header, fileOffset: offset, bytes: ByteView(UnsafeRawBufferPointer(target)))
        }
        let compressedCount = Int(header.bufferSize) - BufferHeader.size
        scratch.reserve(compressedCount)
        let compressed = scratch.prefix(compressedCount)
        try input.read(at: offset + UInt64(BufferHeader.size), into: compressed)
        let target = storage.prefix(dataEnd)
        try input.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: target[0..<BufferHeader.size]))
        let expected = dataEnd - BufferHeader.size
        let produced: Int
        do {
            produced = try XpressLZ77.decompress(
                UnsafeRawBufferPointer(compressed),
                into: UnsafeMutableRawBufferPointer(rebasing: target[BufferHeader.size..<dataEnd]))
        } catch {
            throw ConversionError(.malformedInput, at: .offset(offset),
                                  "compressed buffer: LZ77 data corrupt at compressed offset \(error.inputOffset.hex): "
                                  + error.message)
        }
        guard produced == expected else {
            throw ConversionError(.malformedInput, at: .offset(offset),
                                  "compressed buffer decompressed to \(produced.hex) bytes, its Offset says \(expected.hex)")
        }
        return LoadedBuffer(header: header, fileOffset: offset, bytes: ByteView(UnsafeRawBufferPointer(target)))
    }
}

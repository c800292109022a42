/// The 0x48-byte `WMI_BUFFER_HEADER` at the start of every buffer of an `.etl` file (FORMAT.md §1.1).
struct BufferHeader {
    static let size = 0x48
    /// The largest `BufferSize` accepted: ETW buffers are at most 16 MiB.
    static let maximumSize: UInt32 = 16 << 20

    /// Flag bits of `BufferFlag`.
    enum Flag {
        static let flushMarker: UInt16 = 0x01
        static let eventsLost: UInt16 = 0x02
        static let bufferLost: UInt16 = 0x04
        static let processorIndex: UInt16 = 0x20
        static let compressed: UInt16 = 0x40
    }

    /// Values of `BufferType`.
    enum Kind {
        static let header: UInt16 = 4
    }

    /// Stride to the next buffer in the file (for compressed buffers, the compressed size).
    var bufferSize: UInt32
    var savedOffset: UInt32
    var timeStamp: Int64
    var sequenceNumber: Int64
    /// The processor that filled the buffer (masked with 0x7FF when the PROC_INDEX flag is set, else the
    /// low byte, which is all older formats store there).
    var processor: UInt16
    var loggerID: UInt16
    /// `Offset`: the end of valid data, from the buffer start, header included. Never `SavedOffset`.
    var dataEnd: UInt32
    var flags: UInt16
    var type: UInt16

    /// Parses the header; `bytes` must hold at least ``size`` bytes.
    init(_ bytes: ByteView) {
        precondition(bytes.count >= Self.size)
        bufferSize = bytes.u32(0x00)
        savedOffset = bytes.u32(0x04)
        timeStamp = bytes.i64(0x10)
        sequenceNumber = bytes.i64(0x18)
        flags = bytes.u16(0x34)
        type = bytes.u16(0x36)
        let index = bytes.u16(0x28)
        processor = flags & Flag.processorIndex != 0 ? index & 0x07FF : index & 0x00FF
        loggerID = bytes.u16(0x2A)
        dataEnd = bytes.u32(0x30)
    }

    var isCompressed: Bool { flags & Flag.compressed != 0 }

    /// The first rule this header breaks for a buffer at `offset` in a file of `fileSize` bytes: decided
    /// without building text, since resynchronising after damage tests a header at every byte.
    enum Violation {
        case zeroSize, smallerThanHeader, overMaximum, overLogicalSize, pastEndOfFile(left: UInt64)
        case dataEndInHeader, compressedDataEndOverLogicalSize, dataEndOverSize
    }

    /// The first rule broken, or `nil`. `logicalSize` (the log file's `BufferSize`) bounds every buffer: an
    /// uncompressed one's size, a compressed one's data.
    @inline(__always)
    func violation(at offset: UInt64, fileSize: UInt64, logicalSize: UInt32) -> Violation? {
        if bufferSize == 0 { return .zeroSize }
        if bufferSize < UInt32(Self.size) { return .smallerThanHeader }
        if bufferSize > Self.maximumSize { return .overMaximum }
        if !isCompressed, bufferSize > logicalSize { return .overLogicalSize }
        let left = fileSize - offset
        if UInt64(bufferSize) > left { return .pastEndOfFile(left: left) }
        if dataEnd < UInt32(Self.size) { return .dataEndInHeader }
        if isCompressed {
            if dataEnd > logicalSize { return .compressedDataEndOverLogicalSize }
        } else if dataEnd > bufferSize {
            return .dataEndOverSize
        }
        return nil
    }

    /// What is wrong with this header for a buffer at `offset` in a file of `fileSize` bytes, or `nil`
    /// (the message for ``violation(at:fileSize:logicalSize:)``).
    func problem(at offset: UInt64, fileSize: UInt64, logicalSize: UInt32) -> String? {
        switch violation(at: offset, fileSize: fileSize, logicalSize: logicalSize) {
        case nil: nil
        case .zeroSize: "buffer size is 0"
        case .smallerThanHeader: "buffer size \(bufferSize.hex) is smaller than the 0x48-byte buffer header"
        case .overMaximum: "buffer size \(bufferSize.hex) exceeds the maximum \(Self.maximumSize.hex)"
        case .overLogicalSize: "buffer size \(bufferSize.hex) exceeds the log file's buffer size \(logicalSize.hex)"
        case .pastEndOfFile(let left): "buffer size \(bufferSize.hex) runs past the end of the file (\(left.hex) bytes left)"
        case .dataEndInHeader: "buffer data end (Offset) \(dataEnd.hex) lies inside the 0x48-byte buffer header"
        case .compressedDataEndOverLogicalSize:
            "compressed buffer data end (Offset) \(dataEnd.hex) exceeds the log file's buffer size \(logicalSize.hex)"
        case .dataEndOverSize: "buffer data end (Offset) \(dataEnd.hex) exceeds the buffer size \(bufferSize.hex)"
        }
    }

    /// Whether the header looks like a real buffer header (used to find the next buffer after a damaged one
    /// under `--keep-going`): it must pass ``problem(at:fileSize:logicalSize:)`` and have a known type and
    /// no unknown flags.
    func isPlausible(at offset: UInt64, fileSize: UInt64, logicalSize: UInt32) -> Bool {
        type <= 7 && flags & ~0x7F == 0 && violation(at: offset, fileSize: fileSize, logicalSize: logicalSize) == nil
    }
}

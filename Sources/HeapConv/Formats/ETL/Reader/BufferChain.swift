/// The buffers of an `.etl` file as found by following their headers: where each starts, and the damaged
/// stretches skipped, each at the position in file order where its problem is reported (after the buffers
/// before it were walked). Link `i` is the buffer of ordinal `i` (0 = the header buffer). 8 bytes a buffer.
struct ChainLinks {
    /// A damaged stretch: `bytes` skipped after `problem`; `isBuffer` when they are one damaged buffer (not
    /// a truncated tail).
    struct Damage {
        var problem: ConversionError
        var bytes: UInt64
        var isBuffer: Bool
    }

    /// Where each link starts in the file.
    var offsets: [UInt64] = []
    /// The links that are damage rather than a buffer to walk, by link index.
    var damage: [Int: Damage] = [:]

    var count: Int { offsets.count }

    mutating func appendBuffer(at offset: UInt64) { offsets.append(offset) }

    mutating func appendDamage(at offset: UInt64, _ damage: Damage) {
        self.damage[offsets.count] = damage
        offsets.append(offset)
    }

    /// The first link starting at or after `offset` (`count` when none does).
    func firstLink(atOrAfter offset: UInt64) -> Int {
        var low = 0
        var high = offsets.count
        while low < high {
            let mid = (low + high) / 2
            if offsets[mid] < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// Follows the buffer headers of an `.etl` file from its start, reading only the 0x48-byte headers, so that
/// the buffers themselves can be walked by more than one thread. A damaged header is skipped to the next
/// plausible one (see ``next(after:_:)``); without `--keep-going` the chain stops at the first damage,
/// where the walk will stop too.
struct BufferChain {
    /// Reads the headers; its input's size and logical buffer size bound them.
    let loader: BufferLoader
    let keepGoing: Bool

    private var fileSize: UInt64 { loader.input.size }
    private var logicalBufferSize: UInt32 { loader.logicalSize }

    /// Every link from offset 0 to the end of the file (or to the first damage without `--keep-going`).
    func links() throws(ConversionError) -> ChainLinks {
        var links = ChainLinks()
        var offset: UInt64 = 0
        while offset < fileSize {
            let left = fileSize - offset
            if left < UInt64(BufferHeader.size) {
                links.appendDamage(at: offset, .init(problem: ConversionError(.malformedInput, at: .offset(offset),
                                                                              "the file ends \(left.hex) bytes into a 0x48-byte buffer header"),
                                                     bytes: left, isBuffer: false))
                break
            }
            let header = try loader.header(at: offset)
            if let problem = header.problem(at: offset, fileSize: fileSize, logicalSize: logicalBufferSize) {
                let error = ConversionError(.malformedInput, at: .offset(offset), problem)
                guard keepGoing else {
                    links.appendDamage(at: offset, .init(problem: error, bytes: 0, isBuffer: true))
                    break
                }
                let next = try self.next(after: offset, header)
                links.appendDamage(at: offset, .init(problem: error, bytes: next - offset, isBuffer: true))
                offset = next
            } else {
                links.appendBuffer(at: offset)
                offset += UInt64(header.bufferSize)
            }
        }
        return links
    }

    /// Where to continue after the damaged buffer header at `offset`: where its own size or the log file's
    /// buffer size leads to a plausible header, else where either leads to the end of the file, else the next
    /// plausible buffer header found byte by byte, else the end of the file.
    private func next(after offset: UInt64, _ header: BufferHeader) throws(ConversionError) -> UInt64 {
        let size = fileSize
        var candidates: [UInt64] = []
        let own = UInt64(header.bufferSize)
        if own >= UInt64(BufferHeader.size), own <= UInt64(BufferHeader.maximumSize) { candidates.append(offset + own) }
        candidates.append(offset + UInt64(logicalBufferSize))
        for candidate in candidates where candidate < size && size - candidate >= UInt64(BufferHeader.size) {
            if try loader.header(at: candidate).isPlausible(at: candidate, fileSize: size, logicalSize: logicalBufferSize) {
                return candidate
            }
        }
        if candidates.contains(size) { return size }
        // Scan for the next plausible header, one chunk (of at most 1 MiB) at a time.
        var start = offset + 1
        guard start + UInt64(BufferHeader.size) <= size else { return size }
        let chunk = ByteStorage(capacity: Int(min(1 << 20, size - start)))
        while start + UInt64(BufferHeader.size) <= size {
            let count = Int(min(UInt64(chunk.capacity), size - start))
            let bytes = chunk.prefix(count)
            try loader.input.read(at: start, into: bytes)
            let view = ByteView(UnsafeRawBufferPointer(bytes))
            var i = 0
            while i + BufferHeader.size <= count {
                // Most positions fail on the size alone: test it before parsing the whole header.
                let bufferSize = view.u32(i)
                if bufferSize < UInt32(BufferHeader.size) || bufferSize > BufferHeader.maximumSize {
                    i += 1
                    continue
                }
                let candidate = BufferHeader(view.slice(i, BufferHeader.size)!)
                if candidate.isPlausible(at: start + UInt64(i), fileSize: size, logicalSize: logicalBufferSize) {
                    return start + UInt64(i)
                }
                i += 1
            }
            start += UInt64(i)
        }
        return size
    }
}

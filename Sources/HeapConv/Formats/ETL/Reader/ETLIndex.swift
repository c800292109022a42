/// What the first pass over an `.etl` file learns: the log-file header and clock, counts for `info`, the
/// buffers the second pass must read again (those with heap events or stack fragments), the stack-key
/// definitions (which often sit at the very end of the file), and the problems skipped under `--keep-going`.
///
/// The first pass reads every buffer once, walking records by marker and size only; it decodes nothing but
/// the log-file header and StackWalk key definitions. Its memory grows with the number of buffers that hold
/// heap events (one ``BufferEntry`` each) and with the stack-key definitions, never with the events.
struct ETLIndex {
    var header: LogfileHeader
    var clock: ETLClock
    var headerBuffer: BufferHeader
    var statistics = ETLStatistics()
    /// Buffers with heap events or stack fragments, in file order.
    var entries: [BufferEntry] = []
    var stackKeys = StackKeyTable()
    /// Threads that logged heap events: stack fragments of other threads are not kept.
    var heapThreads = ThreadSet()
    var problems: ProblemLog
    /// The logical buffer size used to bound compressed buffers.
    var logicalBufferSize: UInt32

    /// Walks the whole file once. Throws the first problem unless `keepGoing`; throws always when the file
    /// does not start with a usable log-file header.
    static func build(_ input: any ETLInput, keepGoing: Bool) throws(ConversionError) -> ETLIndex {
        let size = input.size
        guard size >= UInt64(BufferHeader.size) else {
            throw ConversionError(.malformedInput, at: .offset(0),
                                  size == 0 ? "the file is empty" : "the file has \(size) bytes, fewer than one 0x48-byte buffer header: not an .etl file")
        }
        let scratch = ByteStorage()
        let storage = ByteStorage()
        var loader = BufferLoader(input: input, logicalSize: BufferHeader.maximumSize, scratch: scratch)
        let first = try loader.header(at: 0)
        if let problem = first.problem(at: 0, fileSize: size, logicalSize: BufferHeader.maximumSize) {
            throw ConversionError(.malformedInput, at: .offset(0), "first buffer: " + problem + " (not an .etl file?)")
        }
        let headerBuffer = try loader.load(first, at: 0, into: storage)
        let header = try readLogfileHeader(headerBuffer)
        let clock: ETLClock
        do {
            clock = try header.clock()
        } catch {
            throw headerBuffer.error("the log file header is unusable: " + error.message, at: BufferHeader.size)
        }
        let logical = header.bufferSize >= UInt32(BufferHeader.size) && header.bufferSize <= BufferHeader.maximumSize
            ? header.bufferSize : BufferHeader.maximumSize
        loader = BufferLoader(input: input, logicalSize: logical, scratch: scratch)
        var index = ETLIndex(header: header, clock: clock, headerBuffer: first,
                             problems: ProblemLog(keepGoing: keepGoing), logicalBufferSize: logical)
        index.statistics.fileSize = size
        try index.walkFile(loader, storage: storage)
        index.stackKeys.finish()
        return index
    }

    /// The TRACE_LOGFILE_HEADER from the first record of the header buffer.
    private static func readLogfileHeader(_ buffer: LoadedBuffer) throws(ConversionError) -> LogfileHeader {
        var cursor = RecordCursor(buffer)
        let record: RawRecord?
        do {
            record = try cursor.next()
        } catch {
            throw buffer.error(error.message, at: error.position)
        }
        guard let record, record.kind == .system32 || record.kind == .system64 else {
            throw buffer.error("the first record is not a SYSTEM log file header record: not an .etl file?", at: BufferHeader.size)
        }
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard kernel.group == 0, kernel.opcode == 0 else {
            throw buffer.error("the first record has group \(kernel.group.hex) opcode \(kernel.opcode.hex), not the log file header (group 0, opcode 0)", at: record.position)
        }
        do {
            return try LogfileHeader(kernel)
        } catch {
            throw buffer.error("the log file header record is unusable: " + error.message, at: record.position)
        }
    }

    private mutating func walkFile(_ loader: BufferLoader, storage: ByteStorage) throws(ConversionError) {
        let size = statistics.fileSize
        var offset: UInt64 = 0
        var ordinal: UInt32 = 0
        var lastTicksByCPU = [Int64](repeating: .min, count: 2048)
        while offset < size {
            let left = size - offset
            if left < UInt64(BufferHeader.size) {
                try problems.report(ConversionError(.malformedInput, at: .offset(offset),
                                                    "the file ends \(left.hex) bytes into a 0x48-byte buffer header"))
                statistics.skippedBytes += left
                break
            }
            let header = try loader.header(at: offset)
            if let problem = header.problem(at: offset, fileSize: size, logicalSize: logicalBufferSize) {
                try problems.report(ConversionError(.malformedInput, at: .offset(offset), problem))
                statistics.skippedBuffers += 1
                let next = try nextBuffer(after: offset, header, loader)
                statistics.skippedBytes += next - offset
                offset = next
                ordinal &+= 1
                continue
            }
            let buffer: LoadedBuffer
            do {
                buffer = try loader.load(header, at: offset, into: storage)
            } catch {
                guard error.kind == .malformedInput else { throw error }
                try problems.report(error)
                statistics.skippedBuffers += 1
                statistics.skippedBytes += UInt64(header.bufferSize)
                offset += UInt64(header.bufferSize)
                ordinal &+= 1
                continue
            }
            try walkBuffer(buffer, ordinal: ordinal, lastTicksByCPU: &lastTicksByCPU)
            offset += UInt64(header.bufferSize)
            ordinal &+= 1
        }
    }

    /// Counts the records of one buffer, collects its key definitions, and remembers it for the second pass
    /// when it holds heap events or stack fragments.
    private mutating func walkBuffer(_ buffer: LoadedBuffer, ordinal: UInt32, lastTicksByCPU: inout [Int64]) throws(ConversionError) {
        let header = buffer.header
        statistics.buffers += 1
        if header.isCompressed { statistics.compressedBuffers += 1 }
        if header.flags & BufferHeader.Flag.eventsLost != 0 { statistics.buffersFlaggedEventsLost += 1 }
        statistics.noteProcessor(header.processor)
        let bytes = buffer.bytes
        let cpu = Int(header.processor)
        var cursor = RecordCursor(buffer)
        var walkEnd = buffer.dataEnd
        var interesting = false
        var lastTimed: RawRecord?
        var lastHeapThread: UInt32?
        var records: UInt64 = 0
        while true {
            let record: RawRecord
            do {
                guard let next = try cursor.next() else { break }
                record = next
            } catch {
                try problems.report(buffer.error(error.message, at: error.position))
                statistics.skippedRecords += 1
                statistics.skippedBytes += UInt64(buffer.dataEnd - error.position)
                walkEnd = error.position
                break
            }
            records += 1
            statistics.recordsByKind[Int(record.kind.rawValue)] += 1
            let position = record.position
            if record.kind.isKernelHeader {
                // Safe: kernel headers are at least 0x10 bytes, checked by the cursor.
                let group = bytes.u8(position + 7)
                statistics.recordsByGroup[Int(group)] += 1
                if group == HeapOpcode.group {
                    // Safe: the cursor checked the record holds its whole header (opcode at 6, thread at 8
                    // for SYSTEM/COMPACT, timestamp at 0x10, or at 8 for PERFINFO).
                    statistics.heapByOpcode[Int(bytes.u8(position + 6))] += 1
                    statistics.heapRecords += 1
                    interesting = true
                    if record.kind.hasThread {
                        let thread = bytes.u32(position + 8)
                        if thread != lastHeapThread {
                            heapThreads.insert(thread)
                            lastHeapThread = thread
                        }
                        noteTicks(bytes.i64(position + 0x10), cpu: cpu, &lastTicksByCPU)
                    } else {
                        heapThreads.insert(0)
                        noteTicks(bytes.i64(position + 0x08), cpu: cpu, &lastTicksByCPU)
                    }
                } else if group == StackWalk.group {
                    let opcode = bytes.u8(position + 6)
                    statistics.stackWalkByOpcode[Int(opcode)] += 1
                    if StackWalk.isFragment(opcode) {
                        statistics.stackFragments += 1
                        interesting = true
                        noteTicks(bytes.i64(position + record.kind.timestampOffset!), cpu: cpu, &lastTicksByCPU)
                    } else if StackWalk.isDefinition(opcode) {
                        try define(KernelRecord(record, in: bytes), in: buffer, at: position, ordinal: ordinal)
                    }
                }
                lastTimed = record
            } else if record.kind.hasProviderGUID {
                // Safe: these headers are at least 0x30 bytes, checked by the cursor.
                statistics.countProvider(GUID(bytes, at: position + 0x18))
                lastTimed = record
            }
        }
        statistics.records += records
        if let last = lastTimed, let at = last.kind.timestampOffset {
            let ticks = bytes.i64(last.position + at)
            if statistics.lastTicks.map({ ticks > $0 }) ?? true { statistics.lastTicks = ticks }
        }
        if interesting {
            entries.append(BufferEntry(fileOffset: buffer.fileOffset, walkEnd: UInt32(walkEnd), ordinal: ordinal,
                                       processor: header.processor))
        }
    }

    @inline(__always)
    private mutating func noteTicks(_ ticks: Int64, cpu: Int, _ lastTicksByCPU: inout [Int64]) {
        if ticks < lastTicksByCPU[cpu] { statistics.cpuStreamInversions += 1 }
        lastTicksByCPU[cpu] = ticks
    }

    private mutating func define(_ kernel: KernelRecord, in buffer: LoadedBuffer, at position: Int, ordinal: UInt32) throws(ConversionError) {
        let width = kernel.kind.pointerSize
        guard let payload = kernel.payload else {
            try problems.report(buffer.error("StackWalk \(StackWalk.name(kernel.opcode)) record is shorter than its PMC/PEBS header words", at: position))
            statistics.skippedRecords += 1
            return
        }
        do {
            let (key, frames) = try StackWalk.decodeDefinition(payload, width: width, opcode: kernel.opcode)
            let moment = StackKeyTable.Moment(ticks: kernel.timestamp, order: UInt64(ordinal) << 32 | UInt64(position))
            stackKeys.define(key: key, frames: frames, width: width, at: moment, isCreate: kernel.opcode == StackWalk.keyCreate)
        } catch {
            try problems.report(buffer.error(error.message, at: position))
            statistics.skippedRecords += 1
        }
    }

    /// Where to continue after the damaged buffer header at `offset`: where its own size or the log file's
    /// buffer size leads to a plausible header, else where either leads to the end of the file, else the next
    /// plausible buffer header found byte by byte, else the end of the file.
    private func nextBuffer(after offset: UInt64, _ header: BufferHeader, _ loader: BufferLoader) throws(ConversionError) -> UInt64 {
        let size = statistics.fileSize
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
        // Scan for the next plausible header, one chunk at a time.
        let chunk = ByteStorage(capacity: 1 << 20)
        var start = offset + 1
        while start + UInt64(BufferHeader.size) <= size {
            let count = Int(min(UInt64(chunk.capacity), size - start))
            let bytes = chunk.prefix(count)
            try loader.input.read(at: start, into: bytes)
            let view = ByteView(UnsafeRawBufferPointer(bytes))
            var i = 0
            while i + BufferHeader.size <= count {
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

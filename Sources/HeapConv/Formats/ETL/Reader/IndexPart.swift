/// What walking one stretch of consecutive buffers learns, kept apart so that two threads can each walk
/// half of the file; ``ETLIndex`` then folds the parts together in file order, which gives exactly what one
/// walk of the whole file would.
///
/// Things whose order matters are kept in order here and replayed by the fold: stack-key definitions (their
/// frames copied out of the buffer), problems, and the first and last timestamp seen on each CPU (so that an
/// inversion across the seam between two parts is still counted).
struct IndexPart {
    /// A stack-key definition waiting to enter the ``StackKeyTable``; its frames are `frames[start..<end]`.
    struct Definition {
        var key: UInt64
        var moment: StackKeyTable.Moment
        var isCreate: Bool
        var start: Int
        var end: Int
    }

    static let processorLimit = 2048

    var statistics = ETLStatistics()
    var entries: [BufferEntry] = []
    var definitions: [Definition] = []
    var frames: [UInt64] = []
    var heapThreads = ThreadSet()
    /// PE and PDB identities of images (merged traces), joined to Image records in the second pass.
    var identities = ImageIdentities()
    var problems: ProblemLog
    /// The error that stopped this part: the first problem without `--keep-going`, or an I/O error.
    var failure: ConversionError?
    /// First and last heap or stack timestamp per CPU; `Int64.min` for a CPU not seen.
    var firstTicksByCPU = [Int64](repeating: .min, count: IndexPart.processorLimit)
    var lastTicksByCPU = [Int64](repeating: .min, count: IndexPart.processorLimit)

    init(keepGoing: Bool) {
        problems = ProblemLog(keepGoing: keepGoing)
    }

    /// Walks links `range` in order. Never throws: a problem that stops the walk is kept in ``failure``.
    mutating func walk(_ links: ChainLinks, _ range: Range<Int>, loader: BufferLoader, storage: ByteStorage) {
        do throws(ConversionError) {
            for link in range {
                if let damage = links.damage[link] {
                    try problems.report(damage.problem)
                    if damage.isBuffer { statistics.skippedBuffers += 1 }
                    statistics.skippedBytes += damage.bytes
                    continue
                }
                let offset = links.offsets[link]
                // The chain checked this header; it is read again (from the page cache) rather than kept, so
                // that the chain stays at 8 bytes a buffer.
                let header = try loader.validatedHeader(at: offset)
                let buffer: LoadedBuffer
                do {
                    buffer = try loader.load(header, at: offset, into: storage)
                } catch {
                    guard error.kind == .malformedInput else { throw error }
                    try problems.report(error)
                    statistics.skippedBuffers += 1
                    statistics.skippedBytes += UInt64(header.bufferSize)
                    continue
                }
                try walkBuffer(buffer, ordinal: UInt32(truncatingIfNeeded: link))
            }
        } catch {
            failure = error
        }
    }

    /// Counts the records of one buffer, collects its key definitions, and remembers it for the second pass
    /// when it holds heap events or stack fragments.
    private mutating func walkBuffer(_ buffer: LoadedBuffer, ordinal: UInt32) throws(ConversionError) {
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
                        noteTicks(bytes.i64(position + 0x10), cpu: cpu)
                    } else {
                        heapThreads.insert(0)
                        noteTicks(bytes.i64(position + 0x08), cpu: cpu)
                    }
                } else if ContextPayload.isContext(group: group, opcode: bytes.u8(position + 6)) {
                    statistics.contextRecords += 1
                    interesting = true
                    noteTicks(bytes.i64(position + record.kind.timestampOffset!), cpu: cpu)
                } else if group == StackWalk.group {
                    let opcode = bytes.u8(position + 6)
                    statistics.stackWalkByOpcode[Int(opcode)] += 1
                    if StackWalk.isFragment(opcode) {
                        statistics.stackFragments += 1
                        interesting = true
                        noteTicks(bytes.i64(position + record.kind.timestampOffset!), cpu: cpu)
                    } else if StackWalk.isDefinition(opcode) {
                        try define(KernelRecord(record, in: bytes), in: buffer, at: position, ordinal: ordinal)
                    }
                }
                lastTimed = record
            } else if record.kind.hasProviderGUID {
                // Safe: these headers are at least 0x30 bytes, checked by the cursor.
                let guid = GUID(bytes, at: position + 0x18)
                statistics.countProvider(guid)
                if guid == ImageIdentities.taskGUID, record.kind == .fullHeader32 || record.kind == .fullHeader64 {
                    try addIdentity(record, in: buffer)
                }
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

    /// Decodes an ImageID-group record (a FULL_HEADER: opcode at +4, timestamp at +0x10, payload at +0x30).
    private mutating func addIdentity(_ record: RawRecord, in buffer: LoadedBuffer) throws(ConversionError) {
        let bytes = buffer.bytes
        // Safe: the cursor checked the record holds its 0x30-byte header.
        let opcode = bytes.u8(record.position + 4)
        let ticks = bytes.i64(record.position + 0x10)
        let payload = bytes.slice(record.position + 0x30, record.size - 0x30)!
        do {
            try identities.add(opcode: opcode, ticks: ticks, payload: payload, pointerSize: record.kind.pointerSize)
        } catch {
            try problems.report(buffer.error(error.message, at: record.position))
            statistics.skippedRecords += 1
        }
    }

    @inline(__always)
    private mutating func noteTicks(_ ticks: Int64, cpu: Int) {
        let last = lastTicksByCPU[cpu]
        if last == .min {
            firstTicksByCPU[cpu] = ticks
        } else if ticks < last {
            statistics.cpuStreamInversions += 1
        }
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
            let (key, addresses) = try StackWalk.decodeDefinition(payload, width: width, opcode: kernel.opcode)
            let start = frames.count
            var offset = 0
            while offset + width <= addresses.count {
                frames.append(addresses.pointer(offset, width: width))
                offset += width
            }
            definitions.append(Definition(key: key, moment: .init(ticks: kernel.timestamp, order: UInt64(ordinal) << 32 | UInt64(position)),
                                          isCreate: kernel.opcode == StackWalk.keyCreate, start: start, end: frames.count))
        } catch {
            try problems.report(buffer.error(error.message, at: position))
            statistics.skippedRecords += 1
        }
    }
}

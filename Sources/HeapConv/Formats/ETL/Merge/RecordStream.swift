/// What the second pass takes from a record: a decoded heap event, or a stack fragment for one.
enum StreamItem {
    case heap(HeapEvent, ticks: Int64, thread: UInt32)
    /// Frames inline in the stream's current buffer (`width`-byte addresses).
    case inlineFragment(eventTicks: Int64, thread: UInt32, part: StackWalk.Part, frames: ByteView, width: Int)
    /// Frames of a resolved stack key.
    case keyFragment(eventTicks: Int64, thread: UInt32, part: StackWalk.Part, stack: UInt32)
}

/// Shared by the streams of one reader: how to decode, and where problems go.
final class DecodeContext {
    let clock: ETLClock
    let stackKeys: StackKeyTable
    let heapThreads: Set<UInt32>
    let loader: BufferLoader
    var problems: ProblemLog
    var skippedRecords: UInt64 = 0
    var unresolvedKeys: UInt64 = 0
    /// Fragments of threads without heap events, dropped without matching.
    var foreignFragments: UInt64 = 0
    var decodedHeapEvents: UInt64 = 0

    init(clock: ETLClock, stackKeys: StackKeyTable, heapThreads: Set<UInt32>, loader: BufferLoader, problems: ProblemLog) {
        self.clock = clock
        self.stackKeys = stackKeys
        self.heapThreads = heapThreads
        self.loader = loader
        self.problems = problems
    }
}

/// The records of some buffers in file order — one CPU's buffers, or every buffer with `--file-order` —
/// decoded one at a time: ``head`` is the next heap event or stack fragment, everything else is skipped by
/// marker and size. Holds one buffer in memory at a time.
final class RecordStream {
    private let entries: [BufferEntry]
    private var nextEntry = 0
    private let storage = ByteStorage()
    private var buffer: LoadedBuffer?
    private var entry: BufferEntry?
    private var cursor: RecordCursor?

    /// The current item; valid until ``advance(_:)``.
    private(set) var head: StreamItem?
    /// Raw timestamp of the head record (its own, not its target's).
    private(set) var headTicks: Int64 = 0
    /// File order of the head record.
    private(set) var headOrder: UInt64 = 0
    /// CPU of the buffer the head came from.
    private(set) var headCPU: UInt16 = 0

    init(entries: [BufferEntry]) {
        self.entries = entries
    }

    /// Moves ``head`` to the next item; `false` when the stream is exhausted.
    func advance(_ context: DecodeContext) throws(ConversionError) -> Bool {
        while true {
            guard var walker = cursor, let buffer, let entry else {
                guard try loadNext(context) else {
                    head = nil
                    return false
                }
                continue
            }
            let next: RawRecord?
            do {
                next = try walker.next()
            } catch {
                // The first pass stopped at the same place (walkEnd); reaching here means the file changed.
                try context.problems.report(buffer.error(error.message, at: error.position))
                cursor = nil
                continue
            }
            cursor = walker
            guard let record = next else {
                cursor = nil
                continue
            }
            guard record.kind.isKernelHeader else { continue }
            let bytes = buffer.bytes
            // Safe: kernel headers are at least 0x10 bytes, checked by the cursor.
            let group = bytes.u8(record.position + 7)
            if group == HeapOpcode.group {
                if try decodeHeap(record, buffer, entry, context) { return true }
            } else if group == StackWalk.group {
                if try decodeFragment(record, buffer, entry, context) { return true }
            }
        }
    }

    private func loadNext(_ context: DecodeContext) throws(ConversionError) -> Bool {
        guard nextEntry < entries.count else { return false }
        let entry = entries[nextEntry]
        nextEntry += 1
        let loaded = try context.loader.load(entry.header, at: entry.fileOffset, into: storage)
        buffer = loaded
        self.entry = entry
        cursor = RecordCursor(bytes: loaded.bytes, end: min(loaded.dataEnd, Int(entry.walkEnd)))
        headCPU = entry.header.processor
        return true
    }

    private func skip(_ message: String, _ record: RawRecord, _ buffer: LoadedBuffer, _ context: DecodeContext) throws(ConversionError) {
        try context.problems.report(buffer.error(message, at: record.position))
        context.skippedRecords += 1
    }

    private func decodeHeap(_ record: RawRecord, _ buffer: LoadedBuffer, _ entry: BufferEntry, _ context: DecodeContext) throws(ConversionError) -> Bool {
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard let payload = kernel.payload else {
            try skip("\(HeapOpcode.name(kernel.opcode)) record size \(record.size.hex) leaves no room for its \(kernel.extensionBytes / 8) PMC/PEBS header words", record, buffer, context)
            return false
        }
        let ticks = kernel.timestamp
        guard let time = context.clock.unixNanoseconds(ticks: ticks) else {
            try skip("\(HeapOpcode.name(kernel.opcode)) timestamp \(ticks) is out of range for the trace clock", record, buffer, context)
            return false
        }
        let thread = kernel.threadID
        let eventContext = EventContext(timestamp: time, processID: kernel.processID, threadID: thread,
                                        cpu: UInt32(entry.header.processor), heap: 0)
        do {
            let event = try HeapPayload.decode(opcode: kernel.opcode, version: kernel.version, payload: payload,
                                               pointerSize: kernel.kind.pointerSize, context: eventContext)
            head = .heap(event, ticks: ticks, thread: thread)
        } catch {
            try skip(error.message, record, buffer, context)
            return false
        }
        headTicks = ticks
        headOrder = entry.order(of: record.position)
        context.decodedHeapEvents += 1
        return true
    }

    private func decodeFragment(_ record: RawRecord, _ buffer: LoadedBuffer, _ entry: BufferEntry, _ context: DecodeContext) throws(ConversionError) -> Bool {
        let kernel = KernelRecord(record, in: buffer.bytes)
        let opcode = kernel.opcode
        guard StackWalk.isFragment(opcode) else { return false }
        guard let payload = kernel.payload else {
            try skip("StackWalk \(StackWalk.name(opcode)) record size \(record.size.hex) leaves no room for its PMC/PEBS header words", record, buffer, context)
            return false
        }
        let width = kernel.kind.pointerSize
        let ticks = kernel.timestamp
        do {
            if opcode == StackWalk.stack {
                let stack = try StackWalk.decodeStack(payload, width: width)
                guard context.heapThreads.contains(stack.thread) else {
                    context.foreignFragments += 1
                    return false
                }
                head = .inlineFragment(eventTicks: stack.eventTicks, thread: stack.thread, part: stack.part,
                                       frames: stack.frames, width: width)
            } else {
                let reference = try StackWalk.decodeKeyReference(payload, width: width, opcode: opcode)
                guard context.heapThreads.contains(reference.thread) else {
                    context.foreignFragments += 1
                    return false
                }
                let order = entry.order(of: record.position)
                guard let stack = context.stackKeys.resolve(key: reference.key, at: .init(ticks: ticks, order: order)) else {
                    context.unresolvedKeys += 1
                    return false
                }
                head = .keyFragment(eventTicks: reference.eventTicks, thread: reference.thread,
                                    part: opcode == StackWalk.stackKeyKernel ? .kernel : .user, stack: stack)
            }
        } catch {
            try skip(error.message, record, buffer, context)
            return false
        }
        headTicks = ticks
        headOrder = entry.order(of: record.position)
        return true
    }
}

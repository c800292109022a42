/// What the second pass takes from a record: a decoded heap event, or a stack fragment for one.
enum StreamItem {
    case heap(HeapEvent, ticks: Int64, thread: UInt32)
    /// Frames inline in the stream's current buffer (`width`-byte addresses).
    case inlineFragment(eventTicks: Int64, thread: UInt32, part: StackWalk.Part, frames: ByteView, width: Int)
    /// Frames of a resolved stack key.
    case keyFragment(eventTicks: Int64, thread: UInt32, part: StackWalk.Part, stack: UInt32)
}

/// What the second pass decodes with, fixed once the first pass is done (read-only, shared by the streams).
final class DecodeTables {
    let clock: ETLClock
    let stackKeys: StackKeyTable
    let heapThreads: ThreadSet
    let loader: BufferLoader

    init(clock: ETLClock, stackKeys: StackKeyTable, heapThreads: ThreadSet, loader: BufferLoader) {
        self.clock = clock
        self.stackKeys = stackKeys
        self.heapThreads = heapThreads
        self.loader = loader
    }
}

/// What the second pass changes while decoding: where problems go and what it counts.
struct DecodeState {
    var problems: ProblemLog
    var skippedRecords: UInt64 = 0
    var unresolvedKeys: UInt64 = 0
    /// Fragments of threads without heap events, dropped without matching.
    var foreignFragments: UInt64 = 0
}

/// The records of some buffers in file order — one CPU's buffers, or every buffer with `--file-order` —
/// decoded one at a time: ``head`` is the next heap event or stack fragment, everything else is skipped by
/// marker and size. Holds one buffer in memory at a time.
struct RecordStream {
    private let entries: [BufferEntry]
    private var nextEntry = 0
    private let storage = ByteStorage()
    private var buffer: LoadedBuffer?
    private var entry: BufferEntry
    private var cursor: RecordCursor

    /// The current item; valid until ``advance(_:_:)``.
    private(set) var head: StreamItem?
    /// Raw timestamp of the head record (its own, not its target's).
    private(set) var headTicks: Int64 = 0
    /// File order of the head record.
    private(set) var headOrder: UInt64 = 0

    init(entries: [BufferEntry]) {
        precondition(!entries.isEmpty)
        self.entries = entries
        entry = entries[0]
        cursor = RecordCursor(bytes: ByteView(base: nil, count: 0), end: 0)
    }

    /// Moves ``head`` to the next item; `false` when the stream is exhausted.
    mutating func advance(_ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> Bool {
        while true {
            guard let buffer else {
                guard try loadNext(tables) else {
                    head = nil
                    return false
                }
                continue
            }
            var walker = cursor
            let bytes = buffer.bytes
            while true {
                let next: RawRecord?
                do {
                    next = try walker.next()
                } catch {
                    // The first pass stopped at the same place (walkEnd); reaching here means the file changed.
                    try state.problems.report(buffer.error(error.message, at: error.position))
                    break
                }
                guard let record = next else { break }
                guard record.kind.isKernelHeader else { continue }
                // Safe: kernel headers are at least 0x10 bytes, checked by the cursor.
                let group = bytes.u8(record.position + 7)
                if group == HeapOpcode.group {
                    if try decodeHeap(record, buffer, tables, &state) {
                        cursor = walker
                        return true
                    }
                } else if group == StackWalk.group {
                    if try decodeFragment(record, buffer, tables, &state) {
                        cursor = walker
                        return true
                    }
                }
            }
            self.buffer = nil
        }
    }

    private mutating func loadNext(_ tables: DecodeTables) throws(ConversionError) -> Bool {
        guard nextEntry < entries.count else { return false }
        entry = entries[nextEntry]
        nextEntry += 1
        let loaded = try tables.loader.reload(entry, into: storage)
        buffer = loaded
        cursor = RecordCursor(bytes: loaded.bytes, end: min(loaded.dataEnd, Int(entry.walkEnd)))
        return true
    }

    private func skip(_ message: String, _ record: RawRecord, _ buffer: LoadedBuffer, _ state: inout DecodeState) throws(ConversionError) {
        try state.problems.report(buffer.error(message, at: record.position))
        state.skippedRecords += 1
    }

    private mutating func decodeHeap(_ record: RawRecord, _ buffer: LoadedBuffer, _ tables: DecodeTables,
                                     _ state: inout DecodeState) throws(ConversionError) -> Bool {
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard let payload = kernel.payload else {
            try skip("\(HeapOpcode.name(kernel.opcode)) record size \(record.size.hex) leaves no room for its \(kernel.extensionBytes / 8) PMC/PEBS header words", record, buffer, &state)
            return false
        }
        let ticks = kernel.timestamp
        guard let time = tables.clock.unixNanoseconds(ticks: ticks) else {
            try skip("\(HeapOpcode.name(kernel.opcode)) timestamp \(ticks) is out of range for the trace clock", record, buffer, &state)
            return false
        }
        let thread = kernel.threadID
        let context = EventContext(timestamp: time, processID: kernel.processID, threadID: thread,
                                   cpu: UInt32(entry.processor), heap: 0)
        do {
            let event = try HeapPayload.decode(opcode: kernel.opcode, version: kernel.version, payload: payload,
                                               pointerSize: kernel.kind.pointerSize, context: context)
            head = .heap(event, ticks: ticks, thread: thread)
        } catch {
            try skip(error.message, record, buffer, &state)
            return false
        }
        headTicks = ticks
        headOrder = entry.order(of: record.position)
        return true
    }

    private mutating func decodeFragment(_ record: RawRecord, _ buffer: LoadedBuffer, _ tables: DecodeTables,
                                         _ state: inout DecodeState) throws(ConversionError) -> Bool {
        let kernel = KernelRecord(record, in: buffer.bytes)
        let opcode = kernel.opcode
        guard StackWalk.isFragment(opcode) else { return false }
        guard let payload = kernel.payload else {
            try skip("StackWalk \(StackWalk.name(opcode)) record size \(record.size.hex) leaves no room for its PMC/PEBS header words", record, buffer, &state)
            return false
        }
        let width = kernel.kind.pointerSize
        let ticks = kernel.timestamp
        do {
            if opcode == StackWalk.stack {
                let stack = try StackWalk.decodeStack(payload, width: width)
                guard tables.heapThreads.contains(stack.thread) else {
                    state.foreignFragments += 1
                    return false
                }
                head = .inlineFragment(eventTicks: stack.eventTicks, thread: stack.thread, part: stack.part,
                                       frames: stack.frames, width: width)
            } else {
                let reference = try StackWalk.decodeKeyReference(payload, width: width, opcode: opcode)
                guard tables.heapThreads.contains(reference.thread) else {
                    state.foreignFragments += 1
                    return false
                }
                let order = entry.order(of: record.position)
                guard let stack = tables.stackKeys.resolve(key: reference.key, at: .init(ticks: ticks, order: order)) else {
                    state.unresolvedKeys += 1
                    return false
                }
                head = .keyFragment(eventTicks: reference.eventTicks, thread: reference.thread,
                                    part: opcode == StackWalk.stackKeyKernel ? .kernel : .user, stack: stack)
            }
        } catch {
            try skip(error.message, record, buffer, &state)
            return false
        }
        headTicks = ticks
        headOrder = entry.order(of: record.position)
        return true
    }
}

/// A set of thread ids: a bitmap for the small ids Windows hands out (multiples of 4, mostly below 2^20),
/// a hash set for the rest. Membership is tested for every stack fragment.
struct ThreadSet {
    private static let bitmapLimit: UInt32 = 1 << 20
    private var bitmap: [UInt64] = []
    private var others = Set<UInt32>()

    @inline(__always)
    mutating func insert(_ thread: UInt32) {
        if thread < Self.bitmapLimit {
            if bitmap.isEmpty { bitmap = [UInt64](repeating: 0, count: Int(Self.bitmapLimit) / 64) }
            bitmap[Int(thread >> 6)] |= 1 << UInt64(thread & 63)
        } else {
            others.insert(thread)
        }
    }

    @inline(__always)
    func contains(_ thread: UInt32) -> Bool {
        if thread < Self.bitmapLimit {
            return !bitmap.isEmpty && bitmap[Int(thread >> 6)] & (1 << UInt64(thread & 63)) != 0
        }
        return others.contains(thread)
    }
}

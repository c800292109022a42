/// What the second pass takes from a record: a heap event or a stack fragment for one, decoded a whole
/// buffer at a time. 40 bytes; the event itself is in ``RecordStream/events``, the frames of an inline
/// fragment in the stream's current buffer.
struct StreamItem {
    enum Kind: UInt8 {
        /// A heap event: ``RecordStream/events``[`index`].
        case heap
        /// A Stack record: `count` frames of `width` bytes at byte `index` of the buffer.
        case inlineFragment
        /// A StackKey reference: stack `index` of the ``StackKeyTable``.
        case keyFragment
    }

    /// Raw timestamp of the record (its own, not its target's): the merge key.
    var ticks: Int64
    /// Raw timestamp of the event a fragment belongs to; a heap event's own.
    var eventTicks: Int64
    /// Offset of the record in its buffer: file order after the buffer's ordinal.
    var position: UInt32
    var thread: UInt32
    var index: Int32
    var count: UInt16
    var kind: Kind
    /// Which part of a stack a fragment holds.
    var isKernelPart: Bool
    /// Bytes per frame of an inline fragment (4 or 8).
    var width: UInt8 = 8
}

/// What the second pass decodes with, fixed once the first pass is done (read-only, shared by the streams).
final class DecodeTables {
    let clock: ETLClock
    let stackKeys: StackKeyTable
    let heapThreads: ThreadSet
    let identities: ImageIdentities
    let loader: BufferLoader

    init(clock: ETLClock, stackKeys: StackKeyTable, heapThreads: ThreadSet, identities: ImageIdentities,
         loader: BufferLoader) {
        self.clock = clock
        self.stackKeys = stackKeys
        self.heapThreads = heapThreads
        self.identities = identities
        self.loader = loader
    }
}

/// The strings of a stream's decoded context records, refilled with every buffer it loads.
final class DecodedText {
    var bytes: [UInt8] = []
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
/// decoded a buffer at a time: the heap events and stack fragments of the current buffer wait in ``items``,
/// ``head`` is the next one, everything else was skipped by marker and size. Holds one buffer in memory at
/// a time.
struct RecordStream {
    private let entries: [BufferEntry]
    private var nextEntry = 0
    private let storage = ByteStorage()
    private var buffer: LoadedBuffer?
    private var entry: BufferEntry
    /// The current buffer's items in file order, and the events they refer to.
    let items = DecodedBuffer<StreamItem>()
    let events = DecodedBuffer<HeapEvent>()
    /// The strings of the current buffer's context records.
    let text = DecodedText()
    private var cursor = 0

    init(entries: [BufferEntry]) {
        precondition(!entries.isEmpty)
        self.entries = entries
        entry = entries[0]
    }

    /// The current item; valid until ``advance(_:_:)`` returns `false`.
    var head: StreamItem { items[cursor] }
    /// Raw timestamp of the head record (its own, not its target's).
    var headTicks: Int64 { items[cursor].ticks }
    /// File order of the head record.
    var headOrder: UInt64 { entry.order(of: Int(items[cursor].position)) }

    /// The frames of an inline fragment of the current buffer.
    func inlineFrames(_ item: StreamItem) -> InlineFrames {
        // The range was checked against the buffer when the item was decoded, and the buffer stays loaded
        // until the stream moves past its last item.
        let width = Int(item.width)
        return InlineFrames(bytes: buffer!.bytes.slice(Int(item.index), Int(item.count) * width)!, width: width)
    }

    /// Moves ``head`` to the next item (the first one on the first call); `false` when the stream is
    /// exhausted.
    mutating func advance(_ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> Bool {
        cursor += 1
        while cursor >= items.count {
            guard try loadNext(tables, &state) else { return false }
        }
        return true
    }

    /// Loads the next buffer and decodes its items; `false` when there is none.
    private mutating func loadNext(_ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> Bool {
        guard nextEntry < entries.count else {
            buffer = nil
            return false
        }
        entry = entries[nextEntry]
        nextEntry += 1
        let loaded = try tables.loader.reload(entry, into: storage)
        buffer = loaded
        items.removeAll()
        events.removeAll()
        text.bytes.removeAll(keepingCapacity: true)
        cursor = 0
        var walker = RecordCursor(bytes: loaded.bytes, end: min(loaded.dataEnd, Int(entry.walkEnd)))
        let bytes = loaded.bytes
        while true {
            let next: RawRecord?
            do {
                next = try walker.next()
            } catch {
                // The first pass stopped at the same place (walkEnd); reaching here means the file changed.
                try state.problems.report(loaded.error(error.message, at: error.position))
                break
            }
            guard let record = next else { break }
            guard record.kind.isKernelHeader else { continue }
            // Safe: kernel headers are at least 0x10 bytes, checked by the cursor.
            let group = bytes.u8(record.position + 7)
            if group == HeapOpcode.group {
                try decodeHeap(record, loaded, tables, &state)
            } else if group == StackWalk.group {
                try decodeFragment(record, loaded, tables, &state)
            } else if ContextPayload.isContext(group: group, opcode: bytes.u8(record.position + 6)) {
                try decodeContext(record, loaded, tables, &state)
            }
        }
        return true
    }

    private func skip(_ message: String, _ record: RawRecord, _ buffer: LoadedBuffer, _ state: inout DecodeState) throws(ConversionError) {
        try state.problems.report(buffer.error(message, at: record.position))
        state.skippedRecords += 1
    }

    /// A heap or context record's payload and UTC time, or `nil` once the record is skipped for lacking
    /// either; the messages name it as `recordName` (`HeapAlloc record`) and `timeName` (`HeapAlloc`).
    @inline(__always)
    private func payloadAndTime(_ kernel: KernelRecord, record recordName: @autoclosure () -> String,
                                time timeName: @autoclosure () -> String, _ record: RawRecord, _ buffer: LoadedBuffer,
                                _ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> (ByteView, Int64)? {
        guard let payload = kernel.payload else {
            try skip("\(recordName()) size \(record.size.hex) leaves no room for its \(kernel.extensionBytes / 8) PMC/PEBS header words", record, buffer, &state)
            return nil
        }
        guard let time = tables.clock.unixNanoseconds(ticks: kernel.timestamp) else {
            try skip("\(timeName()) timestamp \(kernel.timestamp) is out of range for the trace clock", record, buffer, &state)
            return nil
        }
        return (payload, time)
    }

    private mutating func decodeHeap(_ record: RawRecord, _ buffer: LoadedBuffer, _ tables: DecodeTables,
                                     _ state: inout DecodeState) throws(ConversionError) {
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard let (payload, time) = try payloadAndTime(kernel, record: "\(HeapOpcode.name(kernel.opcode)) record",
                                                       time: HeapOpcode.name(kernel.opcode), record, buffer, tables, &state)
        else { return }
        let ticks = kernel.timestamp
        let thread = kernel.threadID
        let context = EventContext(timestamp: time, processID: kernel.processID, threadID: thread,
                                   cpu: UInt32(entry.processor), heap: 0)
        do {
            let event = try HeapPayload.decode(opcode: kernel.opcode, version: kernel.version, payload: payload,
                                               pointerSize: kernel.kind.pointerSize, context: context)
            items.append(StreamItem(ticks: ticks, eventTicks: ticks, position: UInt32(record.position), thread: thread,
                                    index: Int32(events.count), count: 0, kind: .heap, isKernelPart: false))
            events.append(event)
        } catch {
            try skip(error.message, record, buffer, &state)
        }
    }

    /// Decodes a Process, Thread or Image record into a context record (an item of kind `.heap`, the kind
    /// for events), joining an image to its ImageID and DbgID records by timestamp, process and base.
    private mutating func decodeContext(_ record: RawRecord, _ buffer: LoadedBuffer, _ tables: DecodeTables,
                                        _ state: inout DecodeState) throws(ConversionError) {
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard let (payload, time) = try payloadAndTime(kernel, record: "context record", time: "context record", record, buffer,
                                                       tables, &state)
        else { return }
        let ticks = kernel.timestamp
        let context = EventContext(timestamp: time, processID: 0, threadID: 0, cpu: nil, heap: 0)
        let start = text.bytes.count
        var event: HeapEvent
        do {
            event = try ContextPayload.decode(group: kernel.group, opcode: kernel.opcode, version: kernel.version,
                                              payload: payload, pointerSize: kernel.kind.pointerSize, context: context,
                                              headerProcess: kernel.processID, text: &text.bytes)
        } catch {
            text.bytes.removeSubrange(start...)
            try skip(error.message, record, buffer, &state)
            return
        }
        if case .image(let c, var f) = event, !tables.identities.isEmpty,
           let identity = tables.identities.identity(ticks: ticks, processID: c.processID, base: f.base) {
            if f.timeDateStamp == nil { f.timeDateStamp = identity.timeDateStamp }
            if let pdb = identity.pdb { f.pdb = text.bytes.appendText(pdb.encoded) }
            event = .image(c, f)
        }
        items.append(StreamItem(ticks: ticks, eventTicks: ticks, position: UInt32(record.position), thread: kernel.threadID,
                                index: Int32(events.count), count: 0, kind: .heap, isKernelPart: false))
        events.append(event)
    }

    private mutating func decodeFragment(_ record: RawRecord, _ buffer: LoadedBuffer, _ tables: DecodeTables,
                                         _ state: inout DecodeState) throws(ConversionError) {
        let kernel = KernelRecord(record, in: buffer.bytes)
        let opcode = kernel.opcode
        guard StackWalk.isFragment(opcode) else { return }
        guard let payload = kernel.payload else {
            try skip("StackWalk \(StackWalk.name(opcode)) record size \(record.size.hex) leaves no room for its PMC/PEBS header words", record, buffer, &state)
            return
        }
        let width = kernel.kind.pointerSize
        let ticks = kernel.timestamp
        let position = UInt32(record.position)
        do {
            if opcode == StackWalk.stack {
                let stack = try StackWalk.decodeStack(payload, width: width)
                guard tables.heapThreads.contains(stack.thread) else {
                    state.foreignFragments += 1
                    return
                }
                // The frames' offset in the buffer: they lie inside the record, inside the buffer.
                let offset = stack.frames.count == 0 ? 0 : stack.frames.base! - buffer.bytes.base!
                items.append(StreamItem(ticks: ticks, eventTicks: stack.eventTicks, position: position,
                                        thread: stack.thread, index: Int32(offset),
                                        count: UInt16(stack.frames.count / width), kind: .inlineFragment,
                                        isKernelPart: stack.part == .kernel, width: UInt8(width)))
            } else {
                let reference = try StackWalk.decodeKeyReference(payload, width: width, opcode: opcode)
                guard tables.heapThreads.contains(reference.thread) else {
                    state.foreignFragments += 1
                    return
                }
                let order = entry.order(of: record.position)
                guard let stack = tables.stackKeys.resolve(key: reference.key, at: .init(ticks: ticks, order: order)) else {
                    state.unresolvedKeys += 1
                    return
                }
                items.append(StreamItem(ticks: ticks, eventTicks: reference.eventTicks, position: position,
                                        thread: reference.thread, index: Int32(bitPattern: stack), count: 0,
                                        kind: .keyFragment, isKernelPart: opcode == StackWalk.stackKeyKernel))
            }
        } catch {
            try skip(error.message, record, buffer, &state)
        }
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
            let word = Int(thread >> 6)
            if word >= bitmap.count { grow(to: word) }
            bitmap[word] |= 1 << UInt64(thread & 63)
        } else {
            others.insert(thread)
        }
    }

    /// Makes the bitmap hold `word`, doubling (at least 64 words, at most the limit's).
    private mutating func grow(to word: Int) {
        var count = max(bitmap.count, 64)
        while count <= word { count *= 2 }
        bitmap += [UInt64](repeating: 0, count: min(count, Int(Self.bitmapLimit) / 64) - bitmap.count)
    }

    /// Adds every thread of `other`.
    mutating func formUnion(_ other: ThreadSet) {
        if other.bitmap.count > bitmap.count { grow(to: other.bitmap.count - 1) }
        for i in other.bitmap.indices { bitmap[i] |= other.bitmap[i] }
        others.formUnion(other.others)
    }

    @inline(__always)
    func contains(_ thread: UInt32) -> Bool {
        if thread < Self.bitmapLimit {
            let word = Int(thread >> 6)
            return word < bitmap.count && bitmap[word] & (1 << UInt64(thread & 63)) != 0
        }
        return others.contains(thread)
    }
}

/// Block lifetimes as async slices (`--lifetimes`): a `b` at the allocation, an `e` at the free, both named
/// after the heap and keyed by `id2.local` = heap, address and sequence number.
///
/// A block that ends at the very time it began (allocated and freed within one clock tick) is written as
/// one `n` record instead of a `b`/`e` pair: importers that order an `e` before a `b` of the same time would
/// otherwise see an end without a begin. To know, a `b` is held back until time moves on (``HeldBegins``).
extension ChromeWriter {
    mutating func writeLifetimes(of event: HeapEvent, in batch: EventBatch, at ts: UInt64) throws(ConversionError) {
        let c = event.context
        let key = HeapKey(processID: c.processID, heap: c.heap)
        switch event {
        case .alloc(_, let address, let size, _):
            try allocate(key, address: address, size: size, thread: c.threadID, stack: batch.stack(c.stack), at: ts)
        case .realloc(_, let address, let size, let oldAddress, _, _):
            try free(key, address: oldAddress, thread: c.threadID, at: ts, reason: nil)
            try allocate(key, address: address, size: size, thread: c.threadID, stack: batch.stack(c.stack), at: ts)
        case .free(_, let address, _):
            try free(key, address: address, thread: c.threadID, at: ts, reason: nil)
        case .destroy:
            let ended = lifetimes.endAll(key)
            guard !leaksOnly else { return }
            for (address, block) in ended {
                try end(key, address: address, block: block, thread: c.threadID, at: ts, reason: "\"heap_destroyed\":true")
            }
        case .create, .expand, .contract, .snapshot, .other, .process, .thread, .image:
            break
        }
    }

    @inline(__always)
    private mutating func allocate(
        _ key: HeapKey, address: UInt64, size: UInt64, thread: UInt32, stack: ArraySlice<UInt64>?, at ts: UInt64
    ) throws(ConversionError) {
        let (begun, replaced) = lifetimes.allocate(key, address: address, size: size, threadID: thread, at: ts, stack: stack)
        guard !leaksOnly else { return }
        if let replaced {
            // A second allocation at a live address means its free was not traced: close the old slice.
            try end(key, address: address, block: replaced, thread: thread, at: ts, reason: "\"superseded\":true")
        }
        if let begun {
            // Degenerate inputs (every event at one time) would hold everything: bound what is held.
            if heldBegins.count >= Self.maximumHeldBegins { try releaseHeldBegins() }
            heldBegins.hold(key, address: address, block: begun, stack: stack, at: ts)
        }
    }

    @inline(__always)
    private mutating func free(_ key: HeapKey, address: UInt64, thread: UInt32, at ts: UInt64, reason: StaticString?) throws(ConversionError) {
        guard let block = lifetimes.end(key, address: address), !leaksOnly else { return }
        try end(key, address: address, block: block, thread: thread, at: ts, reason: reason)
    }

    /// Ends a block's slice: an `n` if its `b` is still held back (it began at this very time), else an `e`.
    @inline(__always)
    private mutating func end(
        _ key: HeapKey, address: UInt64, block: ChromeLifetimes.Block, thread: UInt32, at ts: UInt64, reason: StaticString?
    ) throws(ConversionError) {
        if block.start == ts, let held = heldBegins.take(block.sequence) {
            try writeSlice("{\"ph\":\"n\",\"ts\":", key, address: address, block: block,
                           stack: heldBegins.frames(held), reason: reason)
        } else {
            try output.reserve(Self.recordRoom)
            writeEnd(key, address: address, block: block, thread: thread, at: ts, reason: reason)
        }
    }

    /// Writes the held-back `b` records, in allocation order: time has moved on.
    mutating func releaseHeldBegins() throws(ConversionError) {
        var held = heldBegins
        heldBegins = HeldBegins()
        for begin in held.begins where !begin.taken {
            try writeSlice("{\"ph\":\"b\",\"ts\":", begin.key, address: begin.address, block: begin.block,
                           stack: held.frames(begin), reason: nil)
        }
        held.removeAll()
        heldBegins = held
    }

    /// `"cat":"heap","name":"heap 0x1a0000 block","id2":{"local":"0x1a0000:0x1a0010:7"}` (at most ~130 bytes).
    @inline(__always)
    private func appendSliceIdentity(_ key: HeapKey, address: UInt64, sequence: UInt64, to cursor: inout OutputCursor) {
        cursor.append(",\"cat\":\"heap\",\"name\":\"heap ")
        cursor.append(hex: key.heap)
        cursor.append(" block\",\"id2\":{\"local\":")
        cursor.appendLifetimeID(heap: key.heap, address: address, sequence: sequence)
        cursor.append(UInt8(ascii: "}"))
    }

    /// A slice's `b` (or a zero-length slice's `n`) at the block's allocation, on the allocating thread,
    /// with its address, size and allocation stack, and `reason` when given.
    private mutating func writeSlice(
        _ opening: StaticString, _ key: HeapKey, address: UInt64, block: ChromeLifetimes.Block,
        stack: ArraySlice<UInt64>?, reason: StaticString?
    ) throws(ConversionError) {
        var cursor = try output.cursor(reserving: Self.recordRoom)
        separate(&cursor)
        cursor.append(opening)
        cursor.appendMicroseconds(block.start)
        cursor.append(",\"pid\":")
        cursor.append(decimal: UInt64(key.processID))
        cursor.append(",\"tid\":")
        cursor.append(decimal: UInt64(block.threadID))
        appendSliceIdentity(key, address: address, sequence: block.sequence, to: &cursor)
        cursor.append(",\"args\":{\"address\":\"")
        cursor.append(hex: address)
        cursor.append("\",\"size\":")
        cursor.appendSizeValue(block.size)
        if let stack {
            cursor.append(",\"stack\":")
            try output.appendStackArray(stack, names: modules, processID: key.processID, reserveAfter: Self.recordRoom, to: &cursor)
        }
        if let reason {
            cursor.append(UInt8(ascii: ","))
            cursor.append(reason)
        }
        cursor.append("}}")
        output.commit(cursor)
    }

    /// A slice's `e` (at most ~250 bytes; room reserved by the caller), with `reason` as its only argument
    /// when given.
    private mutating func writeEnd(
        _ key: HeapKey, address: UInt64, block: ChromeLifetimes.Block, thread: UInt32, at ts: UInt64,
        reason: StaticString?
    ) {
        output.write { cursor in
            separate(&cursor)
            cursor.append("{\"ph\":\"e\",\"ts\":")
            cursor.appendMicroseconds(ts)
            cursor.append(",\"pid\":")
            cursor.append(decimal: UInt64(key.processID))
            cursor.append(",\"tid\":")
            cursor.append(decimal: UInt64(thread))
            appendSliceIdentity(key, address: address, sequence: block.sequence, to: &cursor)
            if let reason {
                cursor.append(",\"args\":{")
                cursor.append(reason)
                cursor.append(UInt8(ascii: "}"))
            }
            cursor.append(UInt8(ascii: "}"))
        }
    }

    /// Ends the slices of blocks alive after the last event at that event's time, flagged
    /// `"leaked": true`. For `leaks`, first writes their `b` records, in allocation order: back in time,
    /// since only now is it known which blocks survive.
    mutating func writeSurvivors() throws(ConversionError) {
        guard lifetimesEnabled else { return }
        let end = UInt64(bitPattern: latest &- origin)
        // Held-back begins are blocks allocated at the last time and still alive: zero-length leaks.
        let held = heldBegins
        heldBegins = HeldBegins()
        var zeroLength = Set<UInt64>()
        for begin in held.begins where !begin.taken {
            try writeSlice("{\"ph\":\"n\",\"ts\":", begin.key, address: begin.address, block: begin.block,
                           stack: held.frames(begin), reason: "\"leaked\":true")
            zeroLength.insert(begin.block.sequence)
        }
        let survivors = lifetimes.survivors()
        if leaksOnly {
            for (key, address, block) in survivors {
                let stack = block.stack < 0 || !lifetimes.stacks.entries[Int(block.stack)].hasStack ? nil
                    : lifetimes.stacks.frames(of: Int(block.stack)).map(\.address)[...]
                if block.start == end {
                    try writeSlice("{\"ph\":\"n\",\"ts\":", key, address: address, block: block, stack: stack, reason: "\"leaked\":true")
                    zeroLength.insert(block.sequence)
                } else {
                    try writeSlice("{\"ph\":\"b\",\"ts\":", key, address: address, block: block, stack: stack, reason: nil)
                }
            }
        }
        for (key, address, block) in survivors where !zeroLength.contains(block.sequence) {
            try output.reserve(Self.recordRoom)
            writeEnd(key, address: address, block: block, thread: block.threadID, at: end, reason: "\"leaked\":true")
        }
    }
}

/// `b` records not written yet because their block may end at the time it began, with copies of their
/// stacks. All share one time; memory is bounded by ``ChromeWriter/maximumHeldBegins``. Usually one or two
/// are held, found by a short scan; past ``indexed`` an ``AddressMap`` finds them by sequence number.
struct HeldBegins {
    struct Begin {
        var key: HeapKey
        var address: UInt64
        var block: ChromeLifetimes.Block
        var frames: Range<Int>?
        /// Ended at the time it began (written as an `n`).
        var taken = false
    }

    static let indexed = 32

    /// The time of every held begin, nanoseconds after the origin.
    private(set) var time: UInt64 = 0
    private(set) var begins: [Begin] = []
    private var bySequence = AddressMap<Int>()
    private var stackFrames: [UInt64] = []

    var isEmpty: Bool { begins.isEmpty }
    var count: Int { begins.count }

    @inline(__always)
    mutating func hold(_ key: HeapKey, address: UInt64, block: ChromeLifetimes.Block, stack: ArraySlice<UInt64>?, at ts: UInt64) {
        time = ts
        var frames: Range<Int>?
        if let stack {
            let start = stackFrames.count
            stackFrames.append(contentsOf: stack)
            frames = start..<stackFrames.count
        }
        begins.append(Begin(key: key, address: address, block: block, frames: frames))
        if begins.count > Self.indexed {
            if begins.count == Self.indexed + 1 {
                for (i, begin) in begins.enumerated() where !begin.taken {
                    bySequence.updateValue(i, forKey: begin.block.sequence)
                }
            } else {
                bySequence.updateValue(begins.count - 1, forKey: block.sequence)
            }
        }
    }

    /// Marks the held begin of block `sequence` as ended and returns it, if it is held.
    @inline(__always)
    mutating func take(_ sequence: UInt64) -> Begin? {
        guard !begins.isEmpty else { return nil }
        let index: Int
        if begins.count > Self.indexed {
            guard let i = bySequence.removeValue(forKey: sequence) else { return nil }
            index = i
        } else {
            guard let i = begins.lastIndex(where: { $0.block.sequence == sequence && !$0.taken }) else { return nil }
            index = i
        }
        begins[index].taken = true
        return begins[index]
    }

    func frames(_ begin: Begin) -> ArraySlice<UInt64>? { begin.frames.map { stackFrames[$0] } }

    mutating func removeAll() {
        begins.removeAll(keepingCapacity: true)
        bySequence.removeAll()
        stackFrames.removeAll(keepingCapacity: true)
    }
}

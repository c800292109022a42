import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `.heapcol` (`Schemas/heapcol.md`): the header, a CRC-checked row group every 65,536 events, and a
/// footer with counts, as plain bytes into its output; the pipeline puts the gzip compressor (on threads of
/// its own, see ``GzipSettings/makeSink(_:name:)``) between this writer and the file.
///
/// Events are appended to reused columns as they come; a full row group is encoded into one reused block
/// buffer and handed to the output at once. Nothing is allocated per event once the buffers have grown to a
/// row group's size. A stack longer than the format's limit (8,388,608 frames) is an error.
public struct HeapColWriter: EventWriter {
    private let encoder: HeapColEncoder

    /// - Parameters:
    ///   - output: where the uncompressed bytes go; the caller puts a compressing sink before the file.
    public init(output: OutputBuffer) {
        self.init(output: output, rowGroupLimit: HeapColFormat.maximumRowGroupEvents,
                  stackEntryLimit: HeapColFormat.maximumStackEntries, stackFrameLimit: HeapColFormat.maximumStackFrames)
    }

    /// A writer with smaller limits than the format's, so tests reach row-group and dictionary-reset
    /// boundaries with few events.
    init(output: OutputBuffer, rowGroupLimit: Int, stackEntryLimit: Int, stackFrameLimit: Int) {
        encoder = HeapColEncoder(output: output, rowGroupLimit: rowGroupLimit, stackEntryLimit: stackEntryLimit,
                                 stackFrameLimit: stackFrameLimit)
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        try encoder.state.write(batch)
    }

    public mutating func finish() throws(ConversionError) {
        try encoder.state.finish()
    }
}

/// Owns a ``HeapColEncoderState`` and frees its columns.
///
/// The state is a struct reached through one access per batch, because a class's stored properties get a
/// dynamic exclusivity check on every mutation (measured: a third of the writer's time went to
/// `swift_beginAccess` when the columns were properties of this class).
final class HeapColEncoder {
    var state: HeapColEncoderState

    init(output: OutputBuffer, rowGroupLimit: Int, stackEntryLimit: Int, stackFrameLimit: Int) {
        state = HeapColEncoderState(output: output, rowGroupLimit: rowGroupLimit, stackEntryLimit: stackEntryLimit,
                                    stackFrameLimit: stackFrameLimit)
    }

    deinit { state.deallocate() }
}

/// The state of a heapcol write: the row group being filled, column by column, and the stack dictionary.
struct HeapColEncoderState {
    private let output: OutputBuffer
    private let rowGroupLimit: Int
    private let stackEntryLimit: Int
    private let stackFrameLimit: Int

    private var headerWritten = false
    private var rowGroups: UInt64 = 0
    private var totalEvents: UInt64 = 0
    private var perKind: ValueColumn

    // The row group being filled: one column per id (`Schemas/heapcol.md` §5.3). Columns with at most one
    // value per event (plus the address shift) are allocated for a whole row group and never grow.
    private var n = 0
    private var kinds: ValueColumn
    private var times: ValueColumn
    private var pidIndices: ValueColumn
    private var tidIndices: ValueColumn
    private var cpus: ValueColumn
    private var heapIndices: ValueColumn
    private var addresses: ValueColumn
    private var sizes: ValueColumn
    private var oldAddresses: ValueColumn
    private var oldSizes: ValueColumn
    private var sources: ValueColumn
    private var flags: ValueColumn
    private var details: ValueColumn
    private var stackAdditions: ValueColumn
    private var stackIndices: ValueColumn
    private var pids = ValueDictionary()
    private var tids = ValueDictionary()
    private var heaps = ValueDictionary()
    /// The last address per heap index, for the per-heap address deltas.
    private var previousAddress: ValueColumn
    private var previousTime: UInt64 = 0
    /// Bitwise OR of every raw address delta (and old-address delta) of the row group, for the shift.
    private var addressBits: UInt64 = 0
    private var oldAddressBits: UInt64 = 0
    private var stacks = StackDictionary()
    private var resetStacksBeforeGroup = false
    /// Context records of the row group being filled, written as a `'C'` block before it.
    private var context = HeapColContextWriter()

    private let block = BlockBuffer()

    init(output: OutputBuffer, rowGroupLimit: Int, stackEntryLimit: Int, stackFrameLimit: Int) {
        precondition(rowGroupLimit >= 1 && rowGroupLimit <= HeapColFormat.maximumRowGroupEvents)
        precondition(stackEntryLimit >= 1 && stackEntryLimit <= HeapColFormat.maximumStackEntries)
        precondition(stackFrameLimit >= 0 && stackFrameLimit <= HeapColFormat.maximumStackFrames)
        self.output = output
        self.rowGroupLimit = rowGroupLimit
        self.stackEntryLimit = stackEntryLimit
        self.stackFrameLimit = stackFrameLimit
        let perEvent = rowGroupLimit + 1
        perKind = ValueColumn(capacity: EventKind.heapKinds.count)
        for _ in EventKind.heapKinds { perKind.append(0) }
        kinds = ValueColumn(capacity: perEvent)
        times = ValueColumn(capacity: perEvent)
        pidIndices = ValueColumn(capacity: perEvent)
        tidIndices = ValueColumn(capacity: perEvent)
        cpus = ValueColumn(capacity: perEvent)
        heapIndices = ValueColumn(capacity: perEvent)
        addresses = ValueColumn(capacity: perEvent)
        sizes = ValueColumn(capacity: perEvent)
        oldAddresses = ValueColumn(capacity: perEvent)
        oldSizes = ValueColumn(capacity: perEvent)
        sources = ValueColumn(capacity: perEvent)
        flags = ValueColumn(capacity: perEvent)
        details = ValueColumn(capacity: 1024)
        stackAdditions = ValueColumn(capacity: 1 << 16)
        stackIndices = ValueColumn(capacity: perEvent)
        previousAddress = ValueColumn(capacity: perEvent)
        // Room for the shift in front of the address deltas, filled in when the row group is encoded.
        addresses.append(0)
        oldAddresses.append(0)
    }

    /// Frees the columns; called once, by the owning ``HeapColEncoder``.
    func deallocate() {
        for column in [perKind, kinds, times, pidIndices, tidIndices, cpus, heapIndices, addresses, sizes,
                       oldAddresses, oldSizes, sources, flags, details, stackAdditions, stackIndices, previousAddress] {
            column.deallocate()
        }
    }

    mutating func write(_ batch: EventBatch) throws(ConversionError) {
        try writeHeaderOnce()
        try batch.frames.withUnsafeBufferPointer { (frames) throws(ConversionError) in
            for event in batch.events {
                if event.isContext {
                    try appendContext(event, batch: batch)
                } else {
                    try append(event, frames: frames)
                }
            }
        }
    }

    /// Gathers a context record for the `'C'` block before the current row group; when too many wait, ends
    /// the row group early (or, when it is empty, writes the block alone).
    private mutating func appendContext(_ event: HeapEvent, batch: EventBatch) throws(ConversionError) {
        try context.append(event, position: n, batch: batch)
        if context.isFull {
            if n > 0 { try flushRowGroup() } else { try writeContextBlock() }
        }
    }

    /// Writes the gathered context records as a `'C'` block.
    private mutating func writeContextBlock() throws(ConversionError) {
        guard context.count > 0 else { return }
        block.removeAll()
        block.beginBlock(tag: HeapColContext.tag)
        block.appendVarint(UInt64(context.count))
        context.body.withUnsafeBytes { block.append(bytes: $0) }
        try writeBlock()
        context.removeAll()
    }

    mutating func finish() throws(ConversionError) {
        try writeHeaderOnce()
        if n > 0 { try flushRowGroup() }
        try writeContextBlock()
        block.removeAll()
        block.beginBlock(tag: HeapColFormat.footerTag)
        block.appendVarint(rowGroups)
        block.appendVarint(totalEvents)
        for i in 0..<perKind.count { block.appendVarint(perKind[i]) }
        // Version 1.1: context records in all, then per kind.
        block.appendVarint(context.perKind.reduce(0, +))
        for count in context.perKind { block.appendVarint(count) }
        try writeBlock()
        try output.finish()
    }

    private mutating func writeHeaderOnce() throws(ConversionError) {
        guard !headerWritten else { return }
        headerWritten = true
        try output.reserve(HeapColFormat.headerLength)
        for byte in HeapColFormat.magic { output.append(byte) }
        output.append(HeapColFormat.majorVersion)
        output.append(HeapColFormat.minorVersion)
    }

    @inline(__always)
    private mutating func append(_ event: HeapEvent, frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) {
        if n == rowGroupLimit { try flushRowGroup() }
        let c = event.context
        // The stack first: a dictionary reset may end the row group before this event joins one.
        let stackIndex = try stackIndex(of: c.stack, frames: frames)
        let kind = event.kind
        n &+= 1
        perKind[Int(kind.rawValue)] &+= 1
        kinds.append(UInt64(kind.rawValue))
        let time = UInt64(bitPattern: c.timestamp)
        times.append(Varint.delta(time, from: previousTime))
        previousTime = time
        pidIndices.append(pids.index(of: UInt64(c.processID)).index)
        tidIndices.append(tids.index(of: UInt64(c.threadID)).index)
        cpus.append(c.cpu.map { UInt64($0) &+ 1 } ?? 0)
        let (heapIndex, newHeap) = heaps.index(of: c.heap)
        if newHeap { previousAddress.append(c.heap) }
        heapIndices.append(heapIndex)
        stackIndices.append(stackIndex)
        let h = Int(heapIndex)

        switch event {
        case .alloc(_, let address, let size, let source):
            appendAddress(address, heap: h)
            sizes.append(size)
            sources.append(UInt64(source.rawValue))
        case .realloc(_, let address, let size, let oldAddress, let oldSize, let source):
            appendAddress(address, heap: h)
            sizes.append(size)
            let oldDelta = oldAddress &- address
            oldAddressBits |= oldDelta
            oldAddresses.append(oldDelta)
            oldSizes.append(oldSize)
            sources.append(UInt64(source.rawValue))
        case .free(_, let address, let source):
            appendAddress(address, heap: h)
            sources.append(UInt64(source.rawValue))
        case .destroy:
            break
        case .create(_, let f):
            flags.append(UInt64(f.flags))
            let mask = (f.reserveSize == nil ? 0 : 1) | (f.commitSize == nil ? 0 : 2) | (f.allocatedSize == nil ? 0 : 4)
            details.append(UInt64(mask))
            if let v = f.reserveSize { details.append(v) }
            if let v = f.commitSize { details.append(v) }
            if let v = f.allocatedSize { details.append(v) }
        case .expand(_, let f):
            appendAddress(f.address, heap: h)
            appendSpaceDetails(f.committedSize, f.freeSpace, f.committedSpace, f.reservedSpace, f.allocatedSpace, f.noOfUCRs)
        case .contract(_, let f):
            appendAddress(f.decommitAddress, heap: h)
            appendSpaceDetails(f.decommitSize, f.freeSpace, f.committedSpace, f.reservedSpace, f.allocatedSpace, f.noOfUCRs)
        case .snapshot(_, let f):
            flags.append(UInt64(f.flags))
            details.append(f.allocatedSpace == nil ? 0 : 1)
            details.append(f.freeSpace)
            details.append(f.committedSpace)
            details.append(f.reservedSpace)
            details.append(f.largeUCRSpace)
            if let v = f.allocatedSpace { details.append(v) }
            details.append(UInt64(f.freeListLength))
            details.append(UInt64(f.ucrLength))
            details.append(UInt64(f.processID))
        case .other(_, let opcode):
            details.append(UInt64(opcode))
        case .process, .thread, .image:
            preconditionFailure("context records go to the 'C' block")
        }
    }

    /// The `details` of an expand or contract event, which share one layout (Schemas/heapcol.md): presence
    /// mask, size, free, committed and reserved space, allocated space when present, number of UCRs.
    @inline(__always)
    private mutating func appendSpaceDetails(_ size: UInt64, _ freeSpace: UInt64, _ committedSpace: UInt64,
                                             _ reservedSpace: UInt64, _ allocatedSpace: UInt64?, _ noOfUCRs: UInt32) {
        details.append(allocatedSpace == nil ? 0 : 1)
        details.append(size)
        details.append(freeSpace)
        details.append(committedSpace)
        details.append(reservedSpace)
        if let allocatedSpace { details.append(allocatedSpace) }
        details.append(UInt64(noOfUCRs))
    }

    /// Appends the raw delta of `address` from the heap's previous address; ``shiftDeltas(_:bits:)`` shifts
    /// and zig-zags it when the row group is encoded.
    @inline(__always)
    private mutating func appendAddress(_ address: UInt64, heap h: Int) {
        let delta = address &- previousAddress[h]
        previousAddress[h] = address
        addressBits |= delta
        addresses.append(delta)
    }

    /// The `stack` column value of `ref`: 0 for no stack, else 1 + its dictionary entry, adding the stack to
    /// the dictionary (and to this row group's `stack_dict` column) when it is new.
    @inline(__always)
    private mutating func stackIndex(of ref: StackRef, frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) -> UInt64 {
        guard ref.isPresent else { return 0 }
        let start = Int(ref.offset)
        let count = Int(ref.count)
        precondition(start <= frames.count && count <= frames.count - start, "StackRef outside its batch's frames")
        let stack = UnsafeBufferPointer(rebasing: frames[start..<start + count])
        let hash = StackDictionary.hash(stack)
        if let entry = stacks.find(stack, hash: hash) { return UInt64(entry) + 1 }
        return try addStack(stack, hash: hash)
    }

    private mutating func addStack(_ stack: UnsafeBufferPointer<UInt64>, hash: UInt64) throws(ConversionError) -> UInt64 {
        let count = stack.count
        if stacks.entryCount + 1 > stackEntryLimit || stacks.frameCount + count > stackFrameLimit {
            guard count <= stackFrameLimit else {
                throw ConversionError(.malformedInput, "a stack of \(count) frames is longer than heapcol stores (\(stackFrameLimit))")
            }
            if n > 0 { try flushRowGroup() }
            stacks.removeAll()
            resetStacksBeforeGroup = true
        }
        // The base: an earlier entry whose outermost frames this stack shares (`Schemas/heapcol.md` §6.8).
        let base = stacks.base(for: stack)
        let entry = stacks.add(stack, hash: hash)
        var own = stack
        if let base {
            stackAdditions.append(UInt64(entry - base.entry))
            stackAdditions.append(UInt64(base.shared))
            own = UnsafeBufferPointer(rebasing: stack[0..<count - base.shared])
        } else {
            stackAdditions.append(0)
        }
        stackAdditions.append(UInt64(own.count))
        var previous: UInt64 = 0
        for frame in own {
            stackAdditions.append(Varint.delta(frame, from: previous))
            previous = frame
        }
        return UInt64(entry) + 1
    }

    /// Encodes the row group as one block, hands it to the output and starts the next group empty.
    private mutating func flushRowGroup() throws(ConversionError) {
        try writeContextBlock()
        block.removeAll()
        block.beginBlock(tag: HeapColFormat.rowGroupTag)
        block.appendVarint(UInt64(n))
        block.appendVarint(resetStacksBeforeGroup ? HeapColFormat.resetStackDictionaryFlag : 0)
        Self.shiftDeltas(addresses, bits: addressBits)
        Self.shiftDeltas(oldAddresses, bits: oldAddressBits)
        func column(_ id: HeapColColumn, _ values: UnsafeBufferPointer<UInt64>) {
            block.appendColumn(id: id.rawValue, values)
        }
        func column(_ id: HeapColColumn, _ values: [UInt64]) {
            values.withUnsafeBufferPointer { block.appendColumn(id: id.rawValue, $0) }
        }
        // In id order, as the format requires.
        column(.kind, kinds.values)
        column(.time, times.values)
        column(.pidDict, pids.values)
        column(.pid, pidIndices.values)
        column(.tidDict, tids.values)
        column(.tid, tidIndices.values)
        column(.cpu, cpus.values)
        column(.heapDict, heaps.values)
        column(.heap, heapIndices.values)
        column(.address, addresses.values)
        column(.size, sizes.values)
        column(.oldAddress, oldAddresses.values)
        column(.oldSize, oldSizes.values)
        column(.source, sources.values)
        column(.flags, flags.values)
        column(.details, details.values)
        column(.stackDict, stackAdditions.values)
        column(.stack, stackIndices.values)
        try writeBlock()
        rowGroups += 1
        totalEvents += UInt64(n)
        n = 0
        for column in [\HeapColEncoderState.kinds, \.times, \.pidIndices, \.tidIndices, \.cpus, \.heapIndices,
                       \.addresses, \.sizes, \.oldAddresses, \.oldSizes, \.sources, \.flags, \.details,
                       \.stackAdditions, \.stackIndices, \.previousAddress] as [WritableKeyPath<HeapColEncoderState, ValueColumn>] {
            self[keyPath: column].removeAll()
        }
        addresses.append(0)
        oldAddresses.append(0)
        addressBits = 0
        oldAddressBits = 0
        pids.removeAll()
        tids.removeAll()
        heaps.removeAll()
        previousTime = 0
        resetStacksBeforeGroup = false
    }

    /// Turns raw deltas (after the placeholder at index 0) into zig-zagged multiples of 2^k, with k the
    /// largest shift that loses nothing, and puts k at index 0 (`Schemas/heapcol.md` §6.5).
    private static func shiftDeltas(_ column: ValueColumn, bits: UInt64) {
        let shift = bits == 0 ? 0 : min(bits.trailingZeroBitCount, 63)
        let values = column.mutableValues
        values[0] = UInt64(shift)
        for i in 1..<values.count {
            values[i] = Varint.zigzag(Int64(bitPattern: values[i]) >> Int64(shift))
        }
    }

    /// Fills in the block's length and CRC and appends it to the output.
    private func writeBlock() throws(ConversionError) {
        guard block.bodyLength <= HeapColFormat.maximumBodyLength else {
            throw ConversionError(.internal, "heapcol block of \(block.bodyLength) bytes exceeds the format's limit")
        }
        block.endBlock()
        try output.append(bytes: block.bytes)
    }
}

/// A growable column of integers in memory its owner frees with ``deallocate()``: appending checks the
/// capacity but makes no uniqueness check or runtime call, unlike `Array`.
struct ValueColumn {
    private var base: UnsafeMutablePointer<UInt64>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    @inline(__always)
    mutating func append(_ value: UInt64) {
        if count == capacity { grow() }
        // Safety: count < capacity here.
        base[count] = value
        count &+= 1
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    @inline(__always)
    subscript(i: Int) -> UInt64 {
        get {
            precondition(i >= 0 && i < count)
            return base[i]
        }
        set {
            precondition(i >= 0 && i < count)
            base[i] = newValue
        }
    }

    mutating func removeAll() { count = 0 }

    /// The values; valid until the next append.
    var values: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: base, count: count) }
    var mutableValues: UnsafeMutableBufferPointer<UInt64> { UnsafeMutableBufferPointer(start: base, count: count) }
}

/// A growable byte buffer for one block at a time: tag, length, body, CRC-32. Keeps its storage.
final class BlockBuffer {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func removeAll() { count = 0 }

    /// The bytes written so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Bytes of body after the block header.
    var bodyLength: Int { count - HeapColFormat.blockHeaderLength }

    /// Makes room for `extra` more bytes.
    func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    /// Starts a block at the beginning of the buffer: the tag and room for the length.
    func beginBlock(tag: UInt8) {
        precondition(count == 0)
        reserve(HeapColFormat.blockHeaderLength)
        base[0] = tag
        count = HeapColFormat.blockHeaderLength
    }

    /// Writes the body length after the tag and appends the CRC-32 of tag, length and body.
    func endBlock() {
        let length = UInt32(bodyLength)
        for i in 0..<4 { base[1 + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(i))) }
        let crc = UInt32(truncatingIfNeeded: CZlib.crc32(0, base, UInt32(count)))
        reserve(4)
        for i in 0..<4 { base[count + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        count += 4
    }

    func appendVarint(_ value: UInt64) {
        reserve(10)
        count += Varint.put(value, at: base + count)
    }

    /// Appends raw bytes (a context block's encoded records).
    func append(bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if let source = bytes.baseAddress { (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
        count += bytes.count
    }

    /// Appends a column: its id, its size, and `values` as an integer sequence (`Schemas/heapcol.md` §4), in
    /// the shortest layout (ties: plain, then runs, then packed).
    func appendColumn(id: Int, _ values: UnsafeBufferPointer<UInt64>) {
        let n = values.count
        // One branch-free pass for the packed size and the number of runs.
        var all: UInt64 = 0
        var changes = 0
        var previous = n > 0 ? ~values[0] : 0
        for value in values {
            all |= value
            changes &+= value != previous ? 1 : 0
            previous = value
        }
        let width = max(64 - all.leadingZeroBitCount, 1)
        let packed = 1 + (n * width + 7) / 8
        // Plain takes at least a byte per value: when packing beats that, plain's exact size does not matter.
        var plain = Int.max
        if packed >= n {
            plain = 0
            for value in values { plain &+= Varint.length(value) }
        }
        // Each run takes at least two bytes, so the exact runs size matters only when that bound is smaller.
        var runs = Int.max
        if 2 * changes < min(plain, packed) {
            runs = 0
            var i = 0
            while i < n {
                let value = values[i]
                var j = i + 1
                while j < n && values[j] == value { j += 1 }
                runs += Varint.length(value) + Varint.length(UInt64(j - i))
                i = j
            }
        }
        let layout: UInt8 = plain <= runs && plain <= packed ? 0 : runs <= packed ? 1 : 2
        let payload = 1 + Varint.length(UInt64(n)) + [plain, runs, packed][Int(layout)]
        appendVarint(UInt64(id))
        appendVarint(UInt64(payload))
        reserve(payload)
        let start = count
        // Safety: `reserve(payload)` made room for exactly the bytes counted above, which the loops below
        // write again value for value; the precondition after them checks the count matched.
        var p = base + count
        p[0] = layout
        p += 1
        p += Varint.put(UInt64(n), at: p)
        switch layout {
        case 0:
            for value in values {
                if value < 0x80 {
                    p[0] = UInt8(truncatingIfNeeded: value)
                    p += 1
                } else {
                    p += Varint.put(value, at: p)
                }
            }
        case 1:
            var i = 0
            while i < n {
                let value = values[i]
                var j = i + 1
                while j < n && values[j] == value { j += 1 }
                p += Varint.put(value, at: p)
                p += Varint.put(UInt64(j - i), at: p)
                i = j
            }
        default:
            p[0] = UInt8(width)
            p += 1
            var bits = BitWriter(p)
            if width <= 32 {
                for value in values { bits.put(value, width: width) }
            } else {
                // Fields wider than 32 bits go in two pieces, low bits first: the same bit string.
                for value in values {
                    bits.put(value & 0xFFFF_FFFF, width: 32)
                    bits.put(value >> 32, width: width - 32)
                }
            }
            p = bits.finish()
        }
        count = base.distance(to: p)
        precondition(count - start == payload, "heapcol column size miscounted")
    }
}

/// Writes fields of up to 32 bits as one little-endian bit string (the packed layout), 8 bytes at a time.
struct BitWriter {
    private var p: UnsafeMutablePointer<UInt8>
    private var accumulator: UInt64 = 0
    private var bitCount = 0

    init(_ p: UnsafeMutablePointer<UInt8>) { self.p = p }

    /// Appends the low `width` bits of `value` (width ≤ 32; the bits above are zero).
    @inline(__always)
    mutating func put(_ value: UInt64, width: Int) {
        accumulator |= value &<< UInt64(bitCount)
        bitCount &+= width
        if bitCount >= 64 {
            // Safety: 64 complete bits are part of the column's exact size, reserved by the caller.
            UnsafeMutableRawPointer(p).storeBytes(of: accumulator.littleEndian, as: UInt64.self)
            p += 8
            bitCount &-= 64
            // The bits of `value` that did not fit (bitCount of them; none when bitCount is 0).
            accumulator = bitCount == 0 ? 0 : value &>> UInt64(width &- bitCount)
        }
    }

    /// Writes the last partial word, zero-padded to whole bytes, and returns the position after it.
    mutating func finish() -> UnsafeMutablePointer<UInt8> {
        while bitCount > 0 {
            p[0] = UInt8(truncatingIfNeeded: accumulator)
            p += 1
            accumulator >>= 8
            bitCount -= min(bitCount, 8)
        }
        return p
    }
}

/// Maps values to their index in a row group's dictionary, in order of first use.
struct ValueDictionary {
    /// The dictionary: distinct values in order of first use.
    private(set) var values: [UInt64] = []
    /// Open addressing: slot → index into `values`, valid when its stamp equals `generation`.
    private var slots = [UInt32](repeating: 0, count: 64)
    private var stamps = [UInt32](repeating: 0, count: 64)
    private var generation: UInt32 = 1
    private var lastValue: UInt64 = 0
    private var lastIndex: UInt64 = .max

    /// The index of `value`, adding it when new.
    @inline(__always)
    mutating func index(of value: UInt64) -> (index: UInt64, isNew: Bool) {
        if lastIndex != .max && value == lastValue { return (lastIndex, false) }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while stamps[slot] == generation {
            let index = Int(slots[slot])
            if values[index] == value {
                lastValue = value
                lastIndex = UInt64(index)
                return (lastIndex, false)
            }
            slot = (slot + 1) & mask
        }
        let index = values.count
        values.append(value)
        slots[slot] = UInt32(index)
        stamps[slot] = generation
        lastValue = value
        lastIndex = UInt64(index)
        if values.count * 2 > slots.count { grow() }
        return (lastIndex, true)
    }

    /// Empties the dictionary, keeping its storage.
    mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        lastIndex = .max
        generation &+= 1
        if generation == 0 {
            for i in stamps.indices { stamps[i] = 0 }
            generation = 1
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt32](repeating: 0, count: size)
        stamps = [UInt32](repeating: 0, count: size)
        generation = 1
        let mask = size - 1
        for (index, value) in values.enumerated() {
            var slot = Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
            while stamps[slot] == generation { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index)
            stamps[slot] = generation
        }
    }
}

/// The writer's stack dictionary: distinct stacks with their frames, found by content hash.
///
/// Each slot of the open-addressing table holds the stack's hash, frame range and entry number, so a lookup
/// touches one slot and then compares the frames themselves (the dictionary is exact, never trusting a hash).
struct StackDictionary {
    private struct Slot {
        var hash: UInt64 = 0
        var start: UInt32 = 0
        var count: UInt32 = 0
        /// Entry index + 1; 0 marks an empty slot.
        var entry: UInt32 = 0
    }

    private var frames: [UInt64] = []
    private var slots = [Slot](repeating: Slot(), count: 1024)
    private(set) var entryCount = 0
    /// Entry i's frames are `frames[entryStarts[i]..<entryStarts[i + 1]]`.
    private var entryStarts: [Int] = [0]
    /// Direct-mapped cache: a hash of a stack's outermost frames → 1 + the latest entry ending with them.
    private var latestBySuffix = [UInt32](repeating: 0, count: 1 << 12)
    /// Outermost frames that key ``latestBySuffix``.
    private static let suffixKeyLength = 4

    var frameCount: Int { frames.count }

    @inline(__always)
    static func hash(_ stack: UnsafeBufferPointer<UInt64>) -> UInt64 {
        // Two independent lanes so that the multiplications of neighbouring frames overlap.
        var a: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(stack.count)
        var b: UInt64 = 0x1319_8A2E_0370_7344
        var i = 0
        let n = stack.count
        while i + 1 < n {
            a = (a ^ stack[i]) &* 0x9E37_79B9_7F4A_7C15
            b = (b ^ stack[i + 1]) &* 0xC2B2_AE3D_27D4_EB4F
            a ^= a >> 29
            b ^= b >> 31
            i += 2
        }
        if i < n { a = (a ^ stack[i]) &* 0x9E37_79B9_7F4A_7C15 }
        var h = (a ^ (b &* 0x1656_67B1_9E37_79F9))
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }

    /// The entry holding exactly `stack`, if any.
    @inline(__always)
    func find(_ stack: UnsafeBufferPointer<UInt64>, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[index]
                if slot.entry == 0 { return nil }
                if slot.hash == hash && Int(slot.count) == stack.count && matches(slot, stack) {
                    return Int(slot.entry) - 1
                }
                index = (index + 1) & mask
            }
        }
    }

    @inline(__always)
    private func matches(_ slot: Slot, _ stack: UnsafeBufferPointer<UInt64>) -> Bool {
        guard let base = stack.baseAddress, slot.count > 0 else { return true }
        return frames.withUnsafeBufferPointer { frames in
            // Safety: `slot.start + slot.count <= frames.count` since `add` stored them from `frames` itself.
            memcmp(frames.baseAddress! + Int(slot.start), base, Int(slot.count) * 8) == 0
        }
    }

    /// The cache slot for the outermost frames of `stack` (at least two).
    private func suffixSlot(_ stack: UnsafeBufferPointer<UInt64>) -> Int {
        var h: UInt64 = 0x2545_F491_4F6C_DD1D
        for frame in stack[(stack.count - min(stack.count, Self.suffixKeyLength))...] {
            h = (h ^ frame) &* 0x9E37_79B9_7F4A_7C15
        }
        return Int(truncatingIfNeeded: h >> 40) & (latestBySuffix.count - 1)
    }

    /// An earlier entry sharing at least two outermost frames with `stack`, and how many it shares: the
    /// latest entry with the same outermost frames, if the cache still points at one.
    func base(for stack: UnsafeBufferPointer<UInt64>) -> (entry: Int, shared: Int)? {
        guard stack.count >= 2 else { return nil }
        let candidate = Int(latestBySuffix[suffixSlot(stack)]) - 1
        guard candidate >= 0, candidate < entryCount else { return nil }
        let start = entryStarts[candidate]
        let baseCount = entryStarts[candidate + 1] - start
        var shared = 0
        while shared < min(baseCount, stack.count)
                && frames[start + baseCount - 1 - shared] == stack[stack.count - 1 - shared] {
            shared += 1
        }
        return shared >= 2 ? (candidate, shared) : nil
    }

    /// Adds `stack` (not present yet) and returns its entry index.
    mutating func add(_ stack: UnsafeBufferPointer<UInt64>, hash: UInt64) -> Int {
        let entry = entryCount
        let slot = Slot(hash: hash, start: UInt32(frames.count), count: UInt32(stack.count), entry: UInt32(entry + 1))
        frames.append(contentsOf: stack)
        entryStarts.append(frames.count)
        if stack.count >= 2 { latestBySuffix[suffixSlot(stack)] = UInt32(entry + 1) }
        entryCount += 1
        if entryCount * 2 > slots.count {
            let old = slots
            slots = [Slot](repeating: Slot(), count: slots.count * 2)
            for s in old where s.entry != 0 { insert(s) }
        }
        insert(slot)
        return entry
    }

    private mutating func insert(_ slot: Slot) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: slot.hash) & mask
        while slots[index].entry != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    /// Empties the dictionary, keeping its storage.
    mutating func removeAll() {
        frames.removeAll(keepingCapacity: true)
        entryStarts.removeAll(keepingCapacity: true)
        entryStarts.append(0)
        entryCount = 0
        for i in slots.indices { slots[i] = Slot() }
        for i in latestBySuffix.indices { latestBySuffix[i] = 0 }
    }
}

/// A heap as the analysis sees it: heap handles are per process, so the same handle in two processes is
/// two heaps.
public struct HeapKey: Hashable, Sendable, Comparable {
    public var processID: UInt32
    public var heap: UInt64

    public init(processID: UInt32, heap: UInt64) {
        self.processID = processID
        self.heap = heap
    }

    public static func < (a: HeapKey, b: HeapKey) -> Bool {
        (a.processID, a.heap) < (b.processID, b.heap)
    }
}

/// Running totals of one heap.
public struct HeapTotals: Equatable, Sendable {
    /// Bytes in blocks allocated during the trace and not freed yet.
    public var liveBytes: UInt64 = 0
    /// Blocks allocated during the trace and not freed yet.
    public var liveBlocks: UInt64 = 0
    /// The highest ``liveBytes`` reached.
    public var peakBytes: UInt64 = 0
    /// The highest ``liveBlocks`` reached.
    public var peakBlocks: UInt64 = 0
    /// Bytes requested by allocs and reallocs (new sizes).
    public var allocatedBytes: UInt64 = 0
    /// Bytes of blocks released by frees and reallocs, as far as their size is known.
    public var freedBytes: UInt64 = 0
    /// Frees (and reallocs) of blocks not allocated during the trace: their size is unknown from allocs
    /// seen, so they do not lower ``liveBytes``.
    public var unknownFrees: UInt64 = 0
}

/// Which blocks are alive, per heap, as events arrive in time order: the basis of live-byte counters,
/// peaks, profiles and leak reports, the one implementation of heapconv's heap accounting:
///
/// - an alloc makes a block live (an alloc over a live address first ends the block that was there: its
///   free was not in the trace);
/// - a realloc ends the old block (when it is live) and makes the new one live;
/// - a free ends a live block; a free of an unknown block (allocated before the trace began) changes
///   nothing but ``HeapTotals/unknownFrees``, so no counter goes negative;
/// - a destroy ends every live block of its heap.
///
/// Every live block carries a `Tag` the caller gives with the event that made it: nothing for `info` and
/// Chrome (``LiveHeapState``), the allocating stack and time for profiles and leak reports.
///
/// Memory grows with the number of live blocks, never with the number of events. Heaps live in an array
/// indexed through ``HeapSlots``, and blocks in an ``AddressMap``: most events cost one probe for their
/// address and no hashing of their heap (the Chrome writer applies every event and needs this to stay fast).
public struct HeapLedger<Tag: BitwiseCopyable> {
    /// A live block: its size and the tag of the event that made it.
    public struct Block: BitwiseCopyable {
        public var size: UInt64
        public var tag: Tag
    }

    private struct Heap {
        var totals = HeapTotals()
        var blocks = AddressMap<Block>()
    }

    private var slots = HeapSlots()
    private var heaps: [Heap] = []

    public init() {}

    /// The totals of every heap that saw an allocation, reallocation or free. Builds a dictionary: use
    /// ``totals(of:)`` for one heap.
    public var totals: [HeapKey: HeapTotals] {
        Dictionary(uniqueKeysWithValues: zip(slots.keys, heaps.lazy.map(\.totals)))
    }

    /// The totals of one heap, if it saw an allocation, reallocation or free.
    public func totals(of key: HeapKey) -> HeapTotals? {
        slots.slot(key).map { heaps[$0].totals }
    }

    /// What an event did to its heap's live set.
    public enum Change: Equatable {
        /// Nothing live changed.
        case none
        /// The heap's live bytes or blocks changed.
        case changed(HeapKey)
    }

    /// The slot of `key`'s heap, created when `create` is set.
    @inline(__always)
    private mutating func slot(_ key: HeapKey, create: Bool) -> Int? {
        guard create else { return slots.slot(key) }
        let (slot, isNew) = slots.slot(creating: key)
        if isNew { heaps.append(Heap()) }
        return slot
    }

    /// How many events ahead of the one being applied a caller should ``prefetch(_:)``: enough for the
    /// cache misses of the blocks maps to overlap, few enough that the lines are still cached when used.
    public static var prefetchDistance: Int { 12 }

    /// Starts loading what applying `event` will touch (its blocks' slots), so that ``apply(_:)`` a few
    /// events later does not wait for memory. A hint: it changes nothing.
    @inline(__always)
    public mutating func prefetch(_ event: HeapEvent) {
        switch event {
        case .alloc(let c, let address, _, _), .free(let c, let address, _):
            guard let s = slots.slot(HeapKey(processID: c.processID, heap: c.heap)) else { return }
            heaps[s].blocks.prefetch(address)
        case .realloc(let c, let address, _, let oldAddress, _, _):
            guard let s = slots.slot(HeapKey(processID: c.processID, heap: c.heap)) else { return }
            heaps[s].blocks.prefetch(oldAddress)
            heaps[s].blocks.prefetch(address)
        default:
            return
        }
    }

    /// Applies `event`; a block it makes live carries `tag`. Returns whether its heap's live totals changed.
    @discardableResult
    public mutating func apply(_ event: HeapEvent, tag: Tag) -> Change {
        let c = event.context
        let key = HeapKey(processID: c.processID, heap: c.heap)
        switch event {
        case .alloc(_, let address, let size, _):
            let s = slot(key, create: true)!
            Self.add(address, Block(size: size, tag: tag), to: &heaps[s])
            return .changed(key)
        case .realloc(_, let address, let size, let oldAddress, _, _):
            let s = slot(key, create: true)!
            Self.remove(oldAddress, from: &heaps[s])
            Self.add(address, Block(size: size, tag: tag), to: &heaps[s])
            return .changed(key)
        case .free(_, let address, _):
            let s = slot(key, create: true)!
            return Self.remove(address, from: &heaps[s]) ? .changed(key) : .none
        case .destroy:
            guard let s = slot(key, create: false) else { return .none }
            guard heaps[s].totals.liveBlocks > 0 else {
                heaps[s].blocks = AddressMap()
                return .none
            }
            heaps[s].totals.freedBytes &+= heaps[s].totals.liveBytes
            heaps[s].totals.liveBytes = 0
            heaps[s].totals.liveBlocks = 0
            heaps[s].blocks = AddressMap()
            return .changed(key)
        case .create, .expand, .contract, .snapshot, .other, .process, .thread, .image:
            return .none
        }
    }

    @inline(__always)
    private static func add(_ address: UInt64, _ block: Block, to heap: inout Heap) {
        let size = block.size
        heap.totals.allocatedBytes &+= size
        if let previous = heap.blocks.updateValue(block, forKey: address) {
            // The block was never freed in the trace (a missed free): replace it.
            heap.totals.liveBytes &-= previous.size
            heap.totals.liveBlocks -= 1
        }
        heap.totals.liveBytes &+= size
        heap.totals.liveBlocks += 1
        heap.totals.peakBytes = max(heap.totals.peakBytes, heap.totals.liveBytes)
        heap.totals.peakBlocks = max(heap.totals.peakBlocks, heap.totals.liveBlocks)
    }

    @discardableResult @inline(__always)
    private static func remove(_ address: UInt64, from heap: inout Heap) -> Bool {
        guard let size = heap.blocks.removeValue(forKey: address)?.size else {
            heap.totals.unknownFrees += 1
            return false
        }
        heap.totals.liveBytes &-= size
        heap.totals.liveBlocks -= 1
        heap.totals.freedBytes &+= size
        return true
    }

    /// The live blocks of a heap (address → size), for leak reports.
    public func liveBlocks(of key: HeapKey) -> [UInt64: UInt64] {
        guard let slot = slots.slot(key) else { return [:] }
        return Dictionary(uniqueKeysWithValues: heaps[slot].blocks.entries.lazy.map { ($0.key, $0.value.size) })
    }

    /// The size of the live block at `address` in `key`'s heap, if it is live.
    public func size(of address: UInt64, in key: HeapKey) -> UInt64? {
        slots.slot(key).flatMap { heaps[$0].blocks[address]?.size }
    }

    /// Calls `body` with every live block: its heap, address, size and tag (in no particular order).
    public func forEachLiveBlock(_ body: (HeapKey, UInt64, Block) -> Void) {
        for (slot, key) in slots.keys.enumerated() {
            heaps[slot].blocks.forEach { address, block in body(key, address, block) }
        }
    }
}

/// No tag: what `info` and the Chrome writer keep per live block (its size only).
public struct NoTag: BitwiseCopyable, Sendable {
    public init() {}
}

/// The live blocks with their sizes only: `info`'s and the Chrome writer's accounting.
public typealias LiveHeapState = HeapLedger<NoTag>

extension HeapLedger where Tag == NoTag {
    /// Applies `event`; returns whether its heap's live totals changed.
    @discardableResult @inline(__always)
    public mutating func apply(_ event: HeapEvent) -> Change {
        apply(event, tag: NoTag())
    }
}

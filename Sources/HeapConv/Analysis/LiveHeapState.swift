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
/// peaks and leak reports.
///
/// Memory grows with the number of live blocks, never with the number of events. A free or realloc of a
/// block allocated before the trace began is counted in ``HeapTotals/unknownFrees`` and never drives a
/// counter negative; a destroyed heap releases all its blocks.
public struct LiveHeapState {
    public private(set) var totals: [HeapKey: HeapTotals] = [:]
    private var blocks: [HeapKey: [UInt64: UInt64]] = [:]

    public init() {}

    /// What an event did to its heap's live set.
    public enum Change: Equatable {
        /// Nothing live changed.
        case none
        /// The heap's live bytes or blocks changed.
        case changed(HeapKey)
    }

    /// Applies `event`; returns whether its heap's live totals changed.
    @discardableResult
    public mutating func apply(_ event: HeapEvent) -> Change {
        let c = event.context
        let key = HeapKey(processID: c.processID, heap: c.heap)
        switch event {
        case .alloc(_, let address, let size, _):
            var t = totals[key, default: HeapTotals()]
            add(address, size, to: key, &t)
            totals[key] = t
            return .changed(key)
        case .realloc(_, let address, let size, let oldAddress, _, _):
            var t = totals[key, default: HeapTotals()]
            remove(oldAddress, from: key, &t)
            add(address, size, to: key, &t)
            totals[key] = t
            return .changed(key)
        case .free(_, let address, _):
            var t = totals[key, default: HeapTotals()]
            let known = remove(address, from: key, &t)
            totals[key] = t
            return known ? .changed(key) : .none
        case .destroy:
            guard var t = totals[key], t.liveBlocks > 0 else {
                blocks[key] = nil
                return .none
            }
            t.freedBytes &+= t.liveBytes
            t.liveBytes = 0
            t.liveBlocks = 0
            totals[key] = t
            blocks[key] = nil
            return .changed(key)
        case .create, .expand, .contract, .snapshot, .other:
            return .none
        }
    }

    private mutating func add(_ address: UInt64, _ size: UInt64, to key: HeapKey, _ t: inout HeapTotals) {
        t.allocatedBytes &+= size
        if let previous = blocks[key, default: [:]].updateValue(size, forKey: address) {
            // The block was never freed in the trace (a missed free): replace it.
            t.liveBytes &-= previous
            t.liveBlocks -= 1
        }
        t.liveBytes &+= size
        t.liveBlocks += 1
        t.peakBytes = max(t.peakBytes, t.liveBytes)
        t.peakBlocks = max(t.peakBlocks, t.liveBlocks)
    }

    @discardableResult
    private mutating func remove(_ address: UInt64, from key: HeapKey, _ t: inout HeapTotals) -> Bool {
        guard let size = blocks[key]?.removeValue(forKey: address) else {
            t.unknownFrees += 1
            return false
        }
        t.liveBytes &-= size
        t.liveBlocks -= 1
        t.freedBytes &+= size
        return true
    }

    /// The live blocks of a heap (address → size), for leak reports.
    public func liveBlocks(of key: HeapKey) -> [UInt64: UInt64] {
        blocks[key] ?? [:]
    }

    /// The size of the live block at `address` in `key`'s heap, if it is live.
    public func size(of address: UInt64, in key: HeapKey) -> UInt64? {
        blocks[key]?[address]
    }
}

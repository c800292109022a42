/// The blocks a Chrome trace draws as lifetime slices (`--lifetimes`), and what must be remembered to draw
/// them: memory grows with the blocks alive at once, never with the number of events.
///
/// - `all` and `large:BYTES` write a slice's `b` when its block is allocated and remember only what its `e`
///   needs (sequence number, thread).
/// - `leaks` cannot know at allocation time which blocks will survive, so it remembers every live block
///   (start, size, thread, interned stack) and writes the slices of the survivors at the end.
struct ChromeLifetimes {
    /// A block that has a slice open (or, for `leaks`, that may get one).
    struct Block {
        /// Makes the slice's `id2.local` unique when an address is reused.
        var sequence: UInt64
        /// Allocation time, nanoseconds after the trace origin.
        var start: UInt64
        var size: UInt64
        /// The allocating thread: the leaked slice's `e` is written on it.
        var threadID: UInt32
        /// The allocation stack in ``StackTable`` (`leaks` only), or ``StackTable/none``.
        var stack: Int32
    }

    /// Whether slices are written at the end, for the survivors only (`leaks`), rather than as blocks
    /// come and go.
    let leaksOnly: Bool
    /// Blocks smaller than this get no slice (`large:BYTES`; 0 for `all` and `leaks`).
    let minimumSize: UInt64

    /// The open blocks of one heap, and the most that were open at once (rows the viewers need).
    private struct Heap {
        var open = AddressMap<Block>()
        var peak = 0
    }

    private var slots = HeapSlots()
    private var heaps: [Heap] = []
    private var nextSequence: UInt64 = 1
    private(set) var stacks = StackTable()

    /// Whether any lifetime is drawn (`--lifetimes` other than `none`).
    let enabled: Bool

    init(_ selection: LifetimeSelection) {
        switch selection {
        case .none: enabled = false; leaksOnly = false; minimumSize = .max
        case .leaks: enabled = true; leaksOnly = true; minimumSize = 0
        case .all: enabled = true; leaksOnly = false; minimumSize = 0
        case .large(let bytes): enabled = true; leaksOnly = false; minimumSize = bytes
        }
    }

    @inline(__always)
    private mutating func slot(_ key: HeapKey) -> Int {
        let (slot, isNew) = slots.slot(creating: key)
        if isNew { heaps.append(Heap()) }
        return slot
    }

    /// A block of `size` bytes was allocated at `address`: remembers it if it gets a slice (`begun`), and
    /// forgets the block that was there (`replaced`: its free was not traced).
    @inline(__always)
    mutating func allocate(
        _ key: HeapKey, address: UInt64, size: UInt64, threadID: UInt32, at start: UInt64,
        stack: ArraySlice<UInt64>?
    ) -> (begun: Block?, replaced: Block?) {
        let s = slot(key)
        guard size >= minimumSize else {
            return (nil, heaps[s].open.removeValue(forKey: address))
        }
        let block = Block(sequence: nextSequence, start: start, size: size, threadID: threadID,
                          stack: leaksOnly ? stacks.intern(stack) : StackTable.none)
        nextSequence &+= 1
        let replaced = heaps[s].open.updateValue(block, forKey: address)
        heaps[s].peak = max(heaps[s].peak, heaps[s].open.count)
        return (block, replaced)
    }

    /// Forgets the block at `address` and returns it, if it has a slice.
    @inline(__always)
    mutating func end(_ key: HeapKey, address: UInt64) -> Block? {
        heaps[slot(key)].open.removeValue(forKey: address)
    }

    /// Forgets every block of a heap (it was destroyed); returns them in allocation order.
    mutating func endAll(_ key: HeapKey) -> [(address: UInt64, block: Block)] {
        let s = slot(key)
        let ended = heaps[s].open.entries.map { (address: $0.key, block: $0.value) }
        heaps[s].open = AddressMap()
        return ended.sorted { $0.block.sequence < $1.block.sequence }
    }

    /// Every block still alive, in allocation order (which is time order), with its heap.
    func survivors() -> [(key: HeapKey, address: UInt64, block: Block)] {
        var all: [(key: HeapKey, address: UInt64, block: Block)] = []
        all.reserveCapacity(heaps.reduce(0) { $0 + $1.open.count })
        for (key, heap) in zip(slots.keys, heaps) {
            for (address, block) in heap.open.entries { all.append((key, address, block)) }
        }
        all.sort { $0.block.sequence < $1.block.sequence }
        return all
    }

    /// Per heap, the most slices open at once (for `leaks`, the blocks that survive, since their slices
    /// all end together).
    func rowsNeeded() -> [HeapKey: Int] {
        var rows: [HeapKey: Int] = [:]
        for (key, heap) in zip(slots.keys, heaps) {
            rows[key] = leaksOnly ? heap.open.count : heap.peak
        }
        return rows
    }
}

/// Call stacks stored once each, for blocks whose slice is written long after their allocation.
///
/// Programs allocate from a limited set of call sites, so interning keeps memory near the number of
/// distinct stacks rather than live blocks × frames.
struct StackTable {
    /// No stack was recorded.
    static let none: Int32 = -1

    private var frames: [UInt64] = []
    private var ranges: [Range<Int>] = []
    /// The first stack stored under each hash.
    private var byHash = AddressMap<Int32>()
    /// Stacks whose hash another stack already holds (rare).
    private var collided: [[UInt64]: Int32] = [:]

    /// Number of distinct stacks stored.
    var count: Int { ranges.count }

    /// A 64-bit hash of the frames (multiply-xorshift per frame: a SipHash per stack cost more than the
    /// rest of interning); collisions are resolved by comparing frames.
    @inline(__always)
    private static func hash(_ stack: ArraySlice<UInt64>) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: stack.count) &* 0x9E37_79B9_7F4A_7C15
        for frame in stack {
            h = (h ^ frame) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        return h
    }

    /// The id of `stack` (stored on first sight); ``none`` for `nil`.
    mutating func intern(_ stack: ArraySlice<UInt64>?) -> Int32 {
        guard let stack else { return Self.none }
        let hash = Self.hash(stack)
        if let id = byHash[hash] {
            if frames[ranges[Int(id)]].elementsEqual(stack) { return id }
            let key = Array(stack)
            if let id = collided[key] { return id }
            let id = store(stack)
            collided[key] = id
            return id
        }
        let id = store(stack)
        byHash.updateValue(id, forKey: hash)
        return id
    }

    private mutating func store(_ stack: ArraySlice<UInt64>) -> Int32 {
        let start = frames.count
        frames.append(contentsOf: stack)
        ranges.append(start..<frames.count)
        return Int32(ranges.count - 1)
    }

    /// The frames of a stored stack; `nil` for ``none``.
    func frames(of id: Int32) -> ArraySlice<UInt64>? {
        id == Self.none ? nil : frames[ranges[Int(id)]]
    }
}

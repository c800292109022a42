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
        /// The allocation stack in ``stacks`` (`leaks` only), or -1.
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
    /// Allocation stacks of blocks whose slice is written at the end (`leaks`), each stored once.
    let stacks = StackTable()
    /// No images: frames are named when the slices are written.
    private let noModules = ModuleMap()

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
                          stack: leaksOnly ? Int32(stacks.intern(processID: key.processID, frames: stack, modules: noModules)) : -1)
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

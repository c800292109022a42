/// Dense indices for heaps (0, 1, 2, ... in order of first sight), so that per-heap state lives in arrays.
/// Any key scoped by a process fits: the trace summary also numbers processes (heap 0) and threads (the
/// thread id in place of the heap) with it.
///
/// Events of a few heaps interleave, and hashing a ``HeapKey`` through `Dictionary` costs a SipHash per
/// event; a 16-entry direct-mapped cache in front of the dictionary answers almost every lookup with one
/// multiply and one comparison.
struct HeapSlots {
    private var indices: [HeapKey: Int] = [:]
    /// The heap of each slot.
    private(set) var keys: [HeapKey] = []
    private var cache = [(key: HeapKey, slot: Int)?](repeating: nil, count: 16)

    @inline(__always)
    private static func line(_ key: HeapKey) -> Int {
        Int(truncatingIfNeeded: ((key.heap &+ UInt64(key.processID) &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9) >> 60)
    }

    /// The slot of `key`, or `nil` if it has none.
    @inline(__always)
    mutating func slot(_ key: HeapKey) -> Int? {
        let line = Self.line(key)
        if let entry = cache[line], entry.key == key { return entry.slot }
        guard let slot = indices[key] else { return nil }
        cache[line] = (key, slot)
        return slot
    }

    /// The slot of `key`, given one if it has none yet (`isNew`).
    @inline(__always)
    mutating func slot(creating key: HeapKey) -> (slot: Int, isNew: Bool) {
        if let slot = slot(key) { return (slot, false) }
        let slot = keys.count
        keys.append(key)
        indices[key] = slot
        cache[Self.line(key)] = (key, slot)
        return (slot, true)
    }

    /// The slot of `key` without updating the cache.
    func existingSlot(_ key: HeapKey) -> Int? {
        if let entry = cache[Self.line(key)], entry.key == key { return entry.slot }
        return indices[key]
    }
}

/// Dense indices for heaps (0, 1, 2, ... in order of first sight), so that per-heap state lives in arrays.
/// Any key scoped by a process fits: the trace summary also numbers processes (heap 0) and threads (the
/// thread id in place of the heap) with it.
///
/// Looked up several times per event. `Dictionary` hashes a ``HeapKey`` with a seeded SipHash, which a
/// 16-entry cache in front of it hid only while a trace had few threads (with 8 threads, colliding cache
/// lines sent a tenth of the summary's instructions to the hasher); this is an open-addressing table of
/// slot numbers with a multiplicative hash, which entries never leave, so a lookup is one or two probes.
struct HeapSlots {
    /// The key of each slot.
    private(set) var keys: [HeapKey] = []
    /// Slot numbers by hash, linear probing; -1 is empty. A power of two in size, at most half full.
    private var table = [Int32](repeating: -1, count: 16)
    /// 64 minus log2 of the table's size: the shift that turns a hash into a table index.
    private var shift: UInt64 = 64 - 4

    @inline(__always)
    private func home(_ key: HeapKey) -> Int {
        let mixed = (key.heap ^ UInt64(key.processID) &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> shift)
    }

    /// Where `key` is in the table, or the empty entry where it would go.
    @inline(__always)
    private func find(_ key: HeapKey) -> (index: Int, slot: Int?) {
        let mask = table.count - 1
        var i = home(key)
        while true {
            let slot = Int(table[i])
            if slot < 0 { return (i, nil) }
            if keys[slot] == key { return (i, slot) }
            i = (i + 1) & mask
        }
    }

    /// The slot of `key`, or `nil` if it has none.
    @inline(__always)
    func slot(_ key: HeapKey) -> Int? {
        find(key).slot
    }

    /// The slot of `key`, given one if it has none yet (`isNew`).
    @inline(__always)
    mutating func slot(creating key: HeapKey) -> (slot: Int, isNew: Bool) {
        let (index, found) = find(key)
        if let found { return (found, false) }
        let slot = keys.count
        precondition(slot < Int(Int32.max), "too many heaps, processes or threads")
        keys.append(key)
        if keys.count * 2 > table.count {
            grow()
        } else {
            table[index] = Int32(slot)
        }
        return (slot, true)
    }

    /// Doubles the table and enters every key again (the newest included).
    private mutating func grow() {
        table = [Int32](repeating: -1, count: table.count * 2)
        shift -= 1
        for (slot, key) in keys.enumerated() {
            table[find(key).index] = Int32(slot)
        }
    }
}

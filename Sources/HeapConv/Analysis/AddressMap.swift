/// A hash map from 64-bit keys (block addresses, sequence numbers) to values, for the per-event lookups of
/// live-block tracking.
///
/// `Dictionary` hashes every key with a seeded SipHash, which made hashing a third of the Chrome writer's
/// time; this map uses Fibonacci hashing (one multiply, the high bits), open addressing with linear probing
/// and backward-shift deletion (no tombstones), in one array. Keys that collide on purpose could make it
/// slow, never wrong: heapconv reads trace files, not requests from strangers.
struct AddressMap<Value> {
    private struct Entry {
        var key: UInt64
        var value: Value
    }

    /// Slots, a power of two in number (none until the first insertion, so that an empty map costs no
    /// allocation); `nil` is empty.
    private var slots: [Entry?] = []
    /// 64 minus log2 of the slot count: the shift that turns a product into a slot index.
    private var shift: UInt64 = 64 - 4
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    private var mask: Int { slots.count - 1 }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: UInt64) -> (index: Int, found: Bool) {
        var i = home(key)
        while let entry = slots[i] {
            if entry.key == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            guard count > 0 else { return nil }
            let (i, found) = find(key)
            return found ? slots[i]!.value : nil
        }
    }

    /// Sets `key` to `value`; returns the value it replaces, if any.
    @discardableResult @inline(__always)
    mutating func updateValue(_ value: Value, forKey key: UInt64) -> Value? {
        if slots.isEmpty { slots = Array(repeating: nil, count: 16) }
        let (i, found) = find(key)
        if found {
            let old = slots[i]!.value
            slots[i]!.value = value
            return old
        }
        // Keep at most 3/4 of the slots full so probes stay short.
        if (count + 1) * 4 > slots.count * 3 {
            grow()
            slots[find(key).index] = Entry(key: key, value: value)
        } else {
            slots[i] = Entry(key: key, value: value)
        }
        count += 1
        return nil
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult @inline(__always)
    mutating func removeValue(forKey key: UInt64) -> Value? {
        guard count > 0 else { return nil }
        let (index, found) = find(key)
        guard found, let old = slots[index]?.value else { return nil }
        // Backward-shift deletion: pull later entries of the probe run into the hole, so that every entry
        // stays reachable from its home slot without tombstones.
        var hole = index
        var i = (hole + 1) & mask
        while let entry = slots[i] {
            let home = home(entry.key)
            // The entry may move into the hole if the hole lies on its probe path (home ... i, cyclically).
            if (i - home) & mask >= (i - hole) & mask {
                slots[hole] = entry
                hole = i
            }
            i = (i + 1) & mask
        }
        slots[hole] = nil
        count -= 1
        return old
    }

    /// Removes every entry; keeps the slots when there are few, so that a map emptied often stays cheap.
    mutating func removeAll() {
        guard count > 0 else { return }
        if slots.count > 256 {
            self = AddressMap()
            return
        }
        for i in slots.indices { slots[i] = nil }
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        shift -= 1
        for case let entry? in old {
            slots[find(entry.key).index] = entry
        }
    }

    /// Every entry, in no particular order.
    var entries: [(key: UInt64, value: Value)] {
        slots.compactMap { $0.map { ($0.key, $0.value) } }
    }
}

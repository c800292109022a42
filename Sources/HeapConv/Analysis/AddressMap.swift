import CPrefetch

/// A hash map from 64-bit keys (block addresses, sequence numbers) to values, for the per-event lookups of
/// live-block tracking.
///
/// `Dictionary` hashes every key with a seeded SipHash, which made hashing a third of the Chrome writer's
/// time; this map uses Fibonacci hashing (one multiply, the high bits), open addressing with linear probing
/// and backward-shift deletion (no tombstones), in one array of key-value pairs (16 bytes for a 64-bit
/// value, so a probe touches one cache line). Key 0 marks an empty slot; the key 0 itself is kept beside
/// the array. Keys that collide on purpose could make it slow, never wrong: heapconv reads trace files,
/// not requests from strangers.
///
/// With millions of live blocks nearly every probe misses the cache; ``prefetch(_:)`` lets a caller start
/// the probe of an event a few places ahead, so that misses overlap.
struct AddressMap<Value: BitwiseCopyable> {
    private struct Entry {
        var key: UInt64
        var value: Value
    }

    /// Slots, a power of two in number (none until the first insertion, so that an empty map costs no
    /// allocation); key 0 is empty. Slots start as zero bytes, and the value of an empty slot is never read.
    private var slots: [Entry] = []
    /// The value of key 0, which cannot live in ``slots``.
    private var zeroKeyValue: Value?
    /// 64 minus log2 of the slot count: the shift that turns a product into a slot index.
    private var shift: UInt64 = 64 - 4
    /// Entries in ``slots`` (key 0 not included).
    private var slotCount = 0

    init() {}

    var count: Int { slotCount + (zeroKeyValue == nil ? 0 : 1) }
    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    private var mask: Int { slots.count - 1 }

    /// The slot holding `key` (not 0), or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: UInt64) -> (index: Int, found: Bool) {
        var i = home(key)
        while true {
            let k = slots[i].key
            if k == key { return (i, true) }
            if k == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Starts loading the slot where `key` would be found: a hint that makes a lookup of `key` soon cheaper.
    /// Mutating only so that calling it on a map inside an array element modifies in place instead of
    /// copying (and retaining) the element; it changes nothing.
    @inline(__always)
    mutating func prefetch(_ key: UInt64) {
        guard !slots.isEmpty else { return }
        let i = home(key)
        slots.withUnsafeMutableBufferPointer { buffer in
            // Safe: `i` is masked into the buffer; a prefetch only hints and never faults.
            heapconv_prefetch(buffer.baseAddress! + i)
        }
    }

    subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            if key == 0 { return zeroKeyValue }
            guard slotCount > 0 else { return nil }
            let (i, found) = find(key)
            return found ? slots[i].value : nil
        }
    }

    /// Sets `key` to `value`; returns the value it replaces, if any.
    @discardableResult @inline(__always)
    mutating func updateValue(_ value: Value, forKey key: UInt64) -> Value? {
        if key == 0 {
            defer { zeroKeyValue = value }
            return zeroKeyValue
        }
        if slots.isEmpty { slots = Self.emptySlots(16) }
        let (i, found) = find(key)
        if found {
            let old = slots[i].value
            slots[i].value = value
            return old
        }
        // Keep at most 3/4 of the slots full so probes stay short.
        if (slotCount + 1) * 4 > slots.count * 3 {
            grow()
            slots[find(key).index] = Entry(key: key, value: value)
        } else {
            slots[i] = Entry(key: key, value: value)
        }
        slotCount += 1
        return nil
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult @inline(__always)
    mutating func removeValue(forKey key: UInt64) -> Value? {
        if key == 0 {
            defer { zeroKeyValue = nil }
            return zeroKeyValue
        }
        guard slotCount > 0 else { return nil }
        let (index, found) = find(key)
        guard found else { return nil }
        let old = slots[index].value
        // Backward-shift deletion: pull later entries of the probe run into the hole, so that every entry
        // stays reachable from its home slot without tombstones.
        var hole = index
        var i = (hole + 1) & mask
        while slots[i].key != 0 {
            let home = home(slots[i].key)
            // The entry may move into the hole if the hole lies on its probe path (home ... i, cyclically).
            if (i - home) & mask >= (i - hole) & mask {
                slots[hole] = slots[i]
                hole = i
            }
            i = (i + 1) & mask
        }
        slots[hole].key = 0
        slotCount -= 1
        return old
    }

    /// Calls `body` with every key and value (in no particular order), without building an array.
    func forEach(_ body: (UInt64, Value) -> Void) {
        if let zeroKeyValue { body(0, zeroKeyValue) }
        for entry in slots where entry.key != 0 { body(entry.key, entry.value) }
    }

    /// Removes every entry; keeps the slots when there are few, so that a map emptied often stays cheap.
    mutating func removeAll() {
        guard !isEmpty else { return }
        zeroKeyValue = nil
        if slots.count > 256 {
            self = AddressMap()
            return
        }
        for i in slots.indices { slots[i].key = 0 }
        slotCount = 0
    }

    private mutating func grow() {
        let old = slots
        slots = Self.emptySlots(old.count * 2)
        shift -= 1
        for entry in old where entry.key != 0 {
            slots[find(entry.key).index] = entry
        }
    }

    /// `count` empty slots: zero bytes, so every key is 0 and no value is read before it is written.
    private static func emptySlots(_ count: Int) -> [Entry] {
        [Entry](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Safe: `Value` is bitwise copyable, so zero bytes are a valid (never read) value of an empty
            // slot, and the whole buffer is initialized before `initialized` says so.
            UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
            initialized = count
        }
    }

    /// Every entry, in no particular order.
    var entries: [(key: UInt64, value: Value)] {
        var result: [(key: UInt64, value: Value)] = slots.compactMap { $0.key == 0 ? nil : ($0.key, $0.value) }
        if let zeroKeyValue { result.append((0, zeroKeyValue)) }
        return result
    }
}

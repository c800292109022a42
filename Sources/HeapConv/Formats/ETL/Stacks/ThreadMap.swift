/// A map from thread id to a 64-bit value with open addressing: the holding area looks up the newest held
/// event of a thread for every heap event and stack fragment, and `Dictionary`'s hashing was a tenth of the
/// second pass. Entries are never removed (values are validated by their users), so the map grows with the
/// number of distinct threads, not with events.
struct ThreadMap {
    private var keys: [UInt32]
    private var values: [UInt64]
    private var occupied: [Bool]
    private var count = 0
    private var mask: Int

    init(capacity: Int = 256) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt32](repeating: 0, count: size)
        values = [UInt64](repeating: 0, count: size)
        occupied = [Bool](repeating: false, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(_ key: UInt32) -> Int {
        // Fibonacci hashing spreads ids that are multiples of 4.
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    @inline(__always)
    subscript(key: UInt32) -> UInt64? {
        var i = slot(key)
        while occupied[i] {
            if keys[i] == key { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    @inline(__always)
    mutating func set(_ key: UInt32, _ value: UInt64) {
        var i = slot(key)
        while occupied[i] {
            if keys[i] == key {
                values[i] = value
                return
            }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        occupied[i] = true
        count += 1
        if count * 2 > keys.count { grow() }
    }

    private mutating func grow() {
        var bigger = ThreadMap(capacity: keys.count)
        for i in keys.indices where occupied[i] { bigger.set(keys[i], values[i]) }
        self = bigger
    }
}

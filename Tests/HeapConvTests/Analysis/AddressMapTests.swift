import Testing
@testable import HeapConv

@Suite struct AddressMapTests {
    /// Random inserts, replacements and removals, checked against `Dictionary` after every operation.
    @Test(arguments: [UInt64(1), 2, 3])
    func behavesLikeADictionary(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var map = AddressMap<UInt64>()
        var reference: [UInt64: UInt64] = [:]
        // Few distinct keys, aligned like heap addresses, plus the extremes: many collisions and reuses.
        let keys: [UInt64] = (0..<600).map { 0x1a_0000 &+ $0 &* 16 } + [0, 1, .max, .max - 1]
        for step in 0..<40_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 3 {
            case 0, 1:
                let value = rng.next()
                #expect(map.updateValue(value, forKey: key) == reference.updateValue(value, forKey: key))
            default:
                #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
            }
            if step % 997 == 0 {
                #expect(map.count == reference.count)
                for key in keys { #expect(map[key] == reference[key]) }
                #expect(Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value) }) == reference)
            }
        }
        map.removeAll()
        #expect(map.isEmpty && map[keys[0]] == nil && map.entries.isEmpty)
    }
}

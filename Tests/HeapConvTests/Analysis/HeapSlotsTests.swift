import Testing
@testable import HeapConv

@Suite struct HeapSlotsTests {
    /// Slots are numbered in order of first sight, found again whatever came after, and absent keys have
    /// none: checked against `Dictionary` over keys shaped like the ones traces have (thread ids that are
    /// multiples of 4, heap handles 64 KiB apart, the same handle in several processes) and the extremes.
    @Test(arguments: [UInt64(1), 2])
    func numbersKeysInOrderOfFirstSight(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var keys: [HeapKey] = []
        for pid: UInt32 in [4, 4242, 0, .max] {
            keys += (0..<700).map { HeapKey(processID: pid, heap: UInt64($0) &* 4) }
            keys += (0..<300).map { HeapKey(processID: pid, heap: 0x1f4_8c3a_0000 &+ UInt64($0) << 16) }
            keys += [HeapKey(processID: pid, heap: 0), HeapKey(processID: pid, heap: .max)]
        }
        var slots = HeapSlots()
        var reference: [HeapKey: Int] = [:]
        for _ in 0..<30_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let (slot, isNew) = slots.slot(creating: key)
            if let known = reference[key] {
                #expect(!isNew && slot == known)
            } else {
                #expect(isNew && slot == reference.count)
                reference[key] = slot
            }
        }
        #expect(slots.keys.count == reference.count)
        for key in keys {
            #expect(slots.slot(key) == reference[key])
        }
        for (key, slot) in reference {
            #expect(slots.keys[slot] == key)
        }
        #expect(slots.slot(HeapKey(processID: 7, heap: 0xdead_0000)) == nil)
    }
}

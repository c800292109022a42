@testable import HeapConv

/// Workloads shaped like real heap traces, beside ``SampleEvents/workload(count:seed:)`` (whose stacks are
/// random 32-bit frames, never repeated, and whose addresses are uniformly random: its information content
/// alone is about 10 bytes per event).
enum HeapColWorkloads {
    /// What an ETW heap trace with stack walking looks like: every alloc, realloc and free carries a call
    /// stack of 8 to 40 frames drawn from a few thousand call sites (a few of them hot) that share their
    /// outer frames; sizes cluster on common values; freed blocks are reused first; threads mostly stay on
    /// their CPU.
    static func stackHeavy(count: Int, seed: UInt64 = 0xc0ffee) -> EventBatch {
        var rng = SplitMix64(seed: seed)
        // Module code ranges and a pool of call sites built from them, outer frames shared.
        let modules: [UInt64] = (0..<24).map { 0x7ff8_0000_0000 &+ UInt64($0) &* 0x0100_0000 }
        func frame() -> UInt64 { modules[Int(rng.next() % 24)] &+ (rng.next() % 0x80000) }
        let roots: [[UInt64]] = (0..<16).map { _ in (0..<6).map { _ in frame() } }
        let sites: [[UInt64]] = (0..<3000).map { _ in
            let depth = 2 + Int(rng.next() % 34)
            return (0..<depth).map { _ in frame() } + roots[Int(rng.next() % 16)]
        }
        func site() -> [UInt64] {
            // Zipf-like: half of the events come from the first 50 sites.
            rng.next() % 2 == 0 ? sites[Int(rng.next() % 50)] : sites[Int(rng.next() % 3000)]
        }
        let commonSizes: [UInt64] = [8, 16, 24, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 4096]
        let heaps: [UInt64] = [0x1f0000, 0x2a40000, 0x1c5d_0a40_0000]
        var bump = heaps.map { $0 &+ 0x1000 }
        var freed: [[UInt64]] = heaps.map { _ in [] }
        var live: [(heap: Int, address: UInt64, size: UInt64)] = []
        var cpuOf: [UInt32] = (0..<8).map { UInt32($0) }
        var batch = EventBatch(capacity: count)
        var t: Int64 = 1_700_000_000_000_000_000
        for _ in 0..<count {
            t += 200 + Int64(rng.next() % 1800)
            let thread = Int(rng.next() % 8)
            if rng.next() % 100 == 0 { cpuOf[thread] = UInt32(rng.next() % 8) }
            let context = { (heap: Int) in
                EventContext(timestamp: t, processID: 9120, threadID: 5000 + UInt32(thread) * 4, cpu: cpuOf[thread], heap: heaps[heap])
            }
            let roll = rng.next() % 10
            if roll < 5 || live.isEmpty {
                let h = Int(rng.next() % 10 < 7 ? 0 : rng.next() % 3)
                let size = rng.next() % 4 == 0 ? 1 + rng.next() % 2000 : commonSizes[Int(rng.next() % UInt64(commonSizes.count))]
                let address: UInt64
                if let reused = freed[h].popLast() { address = reused } else {
                    address = bump[h]
                    bump[h] &+= (size + 15) / 16 * 16 + 16
                }
                live.append((h, address, size))
                batch.append(.alloc(context(h), address: address, size: size, source: size <= 1024 ? .lowFragmentation : .mainPath),
                             stack: site())
            } else if roll < 6 {
                let i = live.count - 1 - Int(rng.next() % UInt64(min(live.count, 64)))
                let old = live[i]
                let size = old.size * 2
                let address = bump[old.heap]
                bump[old.heap] &+= (size + 15) / 16 * 16 + 16
                freed[old.heap].append(old.address)
                live[i] = (old.heap, address, size)
                batch.append(.realloc(context(old.heap), address: address, size: size, oldAddress: old.address,
                                      oldSize: old.size, source: .mainPath), stack: site())
            } else {
                // Mostly recent blocks die first.
                let i = live.count - 1 - Int(rng.next() % UInt64(min(live.count, rng.next() % 4 == 0 ? live.count : 32)))
                let old = live.remove(at: i)
                freed[old.heap].append(old.address)
                batch.append(.free(context(old.heap), address: old.address, source: old.size <= 1024 ? .lowFragmentation : .mainPath),
                             stack: site())
            }
        }
        return batch
    }
}

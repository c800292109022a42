@testable import HeapConv

/// Events for tests: every kind, extreme values, optional fields present and absent, stacks absent, empty
/// and long. Values are written by hand so tests can compare against them independently of any reader.
enum SampleEvents {
    static let maxU64 = UInt64.max

    /// One batch holding every case at least once, in time order.
    static func everyKind() -> EventBatch {
        var batch = EventBatch()
        var t: Int64 = 1_555_526_400_000_010_000
        func ctx(pid: UInt32 = 17185, tid: UInt32 = 4660, cpu: UInt32? = 0, heap: UInt64 = 0x1a0000) -> EventContext {
            t += 1_000
            return EventContext(timestamp: t, processID: pid, threadID: tid, cpu: cpu, heap: heap)
        }
        batch.append(.create(ctx(), HeapCreateFields(flags: 0x1002, reserveSize: 0x100000, commitSize: 0x2000, allocatedSize: 0)))
        batch.append(.create(ctx(heap: 0xa00000), HeapCreateFields(flags: 2)))
        batch.append(.alloc(ctx(), address: 0x1a0010, size: 64, source: .lookaside), stack: [0x7ff800001000, 0x7ff800001001, 0x7ff800001002])
        batch.append(.alloc(ctx(cpu: nil), address: 0, size: 0, source: .lowFragmentation))
        batch.append(.alloc(ctx(cpu: UInt32.max), address: maxU64, size: maxU64, source: .mainPath), stack: [UInt64]())
        batch.append(.alloc(ctx(pid: UInt32.max, tid: 0, heap: maxU64), address: 0x10, size: 1, source: .other(0)))
        batch.append(.alloc(ctx(heap: 0), address: 0x20, size: 2, source: .other(UInt32.max)))
        batch.append(.alloc(ctx(), address: 0x30, size: 3, source: .slowPath), stack: (0..<300).map { 0x7ff8_0000_0000 &+ UInt64($0) &* 0x1111 })
        batch.append(.alloc(ctx(), address: 0x40, size: 4, source: .invalid))
        batch.append(.alloc(ctx(), address: 0x50, size: 5, source: .segmentHeap))
        batch.append(.alloc(ctx(), address: 0x60, size: 6, source: .other(7)))
        batch.append(.realloc(ctx(), address: 0x1a0100, size: 128, oldAddress: 0x1a0010, oldSize: 64, source: .mainPath), stack: [0x1, maxU64])
        batch.append(.realloc(ctx(), address: maxU64, size: maxU64, oldAddress: 0, oldSize: maxU64, source: .other(42)))
        batch.append(.free(ctx(), address: 0x1a0100, source: .mainPath))
        batch.append(.free(ctx(), address: 0xdead0000, source: .lookaside))
        batch.append(.expand(ctx(), HeapExpandFields(committedSize: 0x1000, address: 0x1b0000, freeSpace: 10, committedSpace: 20,
                                                      reservedSpace: 30, noOfUCRs: 4, allocatedSpace: 50)))
        batch.append(.expand(ctx(), HeapExpandFields(committedSize: maxU64, address: maxU64, freeSpace: maxU64, committedSpace: maxU64,
                                                      reservedSpace: maxU64, noOfUCRs: UInt32.max)))
        batch.append(.contract(ctx(), HeapContractFields(decommitSize: 0x2000, decommitAddress: 0x1c0000, freeSpace: 1, committedSpace: 2,
                                                          reservedSpace: 3, noOfUCRs: 0, allocatedSpace: maxU64)))
        batch.append(.contract(ctx(), HeapContractFields(decommitSize: 0, decommitAddress: 0, freeSpace: 0, committedSpace: 0,
                                                          reservedSpace: 0, noOfUCRs: 1)))
        batch.append(.snapshot(ctx(), HeapSnapshotFields(freeSpace: 1, committedSpace: 2, reservedSpace: 3, flags: 4, processID: 5,
                                                          largeUCRSpace: 6, freeListLength: 7, ucrLength: 8, allocatedSpace: 9)))
        batch.append(.snapshot(ctx(), HeapSnapshotFields(freeSpace: maxU64, committedSpace: 0, reservedSpace: 0, flags: UInt32.max,
                                                          processID: UInt32.max, largeUCRSpace: maxU64, freeListLength: 0, ucrLength: UInt32.max)))
        batch.append(.other(ctx(), opcode: 0x2b))
        batch.append(.other(ctx(), opcode: 0xff), stack: [0x42])
        batch.append(.destroy(ctx(heap: 0xa00000)))
        batch.append(.destroy(ctx()))
        // Extreme timestamps last-but-not-sorted would break time order; keep them in a separate batch.
        return batch
    }

    /// Context records of every kind and state, with every optional field present and absent, strings that
    /// need escaping (quotes, backslashes, control characters, non-ASCII, a comma and a line break for CSV),
    /// PDB identities of both kinds, between heap events.
    static func contextRecords() -> EventBatch {
        var batch = EventBatch()
        var t: Int64 = 1_555_526_400_000_000_000
        func ctx(pid: UInt32 = 17185, tid: UInt32 = 0, cpu: UInt32? = nil) -> EventContext {
            t += 1_000
            return EventContext(timestamp: t, processID: pid, threadID: tid, cpu: cpu, heap: 0)
        }
        let guid: [UInt8] = [0xDF, 0xD8, 0x83, 0xEC, 0x59, 0x55, 0xE0, 0x46, 0xB6, 0x30, 0x13, 0x3E, 0xBD, 0x97, 0x92, 0x66]
        var process = ProcessFields(state: .dcstart, parentID: 4, sessionID: UInt32.max)
        process.name = batch.appendText("notepad.exe")
        process.commandLine = batch.appendText("\"C:\\Windows\\notepad.exe\" a,b.txt\n\ttab\u{1}é😀")
        batch.append(.process(ctx(), process))
        batch.append(.process(ctx(pid: 0), ProcessFields(state: .start)))
        var thread = ThreadFields(state: .dcstart)
        thread.name = batch.appendText("worker \"1\"")
        batch.append(.thread(ctx(tid: 4660, cpu: 3), thread))
        batch.append(.thread(ctx(tid: UInt32.max), ThreadFields(state: .end)))
        var image = ImageFields(state: .load, base: 0x7ff8_ed00_0000, size: 1_622_016, checksum: 0x18c2e0, timeDateStamp: 0x5000_0000)
        image.name = batch.appendText("\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll")
        image.pdb = batch.appendText(PDBIdentity(guid: guid, age: 2, isIL: false, name: Array("wntdll.pdb".utf8)).encoded)
        batch.append(.image(ctx(), image))
        batch.append(.alloc(EventContext(timestamp: t + 1, processID: 17185, threadID: 4660, cpu: 1, heap: 0x1a0000),
                            address: 0x7ff8_ed01_0000, size: 64, source: .mainPath), stack: [0x7ff8_ed00_1234, 0xffff_f800_0000_0042])
        t += 1
        var il = ImageFields(state: .dcstart, base: 0xffff_f800_0000_0000, size: UInt64.max)
        il.pdb = batch.appendText(PDBIdentity(guid: guid, age: UInt32.max, isIL: true, name: []).encoded)
        batch.append(.image(ctx(pid: 0), il))
        batch.append(.image(ctx(), ImageFields(state: .unload, base: 0, size: 0)))
        batch.append(.image(ctx(), ImageFields(state: .dcend, base: 1, size: 2)))
        batch.append(.process(ctx(pid: UInt32.max, cpu: 0), ProcessFields(state: .end, parentID: 0, sessionID: 0, exitStatus: Int32.min)))
        var defunct = ProcessFields(state: .defunct, exitStatus: Int32.max)
        defunct.name = batch.appendText("x")
        batch.append(.process(ctx(), defunct))
        batch.append(.process(ctx(), ProcessFields(state: .dcend, exitStatus: nil)))
        return batch
    }

    /// Events with extreme timestamps (negative, zero, Int64 bounds).
    static func extremeTimes() -> EventBatch {
        var batch = EventBatch()
        for ts in [Int64.min, -1, 0, 1, Int64.max] {
            batch.append(.alloc(EventContext(timestamp: ts, processID: 1, threadID: 2, heap: 3), address: 4, size: 5, source: .mainPath))
        }
        return batch
    }

    /// A deterministic pseudo-random workload of `count` events (allocs, reallocs and frees over a few
    /// heaps and threads, stacks on part of them), in time order.
    static func workload(count: Int, seed: UInt64 = 0x5eed) -> EventBatch {
        var rng = SplitMix64(seed: seed)
        var batch = EventBatch(capacity: count)
        var live: [(heap: UInt64, address: UInt64, size: UInt64)] = []
        var t: Int64 = 1_700_000_000_000_000_000
        let heaps: [UInt64] = [0x1a0000, 0x2b0000, 0x7ff6_1234_0000]
        for _ in 0..<count {
            t += Int64(rng.next() % 5_000)
            let tid = UInt32(100 + rng.next() % 4)
            let cpu = UInt32(rng.next() % 8)
            let roll = rng.next() % 10
            if roll < 5 || live.isEmpty {
                let heap = heaps[Int(rng.next() % UInt64(heaps.count))]
                let address = heap &+ (rng.next() % 0x100000) * 16
                let size = 1 + rng.next() % 4096
                live.append((heap, address, size))
                let c = EventContext(timestamp: t, processID: 4242, threadID: tid, cpu: cpu, heap: heap)
                if rng.next() % 3 == 0 {
                    batch.append(.alloc(c, address: address, size: size, source: .lowFragmentation),
                                 stack: (0..<Int(rng.next() % 12)).map { _ in 0x7ff8_0000_0000 | rng.next() % 0xffff_ffff })
                } else {
                    batch.append(.alloc(c, address: address, size: size, source: .mainPath))
                }
            } else if roll < 7 {
                let i = Int(rng.next() % UInt64(live.count))
                let old = live[i]
                let newSize = 1 + rng.next() % 8192
                let newAddress = old.heap &+ (rng.next() % 0x100000) * 16
                live[i] = (old.heap, newAddress, newSize)
                let c = EventContext(timestamp: t, processID: 4242, threadID: tid, cpu: cpu, heap: old.heap)
                batch.append(.realloc(c, address: newAddress, size: newSize, oldAddress: old.address, oldSize: old.size, source: .mainPath))
            } else {
                let i = Int(rng.next() % UInt64(live.count))
                let old = live.remove(at: i)
                let c = EventContext(timestamp: t, processID: 4242, threadID: tid, cpu: cpu, heap: old.heap)
                batch.append(.free(c, address: old.address, source: .mainPath))
            }
        }
        return batch
    }
}

/// A small deterministic random number generator (SplitMix64) so generated tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

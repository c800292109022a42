import ETLSynth
import Foundation
import Testing
@testable import HeapConv

/// A seeded random mutator over the buffer walker, record decoder, stack matcher and merge: mutated traces
/// must end in events or a ``ConversionError`` (typed throws make any other error impossible), never in a
/// trap or a hang. Deterministic; `ETL_FUZZ_ITERATIONS` sets the number of inputs (default 1500, sized for
/// a debug build in CI), `ETL_FUZZ_SEED` the seed. With `ETL_FUZZ_SAVE=dir`, each input is written to
/// `dir/current.etl` before it is read, so a crashing input survives the crash; crashers are kept in
/// `Fixtures/etl/fuzz/` and replayed by ``regressionInputs()``.
@Suite struct ETLFuzzTests {
    typealias SplitMix = ETLOrderingTests.SplitMix

    /// Seeds: small real files, the synthetic fixtures, and encoder-made traces exercising every path.
    static func seeds() throws -> [[UInt8]] {
        var seeds = try ["SYNTHETIC-heap-64.etl", "SYNTHETIC-heap-32.etl", "airbus-lxcore_kernel.etl",
                         "perfview-primitive-types.etl", "findneedle-wppbin-sample.etl",
                         "perfview-SelfDescribingSingleEvent.etl"].map(ETLTestSupport.fixture)
        for width in [ETLPointerWidth.bits32, .bits64] {
            for compressed in [false, true] {
                seeds.append(richTrace(width, compressed: compressed))
            }
        }
        return seeds
    }

    /// Heap events of every kind on 3 CPUs in 512-byte buffers, with inline stacks, key references, key
    /// definitions at the end, PMC words and other record kinds between them.
    static func richTrace(_ width: ETLPointerWidth, compressed: Bool) -> [UInt8] {
        ETLTestSupport.trace(width, bufferSize: 512) { b in
            b.defaultOptions.compressed = compressed
            var ticks: Int64 = 5_000_000
            for i in 0..<60 {
                ticks += 7
                let cpu = UInt16(i % 3)
                let h = ETLHeapRecords.Header(width, thread: UInt32(10 + i % 4), process: 4, ticks: ticks, compact: i % 11 == 0,
                                              pmcCounters: i % 5 == 0 ? 2 : 0, pebs: i % 7 == 0)
                let record: [UInt8]
                switch i % 9 {
                case 0: record = ETLHeapRecords.alloc(h, heap: 0x10, size: UInt64(i), address: UInt64(0x1000 + i), source: 3)
                case 1: record = ETLHeapRecords.free(h, heap: 0x10, address: UInt64(0x1000 + i), source: 2)
                case 2: record = ETLHeapRecords.realloc(h, heap: 0x10, newAddress: 1, oldAddress: 2, newSize: 3, oldSize: 4, source: 1)
                case 3: record = ETLHeapRecords.create(h, heap: 0x10, flags: 2, reserveSize: 3, commitSize: 4, allocatedSize: 5)
                case 4: record = ETLHeapRecords.expandOrContract(h, contract: i % 2 == 0, heap: 0x10, size: 1, address: 2, freeSpace: 3,
                                                                 committedSpace: 4, reservedSpace: 5, noOfUCRs: 6, allocatedSpace: 7)
                case 5: record = ETLHeapRecords.snapshot(h, heap: 0x10, freeSpace: 1, committedSpace: 2, reservedSpace: 3, flags: 4,
                                                         process: 5, largeUCRSpace: 6, freeListLength: 7, ucrLength: 8, allocatedSpace: 9)
                case 6: record = ETLHeapRecords.destroy(h, heap: 0x10)
                case 7: record = ETLHeapRecords.handleOnly(h, opcode: 0x2B, heap: 0x10)
                default: record = ETLRecords.eventHeader(width, provider: ETLRecords.guid("222962ab-6180-4b88-a825-346b75f2a24a"),
                                                         thread: 1, process: 4, ticks: ticks,
                                                         extendedItems: [(type: 5, data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])])
                }
                b.append(record, cpu: cpu, ticks: ticks)
                let thread = UInt32(10 + i % 4)
                if i % 2 == 0 {
                    b.append(ETLStackWalkRecords.stack(width, ticks: ticks + 1, eventTicks: ticks, process: 4, thread: thread,
                                                       frames: [0xFFFF_F800_0000_1000, 0x8000_1000]), cpu: cpu, ticks: ticks + 1)
                } else {
                    b.append(ETLStackWalkRecords.keyReference(width, kernel: i % 3 == 0, ticks: ticks + 2, eventTicks: ticks,
                                                              process: 4, thread: thread, key: UInt64(i % 5)), cpu: (cpu + 1) % 3,
                             ticks: ticks + 2)
                }
                if i % 13 == 0 { b.append(ETLRecords.message(number: 1, payload: [1, 2, 3]), cpu: cpu) }
            }
            for key in 0..<5 {
                b.append(ETLStackWalkRecords.keyDefinition(width, key % 2 == 0 ? .delete : .rundown, ticks: ticks + 100,
                                                           key: UInt64(key), frames: [0x7000, UInt64(0x8000 + key)]), cpu: 2)
            }
        }
    }

    /// One random change: bytes flipped, a field set to an edge value, a cut, a copy, an insertion.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        guard !bytes.isEmpty else { return [0] }
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 2, 3:
                // An edge value in a 2- or 4-byte field, at an 8-byte-aligned place (record and buffer fields).
                let edges: [UInt32] = [0, 1, 4, 7, 8, 0x10, 0x18, 0x20, 0x47, 0x48, 0x49, 0x1FF, 0x200, 0xFFF, 0x1000,
                                       0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                       UInt32(truncatingIfNeeded: bytes.count)]
                let value = edges.randomElement(using: &rng)!
                let aligned = (at & ~7) + [0, 2, 4, 6].randomElement(using: &rng)!
                let width = Bool.random(using: &rng) ? 2 : 4
                for i in 0..<width where aligned + i < bytes.count {
                    bytes[aligned + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))
                }
            case 4:
                // Version bits: PMC counters and PEBS.
                let aligned = at & ~7
                if aligned + 1 < bytes.count { bytes[aligned + 1] ^= UInt8.random(in: 1...0x87, using: &rng) }
            case 5:
                bytes.removeSubrange(at...)
                if bytes.isEmpty { bytes = [0] }
            case 6:
                let length = Int.random(in: 1...min(512, bytes.count - at), using: &rng)
                let target = Int.random(in: 0..<bytes.count, using: &rng)
                let chunk = Array(bytes[at..<at + length])
                for (i, byte) in chunk.enumerated() where target + i < bytes.count { bytes[target + i] = byte }
            case 7:
                bytes.insert(contentsOf: (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                             at: at)
            case 8:
                for i in at..<min(bytes.count, at + Int.random(in: 1...256, using: &rng)) { bytes[i] = 0xFF }
            default:
                bytes[at] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return bytes
    }

    /// Reads `bytes` to the end in every mode; a hang shows as more batches than the input could hold.
    static func exercise(_ bytes: [UInt8]) {
        for (keepGoing, fileOrder) in [(false, false), (true, false), (true, true)] {
            do {
                var reader = try ETLReader(input: MemoryETLInput(bytes), keepGoing: keepGoing, fileOrder: fileOrder)
                var batch = EventBatch()
                var batches = 0
                while try reader.read(into: &batch, limit: 64) {
                    for event in batch.events { _ = batch.stack(of: event) }
                    batch.removeAll()
                    batches += 1
                    if batches > bytes.count { Issue.record("reader does not stop"); return }
                }
                _ = reader.facts()?.json
                _ = reader.skippedProblems
            } catch {
                #expect(!error.message.isEmpty)
                _ = error.description
            }
        }
    }

    @Test func seededMutations() throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["ETL_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500
        let seed = environment["ETL_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_E71
        let save = environment["ETL_FUZZ_SAVE"]
        let seeds = try Self.seeds()
        var rng = SplitMix(state: seed)
        for iteration in 0..<iterations {
            var input = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { input = Self.mutate(input, &rng) }
            if let save {
                _ = FileManager.default.createFile(atPath: save + "/current.etl", contents: Data(input))
            }
            Self.exercise(input)
        }
    }

    /// Inputs that once crashed or hung the reader.
    @Test func regressionInputs() throws {
        guard let directory = Bundle.module.url(forResource: "fuzz", withExtension: nil, subdirectory: "Fixtures/etl") else { return }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where name.hasSuffix(".etl") {
            Self.exercise(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }
}

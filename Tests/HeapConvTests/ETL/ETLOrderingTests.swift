import ETLSynth
import Testing
@testable import HeapConv

/// Time order from per-CPU buffers, file order on request, equal timestamps, inversions inside a CPU.
@Suite struct ETLOrderingTests {
    /// A seeded generator, so that every run builds the same trace.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D4_049B_B133_111E
            return z ^ (z >> 31)
        }
    }

    /// `count` allocations spread at random over `cpus` CPUs in 512-byte buffers, with strictly increasing
    /// ticks; returns the trace and each event's (ticks, cpu), address = index.
    static func scattered(count: Int, cpus: UInt16, width: ETLPointerWidth = .bits64, seed: UInt64 = 1,
                          compressed: Bool = false) -> (bytes: [UInt8], cpuOf: [UInt16]) {
        var rng = SplitMix(state: seed)
        var cpuOf: [UInt16] = []
        let bytes = ETLTestSupport.trace(width, bufferSize: 512) { b in
            b.defaultOptions.compressed = compressed
            var ticks: Int64 = 5_000_000
            for i in 0..<count {
                ticks += Int64.random(in: 1...50, using: &rng)
                let cpu = UInt16.random(in: 0..<cpus, using: &rng)
                cpuOf.append(cpu)
                let h = ETLHeapRecords.Header(width, thread: UInt32(100 + cpu), process: 7, ticks: ticks)
                b.append(ETLHeapRecords.alloc(h, heap: 0x10, size: 8, address: UInt64(i), source: 3), cpu: cpu, ticks: ticks)
            }
        }
        return (bytes, cpuOf)
    }

    @Test(arguments: [ETLPointerWidth.bits32, .bits64])
    func cpusOutOfOrderComeOutInTimeOrder(_ width: ETLPointerWidth) throws {
        let (bytes, cpuOf) = Self.scattered(count: 2_000, cpus: 4, width: width)
        let (events, _, reader) = try ETLTestSupport.readAll(bytes, batchLimit: 97)
        #expect(events.map(\.address) == (0..<2_000).map { UInt64($0) })
        #expect(events.map { $0.context.cpu } == cpuOf.map { UInt32($0) })
        let facts = try #require(reader.facts())
        #expect(facts["ordering"]?["late_events"] == .uint(0))
        #expect(facts["ordering"]?["cpu_stream_inversions"] == .uint(0))
        #expect(facts["cpus"] == .uint(4))
    }

    @Test func fileOrderKeepsEachBufferAsItIs() throws {
        let (bytes, cpuOf) = Self.scattered(count: 2_000, cpus: 4)
        let (events, _, reader) = try ETLTestSupport.readAll(bytes, fileOrder: true)
        let addresses = events.compactMap(\.address)
        #expect(Set(addresses) == Set((0..<2_000).map { UInt64($0) }))
        #expect(addresses != addresses.sorted(), "the file is not in time order")
        // Each CPU's events keep their order.
        for cpu in 0..<4 {
            let mine = addresses.filter { cpuOf[Int($0)] == cpu }
            #expect(mine == mine.sorted())
        }
        // And buffers come whole: the CPU changes only at buffer boundaries, never back and forth inside one.
        var runs = 0
        for (a, b) in zip(addresses, addresses.dropFirst()) where cpuOf[Int(a)] != cpuOf[Int(b)] { runs += 1 }
        guard case .uint(let buffers)? = reader.facts()?["buffers"] else { Issue.record("no buffer count"); return }
        #expect(runs < Int(buffers) - 1)
        #expect(reader.facts()?["ordering"]?["order"] == .string("file"))
    }

    /// Equal timestamps on different CPUs keep file order.
    @Test func equalTimestampsKeepFileOrder() throws {
        let h = ETLHeapRecords.Header(.bits64, thread: 1, process: 2, ticks: 5_000_100)
        let g = ETLHeapRecords.Header(.bits64, thread: 3, process: 2, ticks: 5_000_100)
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 3, records: [ETLHeapRecords.alloc(h, heap: 1, size: 1, address: 0xA, source: 3)])
            b.appendBuffer(cpu: 1, records: [ETLHeapRecords.alloc(g, heap: 1, size: 1, address: 0xB, source: 3),
                                             ETLHeapRecords.alloc(g, heap: 1, size: 1, address: 0xC, source: 3)])
            b.appendBuffer(cpu: 3, records: [ETLHeapRecords.alloc(h, heap: 1, size: 1, address: 0xD, source: 3)])
        }
        #expect(try ETLTestSupport.readAll(bytes).events.map(\.address) == [0xA, 0xB, 0xC, 0xD])
    }

    /// A timestamp going backwards inside one CPU's stream is put in its place by the reorder window.
    @Test func inversionInsideACPUStreamIsReordered() throws {
        func alloc(_ ticks: Int64, _ address: UInt64) -> [UInt8] {
            ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: ticks), heap: 1, size: 1, address: address, source: 3)
        }
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [alloc(5_000_010, 1), alloc(5_000_030, 3), alloc(5_000_020, 2)])
            b.appendBuffer(cpu: 1, records: [alloc(5_000_025, 0x25), alloc(5_000_040, 4)])
            b.appendBuffer(cpu: 0, records: [alloc(5_000_035, 0x35), alloc(5_000_015, 0x15)])
        }
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.map(\.address) == [1, 0x15, 2, 0x25, 3, 0x35, 4])
        let facts = try #require(reader.facts())
        #expect(facts["ordering"]?["cpu_stream_inversions"] == .uint(2))
        #expect(facts["ordering"]?["late_events"] == .uint(0))
        #expect(facts["ordering"]?["reorder_window_records"] == .uint(ETLReader.reorderWindow))
    }

    /// Compressed buffers (the test target's LZ77 encoder) read like plain ones.
    @Test func compressedBuffersOfSeveralCPUs() throws {
        let (bytes, cpuOf) = Self.scattered(count: 500, cpus: 3, compressed: true)
        let (events, _, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.map(\.address) == (0..<500).map { UInt64($0) })
        #expect(events.map { $0.context.cpu } == cpuOf.map { UInt32($0) })
        let facts = try #require(reader.facts())
        #expect(facts["compressed_buffers"] == facts["buffers"].map { b in
            if case .uint(let n) = b { return .uint(n - 1) } else { return b }
        })
    }
}

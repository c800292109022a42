import Foundation
import Testing
@testable import HeapConv

/// Throughput of the Chrome writer alone (no reading, no file, no compression), for the numbers in
/// `Schemas/chrome-trace.md`. Off by default; run in release, serially, and optionally for one case:
/// `HEAPCONV_BENCH=1 [HEAPCONV_BENCH_ONLY=leaks] swift test -c release -Xswiftc -enable-testing --no-parallel --filter ChromeBenchmark`.
/// It reports CPU time of the writing thread, which a shared machine disturbs less than wall time.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["HEAPCONV_BENCH"] != nil))
struct ChromeBenchmarkTests {
    /// Counts bytes and drops them.
    final class CountingSink: ByteSink {
        var bytes: UInt64 = 0
        func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) { self.bytes += UInt64(bytes.count) }
        func finish() throws(ConversionError) {}
    }

    static let events = 2_000_000
    static let batches = workload(count: events)

    /// Like ``SampleEvents/workload(count:seed:)`` (half allocations, a fifth reallocations, the rest frees,
    /// stacks on a third of the allocations, three heaps, four threads) but in linear time, in batches.
    static func workload(count: Int) -> [EventBatch] {
        var rng = SplitMix64(seed: 0xbe4c4)
        var batches: [EventBatch] = []
        var batch = EventBatch()
        var live: [(heap: UInt64, address: UInt64, size: UInt64)] = []
        var t: Int64 = 1_700_000_000_000_000_000
        let heaps: [UInt64] = [0x1a0000, 0x2b0000, 0x7ff6_1234_0000]
        for _ in 0..<count {
            t += Int64(rng.next() % 5_000)
            let c = { (heap: UInt64) in
                EventContext(timestamp: t, processID: 4242, threadID: UInt32(100 + rng.next() % 4), cpu: UInt32(rng.next() % 8), heap: heap)
            }
            let roll = rng.next() % 10
            if roll < 5 || live.isEmpty {
                let heap = heaps[Int(rng.next() % 3)]
                let block = (heap, heap &+ (rng.next() % 0x100000) * 16, 1 + rng.next() % 4096)
                live.append(block)
                if rng.next() % 3 == 0 {
                    batch.append(.alloc(c(heap), address: block.1, size: block.2, source: .lowFragmentation),
                                 stack: (0..<Int(rng.next() % 12)).map { _ in 0x7ff8_0000_0000 | rng.next() % 0xffff_ffff })
                } else {
                    batch.append(.alloc(c(heap), address: block.1, size: block.2, source: .mainPath))
                }
            } else if roll < 7 {
                let i = Int(rng.next() % UInt64(live.count))
                let old = live[i]
                live[i] = (old.heap, old.heap &+ (rng.next() % 0x100000) * 16, 1 + rng.next() % 8192)
                batch.append(.realloc(c(old.heap), address: live[i].address, size: live[i].size, oldAddress: old.address,
                                      oldSize: old.size, source: .mainPath))
            } else {
                let i = Int(rng.next() % UInt64(live.count))
                live.swapAt(i, live.count - 1)
                let old = live.removeLast()
                batch.append(.free(c(old.heap), address: old.address, source: .mainPath))
            }
            if batch.count == EventBatch.defaultCapacity {
                batches.append(batch)
                batch = EventBatch()
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test(arguments: [("none", LifetimeSelection.none, false), ("none, --no-instants", .none, true),
                      ("leaks", .leaks, false), ("large:4096", .large(4096), false), ("all", .all, false)])
    func throughput(_ label: String, _ lifetimes: LifetimeSelection, _ noInstants: Bool) throws {
        if let only = ProcessInfo.processInfo.environment["HEAPCONV_BENCH_ONLY"], only != label { return }
        let batches = Self.batches  // built before timing
        var best = Double.infinity
        var bytes: UInt64 = 0
        for _ in 0..<3 {
            var options = ConversionOptions(inputPath: "bench", outputPath: "bench.json")
            options.lifetimes = lifetimes
            options.noInstants = noInstants
            let sink = CountingSink()
            var writer = ChromeWriter(output: OutputBuffer(sink: sink), options: options, inputName: "bench")
            // CPU time of this thread: the machine may be shared, and the writer runs on one thread.
            let start = Self.threadCPUSeconds()
            for batch in batches { try writer.write(batch) }
            try writer.finish()
            best = min(best, Self.threadCPUSeconds() - start)
            bytes = sink.bytes
        }
        let perSecond = Double(Self.events) / best
        print("chrome benchmark [\(label)]: \(Self.events) events in \(String(format: "%.3f", best)) s of CPU = "
              + "\(String(format: "%.2f", perSecond / 1e6)) M events/s, \(bytes / UInt64(Self.events)) bytes/event, "
              + "\(String(format: "%.0f", Double(bytes) / best / 1e6)) MB/s")
    }
}

import ETLSynth
import Foundation
import Testing
@testable import HeapConv

/// The first pass walks large files in two halves on two threads. Whatever the input, intact or damaged,
/// the halves folded together must give exactly what one walk gives: the same events and stacks, the same
/// facts, the same problems in the same order, the same first error.
@Suite struct ETLIndexPartsTests {
    typealias SplitMix = ETLOrderingTests.SplitMix

    /// Everything a reader yields, as text: its events, their stacks, facts and problems, or its error.
    static func outcome(_ bytes: [UInt8], keepGoing: Bool, parts: Int) -> String {
        do {
            var reader = try ETLReader(input: MemoryETLInput(bytes), keepGoing: keepGoing, indexParts: parts)
            var lines: [String] = []
            var batch = EventBatch()
            var batches = 0
            while try reader.read(into: &batch, limit: 64) {
                for event in batch.events {
                    lines.append("\(event) \(batch.stack(of: event).map(Array.init) ?? [])")
                }
                batch.removeAll()
                batches += 1
                if batches > bytes.count { return "does not stop" }
            }
            lines.append(reader.facts()?.json ?? "no facts")
            lines.append(contentsOf: reader.skippedProblems.map(\.description))
            return lines.joined(separator: "\n")
        } catch {
            return "error: \(error.description)"
        }
    }

    static func expectSameInOneOrTwoParts(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for keepGoing in [false, true] {
            let one = outcome(bytes, keepGoing: keepGoing, parts: 1)
            let two = outcome(bytes, keepGoing: keepGoing, parts: 2)
            #expect(one == two, "\(what), keepGoing \(keepGoing)", sourceLocation: sourceLocation)
        }
    }

    static let fixtures = ["SYNTHETIC-heap-64.etl", "SYNTHETIC-heap-32.etl", "airbus-AMSITrace.etl",
                           "airbus-ShutdownPerfDiagLogger.etl", "airbus-lxcore_kernel.etl", "findneedle-wppbin-sample.etl",
                           "findneedle-wppemitter-nonselfdesc.etl", "krabsetw-powershell.etl",
                           "perfview-SelfDescribingSingleEvent.etl", "perfview-gcevents.etl", "perfview-gcrundownevents.etl",
                           "perfview-net.4.5.2.x64.etl", "perfview-net.4.5.2.x86.etl", "perfview-primitive-types.etl"]

    @Test(arguments: fixtures)
    func realFixtures(_ name: String) throws {
        Self.expectSameInOneOrTwoParts(try ETLTestSupport.fixture(name), name)
    }

    /// Damage anywhere (in the first half, the second, both, or at the seam) reads the same both ways.
    /// `ETL_PARTS_ITERATIONS` sets the number of inputs (default 240).
    @Test func mutatedTraces() throws {
        let seeds = try ETLFuzzTests.seeds()
        let iterations = ProcessInfo.processInfo.environment["ETL_PARTS_ITERATIONS"].flatMap(Int.init) ?? 240
        var rng = SplitMix(state: 0x1DE_C5EA)
        for iteration in 0..<iterations {
            var input = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { input = ETLFuzzTests.mutate(input, &rng) }
            Self.expectSameInOneOrTwoParts(input, "mutation \(iteration)")
        }
    }

    /// CPU 0's clock steps back exactly where the file is split (header buffer and first data buffer in one
    /// half, the second data buffer in the other): the fold still counts that inversion, and only it.
    @Test func inversionAcrossTheSeam() throws {
        let h = { (ticks: Int64) in ETLHeapRecords.Header(.bits64, thread: 1, process: 2, ticks: ticks) }
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(h(5_000_100), heap: 1, size: 8, address: 0xA, source: 3),
                ETLHeapRecords.alloc(h(5_000_200), heap: 1, size: 8, address: 0xB, source: 3),
            ])
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(h(5_000_150), heap: 1, size: 8, address: 0xC, source: 3),
                ETLHeapRecords.alloc(h(5_000_300), heap: 1, size: 8, address: 0xD, source: 3),
            ])
        }
        for parts in [1, 2] {
            let index = try ETLIndex.build(MemoryETLInput(bytes), keepGoing: false, parts: parts)
            #expect(index.statistics.cpuStreamInversions == 1, "parts \(parts)")
            #expect(index.entries.map(\.ordinal) == [1, 2])
        }
    }

    /// A bad record in the first data buffer and a damaged header in the last: without `--keep-going` the
    /// error is the first in file order, though the second half finds its problem too.
    @Test func firstErrorInFileOrder() throws {
        var bytes = ETLBadInputTests.threeBuffers()
        ETLBadInputTests.patch16(&bytes, at: 0x1088 + 4, 0x10)  // record size 0x10: smaller than its header
        ETLBadInputTests.patch32(&bytes, at: 0x3000, 0)         // third data buffer: size 0
        let one = Self.outcome(bytes, keepGoing: false, parts: 1)
        #expect(one.hasPrefix("error: ") && one.contains("0x1088"), "\(one)")
        #expect(Self.outcome(bytes, keepGoing: false, parts: 2) == one)
        Self.expectSameInOneOrTwoParts(bytes, "two problems")
    }
}

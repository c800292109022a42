import ETLSynth
import Foundation
import Testing
@testable import HeapConv

/// `unix_ns(StartTime) + floor((ticks − header ticks) × 1e9 / freq)`, in integers, for every clock type.
@Suite struct ETLClockTests {
    static func reference(_ start: Int64, _ delta: Int64, _ frequency: Int64) -> Int64? {
        // Int128 arithmetic as the oracle for the split computation of ETLClock.
        let scaled = Int128(delta) * 1_000_000_000
        var q = scaled / Int128(frequency)
        if scaled % Int128(frequency) < 0 { q -= 1 }
        return Int64(exactly: Int128(start) + q)
    }

    @Test(arguments: [Int64(10_000_000), 3_579_545, 2_531_250, 1, 999_999_937, 3_000_000_000, 9_999_999_999_999])
    func floorOfTheExactQuotient(_ frequency: Int64) {
        let clock = ETLClock(source: .queryPerformanceCounter, frequency: frequency, startUnixNanoseconds: 1_555_526_400_000_000_000,
                             referenceTicks: 5_000_000)
        var rng = ETLOrderingTests.SplitMix(state: UInt64(frequency))
        for delta in [0, 1, -1, 2, -2, frequency - 1, frequency, -frequency, frequency + 1, 1 << 40, -(1 << 40)]
            + (0..<200).map({ _ in Int64.random(in: -(1 << 44)...(1 << 44), using: &rng) }) {
            #expect(clock.unixNanoseconds(ticks: 5_000_000 + delta) == Self.reference(1_555_526_400_000_000_000, delta, frequency),
                    "delta \(delta)")
        }
    }

    @Test func overflowIsReportedNotTrapped() {
        let clock = ETLClock(source: .queryPerformanceCounter, frequency: 1, startUnixNanoseconds: 1_555_526_400_000_000_000,
                             referenceTicks: 0)
        #expect(clock.unixNanoseconds(ticks: .max) == nil)
        #expect(clock.unixNanoseconds(ticks: .min) == nil)
        let qpc = ETLClock(source: .queryPerformanceCounter, frequency: 10_000_000, startUnixNanoseconds: 0, referenceTicks: .min)
        #expect(qpc.unixNanoseconds(ticks: .max) == nil)
        let odd = ETLClock(source: .queryPerformanceCounter, frequency: 3, startUnixNanoseconds: .max - 10, referenceTicks: 0)
        #expect(odd.unixNanoseconds(ticks: 1) == nil)
        #expect(odd.unixNanoseconds(ticks: -1) == Int64.max - 10 - 333_333_334)
    }

    /// Each clock type of the log-file header picks its own frequency.
    @Test(arguments: [(UInt32(1), Int64(100)), (0, 100), (2, 100), (3, 2)])
    func clockTypes(_ clockType: UInt32, _ nanosecondsPerTick: Int64) throws {
        var header = ETLLogHeader()
        header.clockType = clockType
        header.perfFreq = 10_000_000
        header.cpuSpeedInMHz = 500  // cycles: 2 ns per tick
        var builder = ETLFileBuilder(header: header)
        builder.appendBuffer(cpu: 0, records: [
            ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_123), heap: 1, size: 1, address: 1, source: 3),
            ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 4_999_000), heap: 1, size: 1, address: 2, source: 3),
        ])
        let (events, _, reader) = try ETLTestSupport.readAll(builder.build(), fileOrder: true)
        #expect(events.map(\.timestamp) == [ETLTestSupport.startNs + 123 * nanosecondsPerTick,
                                            ETLTestSupport.startNs - 1_000 * nanosecondsPerTick])
        let names = [0: "QPC", 1: "QPC", 2: "system time", 3: "CPU cycles"]
        #expect(reader.facts()?["clock"]?["type"] == .string(names[Int(clockType)]!))
        #expect(reader.facts()?["clock"]?["frequency_hz"] == .int(1_000_000_000 / nanosecondsPerTick))
    }

    @Test func oddFrequencyThroughTheReader() throws {
        var header = ETLLogHeader()
        header.perfFreq = 3_579_545
        var builder = ETLFileBuilder(header: header)
        builder.appendBuffer(cpu: 0, records: [
            ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_001), heap: 1, size: 1, address: 1, source: 3),
            ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: 5_000_000 + 3_579_545 * 3600 + 7), heap: 1, size: 1,
                                 address: 2, source: 3),
        ])
        let events = try ETLTestSupport.readAll(builder.build()).events
        // 1 tick = 279.36511… ns → 279; an hour and 7 ticks = 3600 s + 1955.55… ns → 1955.
        #expect(events.map(\.timestamp) == [ETLTestSupport.startNs + 279, ETLTestSupport.startNs + 3_600_000_000_000 + 1_955])
    }

    /// A heap event whose timestamp cannot be expressed is an error for that record.
    @Test func timestampOutOfRange() {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                ETLHeapRecords.alloc(.init(.bits64, thread: 1, process: 2, ticks: .max), heap: 1, size: 1, address: 1, source: 3),
            ])
        }
        #expect(throws: ConversionError(.malformedInput, at: .offset(0x1048),
                                        "HeapAlloc timestamp 9223372036854775807 is out of range for the trace clock")) {
            _ = try ETLTestSupport.readAll(bytes)
        }
    }

    /// Standard input (or any pipe) is spooled to an unlinked temporary file, then read like a file.
    @Test func pipesAreSpooled() throws {
        let bytes = try ETLTestSupport.fixture("SYNTHETIC-heap-64.etl")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = Thread {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(writeEnd, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { break }
                    done += n
                }
            }
            close(writeEnd)
        }
        writer.start()
        let input = try FileETLInput.spool(from: fds[0], name: "<stdin>")
        close(fds[0])
        #expect(input.size == UInt64(bytes.count))
        var reader = try ETLReader(input: input)
        var batch = EventBatch()
        #expect(try reader.read(into: &batch, limit: 10))
        #expect(batch.count == 3)
    }
}

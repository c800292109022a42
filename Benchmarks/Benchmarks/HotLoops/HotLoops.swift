// Allocation counts and time of the per-event loops, in process and in memory (no file I/O): each benchmark
// moves 200 k events through one reader or writer. A steady state with no per-event allocation shows as a
// malloc count that does not grow with the number of events (a few per batch at most).
import Benchmark
import ETLSynth
import HeapConv

/// Discards bytes: measures a writer without a growing sink.
final class NullSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {}
    func finish() throws(ConversionError) {}
}

let eventCount = 200_000

/// A time-ordered workload with a stack on every third allocation.
func makeEvents() -> [EventBatch] {
    var batches: [EventBatch] = []
    var batch = EventBatch()
    var state: UInt64 = 0x5eed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    var live: [UInt64] = []
    var address: UInt64 = 0x1a0_1000
    for i in 0..<eventCount {
        let c = EventContext(timestamp: 1_700_000_000_000_000_000 + Int64(i) * 1_000, processID: 4242,
                             threadID: UInt32(100 + next() % 8), cpu: UInt32(next() % 4), heap: 0x1a0_0000)
        if live.isEmpty || next() % 2 == 0 {
            address += 64
            live.append(address)
            let event = HeapEvent.alloc(c, address: address, size: 8 + next() % 512, source: .mainPath)
            if i % 3 == 0 {
                batch.append(event, stack: (0..<12).map { 0x7ff8_0000_0000 | UInt64($0) << 12 | next() % 64 })
            } else {
                batch.append(event)
            }
        } else {
            let j = Int(next() % UInt64(live.count))
            live.swapAt(j, live.count - 1)
            batch.append(.free(c, address: live.removeLast(), source: .mainPath))
        }
        if batch.count == EventBatch.defaultCapacity {
            batches.append(batch)
            batch = EventBatch()
        }
    }
    batches.append(batch)
    return batches
}

func write(_ batches: [EventBatch], _ make: (OutputBuffer) -> any EventWriter) throws -> [UInt8] {
    let sink = MemoryByteSink()
    var writer = make(OutputBuffer(sink: sink))
    for batch in batches { try writer.write(batch) }
    try writer.finish()
    return sink.bytes
}

func drain(_ reader: inout some EventReader) throws -> Int {
    var batch = EventBatch()
    var total = 0
    while try reader.read(into: &batch, limit: EventBatch.defaultCapacity) {
        total += batch.count
        batch.removeAll()
    }
    return total
}

let benchmarks: @Sendable () -> Void = {
    let events = makeEvents()
    let jsonl = try! write(events) { JSONLinesWriter(output: $0) }
    let csv = try! write(events) { CSVWriter(output: $0) }
    let etl: [UInt8] = {
        var builder = ETLFileBuilder(header: ETLLogHeader(width: .bits64, bufferSize: 65536))
        for batch in events {
            for event in batch.events {
                let c = event.context
                let ticks = 5_000_000 + (c.timestamp - 1_700_000_000_000_000_000) / 100
                let h = ETLHeapRecords.Header(.bits64, thread: c.threadID, process: c.processID, ticks: ticks)
                switch event {
                case .alloc(_, let address, let size, _):
                    builder.append(ETLHeapRecords.alloc(h, heap: c.heap, size: size, address: address, source: 3), cpu: UInt16(c.cpu!), ticks: ticks)
                    if let stack = batch.stack(of: event) {
                        builder.append(ETLStackWalkRecords.stack(.bits64, ticks: ticks, eventTicks: ticks, process: c.processID,
                                                                 thread: c.threadID, frames: Array(stack)), cpu: UInt16(c.cpu!), ticks: ticks)
                    }
                case .free(_, let address, _):
                    builder.append(ETLHeapRecords.free(h, heap: c.heap, address: address, source: 3), cpu: UInt16(c.cpu!), ticks: ticks)
                default:
                    break
                }
            }
        }
        return builder.build()
    }()
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
                                                scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 20)

    Benchmark("JSON Lines read 200k", configuration: configuration) { benchmark in
        var reader = JSONLinesReader(source: MemoryByteSource(jsonl))
        blackHole(try drain(&reader))
    }
    Benchmark("CSV read 200k", configuration: configuration) { benchmark in
        var reader = CSVReader(source: MemoryByteSource(csv))
        blackHole(try drain(&reader))
    }
    Benchmark("ETL read 200k (time order)", configuration: configuration) { benchmark in
        var reader = try ETLReader(bytes: etl)
        blackHole(try drain(&reader))
    }
    Benchmark("JSON Lines write 200k", configuration: configuration) { benchmark in
        var writer = JSONLinesWriter(output: OutputBuffer(sink: NullSink()))
        for batch in events { try writer.write(batch) }
        try writer.finish()
    }
    Benchmark("CSV write 200k", configuration: configuration) { benchmark in
        var writer = CSVWriter(output: OutputBuffer(sink: NullSink()))
        for batch in events { try writer.write(batch) }
        try writer.finish()
    }
    Benchmark("heapcol write 200k (uncompressed)", configuration: configuration) { benchmark in
        var writer = HeapColWriter(output: OutputBuffer(sink: NullSink()))
        for batch in events { try writer.write(batch) }
        try writer.finish()
    }
    Benchmark("Chrome write 200k", configuration: configuration) { benchmark in
        var writer = ChromeWriter(output: OutputBuffer(sink: NullSink()), options: ConversionOptions(inputPath: "-", outputPath: "-"),
                                  inputName: "bench")
        for batch in events { try writer.write(batch) }
        try writer.finish()
    }
}

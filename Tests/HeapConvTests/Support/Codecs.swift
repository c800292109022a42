@testable import HeapConv

/// Runs readers and writers in memory, so tests compare bytes and events without files.
enum Codecs {
    /// An event with its stack taken out of the batch: comparable across batches.
    struct Flat: Equatable, CustomStringConvertible {
        var event: HeapEvent
        var stack: [UInt64]?
        /// A context record's strings, in the order ``HeapEvent/remappingText(_:)`` visits them.
        var texts: [[UInt8]?] = []
        var description: String {
            "\(event) stack=\(stack.map { "\($0)" } ?? "none") texts=\(texts.map { $0.map { String(decoding: $0, as: UTF8.self) } ?? "none" })"
        }
    }

    static func flatten(_ batch: EventBatch) -> [Flat] {
        batch.events.map { event in
            var texts: [[UInt8]?] = []
            var plain = event.remappingText { ref in
                texts.append(batch.text(ref).map(Array.init))
                return .none
            }
            plain.context.stack = .none
            return Flat(event: plain, stack: batch.stack(of: event).map(Array.init), texts: texts)
        }
    }

    static func write(_ batches: [EventBatch], with make: (OutputBuffer) -> any EventWriter) throws(ConversionError) -> [UInt8] {
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: sink, capacity: 4096)
        var writer = make(output)
        for batch in batches { try writer.write(batch) }
        try writer.finish()
        return sink.bytes
    }

    static func jsonl(_ batches: EventBatch...) throws -> [UInt8] {
        try write(batches) { JSONLinesWriter(output: $0) }
    }

    /// Parquet with small row groups and pages, so that a few thousand events cross their boundaries.
    static func parquet(_ batches: EventBatch..., rowGroupRows: Int = 1000, pageRows: Int = 128, level: Int32 = 1) throws -> [UInt8] {
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: sink, capacity: 4096)
        var writer = try ParquetWriter(output: output, name: "t.parquet", inputName: "t", inputFacts: nil, level: level,
                                       rowGroupRows: rowGroupRows, pageRows: pageRows)
        for batch in batches { try writer.write(batch) }
        try writer.finish()
        return sink.bytes
    }

    static func readParquet(_ bytes: [UInt8]) throws -> EventBatch {
        var reader = try ParquetReader(input: MemoryInput(bytes), name: "t.parquet")
        var all = EventBatch()
        var batch = EventBatch()
        while try reader.read(into: &batch, limit: 1000) {
            for event in batch.events { all.append(event, from: batch) }
            batch.removeAll()
        }
        return all
    }

    static func csv(_ batches: EventBatch...) throws -> [UInt8] {
        try write(batches) { CSVWriter(output: $0) }
    }

    /// Reads every event, in batches of `limit`, from `bytes` served `chunk` bytes at a time.
    static func read(_ bytes: [UInt8], chunk: Int = .max, limit: Int = 4096,
                     with make: (any ByteSource) throws(ConversionError) -> any EventReader) throws(ConversionError) -> [Flat] {
        var reader = try make(MemoryByteSource(bytes, chunkLimit: chunk))
        var all: [Flat] = []
        var batch = EventBatch()
        while try reader.read(into: &batch, limit: limit) {
            all += flatten(batch)
            batch.removeAll()
        }
        return all
    }

    static func readJSONL(_ bytes: [UInt8], chunk: Int = .max) throws(ConversionError) -> [Flat] {
        try read(bytes, chunk: chunk) { JSONLinesReader(source: $0) }
    }

    static func readCSV(_ bytes: [UInt8], chunk: Int = .max) throws(ConversionError) -> [Flat] {
        try read(bytes, chunk: chunk) { CSVReader(source: $0) }
    }

    /// Re-batches flat events.
    static func batch(_ flats: [Flat]) -> EventBatch {
        var batch = EventBatch()
        for flat in flats {
            var texts = flat.texts.makeIterator()
            let event = flat.event.remappingText { _ in batch.appendText(texts.next() ?? nil) }
            if let stack = flat.stack { batch.append(event, stack: stack) } else { batch.append(event) }
        }
        return batch
    }

    /// The error a read throws, or `nil` if it succeeds.
    static func readError(_ text: String, csv: Bool = false) -> ConversionError? {
        do {
            _ = csv ? try readCSV(Array(text.utf8)) : try readJSONL(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }
}

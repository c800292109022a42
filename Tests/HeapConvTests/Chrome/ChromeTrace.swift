import Foundation
@testable import HeapConv

/// A Chrome trace written by ``ChromeWriter`` and read back with Foundation, with each record's raw `ts`
/// text beside it (JSONSerialization would turn it into a lossy double).
struct ChromeTrace {
    struct Record {
        let json: [String: Any]
        /// The record's line as written (without the separating comma).
        let bytes: ArraySlice<UInt8>
        /// The `ts` exactly as written, `nil` when the record has none.
        let tsText: String?
        /// `ts` in nanoseconds, from the text with integer arithmetic.
        let tsNanoseconds: UInt64?
        var line: String { String(decoding: bytes, as: UTF8.self) }
        var ph: String { json["ph"] as? String ?? "" }
        var name: String { json["name"] as? String ?? "" }
        var pid: UInt64? { (json["pid"] as? NSNumber)?.uint64Value }
        var tid: UInt64? { (json["tid"] as? NSNumber)?.uint64Value }
        var args: [String: Any] { json["args"] as? [String: Any] ?? [:] }
        var localID: String? { (json["id2"] as? [String: Any])?["local"] as? String }

        /// The raw `ts`; looks where the writer puts it first (`{"ph":"i","ts":`), since a byte-by-byte
        /// search of every line is slow in debug builds.
        func rawTS() -> String? {
            let prefix = Array("{\"ph\":\"?\",\"ts\":".utf8)
            let start = bytes.startIndex
            if bytes.count > prefix.count, bytes[start..<start + 7].elementsEqual(prefix[0..<7]),
               bytes[start + 8..<start + prefix.count].elementsEqual(prefix[8...]) {
                let from = start + prefix.count
                let end = bytes[from...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? bytes.endIndex
                return String(decoding: bytes[from..<end], as: UTF8.self)
            }
            return raw("\"ts\":")
        }

        /// The text after `key` up to the next `,` or `}` (top-level keys come before `args`).
        func raw(_ key: String) -> String? {
            let key = Array(key.utf8)
            guard key.count <= bytes.count else { return nil }
            var i = bytes.startIndex
            while i + key.count <= bytes.endIndex {
                if bytes[i] == key[0] && bytes[i..<i + key.count].elementsEqual(key) {
                    let start = i + key.count
                    let end = bytes[start...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? bytes.endIndex
                    return String(decoding: bytes[start..<end], as: UTF8.self)
                }
                i += 1
            }
            return nil
        }
    }

    let text: String
    let root: [String: Any]
    let records: [Record]
    let report: [String]
    var metadata: [String: Any] { root["metadata"] as? [String: Any] ?? [:] }

    /// Writes `batches` through a ``ChromeWriter`` into memory and reads the result back.
    static func write(
        _ batches: [EventBatch], lifetimes: LifetimeSelection = .none, noInstants: Bool = false,
        facts: InfoValue? = nil, bufferCapacity: Int = 1 << 16
    ) throws -> ChromeTrace {
        var options = ConversionOptions(inputPath: "sample.jsonl", outputPath: "sample.json")
        options.lifetimes = lifetimes
        options.noInstants = noInstants
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: sink, capacity: bufferCapacity)
        var writer = ChromeWriter(output: output, options: options, inputName: "sample.jsonl", inputFacts: facts)
        for batch in batches { try writer.write(batch) }
        try writer.finish()
        return try ChromeTrace(bytes: sink.bytes, report: writer.report)
    }

    init(bytes: [UInt8], report: [String] = []) throws {
        text = String(decoding: bytes, as: UTF8.self)
        self.report = report
        guard let root = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ChromeTraceError("the top level is not an object")
        }
        self.root = root
        guard let events = root["traceEvents"] as? [[String: Any]] else {
            throw ChromeTraceError("traceEvents is not an array of objects")
        }
        // One record per line between `{"traceEvents":[` and `],`.
        var lines: [ArraySlice<UInt8>] = []
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start <= buffer.count {
                let rest = buffer.count - start
                let found = rest > 0 ? memchr(base + start, 0x0A, rest) : nil
                let end = found.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? buffer.count
                lines.append(bytes[start..<end])
                start = end + 1
            }
        }
        guard lines.count >= 3, lines[0].elementsEqual("{\"traceEvents\":[".utf8) else {
            throw ChromeTraceError("unexpected first line")
        }
        let recordLines = lines.dropFirst().prefix { !$0.elementsEqual("],".utf8) }
        guard recordLines.count == events.count else {
            throw ChromeTraceError("\(recordLines.count) record lines for \(events.count) events")
        }
        records = zip(events, recordLines).map { json, line in
            let trimmed = line.last == UInt8(ascii: ",") ? line.dropLast() : line
            let partial = Record(json: json, bytes: trimmed, tsText: nil, tsNanoseconds: nil)
            let ts = partial.rawTS()
            return Record(json: json, bytes: trimmed, tsText: ts, tsNanoseconds: ts.flatMap(ChromeTrace.nanoseconds(fromMicroseconds:)))
        }
    }

    /// `"12.5"` → 12500: exact, integer arithmetic; `nil` for anything but `digits[.1-3 digits]`.
    static func nanoseconds(fromMicroseconds text: String) -> UInt64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = UInt64(parts[0]), parts[0].allSatisfy(\.isASCII) else { return nil }
        var fraction: UInt64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = UInt64(digits + String(repeating: "0", count: 3 - digits.count))!
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : total
    }

    /// The expected `ts` text for `ns` nanoseconds after the origin: whole microseconds, then up to three
    /// decimals without trailing zeros. Written with strings, unlike the writer's digit arithmetic.
    static func expectedTS(_ ns: UInt64) -> String {
        let whole = String(ns / 1000)
        var fraction = String(ns % 1000)
        guard fraction != "0" else { return whole }
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return whole + "." + fraction
    }
}

struct ChromeTraceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An independent model of live heap blocks, written for the tests from the rules in the issue (not by
/// calling ``LiveHeapState``): allocations add, reallocations move, frees remove, destroys clear; frees and
/// reallocations of unknown blocks change nothing; a second allocation at a live address replaces it.
struct LiveModel {
    struct Key: Hashable { var pid: UInt32; var heap: UInt64 }
    struct Heap { var blocks: [UInt64: UInt64] = [:]; var bytes: UInt64 = 0; var count: UInt64 = 0 }
    var heaps: [Key: Heap] = [:]

    mutating func apply(_ event: HeapEvent) {
        let c = event.context
        let key = Key(pid: c.processID, heap: c.heap)
        var heap = heaps[key] ?? Heap()
        func remove(_ address: UInt64) {
            if let size = heap.blocks.removeValue(forKey: address) {
                heap.bytes &-= size
                heap.count -= 1
            }
        }
        switch event {
        case .alloc(_, let address, let size, _):
            remove(address)
            heap.blocks[address] = size
            heap.bytes &+= size
            heap.count += 1
        case .realloc(_, let address, let size, let oldAddress, _, _):
            remove(oldAddress)
            remove(address)
            heap.blocks[address] = size
            heap.bytes &+= size
            heap.count += 1
        case .free(_, let address, _):
            remove(address)
        case .destroy:
            heap = Heap()
        default:
            return
        }
        heaps[key] = heap
    }

    func bytes(pid: UInt32) -> UInt64 {
        var total: UInt64 = 0
        for (key, heap) in heaps where key.pid == pid { total &+= heap.bytes }
        return total
    }

    func blocks(pid: UInt32) -> UInt64 {
        var total: UInt64 = 0
        for (key, heap) in heaps where key.pid == pid { total += heap.count }
        return total
    }
}

extension EventBatch {
    /// The events of several batches in one, stacks included.
    static func joined(_ batches: [EventBatch]) -> EventBatch {
        var all = EventBatch()
        for batch in batches {
            for event in batch.events { all.append(event, from: batch) }
        }
        return all
    }
}

import CZlib
@testable import HeapConv

/// Writes and reads heapcol in memory, and takes files apart into blocks so tests can damage them in
/// precise ways (re-computing CRCs where a test wants the damage to get past them).
enum HeapColHarness {
    typealias Flat = Codecs.Flat

    static func flatten(_ batch: EventBatch) -> [Flat] { Codecs.flatten(batch) }

    /// `batches` written as a compressed `.heapcol` file, compressed as heapconv does at `level`.
    static func write(
        _ batches: [EventBatch], level: Int32 = 1, rowGroupLimit: Int = HeapColFormat.maximumRowGroupEvents,
        stackEntryLimit: Int = HeapColFormat.maximumStackEntries, stackFrameLimit: Int = HeapColFormat.maximumStackFrames
    ) throws(ConversionError) -> [UInt8] {
        let sink = MemoryByteSink()
        let output = OutputBuffer(sink: try HeapColFormat.gzipSettings(level: level).makeSink(sink, name: "test.heapcol"))
        var writer = HeapColWriter(output: output, rowGroupLimit: rowGroupLimit, stackEntryLimit: stackEntryLimit,
                                   stackFrameLimit: stackFrameLimit)
        for batch in batches { try writer.write(batch) }
        try writer.finish()
        return sink.bytes
    }

    /// Every event of a compressed heapcol file, read in batches of `limit` from `chunk`-byte reads.
    static func read(_ compressed: [UInt8], chunk: Int = .max, limit: Int = 4096) throws(ConversionError) -> [Flat] {
        try Codecs.read(compressed, chunk: chunk, limit: limit) { source throws(ConversionError) in
            try HeapColReader(source: source, name: "test.heapcol")
        }
    }

    /// The error reading `compressed` throws, or `nil` when it reads.
    static func readError(_ compressed: [UInt8], chunk: Int = .max) -> ConversionError? {
        do {
            _ = try read(compressed, chunk: chunk)
            return nil
        } catch {
            return error
        }
    }

    static func jsonl(_ batches: [EventBatch]) throws(ConversionError) -> [UInt8] {
        try Codecs.write(batches) { JSONLinesWriter(output: $0) }
    }

    static func gzip(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        let sink = MemoryByteSink()
        let gz = try GzipSink(sink, name: "gz", level: level)
        try bytes.withUnsafeBytes { try gz.write($0) }
        try gz.finish()
        return sink.bytes
    }

    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let source = try GzipSource(MemoryByteSource(bytes), name: "gz")
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// A decompressed heapcol stream taken apart: the 10-byte header and each block's tag and body.
    struct Parts {
        var header: [UInt8]
        var blocks: [(tag: UInt8, body: [UInt8])]

        init(_ stream: [UInt8]) {
            header = Array(stream[0..<10])
            blocks = []
            var i = 10
            while i < stream.count {
                let length = Int(stream[i + 1]) | Int(stream[i + 2]) << 8 | Int(stream[i + 3]) << 16 | Int(stream[i + 4]) << 24
                blocks.append((stream[i], Array(stream[i + 5..<i + 5 + length])))
                i += 9 + length
            }
        }

        /// The stream with fresh lengths and CRCs.
        var stream: [UInt8] {
            var out = header
            for (tag, body) in blocks { out += HeapColHarness.block(tag: tag, body: body) }
            return out
        }
    }

    /// One block with its length and CRC-32.
    static func block(tag: UInt8, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        let length = UInt32(body.count)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt32(k)))) }
        out += body
        let crc = UInt32(truncatingIfNeeded: out.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k)))) }
        return out
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// A column as the spec lays it out: id, size, then a plain integer sequence of `values`.
    static func plainColumn(_ id: Int, _ values: [UInt64]) -> [UInt8] {
        let payload = [0] + varint(UInt64(values.count)) + values.flatMap(varint)
        return varint(UInt64(id)) + varint(UInt64(payload.count)) + payload
    }
}

extension HeapColHarness {
    /// The LEB128 varint at `p` in `bytes`; `p` moves past it.
    static func readVarint(_ bytes: [UInt8], at p: inout Int) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = bytes[p]
            p += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Every column of every row group of a decompressed stream: its id, its integer count and its bytes
    /// (layout byte first).
    static func columns(of stream: [UInt8]) -> [(id: Int, count: Int, bytes: [UInt8])] {
        var out: [(Int, Int, [UInt8])] = []
        for (tag, body) in Parts(stream).blocks where tag == HeapColFormat.rowGroupTag {
            var p = 0
            _ = readVarint(body, at: &p)
            _ = readVarint(body, at: &p)
            while p < body.count {
                let id = Int(readVarint(body, at: &p))
                let size = Int(readVarint(body, at: &p))
                let bytes = Array(body[p..<p + size])
                var q = 1
                out.append((id, Int(readVarint(bytes, at: &q)), bytes))
                p += size
            }
        }
        return out
    }
}

extension HeapColHarness {
    /// Re-batches flat events.
    static func batch(_ flats: [Flat]) -> EventBatch { Codecs.batch(flats) }
}

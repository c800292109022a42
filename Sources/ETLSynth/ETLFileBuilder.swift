/// The TRACE_LOGFILE_HEADER fields a synthetic trace sets (FORMAT.md §3), with the defaults of the
/// synthetic fixtures: StartTime 2019-04-17T18:40:00Z, QPC at 10 MHz, header record at tick 5,000,000.
public struct ETLLogHeader: Sendable {
    public var width: ETLPointerWidth = .bits64
    /// The logical buffer size, also the size of every uncompressed buffer.
    public var bufferSize: UInt32 = 4096
    /// OS major, minor, format sub-version, sub-minor in the 4 bytes (default Windows 10.0, format 1.5).
    public var version: UInt32 = 0x0501_000A
    public var providerVersion: UInt32 = 0
    public var numberOfProcessors: UInt32 = 4
    public var endTime: Int64 = 132_000_000_010_000_000
    public var timerResolution: UInt32 = 156_250
    public var maximumFileSize: UInt32 = 0
    public var logFileMode: UInt32 = 0x0000_0001
    /// `nil`: the number of buffers written.
    public var buffersWritten: UInt32?
    public var pointerSize: UInt32?
    public var eventsLost: UInt32 = 0
    public var cpuSpeedInMHz: UInt32 = 3000
    public var timeZoneBias: Int32 = 0
    public var bootTime: Int64 = 131_999_000_000_000_000
    public var perfFreq: Int64 = 10_000_000
    public var startTime: Int64 = 132_000_000_000_000_000
    /// `ReservedFlags`: 1 QPC, 2 system time, 3 CPU cycles.
    public var clockType: UInt32 = 1
    public var buffersLost: UInt32 = 0
    /// Raw timestamp of the header record (corresponds to `startTime`).
    public var headerTicks: Int64 = 5_000_000
    public var loggerName = "ETLSynth"
    public var logFileName = "C:\\synth.etl"

    public init(width: ETLPointerWidth = .bits64, bufferSize: UInt32 = 4096) {
        self.width = width
        self.bufferSize = bufferSize
    }

    /// The header record (SYSTEM header, group 0, opcode 0) with this payload.
    public func record(buffersWritten: UInt32) -> [UInt8] {
        var w = LittleEndianWriter()
        w.u32(bufferSize)
        w.u32(version)
        w.u32(providerVersion)
        w.u32(numberOfProcessors)
        w.i64(endTime)
        w.u32(timerResolution)
        w.u32(maximumFileSize)
        w.u32(logFileMode)
        w.u32(self.buffersWritten ?? buffersWritten)
        w.u32(0)  // StartBuffers
        w.u32(pointerSize ?? UInt32(width.bytes))
        w.u32(eventsLost)
        w.u32(cpuSpeedInMHz)
        w.pointer(0, width)  // LoggerName (meaningless in a file)
        w.pointer(0, width)  // LogFileName
        w.i32(timeZoneBias)
        w.fill(0, count: 0xAC - 4)  // rest of TIME_ZONE_INFORMATION
        w.u32(0)  // alignment padding
        w.i64(bootTime)
        w.i64(perfFreq)
        w.i64(startTime)
        w.u32(clockType)
        w.u32(buffersLost)
        w.utf16z(loggerName)
        w.utf16z(logFileName)
        return ETLRecords.system(width, group: 0, opcode: 0, version: 2, thread: 0, process: 0, ticks: headerTicks,
                                 payload: w.bytes)
    }
}

/// How one buffer is written.
public struct ETLBufferOptions: Sendable {
    /// What fills the space after the last record.
    public enum Tail: Sendable { case ff, zero }

    public var tail: Tail = .ff
    /// Compress the records with the builder's compressor (buffer flag 0x40).
    public var compressed = false
    /// Extra BufferFlag bits (0x20 PROC_INDEX is always set; 0x02 EVENTS_LOST, ...).
    public var extraFlags: UInt16 = 0
    public var bufferType: UInt16 = 0
    /// `SavedOffset`; `nil` writes the same value as `Offset`.
    public var savedOffset: UInt32?

    public init(tail: Tail = .ff, compressed: Bool = false, extraFlags: UInt16 = 0) {
        self.tail = tail
        self.compressed = compressed
        self.extraFlags = extraFlags
    }
}

/// Writes synthetic `.etl` files: a header buffer with the TRACE_LOGFILE_HEADER, then data buffers that
/// records fill per CPU, 8-byte aligned, flushed when full — so, as in real traces, the file is not in time
/// order across CPUs.
///
/// Compressed buffers (flag 0x40) need a compressor producing MS-XCA plain LZ77 (for example the test
/// target's `XpressLZ77Encoder.compress`); ``literalLZ77(_:)`` is a trivial valid one.
public struct ETLFileBuilder {
    public var header: ETLLogHeader
    /// Records added to the header buffer after the log-file header record.
    public var headerBufferRecords: [[UInt8]] = []
    /// Options of the buffers ``append(_:cpu:)`` fills.
    public var defaultOptions = ETLBufferOptions()
    /// Compresses a buffer's record bytes into an MS-XCA plain LZ77 stream.
    public var compressor: ([UInt8]) -> [UInt8] = ETLFileBuilder.literalLZ77

    private var open: [UInt16: (records: LittleEndianWriter, lastTicks: Int64)] = [:]
    private var buffers: [[UInt8]] = []
    private var sequence: Int64 = 0
    private let sink: (([UInt8]) -> Void)?
    private var headerWritten = false

    /// A builder that keeps the file in memory until ``build()``.
    public init(header: ETLLogHeader) {
        self.header = header
        sink = nil
    }

    /// A builder that hands each buffer to `sink` as soon as it is complete (for traces too large to keep in
    /// memory). The header buffer comes first, with `header.buffersWritten` as given (0 when `nil`).
    public init(header: ETLLogHeader, sink: @escaping ([UInt8]) -> Void) {
        self.header = header
        self.sink = sink
    }

    /// Bytes of records a buffer holds.
    public var capacity: Int { Int(header.bufferSize) - 0x48 }

    /// Adds `record` to `cpu`'s open buffer, flushing that buffer first when the record does not fit.
    public mutating func append(_ record: [UInt8], cpu: UInt16, ticks: Int64 = 0) {
        let aligned = (record.count + 7) & ~7
        precondition(aligned <= capacity, "record of \(record.count) bytes does not fit in a buffer")
        if let current = open[cpu], current.records.count + aligned > capacity {
            flush(cpu: cpu)
        }
        var entry = open[cpu] ?? (LittleEndianWriter(capacity: capacity), 0)
        entry.records.append(record)
        entry.records.align(8, with: 0)
        entry.lastTicks = max(entry.lastTicks, ticks)
        open[cpu] = entry
    }

    /// Writes `cpu`'s open buffer, if any.
    public mutating func flush(cpu: UInt16) {
        guard let entry = open.removeValue(forKey: cpu) else { return }
        emit(data(entry.records.bytes, cpu: cpu, options: defaultOptions, timeStamp: entry.lastTicks))
    }

    /// Writes every open buffer, lowest CPU first.
    public mutating func flushAll() {
        for cpu in open.keys.sorted() { flush(cpu: cpu) }
    }

    /// Writes one buffer of `cpu` holding exactly `records` (each 8-byte aligned), with `options`.
    public mutating func appendBuffer(cpu: UInt16, records: [[UInt8]], options: ETLBufferOptions? = nil) {
        var w = LittleEndianWriter()
        for record in records {
            w.append(record)
            w.align(8, with: 0)
        }
        emit(data(w.bytes, cpu: cpu, options: options ?? defaultOptions, timeStamp: 0))
    }

    /// Writes raw bytes as they are (damaged buffers for tests).
    public mutating func appendRaw(_ bytes: [UInt8]) { emit(bytes) }

    /// Flushes every open buffer and returns the file. With a sink, returns what was not handed to it (nothing).
    public mutating func build() -> [UInt8] {
        flushAll()
        if !headerWritten { writeHeaderBuffer(count: UInt32(buffers.count + 1)) }
        guard sink == nil else { return [] }
        return buffers.flatMap { $0 }
    }

    /// The buffer bytes of `records` for `cpu`.
    private mutating func data(_ records: [UInt8], cpu: UInt16, options: ETLBufferOptions, timeStamp: Int64) -> [UInt8] {
        let dataEnd = 0x48 + records.count
        if options.compressed {
            let compressed = compressor(records)
            var w = bufferHeader(size: UInt32(0x48 + compressed.count), dataEnd: UInt32(dataEnd), cpu: cpu,
                                 flags: 0x20 | 0x40 | options.extraFlags, type: options.bufferType,
                                 savedOffset: options.savedOffset, timeStamp: timeStamp)
            w.append(compressed)
            return w.bytes
        }
        var w = bufferHeader(size: header.bufferSize, dataEnd: UInt32(dataEnd), cpu: cpu, flags: 0x20 | options.extraFlags,
                             type: options.bufferType, savedOffset: options.savedOffset, timeStamp: timeStamp)
        w.append(records)
        w.fill(options.tail == .ff ? 0xFF : 0x00, count: Int(header.bufferSize) - w.count)
        return w.bytes
    }

    private mutating func bufferHeader(size: UInt32, dataEnd: UInt32, cpu: UInt16, flags: UInt16, type: UInt16,
                                       savedOffset: UInt32?, timeStamp: Int64) -> LittleEndianWriter {
        sequence += 1
        var w = LittleEndianWriter(capacity: Int(size))
        w.u32(size)
        w.u32(savedOffset ?? dataEnd)
        w.u32(dataEnd)  // CurrentOffset
        w.i32(0)  // ReferenceCount
        w.i64(timeStamp)
        w.i64(sequence)
        w.u64(0)  // ClockType / Frequency
        w.u16(cpu)
        w.u16(1)  // LoggerId
        w.u32(0)  // State
        w.u32(dataEnd)  // Offset
        w.u16(flags)
        w.u16(type)
        w.fill(0, count: 16)
        return w
    }

    private mutating func writeHeaderBuffer(count: UInt32) {
        headerWritten = true
        var records = LittleEndianWriter()
        records.append(header.record(buffersWritten: header.buffersWritten ?? count))
        records.align(8, with: 0)
        for record in headerBufferRecords {
            records.append(record)
            records.align(8, with: 0)
        }
        var options = ETLBufferOptions()
        options.extraFlags = 0x01
        options.bufferType = 4
        let bytes = data(records.bytes, cpu: 0, options: options, timeStamp: 0)
        if let sink {
            sink(bytes)
        } else {
            buffers.insert(bytes, at: 0)
        }
    }

    private mutating func emit(_ bytes: [UInt8]) {
        if let sink {
            if !headerWritten { writeHeaderBuffer(count: header.buffersWritten ?? 0) }
            sink(bytes)
        } else {
            buffers.append(bytes)
        }
    }

    /// A valid MS-XCA plain LZ77 stream holding `data` as literals only: a zero flag word before every 32
    /// bytes, the unused flag bits of the last word set to 1 (as encoders end a stream).
    public static func literalLZ77(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 8 + 8)
        var index = 0
        repeat {
            let chunk = min(32, data.count - index)
            let flags: UInt32 = chunk == 32 ? 0 : (UInt32.max >> UInt32(chunk))
            withUnsafeBytes(of: flags.littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: data[index..<index + chunk])
            index += chunk
        } while index < data.count
        return out
    }
}

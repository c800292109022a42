/// `TRACE_LOGFILE_HEADER`: the payload of the first record of the first buffer (group 0, opcode 0), which
/// says how to read the rest (FORMAT.md §3). Pointer-sized fields follow the header type of that record.
struct LogfileHeader {
    /// The logical buffer size (what compressed buffers decompress to at most).
    var bufferSize: UInt32
    /// OS major, minor, trace-format sub-version and sub-minor version, as the 4 bytes of `Version`.
    var version: UInt32
    var providerVersion: UInt32
    var numberOfProcessors: UInt32
    /// FILETIME (UTC).
    var endTime: Int64
    var timerResolution: UInt32
    var maximumFileSize: UInt32
    var logFileMode: UInt32
    var buffersWritten: UInt32
    var pointerSize: UInt32
    var eventsLost: UInt32
    var cpuSpeedInMHz: UInt32
    /// Minutes west of UTC of the recording machine.
    var timeZoneBias: Int32
    /// FILETIME (UTC).
    var bootTime: Int64
    var perfFreq: Int64
    /// FILETIME (UTC).
    var startTime: Int64
    /// `ReservedFlags`: the clock type.
    var clockType: UInt32
    var buffersLost: UInt32
    var loggerName: String
    var logFileName: String
    /// Pointer size of the header record itself (4 or 8).
    var recordPointerSize: Int
    /// Raw timestamp of the header record: the tick that `startTime` corresponds to.
    var recordTicks: Int64

    /// Decodes the header from its record; `nil` with a reason when the payload is too short.
    init(_ record: KernelRecord) throws(HeaderError) {
        let p = record.kind.pointerSize
        guard let payload = record.payload else {
            throw HeaderError("its PMC/PEBS header words do not fit in the record")
        }
        let tail = p == 8 ? 0xF8 : 0xF0
        let minimum = tail + 0x20
        guard payload.count >= minimum else {
            throw HeaderError("its payload of \(payload.count.hex) bytes is shorter than the \(minimum.hex) bytes of a \(p * 8)-bit TRACE_LOGFILE_HEADER")
        }
        recordPointerSize = p
        recordTicks = record.timestamp
        bufferSize = payload.u32(0x00)
        version = payload.u32(0x04)
        providerVersion = payload.u32(0x08)
        numberOfProcessors = payload.u32(0x0C)
        endTime = payload.i64(0x10)
        timerResolution = payload.u32(0x18)
        maximumFileSize = payload.u32(0x1C)
        logFileMode = payload.u32(0x20)
        buffersWritten = payload.u32(0x24)
        pointerSize = payload.u32(0x2C)
        eventsLost = payload.u32(0x30)
        cpuSpeedInMHz = payload.u32(0x34)
        timeZoneBias = Int32(bitPattern: payload.u32(p == 8 ? 0x48 : 0x40))
        bootTime = payload.i64(tail)
        perfFreq = payload.i64(tail + 0x08)
        startTime = payload.i64(tail + 0x10)
        clockType = payload.u32(tail + 0x18)
        buffersLost = payload.u32(tail + 0x1C)
        var position = minimum
        loggerName = Self.utf16String(payload, &position)
        logFileName = Self.utf16String(payload, &position)
    }

    /// A NUL-terminated UTF-16LE string at `position` (advanced past the NUL); stops at the payload's end.
    private static func utf16String(_ bytes: ByteView, _ position: inout Int) -> String {
        var units: [UInt16] = []
        while bytes.contains(position, 2) {
            let unit = bytes.u16(position)
            position += 2
            if unit == 0 { break }
            units.append(unit)
        }
        return String(decoding: units, as: UTF16.self)
    }

    var osVersion: String { "\(version & 0xFF).\((version >> 8) & 0xFF)" }
    var formatVersion: String { "\((version >> 16) & 0xFF).\(version >> 24)" }

    /// The session clock, or why the header's clock fields cannot be used.
    func clock() throws(HeaderError) -> ETLClock {
        let source: ETLClock.Source
        let frequency: Int64
        switch clockType {
        case 0, 1:
            source = .queryPerformanceCounter
            guard perfFreq > 0 else { throw HeaderError("its QPC clock frequency (PerfFreq) is \(perfFreq)") }
            frequency = perfFreq
        case 2:
            source = .systemTime
            frequency = 10_000_000
        case 3:
            source = .cpuCycles
            guard cpuSpeedInMHz > 0 else { throw HeaderError("its CPU-cycle clock has a CpuSpeedInMHz of 0") }
            frequency = Int64(cpuSpeedInMHz) * 1_000_000
        default:
            throw HeaderError("its clock type (ReservedFlags) \(clockType) is unknown")
        }
        guard let start = Timestamps.unixNanoseconds(fileTime: startTime) else {
            throw HeaderError("its StartTime \(startTime) is not a representable date")
        }
        return ETLClock(source: source, frequency: frequency, startUnixNanoseconds: start, referenceTicks: recordTicks)
    }
}

/// Why the log-file header cannot be used; the message completes "the log file header ...".
struct HeaderError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

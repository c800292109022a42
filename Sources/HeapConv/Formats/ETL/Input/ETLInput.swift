/// Random access to an `.etl` file (see ``RandomAccessInput``).
typealias ETLInput = RandomAccessInput
/// An `.etl` image in memory (tests, fuzzing).
typealias MemoryETLInput = MemoryInput

/// Opens `.etl` inputs: files as they are, streams (standard input, FIFOs, devices) spooled to a temporary
/// file with their buffer headers checked as the bytes arrive (``StreamedBufferCheck``), so that a stream
/// that is not an `.etl` file stops at its first impossible header.
enum FileETLInput {
    /// Opens `path` (`-` is standard input). With `keepGoing`, a spooled stream that turns out damaged is
    /// kept up to its first bad buffer header; without it, that header is an error.
    static func open(_ path: String, keepGoing: Bool = false) throws(ConversionError) -> RandomAccessFile {
        try RandomAccessFile.open(path, keepGoing: keepGoing, check: StreamedBufferCheck())
    }

    /// Copies `source` into an unlinked temporary file, checking buffer headers on the way.
    static func spool(from source: Int32, name: String, keepGoing: Bool = false) throws(ConversionError) -> RandomAccessFile {
        try RandomAccessFile.spool(from: source, name: name, keepGoing: keepGoing, check: StreamedBufferCheck())
    }
}

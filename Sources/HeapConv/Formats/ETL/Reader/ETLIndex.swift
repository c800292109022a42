/// What the first pass over an `.etl` file learns: the log-file header and clock, counts for `info`, the
/// buffers the second pass must read again (those with heap events or stack fragments), the stack-key
/// definitions (which often sit at the very end of the file), and the problems skipped under `--keep-going`.
///
/// The first pass follows the buffer headers (``BufferChain``), then reads every buffer once, walking records
/// by marker and size only; it decodes nothing but the log-file header and StackWalk key definitions. Files
/// of ``parallelThreshold`` bytes or more are walked in two halves on two threads (``IndexPart``), folded
/// in file order. Its memory grows with the number of buffers (8 bytes each while the chain is walked; one
/// ``BufferEntry`` for each that holds heap events) and with the stack-key definitions, never with the
/// events.
struct ETLIndex {
    var header: LogfileHeader
    var clock: ETLClock
    var headerBuffer: BufferHeader
    var statistics = ETLStatistics()
    /// Buffers with heap events or stack fragments, in file order.
    var entries: [BufferEntry] = []
    var stackKeys = StackKeyTable()
    /// Threads that logged heap events: stack fragments of other threads are not kept.
    var heapThreads = ThreadSet()
    /// PE and PDB identities of images, for the Image records of the second pass.
    var identities = ImageIdentities()
    var problems: ProblemLog
    /// The logical buffer size used to bound compressed buffers.
    var logicalBufferSize: UInt32
    /// The last heap or stack timestamp per CPU of the parts folded so far.
    private var lastTicksByCPU = [Int64](repeating: .min, count: IndexPart.processorLimit)

    /// Walks the whole file once. Throws the first problem unless `keepGoing`; throws always when the file
    /// does not start with a usable log-file header. `parts` forces the number of threads walking the
    /// buffers (1 or 2; tests compare them); by default two walk files of ``parallelThreshold`` bytes or more.
    static func build(_ input: any ETLInput, keepGoing: Bool, parts: Int? = nil) throws(ConversionError) -> ETLIndex {
        let size = input.size
        guard size >= UInt64(BufferHeader.size) else {
            throw ConversionError(.malformedInput, at: .offset(0),
                                  size == 0 ? "the file is empty" : "the file has \(size) bytes, fewer than one 0x48-byte buffer header: not an .etl file")
        }
        let scratch = ByteStorage()
        let storage = ByteStorage()
        var loader = BufferLoader(input: input, logicalSize: BufferHeader.maximumSize, scratch: scratch)
        let first = try loader.header(at: 0)
        if let problem = first.problem(at: 0, fileSize: size, logicalSize: BufferHeader.maximumSize) {
            throw ConversionError(.malformedInput, at: .offset(0), "first buffer: " + problem + " (not an .etl file?)")
        }
        let headerBuffer = try loader.load(first, at: 0, into: storage)
        let header = try readLogfileHeader(headerBuffer)
        let clock: ETLClock
        do {
            clock = try header.clock()
        } catch {
            throw headerBuffer.error("the log file header is unusable: " + error.message, at: BufferHeader.size)
        }
        let logical = header.bufferSize >= UInt32(BufferHeader.size) && header.bufferSize <= BufferHeader.maximumSize
            ? header.bufferSize : BufferHeader.maximumSize
        loader = BufferLoader(input: input, logicalSize: logical, scratch: scratch)
        var index = ETLIndex(header: header, clock: clock, headerBuffer: first,
                             problems: ProblemLog(keepGoing: keepGoing), logicalBufferSize: logical)
        index.statistics.fileSize = size
        try index.walkFile(loader, storage: storage, parts: parts)
        if let truncation = input.truncation { try index.problems.report(truncation) }
        index.stackKeys.finish()
        return index
    }

    /// The TRACE_LOGFILE_HEADER from the first record of the header buffer.
    private static func readLogfileHeader(_ buffer: LoadedBuffer) throws(ConversionError) -> LogfileHeader {
        var cursor = RecordCursor(buffer)
        let record: RawRecord?
        do {
            record = try cursor.next()
        } catch {
            throw buffer.error(error.message, at: error.position)
        }
        guard let record, record.kind == .system32 || record.kind == .system64 else {
            throw buffer.error("the first record is not a SYSTEM log file header record: not an .etl file?", at: BufferHeader.size)
        }
        let kernel = KernelRecord(record, in: buffer.bytes)
        guard kernel.group == 0, kernel.opcode == 0 else {
            throw buffer.error("the first record has group \(kernel.group.hex) opcode \(kernel.opcode.hex), not the log file header (group 0, opcode 0)", at: record.position)
        }
        do {
            return try LogfileHeader(kernel)
        } catch {
            throw buffer.error("the log file header record is unusable: " + error.message, at: record.position)
        }
    }

    /// Buffers below this many bytes in all are walked by one thread: a second costs more than it saves.
    static let parallelThreshold: UInt64 = 4 << 20

    /// Follows the buffer headers, walks the buffers (the two halves of the file on two threads when it is
    /// large enough, or when `parts` says so), then folds the parts in file order.
    private mutating func walkFile(_ loader: BufferLoader, storage: ByteStorage, parts: Int?) throws(ConversionError) {
        let links = try BufferChain(loader: loader, keepGoing: problems.keepGoing).links()
        let fileSize = statistics.fileSize
        let count = parts ?? (fileSize >= Self.parallelThreshold ? 2 : 1)
        var walked: [IndexPart]
        if count < 2 || links.count < 2 {
            var part = IndexPart(keepGoing: problems.keepGoing)
            part.walk(links, 0..<links.count, loader: loader, storage: storage)
            walked = [part]
        } else {
            // Split where the second half of the bytes begins; that half goes to a helper thread with its
            // own storage (the input is read with pread, safe from two threads).
            let split = min(max(links.firstLink(atOrAfter: fileSize / 2), 1), links.count - 1)
            let second = SecondHalf(links: links, split..<links.count, loader: loader, keepGoing: problems.keepGoing)
            let thread = WorkerThread { second.run() }
            var first = IndexPart(keepGoing: problems.keepGoing)
            first.walk(links, 0..<split, loader: loader, storage: storage)
            thread.join()
            walked = [first, second.part]
        }
        for part in walked {
            try fold(part)
        }
    }

    /// Adds a part's findings to the index, as if its buffers had been walked right after those before.
    private mutating func fold(_ part: IndexPart) throws(ConversionError) {
        try problems.append(part.problems)
        if let failure = part.failure { throw failure }
        statistics.add(part.statistics)
        for cpu in 0..<IndexPart.processorLimit where part.lastTicksByCPU[cpu] != .min {
            if lastTicksByCPU[cpu] != .min, part.firstTicksByCPU[cpu] < lastTicksByCPU[cpu] {
                statistics.cpuStreamInversions += 1
            }
            lastTicksByCPU[cpu] = part.lastTicksByCPU[cpu]
        }
        entries.append(contentsOf: part.entries)
        heapThreads.formUnion(part.heapThreads)
        identities.merge(part.identities)
        for d in part.definitions {
            stackKeys.define(key: d.key, frames: part.frames[d.start..<d.end], at: d.moment, isCreate: d.isCreate)
        }
    }
}

/// The second half of the buffers, walked on a helper thread; read by the first thread only after `join`.
private final class SecondHalf: @unchecked Sendable {
    // Safety: `part` is written by the helper thread alone until `WorkerThread.join` returns, then read by
    // the thread that joined; the other properties are not changed after init.
    let links: ChainLinks
    let range: Range<Int>
    let loader: BufferLoader
    var part: IndexPart

    init(links: ChainLinks, _ range: Range<Int>, loader: BufferLoader, keepGoing: Bool) {
        self.links = links
        self.range = range
        // Its own scratch area for compressed bytes: the first thread's is in use.
        self.loader = BufferLoader(input: loader.input, logicalSize: loader.logicalSize)
        part = IndexPart(keepGoing: keepGoing)
    }

    func run() {
        part.walk(links, range, loader: loader, storage: ByteStorage())
    }
}

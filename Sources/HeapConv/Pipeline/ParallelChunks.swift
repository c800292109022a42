#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses chunks of whole records of a line-based text format into events; ``ParallelChunks`` runs one on
/// each of its two threads.
protocol ChunkParser {
    /// Whether a record may span lines inside double quotes (CSV), so that chunks must not be cut there.
    static var quotedRecords: Bool { get }

    /// Parses the records of `chunk` (whole records; the last one may lack its line break), numbering
    /// lines from `firstLine` for errors.
    mutating func parse(chunk: UnsafeRawBufferPointer, firstLine: Int, into batch: inout EventBatch) throws(ConversionError)
}

/// A ``ByteSource`` over one chunk in memory, re-pointed from chunk to chunk.
final class ChunkSource: ByteSource {
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private var position = 0

    /// Serves `chunk` from its start; it must stay valid until it has been read.
    func serve(_ chunk: UnsafeRawBufferPointer) {
        bytes = chunk
        position = 0
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
        let n = min(buffer.count, bytes.count - position)
        guard n > 0, let source = bytes.baseAddress else { return 0 }
        buffer.baseAddress!.copyMemory(from: source + position, byteCount: n)
        position += n
        return n
    }
}

/// Reads a line-based text input with two parsers: the input is cut into chunks of whole records, and of
/// each two chunks the second is parsed on a helper thread while the first is parsed on the caller's.
/// Batches come out in input order, each holding one chunk.
///
/// Parsing text costs far more than reading it, so this doubles what the reader can parse; how much of that
/// shows depends on the writer, which shares the two cores (`.csv -> .jsonl` 1.13× faster, `info` on JSON
/// Lines 1.25×). Inputs of one chunk never start the helper.
struct ParallelChunks<Parser: ChunkParser> {
    private let input: InputBuffer
    private var parser: Parser
    /// `nil`: every chunk is parsed on the caller's thread (fuzzing, embedding without threads).
    private let helper: ChunkHelper<Parser>?
    /// A copy of the chunk parsed on this thread: taking the next chunk may move the input's window.
    private let scratch = ByteStorage()
    private var nextLine: Int
    /// The helper holds the chunk that comes next.
    private var pending = false
    private var finished = false

    /// Reads `input` from its current position, which is line `firstLine`; `helper` parses every second
    /// chunk on a thread of its own, or, when `nil`, nothing runs on another thread.
    init(input: InputBuffer, parser: Parser, helper: Parser?, firstLine: Int = 1) {
        self.input = input
        nextLine = firstLine
        self.parser = parser
        self.helper = helper.map { ChunkHelper(parser: $0) }
    }

    /// Appends the events of the next chunk (or two) to `batch`; `false` only at the end of the input.
    /// `limit` is the most records a chunk holds.
    mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        let before = batch.count
        while batch.count == before {
            if pending, let helper {
                pending = false
                try helper.collect(into: &batch)
                continue
            }
            guard !finished, let first = try input.takeRecords(maximum: max(limit, 1), quoted: Parser.quotedRecords) else {
                finished = true
                return false
            }
            scratch.reserve(first.bytes.count)
            let own = scratch.prefix(first.bytes.count)
            own.copyMemory(from: first.bytes)
            let firstLine = nextLine
            nextLine += first.lines
            if let helper, let second = try input.takeRecords(maximum: max(limit, 1), quoted: Parser.quotedRecords) {
                helper.submit(second.bytes, firstLine: nextLine)
                nextLine += second.lines
                pending = true
            } else if helper != nil {
                finished = true
            }
            try parser.parse(chunk: UnsafeRawBufferPointer(own), firstLine: firstLine, into: &batch)
        }
        return true
    }
}

/// The helper thread of ``ParallelChunks``, started on the first chunk it gets and stopped when its owner
/// goes away.
final class ChunkHelper<Parser: ChunkParser> {
    private let worker: ChunkWorker<Parser>
    private var thread: WorkerThread?

    init(parser: Parser) {
        worker = ChunkWorker(parser: parser)
    }

    deinit {
        worker.jobs.close()
        worker.done.close()
        thread?.join()
    }

    /// Copies `bytes` and starts parsing them; lines are numbered from `firstLine`.
    func submit(_ bytes: UnsafeRawBufferPointer, firstLine: Int) {
        worker.storage.reserve(bytes.count)
        worker.storage.prefix(bytes.count).copyMemory(from: bytes)
        if thread == nil {
            let worker = self.worker
            thread = WorkerThread { worker.run() }
        }
        _ = worker.jobs.put((bytes.count, firstLine))
    }

    /// Waits for the submitted chunk and appends its events to `batch`, or throws its error.
    func collect(into batch: inout EventBatch) throws(ConversionError) {
        guard worker.done.take() != nil else {
            throw ConversionError(.internal, "the parsing thread stopped")
        }
        if let error = worker.error { throw error }
        if batch.isEmpty {
            swap(&batch, &worker.result)
        } else {
            for event in worker.result.events { batch.append(event, from: worker.result) }
        }
    }
}

/// What the helper thread works on. Only one thread touches it at a time: the owner until it puts a job,
/// the helper until it reports the job done.
private final class ChunkWorker<Parser: ChunkParser>: @unchecked Sendable {
    var parser: Parser
    let storage = ByteStorage()
    var result = EventBatch()
    var error: ConversionError?
    /// Byte count and first line number of a chunk in ``storage``.
    let jobs = BoundedHandoff<(Int, Int)>(capacity: 1)
    let done = BoundedHandoff<Bool>(capacity: 1)

    init(parser: Parser) { self.parser = parser }

    func run() {
        while let (count, firstLine) = jobs.take() {
            result.removeAll()
            error = nil
            do throws(ConversionError) {
                try parser.parse(chunk: UnsafeRawBufferPointer(storage.prefix(count)), firstLine: firstLine, into: &result)
            } catch {
                self.error = error
            }
            guard done.put(true) else { return }
        }
    }
}

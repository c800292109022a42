#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses the lines of a line-based text format into events; ``ParallelChunks`` runs one on each of its
/// two threads.
protocol ChunkParser {
    /// Parses one line (without its terminator); `number` is its 1-based line number, for errors. A line
    /// may add no event (a blank line).
    mutating func parse(line: UnsafeRawBufferPointer, number: Int, into batch: inout EventBatch) throws(ConversionError)
}

extension ChunkParser {
    /// Parses every line of `chunk` (whole lines, `\n` or `\r\n` terminated, the last one maybe not),
    /// numbering them from `firstLine`.
    mutating func parse(chunk: UnsafeRawBufferPointer, firstLine: Int, into batch: inout EventBatch) throws(ConversionError) {
        guard let base = chunk.baseAddress else { return }
        var number = firstLine
        var offset = 0
        while offset < chunk.count {
            let rest = chunk.count - offset
            var length = rest
            if let hit = memchr(base + offset, 0x0A, rest) { length = (base + offset).distance(to: UnsafeRawPointer(hit)) }
            let next = offset + length + 1
            if length > 0 && chunk[offset + length - 1] == 0x0D { length -= 1 }
            try parse(line: UnsafeRawBufferPointer(start: base + offset, count: length), number: number, into: &batch)
            number += 1
            offset = next
        }
    }
}

/// Reads a line-based text input with two parsers: the input is cut into chunks of whole lines, and of each
/// two chunks the second is parsed on a helper thread while the first is parsed on the caller's. Batches
/// come out in input order, each holding one chunk.
///
/// Parsing text costs far more than reading it, so this nearly doubles the rate of a reader that would
/// otherwise keep one core busy while the writer's thread waits. Inputs of one chunk never start the helper.
struct ParallelChunks<Parser: ChunkParser> {
    private let input: InputBuffer
    private var parser: Parser
    private let helper: ChunkHelper<Parser>
    /// A copy of the chunk parsed on this thread: taking the next chunk may move the input's window.
    private let scratch = ByteStorage()
    private var nextLine = 1
    /// The helper holds the chunk that comes next.
    private var pending = false
    private var finished = false

    init(input: InputBuffer, parser: Parser, helper: Parser) {
        self.input = input
        self.parser = parser
        self.helper = ChunkHelper(parser: helper)
    }

    /// Appends the events of the next chunk (or two) to `batch`; `false` only at the end of the input.
    /// `limit` is the most lines a chunk holds.
    mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        let before = batch.count
        while batch.count == before {
            if pending {
                pending = false
                try helper.collect(into: &batch)
                continue
            }
            guard !finished, let first = try input.takeLines(maximum: max(limit, 1)) else {
                finished = true
                return false
            }
            scratch.reserve(first.bytes.count)
            let own = scratch.prefix(first.bytes.count)
            own.copyMemory(from: first.bytes)
            let firstLine = nextLine
            nextLine += first.lines
            if let second = try input.takeLines(maximum: max(limit, 1)) {
                helper.submit(second.bytes, firstLine: nextLine)
                nextLine += second.lines
                pending = true
            } else {
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

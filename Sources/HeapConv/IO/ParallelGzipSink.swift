import CZlib

/// Compresses everything written to it as one gzip member (RFC 1952) with zlib on several threads, the way
/// pigz does: the input is cut into blocks of ``blockSize`` bytes, each deflated on its own by a worker with
/// the 32 KiB before it as its dictionary (so matches still reach back across the cut) and ended on a byte
/// boundary by a sync flush, the last one by finishing the stream; the writing thread puts the pieces out in
/// order. On text, where deflate's matching costs many times what parsing and formatting do, two workers
/// nearly halve a conversion's time; the file is within a fraction of a percent of one zlib stream's size,
/// and the same whatever the number of workers.
public final class ParallelGzipSink: ByteSink, @unchecked Sendable {
    // Safety: a job belongs to the writing thread until it is put on `queue`, then to one worker until the
    // worker puts it on the job's `done`; the writing thread touches it again only after taking from `done`.
    static let blockSize = 1 << 18
    static let dictionarySize = 1 << 15

    /// One block: its dictionary and input, and the compressed output.
    fileprivate final class Job: @unchecked Sendable {
        /// The dictionary (the input's last 32 KiB before this block), ending at offset ``dictionarySize``,
        /// then the block's bytes.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: dictionarySize + blockSize, alignment: 16)
        var dictionaryCount = 0
        var count = 0
        var last = false
        var output = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize + blockSize / 8 + 1024, alignment: 16)
        var outputCount = 0
        var failure: String?
        let done = BoundedHandoff<Bool>(capacity: 1)

        deinit {
            input.deallocate()
            output.deallocate()
        }

        /// Room left for the block's bytes.
        var room: Int { ParallelGzipSink.blockSize - count }
    }

    private let downstream: any ByteSink
    private let name: String
    private let queue: BoundedHandoff<Job>
    private var workers: [WorkerThread] = []
    /// Jobs compressing or compressed, in input order.
    private var inFlight: [Job] = []
    private var spare: [Job] = []
    private let maximumInFlight: Int
    private var current: Job
    private var member = GzipMember()
    private var headerWritten = false

    /// - Parameters:
    ///   - level: zlib level, 1 (fastest) to 9 (smallest).
    ///   - threads: compressing threads; by default one per processor, at most 8.
    public init(_ downstream: any ByteSink, name: String, level: Int32 = 6, threads: Int? = nil) throws(ConversionError) {
        self.downstream = downstream
        self.name = name
        let count = max(1, threads ?? min(8, onlineProcessorCount()))
        maximumInFlight = 2 * count
        queue = BoundedHandoff(capacity: maximumInFlight)
        current = Job()
        for _ in 0..<count {
            let stream: UnsafeMutablePointer<z_stream>
            do {
                stream = try makeRawDeflateStream(level: level, name: name)
            } catch {
                queue.close()
                throw error
            }
            let queue = self.queue
            workers.append(WorkerThread { Self.work(stream, queue) })
        }
    }

    deinit {
        queue.close()
        for worker in workers { worker.join() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        guard bytes.count > 0 else { return }
        member.update(bytes)
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, current.room)
            let start = Self.dictionarySize + current.count
            UnsafeMutableRawBufferPointer(rebasing: current.input[start..<start + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            current.count += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if current.room == 0 { try submit(last: false) }
        }
    }

    public func finish() throws(ConversionError) {
        try submit(last: true)
        while !inFlight.isEmpty { try collectOldest() }
        try writeDownstream(member.trailer)
        try downstream.finish()
    }

    /// Hands the current block to the workers and starts the next one with its dictionary.
    private func submit(last: Bool) throws(ConversionError) {
        let job = current
        job.last = last
        if inFlight.count == maximumInFlight { try collectOldest() }
        let next = spare.popLast() ?? Job()
        if !last {
            // The next block's dictionary: the last 32 KiB of this one (blocks are larger than that).
            let keep = Self.dictionarySize
            let end = Self.dictionarySize + job.count
            UnsafeMutableRawBufferPointer(rebasing: next.input[0..<keep])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: job.input[end - keep..<end]))
            next.dictionaryCount = keep
        }
        inFlight.append(job)
        guard queue.put(job) else { throw ConversionError(.internal, file: name, "compression threads stopped") }
        current = next
    }

    /// Waits for the oldest block in flight and writes its compressed bytes.
    private func collectOldest() throws(ConversionError) {
        let job = inFlight.removeFirst()
        guard job.done.take() != nil else { throw ConversionError(.internal, file: name, "compression threads stopped") }
        if let failure = job.failure { throw ConversionError(.internal, file: name, failure) }
        if !headerWritten {
            headerWritten = true
            try writeDownstream(GzipMember.header())
        }
        try downstream.write(UnsafeRawBufferPointer(rebasing: job.output[0..<job.outputCount]))
        job.dictionaryCount = 0
        job.count = 0
        spare.append(job)
    }

    private func writeDownstream(_ bytes: [UInt8]) throws(ConversionError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        try downstream.write(UnsafeRawBufferPointer(buffer))
    }

    /// A worker: compresses jobs until the queue closes, then frees its stream.
    private static func work(_ stream: UnsafeMutablePointer<z_stream>, _ queue: BoundedHandoff<Job>) {
        defer { freeRawDeflateStream(stream) }
        while let job = queue.take() {
            compress(job, stream)
            job.done.put(true)
        }
    }

    private static func compress(_ job: Job, _ stream: UnsafeMutablePointer<z_stream>) {
        job.failure = nil
        job.outputCount = 0
        guard deflateReset(stream) == Z_OK else {
            job.failure = "zlib deflateReset failed"
            return
        }
        // The block's bytes start at `dictionarySize`, its dictionary ends there.
        let data = job.input.baseAddress!.assumingMemoryBound(to: Bytef.self) + dictionarySize
        if job.dictionaryCount > 0,
           deflateSetDictionary(stream, data - job.dictionaryCount, UInt32(job.dictionaryCount)) != Z_OK {
            job.failure = "zlib deflateSetDictionary failed"
            return
        }
        stream.pointee.next_in = UnsafePointer(data)
        stream.pointee.avail_in = UInt32(job.count)
        let flush = job.last ? Z_FINISH : Z_SYNC_FLUSH
        while true {
            if job.outputCount == job.output.count {
                // Incompressible input grows a little; make room and go on.
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * job.output.count, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(job.output))
                job.output.deallocate()
                job.output = bigger
            }
            let room = job.output.count - job.outputCount
            stream.pointee.next_out = job.output.baseAddress!.assumingMemoryBound(to: Bytef.self) + job.outputCount
            stream.pointee.avail_out = UInt32(room)
            let status = deflate(stream, flush)
            job.outputCount += room - Int(stream.pointee.avail_out)
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                job.failure = "zlib deflate failed (\(status))"
                return
            }
            // A sync flush is complete once deflate leaves output room unused with no input left.
            if flush == Z_SYNC_FLUSH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
        }
    }
}

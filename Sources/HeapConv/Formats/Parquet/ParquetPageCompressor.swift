import CZlib

/// Compresses Parquet pages, each into one gzip member (RFC 1952), with zlib on one thread per processor.
///
/// The member's header is `1f 8b 08 00 00000000 00 ff`: no flags, no name, no time. DuckDB reads exactly
/// this form (it skips a fixed 10-byte header and refuses flags), pyarrow and parquet-java any gzip; the
/// trailer's CRC-32 and length are those of the page, which zlib-based readers check.
final class ParquetPageCompressor: @unchecked Sendable {
    // Safety: a job belongs to the writing thread until it is put on `queue`, then to one worker until the
    // worker puts it on `done`; the writing thread reads it again only after taking it from `done`.

    /// One page to compress: its bytes in, the gzip member out.
    final class Job: @unchecked Sendable {
        var input: [UInt8] = []
        var output: [UInt8] = []
        var failure: String?
    }

    static let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]

    /// The most pages of one row group (131,072 rows in pages of 16,384 are 8 per chunk, 41 chunks).
    private let queueCapacity = 1 << 16
    private let queue: BoundedHandoff<Job>
    private let done: BoundedHandoff<Job>
    private var workers: [WorkerThread] = []
    private let name: String

    /// - Parameters:
    ///   - level: zlib level, 1 (fastest) to 9 (smallest).
    ///   - threads: compressing threads; by default one per processor, at most 8.
    init(level: Int32, name: String, threads: Int? = nil) throws(ConversionError) {
        self.name = name
        let count = max(1, threads ?? min(8, onlineProcessorCount()))
        queue = BoundedHandoff(capacity: queueCapacity)
        done = BoundedHandoff(capacity: queueCapacity)
        for _ in 0..<count {
            let stream: UnsafeMutablePointer<z_stream>
            do {
                stream = try makeRawDeflateStream(level: level, name: name)
            } catch {
                queue.close()
                throw error
            }
            let queue = self.queue, done = self.done
            workers.append(WorkerThread {
                defer { freeRawDeflateStream(stream) }
                while let job = queue.take() {
                    Self.compress(job, stream)
                    _ = done.put(job)
                }
            })
        }
    }

    deinit {
        queue.close()
        for worker in workers { worker.join() }
    }

    /// Hands every job to the workers and returns at once; ``collect(_:)`` waits for them. One set of jobs
    /// is in flight at a time, so the writer gathers the next row group while this one compresses.
    func submit(_ jobs: [Job]) throws(ConversionError) {
        guard jobs.count < queueCapacity else { throw ConversionError(.internal, file: name, "\(jobs.count) pages in one row group") }
        for job in jobs {
            guard queue.put(job) else { throw ConversionError(.internal, file: name, "compression threads stopped") }
        }
    }

    /// Waits until every job of the last ``submit(_:)`` is compressed.
    func collect(_ jobs: [Job]) throws(ConversionError) {
        for _ in jobs {
            guard let job = done.take() else { throw ConversionError(.internal, file: name, "compression threads stopped") }
            if let failure = job.failure { throw ConversionError(.internal, file: name, failure) }
        }
    }

    private static func compress(_ job: Job, _ stream: UnsafeMutablePointer<z_stream>) {
        job.failure = nil
        guard deflateReset(stream) == Z_OK else {
            job.failure = "zlib deflateReset failed"
            return
        }
        let bound = Int(deflateBound(stream, UInt(job.input.count)))
        job.output = [UInt8](repeating: 0, count: header.count + bound + 8)
        let crc = job.input.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, $0.count) }
        var produced = 0
        let input = job.input
        let status: Int32 = input.withUnsafeBufferPointer { input in
            job.output.withUnsafeMutableBufferPointer { output in
                for (i, b) in header.enumerated() { output[i] = b }
                stream.pointee.next_in = input.baseAddress
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = output.baseAddress! + header.count
                stream.pointee.avail_out = UInt32(bound)
                let status = deflate(stream, Z_FINISH)
                produced = bound - Int(stream.pointee.avail_out)
                return status
            }
        }
        guard status == Z_STREAM_END else {
            job.failure = "zlib deflate failed (\(status))"
            return
        }
        var end = header.count + produced
        let size = UInt32(truncatingIfNeeded: job.input.count)
        for value in [UInt32(truncatingIfNeeded: crc), size] {
            for k in 0..<4 {
                job.output[end] = UInt8(truncatingIfNeeded: value >> (8 * k))
                end += 1
            }
        }
        job.output.removeLast(job.output.count - end)
    }
}

/// Runs another source (a decompressor, above all) on its own thread: it fills a few recycled chunks ahead
/// of the reader, handed over through a bounded queue, so that decompressing overlaps parsing. An error of
/// the upstream source is thrown by the read that reaches it, after every byte that came before it.
public final class ThreadedSource: ByteSource, @unchecked Sendable {
    // Safety: a chunk belongs to the worker from `free.take()` until it puts it on `full`, then to the
    // reader until it puts it back on `free`.
    private struct Chunk {
        var buffer: UnsafeMutableRawBufferPointer
        var count: Int
        /// The upstream ended (or failed) after these bytes.
        var last: Bool
        var failure: ConversionError?
    }

    private let full: BoundedHandoff<Chunk>
    private let free: BoundedHandoff<UnsafeMutableRawBufferPointer>
    private var current: Chunk?
    private var position = 0
    private var worker: WorkerThread?
    private var allChunks: [UnsafeMutableRawBufferPointer] = []

    public init(_ upstream: any ByteSource, chunkSize: Int = 1 << 18, chunks: Int = 4) {
        precondition(chunkSize > 0 && chunks > 0)
        full = BoundedHandoff(capacity: chunks)
        free = BoundedHandoff(capacity: chunks)
        for _ in 0..<chunks {
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            allChunks.append(chunk)
            free.put(chunk)
        }
        let (full, free) = (self.full, self.free)
        worker = WorkerThread { Self.fill(upstream, full, free) }
    }

    deinit {
        free.close()
        full.close()
        worker?.join()
        for chunk in allChunks { chunk.deallocate() }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if let chunk = current {
                if position < chunk.count {
                    let n = min(buffer.count, chunk.count - position)
                    buffer.baseAddress!.copyMemory(from: chunk.buffer.baseAddress! + position, byteCount: n)
                    position += n
                    return n
                }
                if let failure = chunk.failure { throw failure }
                if chunk.last { return 0 }
                free.put(chunk.buffer)
                current = nil
            }
            guard let next = full.take() else { return 0 }
            current = next
            position = 0
        }
    }

    /// The worker: fills free chunks from `upstream` until it ends or fails, or the reader goes away.
    private static func fill(_ upstream: any ByteSource, _ full: BoundedHandoff<Chunk>,
                             _ free: BoundedHandoff<UnsafeMutableRawBufferPointer>) {
        while let buffer = free.take() {
            var chunk = Chunk(buffer: buffer, count: 0, last: false, failure: nil)
            do throws(ConversionError) {
                while chunk.count < buffer.count {
                    let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[chunk.count...]))
                    if n == 0 {
                        chunk.last = true
                        break
                    }
                    chunk.count += n
                }
            } catch {
                chunk.failure = error
                chunk.last = true
            }
            guard full.put(chunk), !chunk.last else { return }
        }
    }
}

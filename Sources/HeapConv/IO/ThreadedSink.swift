/// Moves the work of another sink (compression, or the write system calls themselves) to its own thread:
/// writes are copied into one of a few recycled chunks and handed over through a bounded queue, so the
/// writer thread blocks only when the downstream thread falls behind by more than the queue holds. An
/// ``OutputBuffer`` formats straight into the chunks instead (``lendChunk()``), so nothing is copied.
public final class ThreadedSink: ByteSink, @unchecked Sendable {
    // Safety: `failure` is written by the worker before it closes both queues and stops, and read by the
    // writer only after joining it; chunks are owned by one side at a time via the queues.
    private let downstream: any ByteSink
    private let full: BoundedHandoff<(UnsafeMutableRawBufferPointer, Int)>
    private let free: BoundedHandoff<UnsafeMutableRawBufferPointer>
    let chunkSize: Int
    private var current: UnsafeMutableRawBufferPointer
    private var used = 0
    /// Whether ``current`` is lent to a caller that fills it itself.
    private var lent = false
    private var failure: ConversionError?
    private var worker: WorkerThread?
    private var allChunks: [UnsafeMutableRawBufferPointer] = []

    public init(_ downstream: any ByteSink, chunkSize: Int = 1 << 18, chunks: Int = 4) {
        self.downstream = downstream
        self.chunkSize = chunkSize
        full = BoundedHandoff(capacity: chunks)
        free = BoundedHandoff(capacity: chunks + 1)
        for _ in 0..<chunks {
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            allChunks.append(chunk)
            free.put(chunk)
        }
        current = .allocate(byteCount: chunkSize, alignment: 16)
        allChunks.append(current)
        worker = WorkerThread { [self] in self.drain() }
    }

    deinit {
        full.close()
        free.close()
        worker?.join()
        for chunk in allChunks { chunk.deallocate() }
    }

    private func drain() {
        while let (chunk, count) = full.take() {
            do throws(ConversionError) {
                try downstream.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            } catch {
                // Nothing more is written; closing the queues wakes the writer, which joins and throws this.
                failure = error
                full.close()
                free.close()
                return
            }
            free.put(chunk)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        precondition(!lent, "ThreadedSink.write while its chunk is lent")
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, chunkSize - used)
            UnsafeMutableRawBufferPointer(rebasing: current[used..<used + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if used == chunkSize { try handOff() }
        }
    }

    /// Lends the chunk to be filled (``chunkSize`` bytes) to a caller that formats into it directly; the
    /// caller hands it back with ``exchange(_:count:)`` and from then on writes only that way.
    func lendChunk() -> UnsafeMutableRawBufferPointer {
        precondition(!lent && used == 0, "ThreadedSink.lendChunk after a write")
        lent = true
        return current
    }

    /// Takes back the lent chunk with `count` bytes at its start for the downstream thread, and lends the
    /// next one.
    func exchange(_ chunk: UnsafeMutableRawBufferPointer,
                  count: Int) throws(ConversionError) -> UnsafeMutableRawBufferPointer {
        precondition(lent && chunk.baseAddress == current.baseAddress && count <= chunkSize,
                     "ThreadedSink.exchange of a chunk it did not lend")
        used = count
        try handOff()
        return current
    }

    /// Stops the thread after what was handed over (the conversion failed): the downstream sink is left
    /// unfinished, and its file may be closed once this returns.
    public func abandon() {
        joinWorker()
        downstream.abandon()
    }

    private func handOff() throws(ConversionError) {
        guard full.put((current, used)), let next = free.take() else { throw stopped() }
        current = next
        used = 0
    }

    /// Waits for the thread that stopped taking chunks, and says why it stopped.
    private func stopped() -> ConversionError {
        joinWorker()
        return failure ?? ConversionError(.internal, "output thread stopped")
    }

    /// Lets the thread write what it was handed and waits for it to end; after this, `failure` is safe to read.
    private func joinWorker() {
        full.close()
        worker?.join()
        worker = nil
    }

    public func finish() throws(ConversionError) {
        if used > 0 { try handOff() }
        joinWorker()
        if let failure { throw failure }
        try downstream.finish()
    }
}

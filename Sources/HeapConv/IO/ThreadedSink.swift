/// Moves the work of another sink (compression, above all) to its own thread: writes are copied into one
/// of a few recycled chunks and handed over through a bounded queue, so the writer thread blocks only when
/// the downstream thread falls behind by more than the queue holds.
public final class ThreadedSink: ByteSink, @unchecked Sendable {
    // Safety: `failure` is written by the worker and read by the writer only after `join()` or as a racy
    // early-exit hint that is re-checked after `join()`; chunks are owned by one side at a time via the queues.
    private let downstream: any ByteSink
    private let full: BoundedHandoff<(UnsafeMutableRawBufferPointer, Int)>
    private let free: BoundedHandoff<UnsafeMutableRawBufferPointer>
    private let chunkSize: Int
    private var current: UnsafeMutableRawBufferPointer
    private var used = 0
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
            if failure == nil {
                do throws(ConversionError) {
                    try downstream.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                } catch {
                    failure = error
                }
            }
            free.put(chunk)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
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

    private func handOff() throws(ConversionError) {
        if let failure { throw failure }
        full.put((current, used))
        guard let next = free.take() else { throw ConversionError(.internal, "output thread stopped") }
        current = next
        used = 0
    }

    public func finish() throws(ConversionError) {
        if used > 0 { try handOff() }
        full.close()
        worker?.join()
        worker = nil
        if let failure { throw failure }
        try downstream.finish()
    }
}

/// A byte buffer that writers format into and that flushes to a ``ByteSink`` when full.
///
/// Writers call ``reserve(_:)`` once for the most bytes a piece of output can take, then append without
/// further checks of their own; every append still checks capacity with a precondition, so a wrong bound
/// traps instead of writing out of bounds. Writers of many small records take an ``OutputCursor`` over the
/// reserved room instead (``cursor(reserving:)``) and ``commit(_:)`` it after each record.
///
/// Over a ``ThreadedSink`` whose chunks are as large as the buffer, the buffer formats straight into the
/// sink's chunks and flushing swaps in the next one: the bytes are never copied on the writer's thread.
public final class OutputBuffer {
    // Unchecked like `count`: replaced only by `flush()`, on the writer's thread.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawBufferPointer
    /// The sink whose chunks `storage` is one of, when it lends them.
    private let lender: ThreadedSink?
    /// Bytes appended since the last flush.
    // Unchecked: the buffer belongs to one writer on one thread, and no method holds an access to `count`
    // across a call that could touch it again; dynamic checks cost ~5 % of a conversion.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Bytes flushed to the sink so far.
    public private(set) var flushedBytes: UInt64 = 0
    public let sink: any ByteSink

    public init(sink: any ByteSink, capacity: Int = 1 << 18) {
        self.sink = sink
        if let threaded = sink as? ThreadedSink, threaded.chunkSize == capacity {
            lender = threaded
            storage = threaded.lendChunk()
        } else {
            lender = nil
            storage = .allocate(byteCount: capacity, alignment: 16)
        }
    }

    deinit {
        if lender == nil { storage.deallocate() }
    }

    /// Total bytes written through this buffer, flushed or not.
    public var totalBytes: UInt64 { flushedBytes + UInt64(count) }

    /// Makes room for at least `n` more bytes, flushing first if needed. `n` may exceed the capacity only
    /// through ``append(bytes:)``, which handles large pieces itself.
    @inline(__always)
    public func reserve(_ n: Int) throws(ConversionError) {
        if count + n > storage.count { try flush() }
        precondition(n <= storage.count, "OutputBuffer.reserve beyond capacity")
    }

    /// Hands the buffered bytes to the sink.
    public func flush() throws(ConversionError) {
        guard count > 0 else { return }
        if let lender {
            storage = try lender.exchange(storage, count: count)
        } else {
            try sink.write(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
        }
        flushedBytes += UInt64(count)
        count = 0
    }

    /// Flushes and finishes the sink (writes a compressor's trailer).
    public func finish() throws(ConversionError) {
        try flush()
        try sink.finish()
    }

    /// Stops the sink's threads without finishing it, after a failure (see ``ByteSink/abandon()``).
    public func abandon() {
        sink.abandon()
    }

    // The appends below format through an ``OutputCursor`` over the room left, so that each piece of
    // formatting exists once; the room must have been reserved.

    @inline(__always)
    public func append(_ byte: UInt8) {
        write { $0.append(byte) }
    }

    /// Appends ASCII text known at compile time (keys, punctuation).
    @inline(__always)
    public func append(_ text: StaticString) {
        write { $0.append(text) }
    }

    /// Appends bytes of any length, flushing as needed.
    public func append(bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        var rest = bytes
        while !rest.isEmpty {
            if count == storage.count { try flush() }
            let n = min(rest.count, storage.count - count)
            UnsafeMutableRawBufferPointer(rebasing: storage[count..<count + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            count += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    /// Appends the UTF-8 of `text`, flushing as needed.
    public func append(string text: String) throws(ConversionError) {
        var text = text
        var failure: ConversionError?
        text.withUTF8 { utf8 in
            do throws(ConversionError) { try append(bytes: UnsafeRawBufferPointer(utf8)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// A cursor over room for `n` more bytes at the end of the buffer, flushing first if needed: format a
    /// record through it, then ``commit(_:)``. No other append may come in between.
    @inline(__always)
    public func cursor(reserving n: Int) throws(ConversionError) -> OutputCursor {
        try reserve(n)
        let base = storage.baseAddress!
        return OutputCursor(position: base + count, limit: base + storage.count)
    }

    /// Takes the bytes written through `cursor`, which came from ``cursor(reserving:)`` on this buffer.
    @inline(__always)
    public func commit(_ cursor: OutputCursor) {
        let base = storage.baseAddress!
        precondition(cursor.position >= base + count && cursor.limit == base + storage.count,
                     "OutputBuffer.commit: a cursor from elsewhere, or from before the last flush")
        count = base.distance(to: cursor.position)
    }

    /// Leaves `cursor` at least `n` bytes of room: when it has less, hands over what it wrote and gives it
    /// room after a flush (for records of unbounded length, such as long stacks).
    @inline(__always)
    public func ensureRoom(_ n: Int, in cursor: inout OutputCursor) throws(ConversionError) {
        guard cursor.room < n else { return }
        commit(cursor)
        cursor = try self.cursor(reserving: n)
    }

    /// Runs `body` on a cursor over the room left (which the caller reserved), then takes what it wrote.
    @inline(__always)
    func write(_ body: (inout OutputCursor) -> Void) {
        let base = storage.baseAddress!
        var cursor = OutputCursor(position: base + count, limit: base + storage.count)
        body(&cursor)
        count = base.distance(to: cursor.position)
    }

    /// Appends `value` in decimal (at most 20 bytes).
    @inline(__always)
    public func append(decimal value: UInt64) {
        write { $0.append(decimal: value) }
    }

    /// Appends `value` in decimal with a leading `-` when negative (at most 20 bytes).
    @inline(__always)
    public func append(decimal value: Int64) {
        write { $0.append(decimal: value) }
    }

    /// Appends `value` as lower-case hex with `0x` and no leading zeros (at most 18 bytes).
    @inline(__always)
    public func append(hex value: UInt64) {
        write { $0.append(hex: value) }
    }
}

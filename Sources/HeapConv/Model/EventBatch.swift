/// A batch of events, the frames of their call stacks and the strings of their context records: the unit
/// that moves between pipeline stages.
///
/// Batches are reused: a stage clears one with ``removeAll()`` and fills it again, so the arrays keep their
/// capacity and steady-state conversion does not allocate.
public struct EventBatch: Sendable {
    /// The events, in the order their reader produced them.
    public var events: [HeapEvent]
    /// Frame addresses of every stack in the batch; an event's ``StackRef`` indexes into it.
    public var frames: [UInt64]
    /// UTF-8 bytes of every string of the batch's context records; a ``TextRef`` indexes into it.
    public var text: [UInt8]

    /// The number of events a stage puts into a batch before handing it on.
    public static let defaultCapacity = 4096

    public init(capacity: Int = EventBatch.defaultCapacity) {
        events = []
        events.reserveCapacity(capacity)
        frames = []
        text = []
    }

    /// Empties the batch, keeping its storage.
    @inlinable
    public mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
    }

    /// Number of events.
    @inlinable public var count: Int { events.count }

    /// Whether the batch holds no event.
    @inlinable public var isEmpty: Bool { events.isEmpty }

    /// Appends an event without a stack (its ``StackRef`` is kept as it is, so pass `.none` there).
    @inlinable
    public mutating func append(_ event: HeapEvent) {
        events.append(event)
    }

    /// Appends `event` with `stack` as its call stack (innermost frame first).
    @inlinable
    public mutating func append(_ event: HeapEvent, stack: some Collection<UInt64>) {
        var event = event
        event.context.stack = appendStack(stack)
        events.append(event)
    }

    /// Stores `stack` in the frame storage and returns its reference, for an event that is appended later.
    @inlinable
    public mutating func appendStack(_ stack: some Collection<UInt64>) -> StackRef {
        let ref = StackRef(offset: UInt32(truncatingIfNeeded: frames.count), count: UInt32(stack.count))
        frames.append(contentsOf: stack)
        return ref
    }

    /// Appends `event`, copying its stack and strings out of `source`'s storage.
    @inlinable
    public mutating func append(_ event: HeapEvent, from source: EventBatch) {
        let event = event.isContext ? event.remappingText { appendText(source.text($0)) } : event
        let ref = event.context.stack
        if ref.isPresent {
            append(event, stack: source.frames[Int(ref.offset)..<Int(ref.offset) + Int(ref.count)])
        } else {
            events.append(event)
        }
    }

    /// Stores `bytes` (UTF-8) in the text arena and returns their reference; `nil` gives ``TextRef/none``.
    @inlinable
    public mutating func appendText(_ bytes: (some Collection<UInt8>)?) -> TextRef {
        text.appendText(bytes)
    }

    /// Stores `string` (UTF-8) in the text arena; an empty string is ``TextRef/none`` (the trace has no
    /// value).
    @inlinable
    public mutating func appendText(_ string: String) -> TextRef {
        string.isEmpty ? .none : appendText(Array(string.utf8))
    }

    /// The bytes a ``TextRef`` of this batch refers to; `nil` for ``TextRef/none``.
    @inlinable
    public func text(_ ref: TextRef) -> ArraySlice<UInt8>? {
        text.slice(ref)
    }

    /// A string of this batch as a `String` (for analyses and tests; writers copy the bytes).
    public func string(_ ref: TextRef) -> String? {
        text(ref).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The frames of `event`'s stack, innermost first; `nil` when it has none.
    @inlinable
    public func stack(of event: HeapEvent) -> ArraySlice<UInt64>? {
        stack(event.context.stack)
    }

    /// The frames a ``StackRef`` of this batch refers to; `nil` for ``StackRef/none``.
    @inlinable
    public func stack(_ ref: StackRef) -> ArraySlice<UInt64>? {
        guard ref.isPresent else { return nil }
        return frames[Int(ref.offset)..<Int(ref.offset) + Int(ref.count)]
    }

    /// Runs `body` with the batch's frames and text borrowed as a ``FrameView``: writers look up every
    /// event's stack and strings through it without the retain and release an array slice costs each time.
    @inline(__always)
    func withFrameView<R, E: Error>(_ body: (FrameView) throws(E) -> R) throws(E) -> R {
        try frames.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            try text.withUnsafeBufferPointer { (text) throws(E) -> R in try body(FrameView(frames: buffer, text: text)) }
        }
    }
}

/// A batch's frames and text while ``EventBatch/withFrameView(_:)`` borrows them.
struct FrameView {
    fileprivate let frames: UnsafeBufferPointer<UInt64>
    fileprivate let text: UnsafeBufferPointer<UInt8>

    /// The bytes `ref` refers to; `nil` for ``TextRef/none``.
    @inline(__always)
    func text(_ ref: TextRef) -> UnsafeBufferPointer<UInt8>? {
        guard ref.isPresent else { return nil }
        let start = Int(ref.offset)
        let end = start + Int(ref.count)
        precondition(end <= text.count, "text reference outside its batch's text")
        return UnsafeBufferPointer(rebasing: text[start..<end])
    }

    /// The frames `ref` refers to, innermost first; `nil` for ``StackRef/none``.
    @inline(__always)
    func stack(_ ref: StackRef) -> UnsafeBufferPointer<UInt64>? {
        guard ref.isPresent else { return nil }
        let start = Int(ref.offset)
        let end = start + Int(ref.count)
        precondition(end <= frames.count, "stack reference outside its batch's frames")
        return UnsafeBufferPointer(rebasing: frames[start..<end])
    }
}

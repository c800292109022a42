/// A batch of events and the frames of their call stacks: the unit that moves between pipeline stages.
///
/// Batches are reused: a stage clears one with ``removeAll()`` and fills it again, so the arrays keep their
/// capacity and steady-state conversion does not allocate.
public struct EventBatch: Sendable {
    /// The events, in the order their reader produced them.
    public var events: [HeapEvent]
    /// Frame addresses of every stack in the batch; an event's ``StackRef`` indexes into it.
    public var frames: [UInt64]

    /// The number of events a stage puts into a batch before handing it on.
    public static let defaultCapacity = 4096

    public init(capacity: Int = EventBatch.defaultCapacity) {
        events = []
        events.reserveCapacity(capacity)
        frames = []
    }

    /// Empties the batch, keeping its storage.
    @inlinable
    public mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
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

    /// Appends `event`, copying its stack out of `source`'s frame storage.
    @inlinable
    public mutating func append(_ event: HeapEvent, from source: EventBatch) {
        let ref = event.context.stack
        if ref.isPresent {
            append(event, stack: source.frames[Int(ref.offset)..<Int(ref.offset) + Int(ref.count)])
        } else {
            events.append(event)
        }
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

    /// Runs `body` with the batch's frames borrowed as a ``FrameView``: writers look up every event's stack
    /// through it without the retain and release an array slice costs per stack.
    @inline(__always)
    func withFrameView<R, E: Error>(_ body: (FrameView) throws(E) -> R) throws(E) -> R {
        try frames.withUnsafeBufferPointer { (buffer) throws(E) -> R in try body(FrameView(frames: buffer)) }
    }
}

/// A batch's frames while ``EventBatch/withFrameView(_:)`` borrows them.
struct FrameView {
    fileprivate let frames: UnsafeBufferPointer<UInt64>

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

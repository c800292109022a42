/// What every heap event carries besides its own fields: when, where, on which heap, and its call stack.
public struct EventContext: Hashable, Sendable {
    /// UTC nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// The process that made the call.
    public var processID: UInt32
    /// The thread that made the call.
    public var threadID: UInt32
    /// The processor the event was logged on, when the source knows it.
    public var cpu: UInt32?
    /// The heap handle (`HeapHandle` in the ETW payload).
    public var heap: UInt64
    /// The call stack, stored in the enclosing ``EventBatch``.
    public var stack: StackRef

    public init(
        timestamp: Int64, processID: UInt32, threadID: UInt32, cpu: UInt32? = nil, heap: UInt64,
        stack: StackRef = .none
    ) {
        self.timestamp = timestamp
        self.processID = processID
        self.threadID = threadID
        self.cpu = cpu
        self.heap = heap
        self.stack = stack
    }
}

/// A call stack of an event: a range of frame addresses in its ``EventBatch``'s frame storage.
///
/// Keeping frames in one array per batch instead of one array per event keeps ``HeapEvent`` trivially
/// copyable, so that reading and writing events never allocates. ``none`` (no stack recorded) differs from a
/// present but empty stack, so that both survive a conversion.
public struct StackRef: Hashable, Sendable {
    /// Index of the innermost frame in ``EventBatch/frames``.
    public var offset: UInt32
    /// Number of frames; `UInt32.max` marks ``none``.
    public var count: UInt32

    /// No stack was recorded for the event.
    public static let none = StackRef(offset: 0, count: .max)

    public init(offset: UInt32, count: UInt32) {
        self.offset = offset
        self.count = count
    }

    /// Whether a stack (possibly empty) was recorded.
    @inlinable public var isPresent: Bool { count != .max }
}

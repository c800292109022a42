/// The kind of a ``HeapEvent``, without its fields: what filters select on and what summaries count.
public enum EventKind: UInt8, CaseIterable, Hashable, Sendable, Comparable {
    case create = 0
    case alloc = 1
    case realloc = 2
    case free = 3
    case destroy = 4
    case expand = 5
    case contract = 6
    case snapshot = 7
    case other = 8
    /// Context records: what processes, threads and images the trace saw (not Heap-provider events).
    case process = 9
    case thread = 10
    case image = 11

    /// The kinds of Heap-provider events, in code order: what `--event` selects and heapcol counts.
    public static let heapKinds: [EventKind] = allCases.filter { !$0.isContext }

    /// Whether this is a context record kind (process, thread, image).
    @inlinable public var isContext: Bool { rawValue >= EventKind.process.rawValue }

    /// The name the text formats use in their `event` field.
    public var name: String {
        switch self {
        case .create: "create"
        case .alloc: "alloc"
        case .realloc: "realloc"
        case .free: "free"
        case .destroy: "destroy"
        case .expand: "expand"
        case .contract: "contract"
        case .snapshot: "snapshot"
        case .other: "other"
        case .process: "process"
        case .thread: "thread"
        case .image: "image"
        }
    }

    /// The kind whose ``name`` is `name`, or `nil`.
    public init?(name: some StringProtocol) {
        guard let kind = EventKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    /// The name Windows tools show for this kind of event (`HeapAlloc`, `HeapFree`, ...).
    public var windowsName: String {
        switch self {
        case .create: "HeapCreate"
        case .alloc: "HeapAlloc"
        case .realloc: "HeapReAlloc"
        case .free: "HeapFree"
        case .destroy: "HeapDestroy"
        case .expand: "HeapExpand"
        case .contract: "HeapContract"
        case .snapshot: "HeapSnapShot"
        case .other: "HeapEvent"
        case .process: "Process"
        case .thread: "Thread"
        case .image: "Image"
        }
    }

    public static func < (a: EventKind, b: EventKind) -> Bool { a.rawValue < b.rawValue }
}

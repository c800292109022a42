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
        }
    }

    public static func < (a: EventKind, b: EventKind) -> Bool { a.rawValue < b.rawValue }
}

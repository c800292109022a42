/// Where the heap manager satisfied a request, as the Heap trace provider reports it in `Source`.
///
/// The six documented values (ntetw.h `MEMORY_FROM_*`) have their own cases; any other number is kept
/// as it came in ``other(_:)`` so that a conversion never loses it.
public enum HeapSource: Hashable, Sendable {
    case lookaside
    case lowFragmentation
    case mainPath
    case slowPath
    case invalid
    case segmentHeap
    case other(UInt32)

    /// Creates the source from its raw `Source` number.
    @inlinable
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .lookaside
        case 2: self = .lowFragmentation
        case 3: self = .mainPath
        case 4: self = .slowPath
        case 5: self = .invalid
        case 6: self = .segmentHeap
        default: self = .other(rawValue)
        }
    }

    /// The raw `Source` number as written in an ETW payload.
    @inlinable
    public var rawValue: UInt32 {
        switch self {
        case .lookaside: 1
        case .lowFragmentation: 2
        case .mainPath: 3
        case .slowPath: 4
        case .invalid: 5
        case .segmentHeap: 6
        case .other(let value): value
        }
    }

    /// The name used by the text formats (`"lookaside"`, `"lowfrag"`, ...); `nil` for ``other(_:)``,
    /// which the text formats write as its number.
    public var name: String? { staticName.map { "\($0)" } }

    /// ``name`` as a static string, for writers that format bytes directly.
    public var staticName: StaticString? {
        switch self {
        case .lookaside: "lookaside"
        case .lowFragmentation: "lowfrag"
        case .mainPath: "mainpath"
        case .slowPath: "slowpath"
        case .invalid: "invalid"
        case .segmentHeap: "segmentheap"
        case .other: nil
        }
    }

    /// All named sources, in `rawValue` order.
    public static let named: [HeapSource] = [
        .lookaside, .lowFragmentation, .mainPath, .slowPath, .invalid, .segmentHeap,
    ]
}

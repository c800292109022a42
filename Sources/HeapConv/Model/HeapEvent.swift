/// One event of the Windows Heap trace provider, normalized: what every reader produces and every writer
/// consumes.
///
/// Addresses and sizes are full 64-bit values whatever the pointer size of the traced process. The type is
/// trivially copyable (its stack lives in the enclosing ``EventBatch``), so batches of events move between
/// pipeline stages without allocating.
public enum HeapEvent: Hashable, Sendable {
    /// `HeapCreate`: a heap was created.
    case create(EventContext, HeapCreateFields)
    /// `HeapAlloc`: a block of `size` bytes at `address`.
    case alloc(EventContext, address: UInt64, size: UInt64, source: HeapSource)
    /// `HeapReAlloc`: the block at `oldAddress` (`oldSize` bytes) now lives at `address` with `size` bytes.
    case realloc(EventContext, address: UInt64, size: UInt64, oldAddress: UInt64, oldSize: UInt64, source: HeapSource)
    /// `HeapFree`: the block at `address` was released.
    case free(EventContext, address: UInt64, source: HeapSource)
    /// `HeapDestroy`: the heap was destroyed.
    case destroy(EventContext)
    /// `HeapExpand`: the heap committed more memory.
    case expand(EventContext, HeapExpandFields)
    /// `HeapContract`: the heap decommitted memory.
    case contract(EventContext, HeapContractFields)
    /// `HeapSnapShot`: the state of a heap at a moment.
    case snapshot(EventContext, HeapSnapshotFields)
    /// Any other Heap-provider event (lock, unlock, walk, commit, ...): its opcode and heap, nothing more.
    case other(EventContext, opcode: UInt8)
    /// A process started, ended or was listed (kernel Process events): a context record, not a heap event.
    /// Its context's heap is 0, its thread 0, it has no stack.
    case process(EventContext, ProcessFields)
    /// A thread started, ended or was listed (kernel Thread events): a context record.
    case thread(EventContext, ThreadFields)
    /// An image (EXE, DLL, driver) was loaded, unloaded or listed (kernel Image events, with the PDB
    /// identity of a merged trace's DbgID record): a context record.
    case image(EventContext, ImageFields)

    /// The kind of the event.
    @inlinable
    public var kind: EventKind {
        switch self {
        case .create: .create
        case .alloc: .alloc
        case .realloc: .realloc
        case .free: .free
        case .destroy: .destroy
        case .expand: .expand
        case .contract: .contract
        case .snapshot: .snapshot
        case .other: .other
        case .process: .process
        case .thread: .thread
        case .image: .image
        }
    }

    /// Whether this is a context record (process, thread, image) rather than a Heap-provider event.
    @inlinable public var isContext: Bool { kind.isContext }

    /// Time, process, thread, CPU, heap and stack of the event.
    @inlinable
    public var context: EventContext {
        get {
            switch self {
            case .create(let c, _), .alloc(let c, _, _, _), .realloc(let c, _, _, _, _, _), .free(let c, _, _),
                .destroy(let c), .expand(let c, _), .contract(let c, _), .snapshot(let c, _), .other(let c, _),
                .process(let c, _), .thread(let c, _), .image(let c, _):
                return c
            }
        }
        set {
            switch self {
            case .create(_, let f): self = .create(newValue, f)
            case .alloc(_, let a, let s, let src): self = .alloc(newValue, address: a, size: s, source: src)
            case .realloc(_, let a, let s, let oa, let os, let src):
                self = .realloc(newValue, address: a, size: s, oldAddress: oa, oldSize: os, source: src)
            case .free(_, let a, let src): self = .free(newValue, address: a, source: src)
            case .destroy: self = .destroy(newValue)
            case .expand(_, let f): self = .expand(newValue, f)
            case .contract(_, let f): self = .contract(newValue, f)
            case .snapshot(_, let f): self = .snapshot(newValue, f)
            case .other(_, let op): self = .other(newValue, opcode: op)
            case .process(_, let f): self = .process(newValue, f)
            case .thread(_, let f): self = .thread(newValue, f)
            case .image(_, let f): self = .image(newValue, f)
            }
        }
    }

    /// UTC nanoseconds since the Unix epoch.
    @inlinable public var timestamp: Int64 { context.timestamp }
}

extension HeapEvent {
    /// The event with every ``TextRef`` passed through `remap` (context records only; heap events have no
    /// text): how a stage that moves text into another arena rewrites the references.
    @inlinable
    public func remappingText(_ remap: (TextRef) -> TextRef) -> HeapEvent {
        switch self {
        case .process(let c, var f):
            f.name = remap(f.name)
            f.commandLine = remap(f.commandLine)
            return .process(c, f)
        case .thread(let c, var f):
            f.name = remap(f.name)
            return .thread(c, f)
        case .image(let c, var f):
            f.name = remap(f.name)
            f.pdb = remap(f.pdb)
            return .image(c, f)
        default:
            return self
        }
    }
}

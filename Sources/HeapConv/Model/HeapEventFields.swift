/// The fields of a `HeapCreate` event (ETW_HEAP_EVENT_CREATE). Version 0 and 2 payloads carry only the flags,
/// so the sizes are optional.
public struct HeapCreateFields: Hashable, Sendable {
    public var flags: UInt32
    public var reserveSize: UInt64?
    public var commitSize: UInt64?
    public var allocatedSize: UInt64?

    public init(flags: UInt32, reserveSize: UInt64? = nil, commitSize: UInt64? = nil, allocatedSize: UInt64? = nil) {
        self.flags = flags
        self.reserveSize = reserveSize
        self.commitSize = commitSize
        self.allocatedSize = allocatedSize
    }
}

/// The fields of a `HeapExpand` event (ETW_HEAP_EVENT_EXPANSION). `allocatedSpace` is absent before version 3.
public struct HeapExpandFields: Hashable, Sendable {
    public var committedSize: UInt64
    public var address: UInt64
    public var freeSpace: UInt64
    public var committedSpace: UInt64
    public var reservedSpace: UInt64
    public var noOfUCRs: UInt32
    public var allocatedSpace: UInt64?

    public init(
        committedSize: UInt64, address: UInt64, freeSpace: UInt64, committedSpace: UInt64,
        reservedSpace: UInt64, noOfUCRs: UInt32, allocatedSpace: UInt64? = nil
    ) {
        self.committedSize = committedSize
        self.address = address
        self.freeSpace = freeSpace
        self.committedSpace = committedSpace
        self.reservedSpace = reservedSpace
        self.noOfUCRs = noOfUCRs
        self.allocatedSpace = allocatedSpace
    }
}

/// The fields of a `HeapContract` event (ETW_HEAP_EVENT_CONTRACTION). `allocatedSpace` is absent before
/// version 3.
public struct HeapContractFields: Hashable, Sendable {
    public var decommitSize: UInt64
    public var decommitAddress: UInt64
    public var freeSpace: UInt64
    public var committedSpace: UInt64
    public var reservedSpace: UInt64
    public var noOfUCRs: UInt32
    public var allocatedSpace: UInt64?

    public init(
        decommitSize: UInt64, decommitAddress: UInt64, freeSpace: UInt64, committedSpace: UInt64,
        reservedSpace: UInt64, noOfUCRs: UInt32, allocatedSpace: UInt64? = nil
    ) {
        self.decommitSize = decommitSize
        self.decommitAddress = decommitAddress
        self.freeSpace = freeSpace
        self.committedSpace = committedSpace
        self.reservedSpace = reservedSpace
        self.noOfUCRs = noOfUCRs
        self.allocatedSpace = allocatedSpace
    }
}

/// The fields of a `HeapSnapShot` event (ETW_HEAP_EVENT_SNAPSHOT). `allocatedSpace` is absent before version 3.
public struct HeapSnapshotFields: Hashable, Sendable {
    public var freeSpace: UInt64
    public var committedSpace: UInt64
    public var reservedSpace: UInt64
    public var flags: UInt32
    /// The `ProcessId` field of the payload (the header's process id is ``EventContext/processID``).
    public var processID: UInt32
    public var largeUCRSpace: UInt64
    public var freeListLength: UInt32
    public var ucrLength: UInt32
    public var allocatedSpace: UInt64?

    public init(
        freeSpace: UInt64, committedSpace: UInt64, reservedSpace: UInt64, flags: UInt32, processID: UInt32,
        largeUCRSpace: UInt64, freeListLength: UInt32, ucrLength: UInt32, allocatedSpace: UInt64? = nil
    ) {
        self.freeSpace = freeSpace
        self.committedSpace = committedSpace
        self.reservedSpace = reservedSpace
        self.flags = flags
        self.processID = processID
        self.largeUCRSpace = largeUCRSpace
        self.freeListLength = freeListLength
        self.ucrLength = ucrLength
        self.allocatedSpace = allocatedSpace
    }
}

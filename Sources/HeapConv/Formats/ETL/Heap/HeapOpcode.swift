/// Opcodes of the Heap trace provider (hook group 0x10, `PERFINFO_LOG_TYPE_HEAP_*`; FORMAT.md §5).
enum HeapOpcode {
    static let group: UInt8 = 0x10

    static let create: UInt8 = 0x20
    static let alloc: UInt8 = 0x21
    static let realloc: UInt8 = 0x22
    static let destroy: UInt8 = 0x23
    static let free: UInt8 = 0x24
    static let expand: UInt8 = 0x25
    static let snapshot: UInt8 = 0x26
    static let contract: UInt8 = 0x2A

    /// The event name Windows tools use, for messages and `info`.
    static func name(_ opcode: UInt8) -> String {
        switch opcode {
        case 0x20: "HeapCreate"
        case 0x21: "HeapAlloc"
        case 0x22: "HeapReAlloc"
        case 0x23: "HeapDestroy"
        case 0x24: "HeapFree"
        case 0x25: "HeapExpand"
        case 0x26: "HeapSnapShot"
        case 0x27: "HeapCreateSnapshot"
        case 0x28: "HeapDestroySnapshot"
        case 0x29: "HeapExtendSnapshot"
        case 0x2A: "HeapContract"
        case 0x2B: "HeapLock"
        case 0x2C: "HeapUnlock"
        case 0x2D: "HeapValidate"
        case 0x2E: "HeapWalk"
        case 0x2F: "HeapSubsegmentAlloc"
        case 0x30: "HeapSubsegmentFree"
        case 0x31: "HeapSubsegmentAllocCache"
        case 0x32: "HeapSubsegmentFreeCache"
        case 0x33: "HeapCommit"
        case 0x34: "HeapDecommit"
        case 0x35: "HeapSubsegmentInit"
        case 0x36: "HeapAffinityEnable"
        case 0x38: "HeapSubsegmentActivated"
        case 0x39: "HeapAffinityAssign"
        case 0x3A: "HeapReuseThresholdActivated"
        default: "Heap opcode \(opcode)"
        }
    }
}

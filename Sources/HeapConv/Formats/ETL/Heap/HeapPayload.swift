/// Decodes Heap trace provider payloads into ``HeapEvent``s (FORMAT.md §5.1).
///
/// The kernel structs are packed; every pointer and `SIZE_T` field is as wide as the record's header type
/// says (4 bytes for SYSTEM32/COMPACT32, 8 for the 64-bit kinds), decided per record. Payloads longer than
/// the layout are accepted and their tail ignored; shorter ones are an error for that record.
enum HeapPayload {
    /// Why a heap payload cannot be decoded.
    struct Problem: Error {
        var message: String
    }

    /// The event for a heap record with `opcode` and `version` whose payload is `payload`, with `context`
    /// (time, ids, CPU) already filled in except for the heap handle.
    static func decode(
        opcode: UInt8, version: UInt8, payload: ByteView, pointerSize p: Int, context: EventContext
    ) throws(Problem) -> HeapEvent {
        @inline(__always) func need(_ bytes: Int, _ layout: String = "") throws(Problem) {
            guard payload.count >= bytes else {
                throw Problem(message: "\(HeapOpcode.name(opcode))\(layout) payload of \(payload.count) bytes is shorter than the \(bytes) bytes of its \(p * 8)-bit layout")
            }
        }
        @inline(__always) func ptr(_ offset: Int) -> UInt64 { payload.pointer(offset, width: p) }

        var context = context
        switch opcode {
        case HeapOpcode.alloc:
            try need(3 * p + 4)
            context.heap = ptr(0)
            return .alloc(context, address: ptr(2 * p), size: ptr(p), source: HeapSource(rawValue: payload.u32(3 * p)))
        case HeapOpcode.free:
            try need(2 * p + 4)
            context.heap = ptr(0)
            return .free(context, address: ptr(p), source: HeapSource(rawValue: payload.u32(2 * p)))
        case HeapOpcode.realloc:
            try need(5 * p + 4)
            context.heap = ptr(0)
            return .realloc(context, address: ptr(p), size: ptr(3 * p), oldAddress: ptr(2 * p), oldSize: ptr(4 * p),
                            source: HeapSource(rawValue: payload.u32(5 * p)))
        case HeapOpcode.create:
            if version >= 3 {
                try need(4 * p + 4, " version \(version)")
                context.heap = ptr(0)
                return .create(context, HeapCreateFields(flags: payload.u32(p), reserveSize: ptr(p + 4),
                                                         commitSize: ptr(2 * p + 4), allocatedSize: ptr(3 * p + 4)))
            }
            try need(p + 4, " version \(version)")
            context.heap = ptr(0)
            return .create(context, HeapCreateFields(flags: payload.u32(p)))
        case HeapOpcode.destroy:
            try need(p)
            context.heap = ptr(0)
            return .destroy(context)
        case HeapOpcode.expand, HeapOpcode.contract:
            // Same layout: HeapHandle, size, address, FreeSpace, CommittedSpace, ReservedSpace, NoOfUCRs u32,
            // then AllocatedSpace from version 3 on.
            let full = version >= 3
            try need(6 * p + 4 + (full ? p : 0), " version \(version)")
            context.heap = ptr(0)
            let allocated = full ? ptr(6 * p + 4) : nil
            if opcode == HeapOpcode.expand {
                return .expand(context, HeapExpandFields(
                    committedSize: ptr(p), address: ptr(2 * p), freeSpace: ptr(3 * p), committedSpace: ptr(4 * p),
                    reservedSpace: ptr(5 * p), noOfUCRs: payload.u32(6 * p), allocatedSpace: allocated))
            }
            return .contract(context, HeapContractFields(
                decommitSize: ptr(p), decommitAddress: ptr(2 * p), freeSpace: ptr(3 * p), committedSpace: ptr(4 * p),
                reservedSpace: ptr(5 * p), noOfUCRs: payload.u32(6 * p), allocatedSpace: allocated))
        case HeapOpcode.snapshot:
            // HeapHandle, FreeSpace, CommittedSpace, ReservedSpace, Flags u32, ProcessId u32, LargeUCRSpace,
            // FreeListLength u32, UCRLength u32, then AllocatedSpace from version 3 on.
            let full = version >= 3
            try need(5 * p + 16 + (full ? p : 0), " version \(version)")
            context.heap = ptr(0)
            return .snapshot(context, HeapSnapshotFields(
                freeSpace: ptr(p), committedSpace: ptr(2 * p), reservedSpace: ptr(3 * p),
                flags: payload.u32(4 * p), processID: payload.u32(4 * p + 4), largeUCRSpace: ptr(4 * p + 8),
                freeListLength: payload.u32(5 * p + 8), ucrLength: payload.u32(5 * p + 12),
                allocatedSpace: full ? ptr(5 * p + 16) : nil))
        default:
            // Lock, unlock, walk, commit, subsegment and the rest: all start with the heap handle.
            try need(p)
            context.heap = ptr(0)
            return .other(context, opcode: opcode)
        }
    }
}

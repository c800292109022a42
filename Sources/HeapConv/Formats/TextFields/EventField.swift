/// The fields of the text formats (JSON Lines keys, CSV columns), in the order they are written.
///
/// One list serves both formats so their names and order cannot drift apart. `Schemas/` documents each.
public enum EventField: Int, CaseIterable, Sendable {
    case event, ts, pid, tid, cpu, heap, address, size, oldAddress, oldSize, source
    case flags, opcode, reserveSize, commitSize, allocatedSize
    case committedSize, decommitSize, freeSpace, committedSpace, reservedSpace, largeUCRSpace
    case allocatedSpace, noOfUCRs, freeListLength, ucrLength, processID
    case stack

    /// The JSON key and CSV column name.
    public var name: String {
        switch self {
        case .event: "event"
        case .ts: "ts"
        case .pid: "pid"
        case .tid: "tid"
        case .cpu: "cpu"
        case .heap: "heap"
        case .address: "address"
        case .size: "size"
        case .oldAddress: "old_address"
        case .oldSize: "old_size"
        case .source: "source"
        case .flags: "flags"
        case .opcode: "opcode"
        case .reserveSize: "reserve_size"
        case .commitSize: "commit_size"
        case .allocatedSize: "allocated_size"
        case .committedSize: "committed_size"
        case .decommitSize: "decommit_size"
        case .freeSpace: "free_space"
        case .committedSpace: "committed_space"
        case .reservedSpace: "reserved_space"
        case .largeUCRSpace: "large_ucr_space"
        case .allocatedSpace: "allocated_space"
        case .noOfUCRs: "no_of_ucrs"
        case .freeListLength: "free_list_length"
        case .ucrLength: "ucr_length"
        case .processID: "process_id"
        case .stack: "stack"
        }
    }

    /// How a value of the field is written.
    enum Encoding {
        /// The event kind's name.
        case kind
        /// A signed decimal integer (the timestamp).
        case signed
        /// An unsigned decimal integer.
        case decimal
        /// A `0x` hex string.
        case hex
        /// A source name, or its number.
        case source
        /// A list of hex frames.
        case frames
    }

    var encoding: Encoding {
        switch self {
        case .event: .kind
        case .ts: .signed
        case .heap, .address, .oldAddress: .hex
        case .source: .source
        case .stack: .frames
        default: .decimal
        }
    }

    /// The largest value the field holds (32-bit fields are checked on input).
    var maximum: UInt64 {
        switch self {
        case .pid, .tid, .cpu, .flags, .noOfUCRs, .freeListLength, .ucrLength, .processID, .source: UInt64(UInt32.max)
        case .opcode: UInt64(UInt8.max)
        default: .max
        }
    }

    /// Bit of the field in a presence mask.
    @inline(__always) var bit: UInt32 { 1 << UInt32(rawValue) }

    /// The fields (besides event, ts, pid, tid, cpu, heap and stack) an event kind must have, and those it may have.
    static func fields(of kind: EventKind) -> (required: UInt32, optional: UInt32) {
        func mask(_ fields: EventField...) -> UInt32 { fields.reduce(0) { $0 | $1.bit } }
        switch kind {
        case .alloc: return (mask(.address, .size, .source), 0)
        case .realloc: return (mask(.address, .size, .oldAddress, .oldSize, .source), 0)
        case .free: return (mask(.address, .source), 0)
        case .destroy: return (0, 0)
        case .create: return (mask(.flags), mask(.reserveSize, .commitSize, .allocatedSize))
        case .expand:
            return (mask(.address, .committedSize, .freeSpace, .committedSpace, .reservedSpace, .noOfUCRs),
                    mask(.allocatedSpace))
        case .contract:
            return (mask(.address, .decommitSize, .freeSpace, .committedSpace, .reservedSpace, .noOfUCRs),
                    mask(.allocatedSpace))
        case .snapshot:
            return (mask(.flags, .processID, .freeSpace, .committedSpace, .reservedSpace, .largeUCRSpace,
                         .freeListLength, .ucrLength), mask(.allocatedSpace))
        case .other: return (mask(.opcode), 0)
        }
    }

    /// Fields every event has (cpu and stack may be absent).
    static let common: UInt32 = EventField.event.bit | EventField.ts.bit | EventField.pid.bit
        | EventField.tid.bit | EventField.heap.bit
    static let commonOptional: UInt32 = EventField.cpu.bit | EventField.stack.bit
}

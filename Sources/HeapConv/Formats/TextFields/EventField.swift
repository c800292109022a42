/// The fields of the text formats (JSON Lines keys, CSV columns), in the order they are written.
///
/// One list serves both formats so their names and order cannot drift apart. `Schemas/` documents each.
/// Heap events use the fields up to `process_id` and `stack`; context records (process, thread, image)
/// use `state` and the fields from `parent_pid` on; `frames` is derived data (`--frames`) that readers
/// ignore.
public enum EventField: Int, CaseIterable, Sendable {
    case event, ts, pid, tid, cpu, state, heap, address, size, oldAddress, oldSize, source
    case flags, opcode, reserveSize, commitSize, allocatedSize
    case committedSize, decommitSize, freeSpace, committedSpace, reservedSpace, largeUCRSpace
    case allocatedSpace, noOfUCRs, freeListLength, ucrLength, processID
    case parentPID, session, exitStatus, name, commandLine, checksum, imageTimestamp
    case pdbName, pdbGUID, pdbAge, pdbKind
    case stack, frames

    /// The JSON key and CSV column name.
    public var name: String {
        switch self {
        case .event: "event"
        case .ts: "ts"
        case .pid: "pid"
        case .tid: "tid"
        case .cpu: "cpu"
        case .state: "state"
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
        case .parentPID: "parent_pid"
        case .session: "session"
        case .exitStatus: "exit_status"
        case .name: "name"
        case .commandLine: "command_line"
        case .checksum: "checksum"
        case .imageTimestamp: "timestamp"
        case .pdbName: "pdb_name"
        case .pdbGUID: "pdb_guid"
        case .pdbAge: "pdb_age"
        case .pdbKind: "pdb_kind"
        case .stack: "stack"
        case .frames: "frames"
        }
    }

    /// The fields a reader takes: all but the derived `frames`. CSV writes these columns (and `frames`
    /// after them with `--frames`).
    public static let stored: [EventField] = allCases.filter { $0 != .frames }

    /// How a value of the field is written.
    enum Encoding {
        /// The event kind's name.
        case kind
        /// A signed decimal integer (the timestamp; a 32-bit exit status).
        case signed
        /// An unsigned decimal integer.
        case decimal
        /// A `0x` hex string.
        case hex
        /// A source name, or its number.
        case source
        /// A list of hex frames.
        case frames
        /// A context record's state name.
        case state
        /// A UTF-8 string (names, command lines).
        case text
        /// A GUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
        case guid
        /// `il` for an IL-only assembly's PDB identity.
        case pdbKind
        /// Derived data written for people (`frames`), ignored on input.
        case derived
    }

    var encoding: Encoding {
        switch self {
        case .event: .kind
        case .ts, .exitStatus: .signed
        case .heap, .address, .oldAddress: .hex
        case .source: .source
        case .stack: .frames
        case .state: .state
        case .name, .commandLine, .pdbName: .text
        case .pdbGUID: .guid
        case .pdbKind: .pdbKind
        case .frames: .derived
        default: .decimal
        }
    }

    /// The largest value the field holds (32-bit fields are checked on input).
    var maximum: UInt64 {
        switch self {
        case .pid, .tid, .cpu, .flags, .noOfUCRs, .freeListLength, .ucrLength, .processID, .source,
             .parentPID, .session, .checksum, .imageTimestamp, .pdbAge:
            UInt64(UInt32.max)
        case .opcode: UInt64(UInt8.max)
        default: .max
        }
    }

    /// Bit of the field in a presence mask.
    @inline(__always) var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The fields (besides event, ts and pid, which every event has, and cpu and frames, which any may have)
    /// an event kind must have, and those it may have.
    static func fields(of kind: EventKind) -> (required: UInt64, optional: UInt64) {
        func mask(_ fields: EventField...) -> UInt64 { fields.reduce(0) { $0 | $1.bit } }
        // Heap events all have a thread and a heap, and may have a stack.
        let (required, optional) = ownFields(of: kind)
        return kind.isContext ? (required, optional) : (mask(.tid, .heap) | required, optional | EventField.stack.bit)
    }

    /// The fields of `kind` beyond those all heap events have.
    private static func ownFields(of kind: EventKind) -> (required: UInt64, optional: UInt64) {
        func mask(_ fields: EventField...) -> UInt64 { fields.reduce(0) { $0 | $1.bit } }
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
        case .process: return (mask(.state), mask(.parentPID, .session, .exitStatus, .name, .commandLine))
        case .thread: return (mask(.tid, .state), mask(.name))
        case .image:
            return (mask(.state, .address, .size),
                    mask(.name, .checksum, .imageTimestamp, .pdbName, .pdbGUID, .pdbAge, .pdbKind))
        }
    }

    /// The PDB identity's fields: `pdb_guid` and `pdb_age` together, with `pdb_name` (which may be empty)
    /// and `pdb_kind` only with them.
    static let pdbFields: UInt64 = EventField.pdbName.bit | EventField.pdbGUID.bit | EventField.pdbAge.bit

    /// Fields every event has, and those any may have (`stack` only heap events).
    static let common: UInt64 = EventField.event.bit | EventField.ts.bit | EventField.pid.bit
    static let commonOptional: UInt64 = EventField.cpu.bit | EventField.frames.bit
}

/// The header kind of an event record, recognised from its first four bytes (FORMAT.md §2).
///
/// The kind decides where the record's size is, how long the fixed header is, and the pointer size of its
/// payload: bitness is per record, not per file (a 64-bit trace holds 32-bit records of WOW64 processes).
enum RecordKind: UInt8, CaseIterable {
    case system32, system64, compact32, compact64, perfinfo32, perfinfo64
    case eventHeader32, eventHeader64, fullHeader32, fullHeader64, instance32, instance64
    /// WPP / `TraceMessage` records (marker flags 0x80 without 0x40).
    case message
    /// Header types 0x0C-0x0E (TIMED, ERROR, WNODE), documented as unused; walked by their size.
    case wnode

    /// The kind for a marker whose top byte has 0xC0 set, from its header-type byte; `nil` when unknown.
    @inline(__always)
    static func traceHeader(type: UInt8) -> RecordKind? {
        switch type {
        case 0x01: .system32
        case 0x02: .system64
        case 0x03: .compact32
        case 0x04: .compact64
        case 0x10: .perfinfo32
        case 0x11: .perfinfo64
        case 0x12: .eventHeader32
        case 0x13: .eventHeader64
        case 0x0A: .fullHeader32
        case 0x14: .fullHeader64
        case 0x0B: .instance32
        case 0x15: .instance64
        case 0x0C, 0x0D, 0x0E: .wnode
        default: nil
        }
    }

    /// The name `info` prints (`SYSTEM64`, `EVENT_HEADER32`, ...).
    var name: String {
        switch self {
        case .system32: "SYSTEM32"
        case .system64: "SYSTEM64"
        case .compact32: "COMPACT32"
        case .compact64: "COMPACT64"
        case .perfinfo32: "PERFINFO32"
        case .perfinfo64: "PERFINFO64"
        case .eventHeader32: "EVENT_HEADER32"
        case .eventHeader64: "EVENT_HEADER64"
        case .fullHeader32: "FULL_HEADER32"
        case .fullHeader64: "FULL_HEADER64"
        case .instance32: "INSTANCE32"
        case .instance64: "INSTANCE64"
        case .message: "MESSAGE"
        case .wnode: "WNODE"
        }
    }

    /// Bytes of the fixed header, before any PMC/PEBS words or extended items.
    var headerSize: Int {
        switch self {
        case .system32, .system64: 0x20
        case .compact32, .compact64: 0x18
        case .perfinfo32, .perfinfo64: 0x10
        case .eventHeader32, .eventHeader64: 0x50
        case .fullHeader32, .fullHeader64: 0x30
        case .instance32, .instance64: 0x48
        case .message, .wnode: 0x08
        }
    }

    /// Where the u16 record size is: +4 for the kernel headers (after Version/HeaderType/Flags), +0 for the rest.
    @inline(__always)
    var sizeFieldOffset: Int {
        switch self {
        case .system32, .system64, .compact32, .compact64, .perfinfo32, .perfinfo64: 4
        default: 0
        }
    }

    /// Pointer size of the payload: 4 or 8; 0 when the header does not say.
    var pointerSize: Int {
        switch self {
        case .system32, .compact32, .perfinfo32, .eventHeader32, .fullHeader32, .instance32: 4
        case .system64, .compact64, .perfinfo64, .eventHeader64, .fullHeader64, .instance64: 8
        case .message, .wnode: 0
        }
    }

    /// Whether the header carries a hook group and opcode (SYSTEM, COMPACT, PERFINFO).
    @inline(__always)
    var isKernelHeader: Bool { rawValue <= RecordKind.perfinfo64.rawValue }

    /// Whether the header carries a thread and process id (SYSTEM, COMPACT).
    var hasThread: Bool { rawValue <= RecordKind.compact64.rawValue }

    /// Whether the header carries a provider GUID at 0x18 (EVENT_HEADER, FULL_HEADER, INSTANCE).
    @inline(__always)
    var hasProviderGUID: Bool {
        rawValue >= RecordKind.eventHeader32.rawValue && rawValue <= RecordKind.instance64.rawValue
    }

    /// Offset of the i64 timestamp; `nil` for MESSAGE/WNODE, whose headers place it variably or not at all.
    var timestampOffset: Int? {
        switch self {
        case .perfinfo32, .perfinfo64: 0x08
        case .message, .wnode: nil
        default: 0x10
        }
    }
}

/// A string of a context record (a process or image name, a command line, a thread name), stored as UTF-8
/// in the enclosing ``EventBatch``'s text arena, as stacks are stored in its frames: ``HeapEvent`` stays
/// trivially copyable.
public struct TextRef: Hashable, Sendable {
    /// Offset of the first byte in ``EventBatch/text``.
    public var offset: UInt32
    /// Number of bytes; `UInt32.max` marks ``none``.
    public var count: UInt32

    /// The record has no such string (absent, or empty in the trace).
    public static let none = TextRef(offset: 0, count: .max)

    public init(offset: UInt32, count: UInt32) {
        self.offset = offset
        self.count = count
    }

    /// Whether the string is there.
    @inline(__always) public var isPresent: Bool { count != .max }
}

extension Array where Element == UInt8 {
    /// The bytes `ref` refers to in this text arena; `nil` for ``TextRef/none``.
    @inlinable
    public func slice(_ ref: TextRef) -> ArraySlice<UInt8>? {
        guard ref.isPresent else { return nil }
        return self[Int(ref.offset)..<Int(ref.offset) + Int(ref.count)]
    }

    /// Stores `bytes` at the end of this text arena and returns their reference; `nil` gives
    /// ``TextRef/none``.
    @inlinable
    public mutating func appendText(_ bytes: (some Collection<UInt8>)?) -> TextRef {
        guard let bytes else { return .none }
        let ref = TextRef(offset: UInt32(truncatingIfNeeded: count), count: UInt32(bytes.count))
        append(contentsOf: bytes)
        return ref
    }
}

/// What a context record reports: the kernel's own record kinds (Process/Start, Image/DCStart, ...).
public enum ContextState: UInt8, CaseIterable, Hashable, Sendable {
    /// Process or thread started during the trace.
    case start = 0
    /// Process or thread ended during the trace.
    case end = 1
    /// Rundown at the start of the trace: the process, thread or image already existed.
    case dcstart = 2
    /// Rundown at the end of the trace: the process, thread or image still existed.
    case dcend = 3
    /// A process that had exited but was still referenced (Process/Defunct).
    case defunct = 4
    /// Image loaded during the trace.
    case load = 5
    /// Image unloaded during the trace.
    case unload = 6

    /// The name the text formats use in their `state` field.
    public var name: String {
        switch self {
        case .start: "start"
        case .end: "end"
        case .dcstart: "dcstart"
        case .dcend: "dcend"
        case .defunct: "defunct"
        case .load: "load"
        case .unload: "unload"
        }
    }

    /// The state named `name`, or `nil`.
    public init?(name: some StringProtocol) {
        guard let state = ContextState.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    /// Whether a record of `kind` (process, thread or image) can have this state.
    public func applies(to kind: EventKind) -> Bool {
        switch kind {
        case .process: self != .load && self != .unload
        case .thread: self == .start || self == .end || self == .dcstart || self == .dcend
        case .image: self == .load || self == .unload || self == .dcstart || self == .dcend
        default: false
        }
    }

    /// Whether the process, thread or image exists after this record (start, load, rundowns): not after an
    /// end, unload or defunct record.
    public var isAlive: Bool { self != .end && self != .unload && self != .defunct }
}

/// A process record (the kernel's Process events). The process id is the record's
/// ``EventContext/processID``; ids come from the payload, never from the header.
public struct ProcessFields: Hashable, Sendable {
    public var state: ContextState
    public var parentID: UInt32?
    public var sessionID: UInt32?
    /// The NTSTATUS exit code, on end and defunct records.
    public var exitStatus: Int32?
    /// The image file name (`notepad.exe`).
    public var name: TextRef
    public var commandLine: TextRef

    public init(state: ContextState, parentID: UInt32? = nil, sessionID: UInt32? = nil, exitStatus: Int32? = nil,
                name: TextRef = .none, commandLine: TextRef = .none) {
        self.state = state
        self.parentID = parentID
        self.sessionID = sessionID
        self.exitStatus = exitStatus
        self.name = name
        self.commandLine = commandLine
    }
}

/// A thread record (the kernel's Thread events): process and thread ids are the record's context.
public struct ThreadFields: Hashable, Sendable {
    public var state: ContextState
    public var name: TextRef

    public init(state: ContextState, name: TextRef = .none) {
        self.state = state
        self.name = name
    }
}

/// An image record (the kernel's Image events): a module mapped at `base` for `size` bytes in the record's
/// process (0 for kernel modules), with its PE and PDB identity where the trace has them.
public struct ImageFields: Hashable, Sendable {
    public var state: ContextState
    public var base: UInt64
    public var size: UInt64
    /// The NT path (`\Device\HarddiskVolume3\Windows\System32\ntdll.dll`).
    public var name: TextRef
    /// The PE checksum; `nil` when the trace has 0.
    public var checksum: UInt32?
    /// The PE TimeDateStamp; `nil` when the trace has 0.
    public var timeDateStamp: UInt32?
    /// The PDB identity from a merged trace's DbgID record, stored in the text arena as ``PDBIdentity``
    /// encodes it; ``TextRef/none`` without one.
    public var pdb: TextRef

    public init(state: ContextState, base: UInt64, size: UInt64, name: TextRef = .none, checksum: UInt32? = nil,
                timeDateStamp: UInt32? = nil, pdb: TextRef = .none) {
        self.state = state
        self.base = base
        self.size = size
        self.name = name
        self.checksum = checksum
        self.timeDateStamp = timeDateStamp
        self.pdb = pdb
    }
}

/// A module's PDB identity (CodeView RSDS): what a symbol server finds its symbols by.
///
/// In an ``EventBatch``'s text arena it is 21 bytes followed by the PDB name: the GUID's 16 bytes as
/// Windows stores them (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4), the age (u32 LE), and 1 for an
/// IL-only assembly (DbgID_ILRSDS), else 0.
public struct PDBIdentity: Hashable, Sendable {
    /// The 16 GUID bytes as stored.
    public var guid: [UInt8]
    public var age: UInt32
    public var isIL: Bool
    /// The PDB file name or path, UTF-8.
    public var name: [UInt8]

    public init(guid: [UInt8], age: UInt32, isIL: Bool, name: [UInt8]) {
        precondition(guid.count == 16)
        self.guid = guid
        self.age = age
        self.isIL = isIL
        self.name = name
    }

    /// The encoding in a text arena.
    public var encoded: [UInt8] {
        guid + [UInt8(truncatingIfNeeded: age), UInt8(truncatingIfNeeded: age >> 8), UInt8(truncatingIfNeeded: age >> 16),
                UInt8(truncatingIfNeeded: age >> 24), isIL ? 1 : 0] + name
    }

    /// Decodes ``encoded`` bytes; `nil` when they are too short.
    public init?(encoded bytes: some Collection<UInt8>) {
        let all = Array(bytes)
        guard all.count >= 21 else { return nil }
        guid = Array(all[0..<16])
        age = UInt32(all[16]) | UInt32(all[17]) << 8 | UInt32(all[18]) << 16 | UInt32(all[19]) << 24
        isIL = all[20] != 0
        name = Array(all[21...])
    }

    /// The GUID as text, lower case: `ec83d8df-5559-46e0-b630-133ebd979266`.
    public var guidText: String {
        func hex(_ bytes: some Sequence<UInt8>) -> String {
            bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
        return hex(guid[0..<4].reversed()) + "-" + hex(guid[4..<6].reversed()) + "-" + hex(guid[6..<8].reversed()) + "-"
            + hex(guid[8..<10]) + "-" + hex(guid[10..<16])
    }

    /// The symbol-server key of the PDB: the GUID as 32 upper-case hex digits, then the age in hex
    /// (`EC83D8DF555946E0B630133EBD9792662`).
    public var symbolServerKey: String {
        guidText.filter { $0 != "-" }.uppercased() + String(age, radix: 16, uppercase: true)
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case) into the 16 stored bytes.
    public static func guidBytes(_ text: some Collection<UInt8>) -> [UInt8]? {
        let chars = Array(text)
        guard chars.count == 36, chars[8] == 0x2D, chars[13] == 0x2D, chars[18] == 0x2D, chars[23] == 0x2D else { return nil }
        var digits: [UInt8] = []
        for (i, c) in chars.enumerated() where i != 8 && i != 13 && i != 18 && i != 23 {
            guard let value = hexDigit(c) else { return nil }
            digits.append(value)
        }
        var bytes = (0..<16).map { digits[2 * $0] << 4 | digits[2 * $0 + 1] }
        bytes[0..<4].reverse()
        bytes[4..<6].reverse()
        bytes[6..<8].reverse()
        return bytes
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

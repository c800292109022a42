/// Kernel context records of `CONTEXT.md`: Process (§3), Thread (§4) and Image (§5) events of the NT Kernel Logger,
/// and the KernelTraceControl ImageID group (§6) that a merge adds. They give a heap trace its process names, its
/// thread → process map and its module ranges with PDB identities. Groups, opcodes and header kinds are those of
/// §0-§1; payloads are packed at the exact offsets of the §3-§6 tables, and strings follow §2: ANSI or UTF-16LE,
/// NUL-terminated, written byte-wise right after the previous field (never aligned, never padded).
/// Fields a version does not have are not written; `trailing` bytes are appended after the known layout, as newer
/// versions append fields (§2).
public enum ETLContextRecords {
    /// EVENT_TRACE_GROUP_PROCESS: Process events and also **Image Load** (hook 0x030A, CONTEXT.md §1).
    public static let processGroup: UInt8 = 0x03
    /// EVENT_TRACE_GROUP_THREAD.
    public static let threadGroup: UInt8 = 0x05
    /// EVENT_TRACE_GROUP_IMAGE: Image UnLoad, DCStart and DCEnd (not Load).
    public static let imageGroup: UInt8 = 0x14
    /// The task GUID of every KernelTraceControl ImageID record, in storage order (CONTEXT.md §1, §6).
    public static let imageIDGuid = ETLRecords.guid("b3e675d7-2554-4f18-830b-2762732560de")

    // MARK: - Headers

    /// The header of a Process, Thread or Image record: SYSTEM (or COMPACT) with the thread and process that logged
    /// it, or PERFINFO without them, at `ticks`. Real traces use both kinds for one event type (CONTEXT.md §0):
    /// Start/End are SYSTEM, Process and user-image DCStart/DCEnd PERFINFO, kernel-module DCStart/DCEnd SYSTEM.
    /// The kind and the pointer width decide the header type byte, as in ``ETLRecords/system`` and
    /// ``ETLRecords/perfinfo``.
    public struct ContextHeader: Sendable {
        public enum Kind: Sendable {
            case system(thread: UInt32, process: UInt32, compact: Bool)
            case perfinfo
        }

        public var kind: Kind
        public var ticks: Int64
        /// PMC counter words (0-7) and the PEBS word between header and payload (FORMAT.md §2.1).
        public var pmcCounters: Int
        public var pebs: Bool

        public init(_ kind: Kind, ticks: Int64, pmcCounters: Int = 0, pebs: Bool = false) {
            self.kind = kind
            self.ticks = ticks
            self.pmcCounters = pmcCounters
            self.pebs = pebs
        }

        /// A SYSTEM header (0x20), or with `compact` a COMPACT one (0x18), naming the logging thread and process.
        public static func system(thread: UInt32, process: UInt32, compact: Bool = false, ticks: Int64,
                                  pmcCounters: Int = 0, pebs: Bool = false) -> ContextHeader {
            ContextHeader(.system(thread: thread, process: process, compact: compact), ticks: ticks,
                          pmcCounters: pmcCounters, pebs: pebs)
        }

        /// A PERFINFO header (0x10): no thread or process, as rundown records have.
        public static func perfinfo(ticks: Int64, pmcCounters: Int = 0, pebs: Bool = false) -> ContextHeader {
            ContextHeader(.perfinfo, ticks: ticks, pmcCounters: pmcCounters, pebs: pebs)
        }
    }

    /// A record of `group`/`opcode`/`version` under `header` whose payload is exactly `payload`: the Process, Thread
    /// and Image builders end here, and tests use it for the opcodes they leave out (Process Terminate 11, Image
    /// KernelBase 33, ...).
    public static func record(_ width: ETLPointerWidth, header: ContextHeader, group: UInt8, opcode: UInt8,
                              version: UInt8, payload: [UInt8]) -> [UInt8] {
        switch header.kind {
        case let .system(thread, process, compact):
            return ETLRecords.system(width, compact: compact, group: group, opcode: opcode, version: version,
                                     thread: thread, process: process, ticks: header.ticks,
                                     pmcCounters: header.pmcCounters, pebs: header.pebs, payload: payload)
        case .perfinfo:
            return ETLRecords.perfinfo(width, group: group, opcode: opcode, version: version, ticks: header.ticks,
                                       pmcCounters: header.pmcCounters, pebs: header.pebs, payload: payload)
        }
    }

    // MARK: - Process (CONTEXT.md §3)

    /// Process opcodes in group 0x03.
    public enum ProcessOpcode: UInt8, Sendable {
        case start = 1
        case end = 2
        case dcstart = 3
        case dcend = 4
        /// PERFINFO_LOG_TYPE_ZOMBIE_PROCESS: an exited process still referenced, logged at rundown.
        case defunct = 39
    }

    /// A Process record's UserSID as the kernel logs it: a copy of TOKEN_USER (2P bytes: the `PSID` pointer, the
    /// Attributes and, on 64-bit, 4 bytes of padding) followed by the SID itself (CONTEXT.md §3).
    public struct SID: Sendable {
        public var revision: UInt8
        /// IdentifierAuthority: a 48-bit value stored big-endian (5 = NT AUTHORITY).
        public var authority: UInt64
        public var subAuthorities: [UInt32]
        /// The SubAuthorityCount byte as stored; `nil` stores `subAuthorities.count` (set it to make a SID claim
        /// more sub-authorities than it holds).
        public var subAuthorityCount: UInt8?
        /// TOKEN_USER.User.Sid, a kernel pointer: its first 4 stored bytes must not be 0, which means "no SID".
        public var tokenPointer: UInt64
        public var attributes: UInt32
        /// The 64-bit TOKEN_USER padding, garbage in real traces (e.g. `88 b4 ff ff`); absent on 32-bit.
        public var padding: UInt32

        public init(revision: UInt8 = 1, authority: UInt64 = 5, subAuthorities: [UInt32],
                    subAuthorityCount: UInt8? = nil, tokenPointer: UInt64 = 0xFFFF_C00F_1234_5670,
                    attributes: UInt32 = 0, padding: UInt32 = 0) {
            self.revision = revision
            self.authority = authority
            self.subAuthorities = subAuthorities
            self.subAuthorityCount = subAuthorityCount
            self.tokenPointer = tokenPointer
            self.attributes = attributes
            self.padding = padding
        }

        /// S-1-5-18, LocalSystem.
        public static let localSystem = SID(subAuthorities: [18])

        /// The stored bytes: 2P + 8 + 4n.
        public func bytes(_ width: ETLPointerWidth) -> [UInt8] {
            precondition(subAuthorities.count <= Int(UInt8.max))
            var w = LittleEndianWriter(capacity: 2 * width.bytes + 8 + 4 * subAuthorities.count)
            w.pointer(tokenPointer, width)
            w.u32(attributes)
            if width == .bits64 { w.u32(padding) }
            w.u8(revision)
            w.u8(subAuthorityCount ?? UInt8(subAuthorities.count))
            for shift in stride(from: 40, through: 0, by: -8) { w.u8(UInt8(truncatingIfNeeded: authority >> shift)) }
            for subAuthority in subAuthorities { w.u32(subAuthority) }
            return w.bytes
        }
    }

    /// A Process record (group 0x03) of `version` 0-5, laid out as CONTEXT.md §3:
    /// v0 `P ProcessId, P ParentId`; v1 `P PageDirectoryBase` (= `directoryTableBase`), pid, parent, session,
    /// exit status; v2 the same with UniqueProcessKey first and a CommandLine; v3 adds DirectoryTableBase; v4 Flags,
    /// PackageFullName and ApplicationId; v5 (Defunct in real traces) an ExitTime FILETIME after ApplicationId, when
    /// `exitTime` is given. The SID starts right after the fixed part (v4: 28 / 36); `sid: nil` writes the 4-byte
    /// "no SID" form. `imageFileName` is ANSI, the NUL is added.
    public static func process(
        _ width: ETLPointerWidth, header: ContextHeader, opcode: ProcessOpcode, version: UInt8 = 4,
        uniqueKey: UInt64 = 0, processID: UInt32, parentID: UInt32 = 0, sessionID: UInt32 = 1,
        exitStatus: Int32 = 0x103, directoryTableBase: UInt64 = 0, flags: UInt32 = 0, sid: SID? = .localSystem,
        imageFileName: [UInt8], commandLine: String = "", packageFullName: String = "", applicationID: String = "",
        exitTime: UInt64? = nil, trailing: [UInt8] = []
    ) -> [UInt8] {
        precondition(version <= 5, "Process versions are 0-5")
        var w = LittleEndianWriter()
        if version == 0 {
            w.pointer(UInt64(processID), width)
            w.pointer(UInt64(parentID), width)
        } else {
            w.pointer(version == 1 ? directoryTableBase : uniqueKey, width)
            w.u32(processID); w.u32(parentID); w.u32(sessionID); w.i32(exitStatus)
            if version >= 3 { w.pointer(directoryTableBase, width) }
            if version >= 4 { w.u32(flags) }
        }
        w.append(sid.map { $0.bytes(width) } ?? [0, 0, 0, 0])
        w.append(imageFileName)
        w.u8(0)
        if version >= 2 { w.utf16z(commandLine) }
        if version >= 4 {
            w.utf16z(packageFullName)
            w.utf16z(applicationID)
        }
        if version >= 5, let exitTime { w.u64(exitTime) }
        w.append(trailing)
        return record(width, header: header, group: processGroup, opcode: opcode.rawValue, version: version,
                      payload: w.bytes)
    }

    // MARK: - Thread (CONTEXT.md §4)

    /// Thread opcodes in group 0x05.
    public enum ThreadOpcode: UInt8, Sendable {
        case start = 1
        case end = 2
        case dcstart = 3
        case dcend = 4
    }

    /// A Thread record (group 0x05) of `version` 0-3, laid out as CONTEXT.md §4:
    /// v0 `u32 TThreadId, u32 ProcessId` (order swapped); v1 `pid, tid`, and for Start/DCStart only the six pointers
    /// StackBase … Win32StartAddr (`affinity` is StartAddr) and an i8 `waitMode`; v2 `pid, tid`, seven pointers
    /// (… TebBase) and SubProcessTag (40 / 68 bytes); v3 adds the four priority/flag bytes (44 / 72) and, when `name`
    /// is not `nil`, the ThreadName (`""` writes just the NUL; `nil` no bytes, as Win8 traces have).
    public static func thread(
        _ width: ETLPointerWidth, header: ContextHeader, opcode: ThreadOpcode, version: UInt8 = 3,
        processID: UInt32, threadID: UInt32, stackBase: UInt64 = 0, stackLimit: UInt64 = 0, userStackBase: UInt64 = 0,
        userStackLimit: UInt64 = 0, affinity: UInt64 = 0, win32StartAddr: UInt64 = 0, tebBase: UInt64 = 0,
        subProcessTag: UInt32 = 0, basePriority: Int8 = 8, pagePriority: UInt8 = 5, ioPriority: UInt8 = 2,
        threadFlags: UInt8 = 0, waitMode: Int8 = 0, name: String? = nil, trailing: [UInt8] = []
    ) -> [UInt8] {
        precondition(version <= 3, "Thread versions are 0-3")
        var w = LittleEndianWriter()
        if version == 0 {
            w.u32(threadID); w.u32(processID)
        } else {
            w.u32(processID); w.u32(threadID)
        }
        let pointers = [stackBase, stackLimit, userStackBase, userStackLimit, affinity, win32StartAddr]
        if version == 1, opcode == .start || opcode == .dcstart {
            for value in pointers { w.pointer(value, width) }
            w.u8(UInt8(bitPattern: waitMode))
        } else if version >= 2 {
            for value in pointers + [tebBase] { w.pointer(value, width) }
            w.u32(subProcessTag)
        }
        if version >= 3 {
            w.u8(UInt8(bitPattern: basePriority)); w.u8(pagePriority); w.u8(ioPriority); w.u8(threadFlags)
            if let name { w.utf16z(name) }
        }
        w.append(trailing)
        return record(width, header: header, group: threadGroup, opcode: opcode.rawValue, version: version,
                      payload: w.bytes)
    }

    // MARK: - Image (CONTEXT.md §5)

    /// Which image event: Load is group 0x03 opcode 10 (hook 0x030A), the others group 0x14.
    public enum ImageKind: Sendable {
        case load
        case unload
        case dcstart
        case dcend

        public var group: UInt8 { self == .load ? ETLContextRecords.processGroup : ETLContextRecords.imageGroup }

        public var opcode: UInt8 {
            switch self {
            case .load: 10
            case .unload: 2
            case .dcstart: 3
            case .dcend: 4
            }
        }
    }

    /// An Image record of `version` 0-3, laid out as CONTEXT.md §5:
    /// v0 `P BaseAddress, u32 ModuleSize, FileName @ P+4`; v1 `P ImageBase, P ImageSize, u32 ProcessId,
    /// FileName @ 2P+4`; v2/v3 base, size, pid, checksum, TimeDateStamp, then v3 SignatureLevel, SignatureType and a
    /// zero u16 (v2: a zero u32), DefaultBase, four zero u32 and the FileName @ 44 / 56.
    public static func image(
        _ width: ETLPointerWidth, header: ContextHeader, kind: ImageKind, version: UInt8 = 3, base: UInt64,
        size: UInt64, processID: UInt32, checksum: UInt32 = 0, timeDateStamp: UInt32 = 0, signatureLevel: UInt8 = 0,
        signatureType: UInt8 = 0, defaultBase: UInt64 = 0, fileName: String, trailing: [UInt8] = []
    ) -> [UInt8] {
        precondition(version <= 3, "Image versions are 0-3")
        var w = LittleEndianWriter()
        w.pointer(base, width)
        if version == 0 {
            w.u32(UInt32(truncatingIfNeeded: size))
        } else {
            w.pointer(size, width)
            w.u32(processID)
        }
        if version >= 2 {
            w.u32(checksum); w.u32(timeDateStamp)
            if version >= 3 {
                w.u8(signatureLevel); w.u8(signatureType); w.u16(0)
            } else {
                w.u32(0)
            }
            w.pointer(defaultBase, width)
            w.fill(0, count: 16)
        }
        w.utf16z(fileName)
        w.append(trailing)
        return record(width, header: header, group: kind.group, opcode: kind.opcode, version: version,
                      payload: w.bytes)
    }

    // MARK: - KernelTraceControl ImageID group (CONTEXT.md §6)

    /// ImageID group opcodes (FULL_HEADER Class.Type).
    public enum ImageIDOpcode: UInt8, Sendable {
        case imageID = 0x00
        case none = 0x20
        case dbgIDRSDS = 0x24
        case dbgIDILRSDS = 0x25
        case dbgPPDB = 0x26
        case dbgDeterm = 0x28
        case fileVersion = 0x40
    }

    /// An ImageID group record: a FULL_HEADER (0x30, type 0x0A / 0x14) with the task GUID, whose payload is exactly
    /// `payload`. In real traces `thread` is the matching Image record's header thread (0xFFFFFFFF when that is
    /// PERFINFO) and `process` the payload's ProcessId; the record shares the Image record's ticks.
    public static func imageIDRecord(_ width: ETLPointerWidth, opcode: UInt8, version: UInt16 = 2, ticks: Int64,
                                     thread: UInt32 = 0xFFFF_FFFF, process: UInt32, payload: [UInt8]) -> [UInt8] {
        ETLRecords.classic(width, guid: imageIDGuid, type: opcode, version: version, thread: thread, process: process,
                           ticks: ticks, payload: payload)
    }

    /// ImageID (opcode 0): `P ImageBase, P ImageSize (SizeOfImage), u32 ProcessId, u32 TimeDateStamp`,
    /// OriginalFileName @ 16 / 24. `payloadProcessID` defaults to the header's `process`, as in real traces.
    public static func imageID(
        _ width: ETLPointerWidth, ticks: Int64, thread: UInt32 = 0xFFFF_FFFF, process: UInt32, base: UInt64,
        size: UInt64, payloadProcessID: UInt32? = nil, timeDateStamp: UInt32, originalFileName: String,
        version: UInt16 = 2, trailing: [UInt8] = []
    ) -> [UInt8] {
        var w = LittleEndianWriter()
        w.pointer(base, width)
        w.pointer(size, width)
        w.u32(payloadProcessID ?? process)
        w.u32(timeDateStamp)
        w.utf16z(originalFileName)
        w.append(trailing)
        return imageIDRecord(width, opcode: ImageIDOpcode.imageID.rawValue, version: version, ticks: ticks,
                             thread: thread, process: process, payload: w.bytes)
    }

    /// DbgID_RSDS (opcode 36), or with `il` DbgID_ILRSDS (37, same layout): `P ImageBase, u32 ProcessId`, the
    /// CodeView GUID @ 8 / 12 (`guid`: 16 bytes in storage order), u32 Age @ 24 / 28, then the ANSI PdbFileName
    /// @ 28 / 32 (NUL added).
    public static func dbgID(
        _ width: ETLPointerWidth, ticks: Int64, thread: UInt32 = 0xFFFF_FFFF, process: UInt32, base: UInt64,
        payloadProcessID: UInt32? = nil, guid: [UInt8], age: UInt32, pdbFileName: [UInt8], il: Bool = false,
        version: UInt16 = 2, trailing: [UInt8] = []
    ) -> [UInt8] {
        precondition(guid.count == 16, "a GUID is 16 bytes")
        var w = LittleEndianWriter()
        w.pointer(base, width)
        w.u32(payloadProcessID ?? process)
        w.append(guid)
        w.u32(age)
        w.append(pdbFileName)
        w.u8(0)
        w.append(trailing)
        let opcode = il ? ImageIDOpcode.dbgIDILRSDS : .dbgIDRSDS
        return imageIDRecord(width, opcode: opcode.rawValue, version: version, ticks: ticks, thread: thread,
                             process: process, payload: w.bytes)
    }

    /// ``dbgID(_:ticks:thread:process:base:payloadProcessID:guid:age:pdbFileName:il:version:trailing:)`` with the
    /// GUID given by its fields (Data1-3 are stored little-endian, the 8 bytes of Data4 as they are).
    public static func dbgID(
        _ width: ETLPointerWidth, ticks: Int64, thread: UInt32 = 0xFFFF_FFFF, process: UInt32, base: UInt64,
        payloadProcessID: UInt32? = nil, guid: (data1: UInt32, data2: UInt16, data3: UInt16, data4: [UInt8]),
        age: UInt32, pdbFileName: [UInt8], il: Bool = false, version: UInt16 = 2, trailing: [UInt8] = []
    ) -> [UInt8] {
        dbgID(width, ticks: ticks, thread: thread, process: process, base: base, payloadProcessID: payloadProcessID,
              guid: guidBytes(guid.data1, guid.data2, guid.data3, guid.data4), age: age, pdbFileName: pdbFileName,
              il: il, version: version, trailing: trailing)
    }

    /// ImageID/None (opcode 32): an image without debug identity, `P ImageBase, u32 ProcessId` (8 / 12 bytes).
    public static func imageIDNone(
        _ width: ETLPointerWidth, ticks: Int64, thread: UInt32 = 0xFFFF_FFFF, process: UInt32, base: UInt64,
        payloadProcessID: UInt32? = nil, version: UInt16 = 2, trailing: [UInt8] = []
    ) -> [UInt8] {
        var w = LittleEndianWriter()
        w.pointer(base, width)
        w.u32(payloadProcessID ?? process)
        w.append(trailing)
        return imageIDRecord(width, opcode: ImageIDOpcode.none.rawValue, version: version, ticks: ticks,
                             thread: thread, process: process, payload: w.bytes)
    }

    /// FileVersion (opcode 64, version 0): `u32 ImageSize, u32 TimeDateStamp`, then ten WSTR version-resource
    /// strings; no pointer-sized field, so both widths have the same payload.
    public static func fileVersion(
        _ width: ETLPointerWidth, ticks: Int64, thread: UInt32 = 0xFFFF_FFFF, process: UInt32, imageSize: UInt32,
        timeDateStamp: UInt32, origFileName: String = "", fileDescription: String = "", fileVersion: String = "",
        binFileVersion: String = "", verLanguage: String = "", productName: String = "", companyName: String = "",
        productVersion: String = "", fileID: String = "", programID: String = "", version: UInt16 = 0,
        trailing: [UInt8] = []
    ) -> [UInt8] {
        var w = LittleEndianWriter()
        w.u32(imageSize)
        w.u32(timeDateStamp)
        for text in [origFileName, fileDescription, fileVersion, binFileVersion, verLanguage, productName,
                     companyName, productVersion, fileID, programID] {
            w.utf16z(text)
        }
        w.append(trailing)
        return imageIDRecord(width, opcode: ImageIDOpcode.fileVersion.rawValue, version: version, ticks: ticks,
                             thread: thread, process: process, payload: w.bytes)
    }

    /// A GUID's 16 bytes in Windows storage order from its fields: Data1, Data2, Data3 little-endian, Data4 (8 bytes)
    /// as written.
    public static func guidBytes(_ data1: UInt32, _ data2: UInt16, _ data3: UInt16, _ data4: [UInt8]) -> [UInt8] {
        precondition(data4.count == 8, "Data4 is 8 bytes")
        var w = LittleEndianWriter(capacity: 16)
        w.u32(data1)
        w.u16(data2)
        w.u16(data3)
        w.append(data4)
        return w.bytes
    }
}

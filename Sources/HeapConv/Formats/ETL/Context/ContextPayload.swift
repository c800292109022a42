/// Decodes the kernel's Process, Thread and Image records into context records (CONTEXT.md §3-§5), every
/// version and pointer size it lists. Ids come from the payload, never from the header: the header names
/// the thread that logged the record, which is often not its subject.
///
/// Payloads longer than the known layout are fine (newer versions append fields); shorter ones, strings
/// without their NUL and SIDs that run past the payload are a ``Problem`` for that record.
enum ContextPayload {
    static let processGroup: UInt8 = 0x03
    static let threadGroup: UInt8 = 0x05
    static let imageGroup: UInt8 = 0x14
    /// Image Load is hook 0x030A: the Process group with opcode 10 (LOAD), not group 0x14.
    static let imageLoadOpcode: UInt8 = 10

    typealias Problem = ContextStrings.Problem

    /// Whether a kernel record of `group` and `opcode` is a context record this decoder reads.
    @inline(__always)
    static func isContext(group: UInt8, opcode: UInt8) -> Bool {
        switch group {
        case processGroup: opcode <= 4 && opcode >= 1 || opcode == 39 || opcode == imageLoadOpcode
        case threadGroup: opcode >= 1 && opcode <= 4
        case imageGroup: opcode >= 2 && opcode <= 4
        default: false
        }
    }

    /// The context record for a kernel record of `group`/`opcode`/`version` whose payload is `payload`;
    /// strings go into `text`. `context` has the time and CPU; `headerProcess` is the header's process id (0
    /// for PERFINFO headers), used only by Image version 0, which has none of its own.
    static func decode(group: UInt8, opcode: UInt8, version: UInt8, payload: ByteView, pointerSize p: Int,
                       context: EventContext, headerProcess: UInt32, text: inout [UInt8]) throws(Problem) -> HeapEvent {
        if group == threadGroup { return try thread(opcode: opcode, version: version, payload, p, context, &text) }
        if group == processGroup && opcode != imageLoadOpcode {
            return try process(opcode: opcode, version: version, payload, p, context, &text)
        }
        return try image(opcode: opcode, group: group, version: version, payload, p, context, headerProcess, &text)
    }

    @inline(__always)
    private static func need(_ payload: ByteView, _ bytes: Int, _ what: String) throws(Problem) {
        guard payload.count >= bytes else {
            throw Problem(message: "\(what) payload of \(payload.count) bytes is shorter than the \(bytes) bytes of its layout")
        }
    }

    /// Stores the string `read` appends to `text` and returns its reference; an empty string is none.
    private static func store(_ text: inout [UInt8], _ read: (inout [UInt8]) throws(Problem) -> Int) throws(Problem) -> (TextRef, Int) {
        let start = text.count
        let next = try read(&text)
        let count = text.count - start
        return (count == 0 ? .none : TextRef(offset: UInt32(start), count: UInt32(count)), next)
    }

    private static func process(opcode: UInt8, version: UInt8, _ payload: ByteView, _ p: Int, _ context: EventContext,
                                _ text: inout [UInt8]) throws(Problem) -> HeapEvent {
        let state: ContextState = switch opcode {
        case 1: .start
        case 2: .end
        case 3: .dcstart
        case 4: .dcend
        default: .defunct
        }
        let what = "Process/\(state.name) version \(version)"
        var context = context
        var fields = ProcessFields(state: state)
        let sidOffset: Int
        switch version {
        case 0:
            try need(payload, 2 * p, what)
            context.processID = UInt32(truncatingIfNeeded: payload.pointer(0, width: p))
            fields.parentID = UInt32(truncatingIfNeeded: payload.pointer(p, width: p))
            sidOffset = 2 * p
        default:
            // Version 1 starts with PageDirectoryBase, 2 and later with UniqueProcessKey: a pointer either way.
            try need(payload, p + 16, what)
            context.processID = payload.u32(p)
            fields.parentID = payload.u32(p + 4)
            fields.sessionID = payload.u32(p + 8)
            if state == .end || state == .defunct { fields.exitStatus = Int32(bitPattern: payload.u32(p + 12)) }
            sidOffset = version == 1 || version == 2 ? p + 16 : version == 3 ? 2 * p + 16 : 2 * p + 20
        }
        try need(payload, sidOffset + 4, what)
        var offset = sidOffset + 4
        if payload.u32(sidOffset) != 0 {
            // A TOKEN_USER copy (2P bytes) then the SID: 8 bytes and 4 per sub-authority.
            try need(payload, sidOffset + 2 * p + 8, what)
            let subAuthorities = Int(payload.u8(sidOffset + 2 * p + 1))
            offset = sidOffset + 2 * p + 8 + 4 * subAuthorities
            guard offset <= payload.count else {
                throw Problem(message: "\(what): the user SID's \(subAuthorities) sub-authorities run past the payload of \(payload.count) bytes")
            }
        }
        (fields.name, offset) = try store(&text) { (t) throws(Problem) in
            try ContextStrings.ansi(payload, at: offset, into: &t, what: "\(what) image file name")
        }
        if version >= 2 {
            (fields.commandLine, offset) = try store(&text) { (t) throws(Problem) in
                try ContextStrings.utf16(payload, at: offset, into: &t, what: "\(what) command line")
            }
        }
        return .process(context, fields)
    }

    private static func thread(opcode: UInt8, version: UInt8, _ payload: ByteView, _ p: Int, _ context: EventContext,
                               _ text: inout [UInt8]) throws(Problem) -> HeapEvent {
        let state: ContextState = [.start, .end, .dcstart, .dcend][Int(opcode) - 1]
        let what = "Thread/\(state.name) version \(version)"
        var context = context
        let fixed: Int
        switch version {
        case 0: fixed = 8
        case 1: fixed = state == .start || state == .dcstart ? 8 + 6 * p + 1 : 8
        case 2: fixed = 12 + 7 * p
        default: fixed = 16 + 7 * p
        }
        try need(payload, fixed, what)
        // Version 0 has the thread id first.
        context.processID = payload.u32(version == 0 ? 4 : 0)
        context.threadID = payload.u32(version == 0 ? 0 : 4)
        var fields = ThreadFields(state: state)
        if version >= 3, payload.count >= fixed + 2 {
            (fields.name, _) = try store(&text) { (t) throws(Problem) in
                try ContextStrings.utf16(payload, at: fixed, into: &t, what: "\(what) thread name")
            }
        }
        return .thread(context, fields)
    }

    private static func image(opcode: UInt8, group: UInt8, version: UInt8, _ payload: ByteView, _ p: Int,
                              _ context: EventContext, _ headerProcess: UInt32, _ text: inout [UInt8]) throws(Problem) -> HeapEvent {
        let state: ContextState = group == processGroup ? .load : [.unload, .dcstart, .dcend][Int(opcode) - 2]
        let what = "Image/\(state.name) version \(version)"
        var context = context
        var fields = ImageFields(state: state, base: 0, size: 0)
        let nameOffset: Int
        switch version {
        case 0:
            try need(payload, p + 4, what)
            fields.base = payload.pointer(0, width: p)
            fields.size = UInt64(payload.u32(p))
            context.processID = headerProcess
            nameOffset = p + 4
        case 1:
            try need(payload, 2 * p + 4, what)
            fields.base = payload.pointer(0, width: p)
            fields.size = payload.pointer(p, width: p)
            context.processID = payload.u32(2 * p)
            nameOffset = 2 * p + 4
        default:
            try need(payload, 3 * p + 32, what)
            fields.base = payload.pointer(0, width: p)
            fields.size = payload.pointer(p, width: p)
            context.processID = payload.u32(2 * p)
            let checksum = payload.u32(2 * p + 4)
            let stamp = payload.u32(2 * p + 8)
            fields.checksum = checksum == 0 ? nil : checksum
            fields.timeDateStamp = stamp == 0 ? nil : stamp
            nameOffset = 3 * p + 32
        }
        (fields.name, _) = try store(&text) { (t) throws(Problem) in
            try ContextStrings.utf16(payload, at: nameOffset, into: &t, what: "\(what) file name")
        }
        return .image(context, fields)
    }
}

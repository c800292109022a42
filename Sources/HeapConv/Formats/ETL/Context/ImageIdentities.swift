/// What KernelTraceControl's ImageID group says about images in merged traces (CONTEXT.md §6): the PE
/// TimeDateStamp of each image (ImageID) and its PDB identity (DbgID_RSDS, DbgID_ILRSDS).
///
/// These records precede their Image record, usually in the same buffer, but not always: they are joined
/// to it by (raw timestamp, process id, image base), never by record order. The first pass collects them
/// for the whole file; the table grows with the images of the trace, never with its events.
struct ImageIdentities {
    /// The join key: the records share the Image record's timestamp, process id and base.
    struct Key: Hashable {
        var ticks: Int64
        var processID: UInt32
        var base: UInt64
    }

    struct Identity {
        var timeDateStamp: UInt32?
        var pdb: PDBIdentity?
    }

    private(set) var table: [Key: Identity] = [:]

    /// The task GUID of the group: b3e675d7-2554-4f18-830b-2762732560de, as stored (GUID byte order).
    static let taskGUID = GUID(low: 0x4F18_2554_B3E6_75D7, high: 0xDE60_2573_6227_0B83)
    static let imageID: UInt8 = 0x00
    static let dbgIDRSDS: UInt8 = 0x24
    static let dbgIDILRSDS: UInt8 = 0x25

    var isEmpty: Bool { table.isEmpty }

    /// Decodes an ImageID-group record (FULL_HEADER: opcode at +4, payload after 0x30 bytes) of pointer size
    /// `p`. Other opcodes (None, FileVersion, ...) are ignored.
    mutating func add(opcode: UInt8, ticks: Int64, payload: ByteView, pointerSize p: Int) throws(ContextStrings.Problem) {
        switch opcode {
        case Self.imageID:
            guard payload.count >= 2 * p + 8 else {
                throw ContextStrings.Problem(message: "ImageID payload of \(payload.count) bytes is shorter than the \(2 * p + 8) bytes of its layout")
            }
            let key = Key(ticks: ticks, processID: payload.u32(2 * p), base: payload.pointer(0, width: p))
            let stamp = payload.u32(2 * p + 4)
            table[key, default: Identity()].timeDateStamp = stamp == 0 ? nil : stamp
        case Self.dbgIDRSDS, Self.dbgIDILRSDS:
            let fixed = p + 24
            guard payload.count >= fixed else {
                throw ContextStrings.Problem(message: "DbgID payload of \(payload.count) bytes is shorter than the \(fixed) bytes of its layout")
            }
            var name: [UInt8] = []
            _ = try ContextStrings.ansi(payload, at: fixed, into: &name, what: "DbgID PDB file name")
            let key = Key(ticks: ticks, processID: payload.u32(p), base: payload.pointer(0, width: p))
            let guid = payload.array(p + 4, 16)!
            table[key, default: Identity()].pdb = PDBIdentity(guid: guid, age: payload.u32(p + 20),
                                                               isIL: opcode == Self.dbgIDILRSDS, name: name)
        default:
            break
        }
    }

    /// Adds the identities of `other` (a later part of the file); the first found for a key is kept.
    mutating func merge(_ other: ImageIdentities) {
        table.merge(other.table) { mine, theirs in
            Identity(timeDateStamp: mine.timeDateStamp ?? theirs.timeDateStamp, pdb: mine.pdb ?? theirs.pdb)
        }
    }

    func identity(ticks: Int64, processID: UInt32, base: UInt64) -> Identity? {
        table[Key(ticks: ticks, processID: processID, base: base)]
    }
}

/// Receives an event's fields in ``EventField`` order; JSON Lines and CSV each implement it to format them.
protocol TextFieldEmitter {
    mutating func kind(_ kind: EventKind)
    mutating func signed(_ field: EventField, _ value: Int64)
    mutating func decimal(_ field: EventField, _ value: UInt64)
    mutating func hex(_ field: EventField, _ value: UInt64)
    mutating func source(_ source: HeapSource)
    mutating func stack(_ frames: UnsafeBufferPointer<UInt64>) throws(ConversionError)
    /// A context record's state.
    mutating func state(_ state: ContextState)
    /// A string field (`name`, `command_line`, `pdb_name`): UTF-8 bytes to escape or quote as needed.
    mutating func text(_ field: EventField, _ bytes: UnsafeBufferPointer<UInt8>) throws(ConversionError)
    /// A PDB identity: `pdb_name`, `pdb_guid`, `pdb_age`, and `pdb_kind` for an IL-only assembly.
    mutating func pdb(_ encoded: UnsafeBufferPointer<UInt8>) throws(ConversionError)
}

extension TextFieldEmitter {
    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt64?) {
        if let value { decimal(field, value) }
    }

    @inline(__always)
    mutating func decimal(_ field: EventField, _ value: UInt32) { decimal(field, UInt64(value)) }

    /// Emits every field of `event` (whose stack and strings are in `frames`, its batch's) in ``EventField``
    /// order.
    @inline(__always)
    mutating func emit(_ event: HeapEvent, frames: FrameView) throws(ConversionError) {
        let c = event.context
        kind(event.kind)
        signed(.ts, c.timestamp)
        decimal(.pid, c.processID)
        if event.isContext {
            try emitContext(event, frames: frames)
            return
        }
        decimal(.tid, c.threadID)
        if let cpu = c.cpu { decimal(.cpu, cpu) }
        hex(.heap, c.heap)
        switch event {
        case .alloc(_, let address, let size, let src):
            hex(.address, address)
            decimal(.size, size)
            source(src)
        case .realloc(_, let address, let size, let oldAddress, let oldSize, let src):
            hex(.address, address)
            decimal(.size, size)
            hex(.oldAddress, oldAddress)
            decimal(.oldSize, oldSize)
            source(src)
        case .free(_, let address, let src):
            hex(.address, address)
            source(src)
        case .destroy:
            break
        case .create(_, let f):
            decimal(.flags, f.flags)
            decimal(.reserveSize, f.reserveSize)
            decimal(.commitSize, f.commitSize)
            decimal(.allocatedSize, f.allocatedSize)
        case .expand(_, let f):
            hex(.address, f.address)
            decimal(.committedSize, f.committedSize)
            decimal(.freeSpace, f.freeSpace)
            decimal(.committedSpace, f.committedSpace)
            decimal(.reservedSpace, f.reservedSpace)
            decimal(.allocatedSpace, f.allocatedSpace)
            decimal(.noOfUCRs, f.noOfUCRs)
        case .contract(_, let f):
            hex(.address, f.decommitAddress)
            decimal(.decommitSize, f.decommitSize)
            decimal(.freeSpace, f.freeSpace)
            decimal(.committedSpace, f.committedSpace)
            decimal(.reservedSpace, f.reservedSpace)
            decimal(.allocatedSpace, f.allocatedSpace)
            decimal(.noOfUCRs, f.noOfUCRs)
        case .snapshot(_, let f):
            decimal(.flags, f.flags)
            decimal(.freeSpace, f.freeSpace)
            decimal(.committedSpace, f.committedSpace)
            decimal(.reservedSpace, f.reservedSpace)
            decimal(.largeUCRSpace, f.largeUCRSpace)
            decimal(.allocatedSpace, f.allocatedSpace)
            decimal(.freeListLength, f.freeListLength)
            decimal(.ucrLength, f.ucrLength)
            decimal(.processID, f.processID)
        case .other(_, let opcode):
            decimal(.opcode, UInt64(opcode))
        case .process, .thread, .image:
            break
        }
        if let stack = frames.stack(c.stack) { try self.stack(stack) }
    }

    /// The fields of a context record after `event`, `ts` and `pid`, in ``EventField`` order.
    private mutating func emitContext(_ event: HeapEvent, frames: FrameView) throws(ConversionError) {
        let c = event.context
        switch event {
        case .process(_, let f):
            if let cpu = c.cpu { decimal(.cpu, cpu) }
            state(f.state)
            decimal(.parentPID, f.parentID.map(UInt64.init))
            decimal(.session, f.sessionID.map(UInt64.init))
            if let status = f.exitStatus { signed(.exitStatus, Int64(status)) }
            if let name = frames.text(f.name) { try text(.name, name) }
            if let line = frames.text(f.commandLine) { try text(.commandLine, line) }
        case .thread(_, let f):
            decimal(.tid, c.threadID)
            if let cpu = c.cpu { decimal(.cpu, cpu) }
            state(f.state)
            if let name = frames.text(f.name) { try text(.name, name) }
        case .image(_, let f):
            if let cpu = c.cpu { decimal(.cpu, cpu) }
            state(f.state)
            hex(.address, f.base)
            decimal(.size, f.size)
            if let name = frames.text(f.name) { try text(.name, name) }
            decimal(.checksum, f.checksum.map(UInt64.init))
            decimal(.imageTimestamp, f.timeDateStamp.map(UInt64.init))
            if let pdb = frames.text(f.pdb) { try self.pdb(pdb) }
        default:
            break
        }
    }
}

/// The longest an event's text can be without its stack, with room to spare: reserve this before emitting.
let maximumTextEventLength = 2048
/// The longest one stack frame can be in text (`"0xffffffffffffffff",`).
let maximumTextFrameLength = 24

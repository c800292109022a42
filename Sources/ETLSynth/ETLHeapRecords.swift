/// Heap trace provider records (hook group 0x10) with the packed payloads of FORMAT.md §5.1.
public enum ETLHeapRecords {
    public static let group: UInt8 = 0x10

    /// Where a heap record goes: its header's width and form, thread, process, time and extension words.
    public struct Header: Sendable {
        public var width: ETLPointerWidth
        public var compact: Bool
        public var thread: UInt32
        public var process: UInt32
        public var ticks: Int64
        public var pmcCounters: Int
        public var pebs: Bool

        public init(_ width: ETLPointerWidth, thread: UInt32, process: UInt32, ticks: Int64, compact: Bool = false,
                    pmcCounters: Int = 0, pebs: Bool = false) {
            self.width = width
            self.compact = compact
            self.thread = thread
            self.process = process
            self.ticks = ticks
            self.pmcCounters = pmcCounters
            self.pebs = pebs
        }
    }

    /// A heap record with `opcode`, `version` and a payload built by `body`; `extra` bytes are appended
    /// (payloads longer than the layout must be accepted).
    public static func record(_ h: Header, opcode: UInt8, version: UInt8, extra: [UInt8] = [],
                              _ body: (inout LittleEndianWriter) -> Void) -> [UInt8] {
        var w = LittleEndianWriter()
        body(&w)
        w.append(extra)
        return ETLRecords.system(h.width, compact: h.compact, group: group, opcode: opcode, version: version,
                                 thread: h.thread, process: h.process, ticks: h.ticks,
                                 pmcCounters: h.pmcCounters, pebs: h.pebs, payload: w.bytes)
    }

    public static func alloc(_ h: Header, heap: UInt64, size: UInt64, address: UInt64, source: UInt32, extra: [UInt8] = []) -> [UInt8] {
        record(h, opcode: 0x21, version: 2, extra: extra) { w in
            w.pointer(heap, h.width); w.pointer(size, h.width); w.pointer(address, h.width); w.u32(source)
        }
    }

    public static func free(_ h: Header, heap: UInt64, address: UInt64, source: UInt32, extra: [UInt8] = []) -> [UInt8] {
        record(h, opcode: 0x24, version: 2, extra: extra) { w in
            w.pointer(heap, h.width); w.pointer(address, h.width); w.u32(source)
        }
    }

    public static func realloc(_ h: Header, heap: UInt64, newAddress: UInt64, oldAddress: UInt64, newSize: UInt64,
                               oldSize: UInt64, source: UInt32, extra: [UInt8] = []) -> [UInt8] {
        record(h, opcode: 0x22, version: 2, extra: extra) { w in
            w.pointer(heap, h.width); w.pointer(newAddress, h.width); w.pointer(oldAddress, h.width)
            w.pointer(newSize, h.width); w.pointer(oldSize, h.width); w.u32(source)
        }
    }

    /// HeapCreate version 3 (with sizes) or, with `version < 3`, only the handle and flags.
    public static func create(_ h: Header, heap: UInt64, flags: UInt32, reserveSize: UInt64 = 0, commitSize: UInt64 = 0,
                              allocatedSize: UInt64 = 0, version: UInt8 = 3) -> [UInt8] {
        record(h, opcode: 0x20, version: version) { w in
            w.pointer(heap, h.width); w.u32(flags)
            if version >= 3 {
                w.pointer(reserveSize, h.width); w.pointer(commitSize, h.width); w.pointer(allocatedSize, h.width)
            }
        }
    }

    public static func destroy(_ h: Header, heap: UInt64) -> [UInt8] {
        record(h, opcode: 0x23, version: 2) { w in w.pointer(heap, h.width) }
    }

    /// HeapExpand (0x25) or HeapContract (0x2A): same layout; AllocatedSpace only from version 3.
    public static func expandOrContract(_ h: Header, contract: Bool = false, heap: UInt64, size: UInt64, address: UInt64,
                                        freeSpace: UInt64, committedSpace: UInt64, reservedSpace: UInt64,
                                        noOfUCRs: UInt32, allocatedSpace: UInt64, version: UInt8 = 3) -> [UInt8] {
        record(h, opcode: contract ? 0x2A : 0x25, version: version) { w in
            w.pointer(heap, h.width); w.pointer(size, h.width); w.pointer(address, h.width)
            w.pointer(freeSpace, h.width); w.pointer(committedSpace, h.width); w.pointer(reservedSpace, h.width)
            w.u32(noOfUCRs)
            if version >= 3 { w.pointer(allocatedSpace, h.width) }
        }
    }

    public static func snapshot(_ h: Header, heap: UInt64, freeSpace: UInt64, committedSpace: UInt64, reservedSpace: UInt64,
                                flags: UInt32, process: UInt32, largeUCRSpace: UInt64, freeListLength: UInt32,
                                ucrLength: UInt32, allocatedSpace: UInt64, version: UInt8 = 3) -> [UInt8] {
        record(h, opcode: 0x26, version: version) { w in
            w.pointer(heap, h.width); w.pointer(freeSpace, h.width); w.pointer(committedSpace, h.width)
            w.pointer(reservedSpace, h.width); w.u32(flags); w.u32(process); w.pointer(largeUCRSpace, h.width)
            w.u32(freeListLength); w.u32(ucrLength)
            if version >= 3 { w.pointer(allocatedSpace, h.width) }
        }
    }

    /// Any other heap opcode (lock, unlock, walk, commit, ...): the heap handle, then `rest`.
    public static func handleOnly(_ h: Header, opcode: UInt8, heap: UInt64, rest: [UInt8] = []) -> [UInt8] {
        record(h, opcode: opcode, version: 2, extra: rest) { w in w.pointer(heap, h.width) }
    }

    /// A heap record whose payload is exactly `payload` (for short or odd payloads).
    public static func raw(_ h: Header, opcode: UInt8, version: UInt8 = 2, payload: [UInt8]) -> [UInt8] {
        record(h, opcode: opcode, version: version) { w in w.append(payload) }
    }
}

/// StackWalk records (hook group 0x18, PERFINFO headers) of FORMAT.md §6.
public enum ETLStackWalkRecords {
    public static let group: UInt8 = 0x18

    /// Frames inline for the event of `thread` at `eventTicks`; frame 0 is the innermost.
    public static func stack(_ width: ETLPointerWidth, ticks: Int64, eventTicks: Int64, process: UInt32, thread: UInt32,
                             frames: [UInt64], pmcCounters: Int = 0) -> [UInt8] {
        var w = LittleEndianWriter()
        w.i64(eventTicks); w.u32(process); w.u32(thread)
        for frame in frames { w.pointer(frame, width) }
        return ETLRecords.perfinfo(width, group: group, opcode: 0x20, ticks: ticks, pmcCounters: pmcCounters, payload: w.bytes)
    }

    /// StackKeyKernel (`kernel`) or StackKeyUser: the event's stack is the one `key` names.
    public static func keyReference(_ width: ETLPointerWidth, kernel: Bool, ticks: Int64, eventTicks: Int64,
                                    process: UInt32, thread: UInt32, key: UInt64) -> [UInt8] {
        var w = LittleEndianWriter()
        w.i64(eventTicks); w.u32(process); w.u32(thread); w.pointer(key, width)
        return ETLRecords.perfinfo(width, group: group, opcode: kernel ? 0x25 : 0x26, ticks: ticks, payload: w.bytes)
    }

    /// What a key definition record is.
    public enum Definition: UInt8, Sendable {
        case create = 0x22
        case delete = 0x23
        case rundown = 0x24
    }

    /// KeyCreate, KeyDelete or KeyRundown: `key` names `frames`.
    public static func keyDefinition(_ width: ETLPointerWidth, _ kind: Definition, ticks: Int64, key: UInt64,
                                     frames: [UInt64]) -> [UInt8] {
        var w = LittleEndianWriter()
        w.pointer(key, width)
        for frame in frames { w.pointer(frame, width) }
        return ETLRecords.perfinfo(width, group: group, opcode: kind.rawValue, ticks: ticks, payload: w.bytes)
    }
}

/// Builders for single event records, header included, as ETW stores them in a buffer (FORMAT.md §2).
/// Sizes are those of the record without its 8-byte alignment padding, which the buffer adds.
public enum ETLRecords {
    /// A SYSTEM_TRACE_HEADER record (full 0x20 bytes, or compact 0x18): heap events use these.
    ///
    /// `pmcCounters` (0-7) and `pebs` set the Version bits that announce 8-byte words between the header and
    /// the payload; `extensionWords` supplies their values (zeros by default).
    public static func system(
        _ width: ETLPointerWidth, compact: Bool = false, group: UInt8, opcode: UInt8, version: UInt8 = 2,
        thread: UInt32, process: UInt32, ticks: Int64, kernelTime: UInt32 = 0, userTime: UInt32 = 0,
        pmcCounters: Int = 0, pebs: Bool = false, extensionWords: [UInt64]? = nil, payload: [UInt8]
    ) -> [UInt8] {
        let headerSize = compact ? 0x18 : 0x20
        let words = pmcCounters + (pebs ? 1 : 0)
        var w = LittleEndianWriter(capacity: headerSize + 8 * words + payload.count)
        w.u16(versionField(version, pmcCounters: pmcCounters, pebs: pebs))
        w.u8(compact ? (width == .bits32 ? 0x03 : 0x04) : (width == .bits32 ? 0x01 : 0x02))
        w.u8(0xC0)
        w.u16(UInt16(headerSize + 8 * words + payload.count))
        w.u8(opcode)
        w.u8(group)
        w.u32(thread)
        w.u32(process)
        w.i64(ticks)
        if !compact {
            w.u32(kernelTime)
            w.u32(userTime)
        }
        appendExtensionWords(&w, words, extensionWords)
        w.append(payload)
        return w.bytes
    }

    /// A PERFINFO_TRACE_HEADER record (0x10 bytes, no thread or process): StackWalk uses these.
    public static func perfinfo(
        _ width: ETLPointerWidth, group: UInt8, opcode: UInt8, version: UInt8 = 2, ticks: Int64,
        pmcCounters: Int = 0, pebs: Bool = false, extensionWords: [UInt64]? = nil, payload: [UInt8]
    ) -> [UInt8] {
        let words = pmcCounters + (pebs ? 1 : 0)
        var w = LittleEndianWriter(capacity: 0x10 + 8 * words + payload.count)
        w.u16(versionField(version, pmcCounters: pmcCounters, pebs: pebs))
        w.u8(width == .bits32 ? 0x10 : 0x11)
        w.u8(0xC0)
        w.u16(UInt16(0x10 + 8 * words + payload.count))
        w.u8(opcode)
        w.u8(group)
        w.i64(ticks)
        appendExtensionWords(&w, words, extensionWords)
        w.append(payload)
        return w.bytes
    }

    /// An EVENT_HEADER record (manifest or TraceLogging provider), with optional extended data items.
    public static func eventHeader(
        _ width: ETLPointerWidth, provider: [UInt8], id: UInt16 = 1, version: UInt8 = 0, opcode: UInt8 = 0,
        thread: UInt32, process: UInt32, ticks: Int64, extendedItems: [(type: UInt16, data: [UInt8])] = [],
        userData: [UInt8] = []
    ) -> [UInt8] {
        precondition(provider.count == 16)
        var items = LittleEndianWriter()
        for (i, item) in extendedItems.enumerated() {
            let padded = (item.data.count + 7) & ~7
            items.u16(UInt16(8 + padded))
            items.u16(item.type)
            items.u16(i + 1 < extendedItems.count ? 1 : 0)
            items.u16(UInt16(item.data.count))
            items.append(item.data)
            items.fill(0, count: padded - item.data.count)
        }
        var w = LittleEndianWriter()
        w.u16(UInt16(0x50 + items.count + userData.count))
        w.u8(width == .bits32 ? 0x12 : 0x13)
        w.u8(0xC0)
        w.u16(extendedItems.isEmpty ? 0 : 1)
        w.u16(0)
        w.u32(thread)
        w.u32(process)
        w.i64(ticks)
        w.append(provider)
        w.u16(id)
        w.u8(version)
        w.u8(0)
        w.u8(4)
        w.u8(opcode)
        w.u16(0)
        w.u64(0)
        w.u64(0)
        w.fill(0, count: 16)
        w.append(items.bytes)
        w.append(userData)
        return w.bytes
    }

    /// A classic EVENT_TRACE_HEADER record (FULL_HEADER, 0x30), or with `instance` an EVENT_INSTANCE_GUID_HEADER
    /// (0x48) (FORMAT.md §2.4): `type` is the opcode (Class.Type @4), then Class.Level @5 and Class.Version (u16)
    /// @6 — the KernelTraceControl ImageID records are FULL_HEADERs of version 2.
    public static func classic(
        _ width: ETLPointerWidth, instance: Bool = false, guid: [UInt8], type: UInt8 = 0, level: UInt8 = 0,
        version: UInt16 = 0, thread: UInt32, process: UInt32, ticks: Int64, payload: [UInt8] = []
    ) -> [UInt8] {
        precondition(guid.count == 16)
        let headerSize = instance ? 0x48 : 0x30
        var w = LittleEndianWriter()
        w.u16(UInt16(headerSize + payload.count))
        w.u8(instance ? (width == .bits32 ? 0x0B : 0x15) : (width == .bits32 ? 0x0A : 0x14))
        w.u8(0xC0)
        w.u8(type)
        w.u8(level)
        w.u16(version)
        w.u32(thread)
        w.u32(process)
        w.i64(ticks)
        w.append(guid)
        w.u64(0)
        if instance {
            w.u32(1)
            w.u32(0)
            w.fill(0, count: 16)
        }
        w.append(payload)
        return w.bytes
    }

    /// A WPP / TraceMessage record: marker flags 0x90, here with a sequence number only.
    public static func message(number: UInt16, payload: [UInt8] = []) -> [UInt8] {
        var w = LittleEndianWriter()
        w.u16(UInt16(8 + 4 + payload.count))
        w.u8(0)
        w.u8(0x90)
        w.u16(number)
        w.u16(0x01)
        w.u32(1)
        w.append(payload)
        return w.bytes
    }

    static func versionField(_ version: UInt8, pmcCounters: Int, pebs: Bool) -> UInt16 {
        precondition((0...7).contains(pmcCounters))
        return UInt16(version) | UInt16(pmcCounters) << 8 | (pebs ? 0x8000 : 0)
    }

    static func appendExtensionWords(_ w: inout LittleEndianWriter, _ count: Int, _ values: [UInt64]?) {
        for i in 0..<count {
            w.u64(values.map { $0[i] } ?? 0xE0E0_0000_0000_0000 | UInt64(i))
        }
    }

    /// A GUID's 16 bytes in Windows storage order from its text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public static func guid(_ text: String) -> [UInt8] {
        let hex = text.filter { $0 != "-" }
        precondition(hex.count == 32)
        var raw: [UInt8] = []
        var index = hex.startIndex
        for _ in 0..<16 {
            let next = hex.index(index, offsetBy: 2)
            raw.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        // Data1, Data2 and Data3 are little-endian; Data4 is a byte array.
        return [raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]] + raw[8...]
    }
}

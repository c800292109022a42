/// The fields of a kernel-style header (SYSTEM full/compact, PERFINFO) and where its payload is
/// (FORMAT.md §2.1-2.2).
struct KernelRecord {
    let kind: RecordKind
    /// The whole record, `[0, size)`.
    let bytes: ByteView

    /// `record` must be a kernel-header kind, lying inside `buffer`.
    init(_ record: RawRecord, in buffer: ByteView) {
        precondition(record.kind.isKernelHeader)
        kind = record.kind
        // The cursor checked that the record lies inside the buffer and is at least its header size.
        bytes = buffer.slice(record.position, record.size)!
    }

    /// The full `Version` field: event version in the low byte, PMC counter count in bits 8-10, PEBS flag in
    /// bit 15.
    var versionField: UInt16 { bytes.u16(0) }
    /// The event version (`Version & 0xFF`).
    var version: UInt8 { UInt8(truncatingIfNeeded: versionField) }
    var opcode: UInt8 { bytes.u8(6) }
    var group: UInt8 { bytes.u8(7) }
    /// Raw clock ticks of the event.
    var timestamp: Int64 { bytes.i64(kind.timestampOffset!) }
    /// Thread id; 0 for PERFINFO headers, which have none.
    var threadID: UInt32 { kind.hasThread ? bytes.u32(8) : 0 }
    /// Process id; 0 for PERFINFO headers, which have none.
    var processID: UInt32 { kind.hasThread ? bytes.u32(0x0C) : 0 }

    /// Bytes of PMC counters and PEBS index between the fixed header and the payload (8 each).
    @inline(__always)
    var extensionBytes: Int {
        let v = versionField
        return 8 * (Int((v >> 8) & 0x7) + Int(v >> 15))
    }

    /// The payload after the fixed header and any PMC/PEBS words; `nil` when those words do not fit in the
    /// record.
    @inline(__always)
    var payload: ByteView? {
        let start = kind.headerSize + extensionBytes
        return bytes.slice(start, bytes.count - start)
    }
}

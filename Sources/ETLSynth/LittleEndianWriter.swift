/// Appends little-endian integers and raw bytes to a byte array: the one primitive every ETLSynth builder
/// uses.
public struct LittleEndianWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) { append(value) }
    public mutating func u32(_ value: UInt32) { append(value) }
    public mutating func u64(_ value: UInt64) { append(value) }
    public mutating func i32(_ value: Int32) { append(UInt32(bitPattern: value)) }
    public mutating func i64(_ value: Int64) { append(UInt64(bitPattern: value)) }

    /// A pointer-sized value: the low 4 bytes for 32-bit records, 8 bytes for 64-bit ones.
    public mutating func pointer(_ value: UInt64, _ width: ETLPointerWidth) {
        if width == .bits32 { u32(UInt32(truncatingIfNeeded: value)) } else { u64(value) }
    }

    public mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends `count` copies of `byte`.
    public mutating func fill(_ byte: UInt8, count: Int) {
        bytes.append(contentsOf: repeatElement(byte, count: count))
    }

    /// Pads with `byte` to a multiple of `alignment`.
    public mutating func align(_ alignment: Int, with byte: UInt8 = 0) {
        let rest = bytes.count % alignment
        if rest != 0 { fill(byte, count: alignment - rest) }
    }

    /// NUL-terminated UTF-16LE.
    public mutating func utf16z(_ text: String) {
        for unit in text.utf16 { u16(unit) }
        u16(0)
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Overwrites a little-endian value already written at `offset`.
    public mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, byte) in raw.enumerated() { bytes[offset + i] = byte }
        }
    }
}

/// The pointer size of a record: decided per record by its header type.
public enum ETLPointerWidth: Sendable {
    case bits32
    case bits64

    /// 4 or 8.
    public var bytes: Int { self == .bits32 ? 4 : 8 }
}

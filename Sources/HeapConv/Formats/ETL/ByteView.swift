/// A read-only, bounds-checked little-endian view of bytes the ETL reader owns (a buffer it read or
/// decompressed).
///
/// Every load checks `offset + width <= count` with a `precondition`: parsers check lengths first and turn a
/// short input into a ``ConversionError``, so a failed precondition is a bug in heapconv, never a consequence
/// of the input. The `unchecked` loads skip that comparison and are only used right after an explicit length
/// check, named at each call site.
struct ByteView {
    /// `nil` only when `count` is 0.
    let base: UnsafeRawPointer?
    let count: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        count = bytes.count
    }

    init(base: UnsafeRawPointer?, count: Int) {
        precondition(count >= 0 && (count == 0 || base != nil))
        self.base = base
        self.count = count
    }

    /// Whether `length` bytes starting at `offset` lie inside the view (no overflow for any inputs).
    @inline(__always)
    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count &- length
    }

    /// The `length` bytes at `offset`, or `nil` when they do not lie inside the view.
    @inline(__always)
    func slice(_ offset: Int, _ length: Int) -> ByteView? {
        guard contains(offset, length) else { return nil }
        // Safe: `contains` checked the range; a zero-length slice of an empty view keeps a nil base.
        return ByteView(base: base.map { $0 + offset }, count: length)
    }

    @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        precondition(contains(offset, 1))
        return base.unsafelyUnwrapped.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        precondition(contains(offset, 2))
        return UInt16(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        precondition(contains(offset, 4))
        return UInt32(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        precondition(contains(offset, 8))
        return UInt64(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    func i64(_ offset: Int) -> Int64 { Int64(bitPattern: u64(offset)) }

    /// A pointer-sized unsigned value: 4 or 8 bytes, zero-extended.
    @inline(__always)
    func pointer(_ offset: Int, width: Int) -> UInt64 {
        width == 8 ? u64(offset) : UInt64(u32(offset))
    }

    /// `u32` without the range check. The caller must have checked `contains(offset, 4)`.
    @inline(__always)
    func u32Unchecked(_ offset: Int) -> UInt32 {
        assert(contains(offset, 4))
        return UInt32(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// `u16` without the range check. The caller must have checked `contains(offset, 2)`.
    @inline(__always)
    func u16Unchecked(_ offset: Int) -> UInt16 {
        assert(contains(offset, 2))
        return UInt16(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// The bytes as an array (for small, rare copies such as a log-file name).
    func array(_ offset: Int, _ length: Int) -> [UInt8]? {
        guard let part = slice(offset, length) else { return nil }
        guard let base = part.base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: length))
    }
}

extension FixedWidthInteger {
    /// `0x1a2b`: lower-case hex with the prefix, as error messages write offsets and sizes.
    var hex: String { "0x" + String(self, radix: 16) }
}

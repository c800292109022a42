/// A byte buffer that writers format into and that flushes to a ``ByteSink`` when full.
///
/// Writers call ``reserve(_:)`` once for the most bytes a piece of output can take, then append without
/// further checks of their own; every append still checks capacity with a precondition, so a wrong bound
/// traps instead of writing out of bounds.
public final class OutputBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes appended since the last flush.
    // Unchecked: the buffer belongs to one writer on one thread, and no method holds an access to `count`
    // across a call that could touch it again; dynamic checks cost ~5 % of a conversion.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Bytes flushed to the sink so far.
    public private(set) var flushedBytes: UInt64 = 0
    public let sink: any ByteSink

    public init(sink: any ByteSink, capacity: Int = 1 << 18) {
        self.sink = sink
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Total bytes written through this buffer, flushed or not.
    public var totalBytes: UInt64 { flushedBytes + UInt64(count) }

    /// Makes room for at least `n` more bytes, flushing first if needed. `n` may exceed the capacity only
    /// through ``append(bytes:)``, which handles large pieces itself.
    @inline(__always)
    public func reserve(_ n: Int) throws(ConversionError) {
        if count + n > storage.count { try flush() }
        precondition(n <= storage.count, "OutputBuffer.reserve beyond capacity")
    }

    /// Hands the buffered bytes to the sink.
    public func flush() throws(ConversionError) {
        guard count > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
        flushedBytes += UInt64(count)
        count = 0
    }

    /// Flushes and finishes the sink (writes a compressor's trailer).
    public func finish() throws(ConversionError) {
        try flush()
        try sink.finish()
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        precondition(count < storage.count)
        storage[count] = byte
        count += 1
    }

    /// Appends ASCII text known at compile time (keys, punctuation).
    @inline(__always)
    public func append(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        precondition(count + n <= storage.count)
        storage.baseAddress!.advanced(by: count).copyMemory(from: text.utf8Start, byteCount: n)
        count += n
    }

    /// Appends bytes that fit in the room already reserved with ``reserve(_:)`` (text formatted once and
    /// copied often, such as a timestamp shared by several records); traps if they do not.
    @inline(__always)
    public func append(reserved bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= storage.count)
        guard let source = bytes.baseAddress else { return }
        storage.baseAddress!.advanced(by: count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends bytes of any length, flushing as needed.
    public func append(bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        var rest = bytes
        while !rest.isEmpty {
            if count == storage.count { try flush() }
            let n = min(rest.count, storage.count - count)
            UnsafeMutableRawBufferPointer(rebasing: storage[count..<count + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            count += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    /// Appends the UTF-8 of `text`, flushing as needed.
    public func append(string text: String) throws(ConversionError) {
        var text = text
        var failure: ConversionError?
        text.withUTF8 { utf8 in
            do throws(ConversionError) { try append(bytes: UnsafeRawBufferPointer(utf8)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends `value` in decimal (at most 20 bytes).
    @inline(__always)
    public func append(decimal value: UInt64) {
        precondition(count + 20 <= storage.count)
        let digits = Self.decimalDigitCount(value)
        var v = value
        var i = count + digits
        let pairs = Self.digitPairs.utf8Start
        // Two digits per division; the writes stay in [count, count + digits), inside the precondition's bound.
        while v >= 100 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            i -= 2
            storage[i] = pairs[Int(r) * 2]
            storage[i + 1] = pairs[Int(r) * 2 + 1]
            v = q
        }
        if v >= 10 {
            i -= 2
            storage[i] = pairs[Int(v) * 2]
            storage[i + 1] = pairs[Int(v) * 2 + 1]
        } else {
            i -= 1
            storage[i] = UInt8(truncatingIfNeeded: v) &+ 0x30
        }
        count += digits
    }

    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Appends `value` in decimal with a leading `-` when negative (at most 20 bytes).
    @inline(__always)
    public func append(decimal value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            append(decimal: value.magnitude)
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Appends `value` as lower-case hex with `0x` and no leading zeros (at most 18 bytes).
    @inline(__always)
    public func append(hex value: UInt64) {
        precondition(count + 18 <= storage.count)
        let nibbles = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        // All sixteen digits as two words of text with the significant ones first; the bytes after them
        // are written but not counted (the precondition covers all 18), and the next append overwrites them.
        let aligned = value << UInt64(4 * (16 - nibbles))
        let p = storage.baseAddress! + count
        p.storeBytes(of: (0x7830 as UInt16).littleEndian, as: UInt16.self)  // "0x"
        (p + 2).storeBytes(of: Self.hexText(UInt32(truncatingIfNeeded: aligned >> 32)).littleEndian, toByteOffset: 0, as: UInt64.self)
        (p + 10).storeBytes(of: Self.hexText(UInt32(truncatingIfNeeded: aligned)).littleEndian, toByteOffset: 0, as: UInt64.self)
        count += 2 + nibbles
    }

    /// The eight hex digits of `value` (lower case, most significant first) as eight bytes of text in a
    /// word to store little-endian: every nibble spread into its own byte, then 0-9 and a-f added at once.
    @inline(__always)
    static func hexText(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // Nibble j is now byte j, least significant first; text wants the most significant first.
        x = x.byteSwapped
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return x &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        // Estimate from the bit length (log10(2) ≈ 1233/4096), then correct by one comparison.
        let bits = 64 - (value | 1).leadingZeroBitCount
        let estimate = (bits * 1233) >> 12
        return max(1, estimate + (value >= powersOfTen[estimate] ? 1 : 0))
    }

    private static let powersOfTen: [UInt64] = (0..<20).map { e in (0..<e).reduce(1) { r, _ in r * 10 } }
}

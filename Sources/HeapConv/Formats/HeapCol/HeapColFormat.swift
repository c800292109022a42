/// heapconv's gzip'd columnar format (`.heapcol`), read and written. `Schemas/heapcol.md` is its normative
/// specification; the constants below are the numbers it fixes.
public enum HeapColFormat {
    public static let entry = FormatEntry(
        name: "heapcol", extensions: ["heapcol"], allowsGzip: false, writesGzip: true, readerIsLight: true,
        summary: "compact columnar binary (read, write)",
        makeReader: { context throws(ConversionError) in
            // The file is one gzip stream by design, whatever its name: decompress it here.
            try HeapColReader(source: try FileDescriptorSource.open(context.path), name: context.name)
        },
        makeWriter: { context in HeapColWriter(output: context.output) },
        gzipSettings: HeapColFormat.gzipSettings)

    /// `--level` for `.heapcol`: 1, the default, is Huffman-only coding (``HuffmanGzipSink``); 2 to 9 are
    /// zlib's levels.
    ///
    /// The columns leave few repeated byte strings for deflate's matching to find, so Huffman-only coding
    /// comes within 0-2 % of level 1's size at nearly three times zlib's speed (measured: 97-108 MB/s against
    /// 34-39 MB/s of CPU time), and heapconv's own encoder does it in under half of zlib's instructions
    /// (on the benchmark trace, 37 per byte with the CRC against zlib's 100).
    @Sendable
    static func gzipSettings(level: Int32?) -> GzipSettings {
        guard let level, level > 1 else { return GzipSettings(level: 1, strategy: .huffmanOnly) }
        return GzipSettings(level: level)
    }

    /// `HEAPCOL` and a zero byte: the first 8 bytes of the decompressed stream.
    static let magic: [UInt8] = [0x48, 0x45, 0x41, 0x50, 0x43, 0x4F, 0x4C, 0x00]
    /// The major version this code reads and writes; another major version is rejected.
    static let majorVersion: UInt8 = 1
    /// The minor version this code writes (1: context blocks and their footer counts); any minor version
    /// of ``majorVersion`` is read.
    static let minorVersion: UInt8 = 1
    /// Magic plus the two version bytes.
    static let headerLength = 10

    /// Block tags.
    static let rowGroupTag: UInt8 = 0x52  // "R"
    static let footerTag: UInt8 = 0x46  // "F"
    /// Tag and length before a block's body.
    static let blockHeaderLength = 5
    /// The CRC-32 after a block's body.
    static let blockTrailerLength = 4
    /// The largest block body a reader accepts (2^28 bytes).
    static let maximumBodyLength = 1 << 28

    /// The most events in one row group.
    static let maximumRowGroupEvents = 65_536
    /// The most entries the stack dictionary may hold.
    static let maximumStackEntries = 1 << 20
    /// The most frames the stack dictionary may hold, all entries together.
    static let maximumStackFrames = 1 << 23

    /// Row-group flag: empty the stack dictionary before this group's additions.
    static let resetStackDictionaryFlag: UInt64 = 1

    /// Footer values of version 1.0: row groups, events, and one count per heap event kind.
    static let footerValueCount = 2 + EventKind.heapKinds.count
    /// Footer values version 1.1 adds: context records, then per kind (process, thread, image).
    static let contextFooterValueCount = 4
}

/// The columns of a row group, by id (`Schemas/heapcol.md` §5.3).
enum HeapColColumn: Int, CaseIterable {
    case kind, time, pidDict, pid, tidDict, tid, cpu, heapDict, heap
    case address, size, oldAddress, oldSize, source, flags, details, stackDict, stack

    /// The name the specification uses, for error messages.
    var name: String {
        switch self {
        case .kind: "kind"
        case .time: "time"
        case .pidDict: "pid_dict"
        case .pid: "pid"
        case .tidDict: "tid_dict"
        case .tid: "tid"
        case .cpu: "cpu"
        case .heapDict: "heap_dict"
        case .heap: "heap"
        case .address: "address"
        case .size: "size"
        case .oldAddress: "old_address"
        case .oldSize: "old_size"
        case .source: "source"
        case .flags: "flags"
        case .details: "details"
        case .stackDict: "stack_dict"
        case .stack: "stack"
        }
    }
}

/// LEB128 varints and zig-zag (`Schemas/heapcol.md` §2).
enum Varint {
    /// Bytes the varint of `value` takes: 1 to 10.
    @inline(__always)
    static func length(_ value: UInt64) -> Int {
        (70 &- (value | 1).leadingZeroBitCount) / 7
    }

    /// Writes the varint of `value` at `p`, which must have room for ``length(_:)`` bytes; returns that length.
    @inline(__always)
    static func put(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var i = 0
        while v >= 0x80 {
            p[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            i &+= 1
        }
        p[i] = UInt8(truncatingIfNeeded: v)
        return i &+ 1
    }

    /// Reads a varint from `p[position..<end]`, advancing `position`; `nil` when it runs past `end`, is
    /// longer than 10 bytes or does not fit in 64 bits.
    @inline(__always)
    static func read(_ p: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int) -> UInt64? {
        guard position < end else { return nil }
        let first = p[position]
        if first < 0x80 {
            position &+= 1
            return UInt64(first)
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = position
        while i < end {
            let byte = p[i]
            i &+= 1
            if shift == 63 {
                // The 10th byte holds bit 63 only.
                guard byte <= 1 else { return nil }
                position = i
                return result | UInt64(byte) << 63
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                position = i
                return result
            }
            shift &+= 7
        }
        return nil
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always)
    static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// zig-zag of the wrapping difference `a − b` of two 64-bit values.
    @inline(__always)
    static func delta(_ a: UInt64, from b: UInt64) -> UInt64 {
        zigzag(Int64(bitPattern: a &- b))
    }

    /// The value whose ``delta(_:from:)`` from `b` is `z`.
    @inline(__always)
    static func undelta(_ z: UInt64, from b: UInt64) -> UInt64 {
        b &+ UInt64(bitPattern: unzigzag(z))
    }
}

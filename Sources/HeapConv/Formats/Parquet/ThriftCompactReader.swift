/// Decodes Thrift compact-protocol structs (Parquet's page headers and footer) from bytes in memory, with
/// every length and count checked against what is left, nesting limited, and unknown fields skipped, so
/// that damaged or hostile bytes give an error, never a crash or a huge allocation.
struct ThriftCompactReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    /// The file offset of `bytes[0]`, for messages.
    let baseOffset: UInt64
    private var depth = 0

    /// Why the bytes are not a valid struct: a message and the file offset where it was found; `truncated`
    /// when the bytes ended first (more bytes might make it valid).
    struct Failure: Error {
        var message: String
        var offset: UInt64
        var truncated = false
    }

    /// The most elements a list or map may have (as arrow's Thrift reader allows): a footer of a few
    /// hundred megabytes cannot make millions of structs.
    static let maximumContainer = 1_000_000

    typealias WireType = ThriftCompactWriter.WireType

    /// Structs nest at most this deep (Parquet's nest four or five).
    static let maximumDepth = 32

    init(_ bytes: [UInt8], baseOffset: UInt64 = 0, position: Int = 0) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.position = position
    }

    /// The bytes not read yet.
    var remaining: Int { bytes.count - position }

    func failure(_ message: String, truncated: Bool = false) -> Failure {
        Failure(message: message, offset: baseOffset + UInt64(position), truncated: truncated)
    }

    mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw failure("the Thrift data ends in the middle of a value", truncated: true) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 63 && b > 1 { throw failure("a Thrift varint overflows 64 bits") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    mutating func zigzag() throws(Failure) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    /// Reads an integer field of wire type `type` (i8, i16, i32 or i64, as Thrift allows a reader to
    /// take any of them for another).
    mutating func integer(_ type: UInt8) throws(Failure) -> Int64 {
        switch type {
        case WireType.byte.rawValue: return Int64(Int8(bitPattern: try byte()))
        case WireType.i16.rawValue, WireType.i32.rawValue, WireType.i64.rawValue: return try zigzag()
        default: throw failure("expected an integer, found Thrift type \(type)")
        }
    }

    /// An `i32` field that must fit in 32 bits.
    mutating func i32(_ type: UInt8) throws(Failure) -> Int32 {
        let value = try integer(type)
        guard let result = Int32(exactly: value) else { throw failure("value \(value) does not fit an i32") }
        return result
    }

    mutating func bool(_ type: UInt8) throws(Failure) -> Bool {
        switch type {
        case WireType.booleanTrue.rawValue: return true
        case WireType.booleanFalse.rawValue: return false
        default: throw failure("expected a bool, found Thrift type \(type)")
        }
    }

    /// A binary or string field's bytes.
    mutating func binary(_ type: UInt8) throws(Failure) -> [UInt8] {
        guard type == WireType.binary.rawValue else { throw failure("expected binary data, found Thrift type \(type)") }
        let count = try varint()
        guard count <= UInt64(remaining) else { throw failure("a Thrift string of \(count) bytes runs past the end of its data", truncated: true) }
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    mutating func string(_ type: UInt8) throws(Failure) -> String {
        String(decoding: try binary(type), as: UTF8.self)
    }

    /// A list header: element type and count, the count checked against the bytes left (every element,
    /// bools included, takes at least one byte).
    mutating func listHeader(_ type: UInt8) throws(Failure) -> (element: UInt8, count: Int) {
        guard type == WireType.list.rawValue || type == WireType.set.rawValue else {
            throw failure("expected a list, found Thrift type \(type)")
        }
        let header = try byte()
        var count = UInt64(header >> 4)
        if count == 15 { count = try varint() }
        guard count <= UInt64(Self.maximumContainer) else { throw failure("a Thrift list of \(count) elements (at most \(Self.maximumContainer))") }
        guard count <= UInt64(remaining) else { throw failure("a Thrift list of \(count) elements runs past the end of its data", truncated: true) }
        return (header & 0x0F, Int(count))
    }

    /// Reads a struct: calls `field` with each field's id and wire type; `field` must read the value (or
    /// ``skip(_:)`` it).
    mutating func structure(_ field: (inout ThriftCompactReader, Int16, UInt8) throws(Failure) -> Void) throws(Failure) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw failure("Thrift structs nest deeper than \(Self.maximumDepth)") }
        var last: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return }
            let type = header & 0x0F
            let delta = header >> 4
            let id: Int16
            if delta == 0 {
                let wide = try zigzag()
                guard let narrow = Int16(exactly: wide) else { throw failure("Thrift field id \(wide) out of range") }
                id = narrow
            } else {
                id = last &+ Int16(delta)
            }
            last = id
            let before = position
            try field(&self, id, type)
            // A bool's value is its type; every other value takes at least a byte.
            if position == before && type != WireType.booleanTrue.rawValue && type != WireType.booleanFalse.rawValue {
                try skip(type)
            }
        }
    }

    /// Skips a value of wire type `type`.
    mutating func skip(_ type: UInt8) throws(Failure) {
        switch type {
        case WireType.booleanTrue.rawValue, WireType.booleanFalse.rawValue:
            return
        case WireType.byte.rawValue:
            _ = try byte()
        case WireType.i16.rawValue, WireType.i32.rawValue, WireType.i64.rawValue:
            _ = try varint()
        case WireType.double.rawValue:
            guard remaining >= 8 else { throw failure("the Thrift data ends in the middle of a double") }
            position += 8
        case WireType.binary.rawValue:
            let count = try varint()
            guard count <= UInt64(remaining) else { throw failure("a Thrift string of \(count) bytes runs past the end of its data") }
            position += Int(count)
        case WireType.list.rawValue, WireType.set.rawValue:
            let (element, count) = try listHeader(type)
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw failure("Thrift values nest deeper than \(Self.maximumDepth)") }
            for _ in 0..<count { try skipElement(element) }
        case WireType.map.rawValue:
            let count = try varint()
            guard count <= UInt64(Self.maximumContainer) else { throw failure("a Thrift map of \(count) entries (at most \(Self.maximumContainer))") }
            guard count <= UInt64(remaining) else { throw failure("a Thrift map of \(count) entries runs past the end of its data", truncated: true) }
            guard count > 0 else { return }
            let types = try byte()
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw failure("Thrift values nest deeper than \(Self.maximumDepth)") }
            for _ in 0..<count {
                try skipElement(types >> 4)
                try skipElement(types & 0x0F)
            }
        case WireType.structure.rawValue:
            try structure { (_: inout ThriftCompactReader, _: Int16, _: UInt8) throws(Failure) in }
        case 13:
            // UUID: 16 bytes.
            guard remaining >= 16 else { throw failure("the Thrift data ends in the middle of a UUID") }
            position += 16
        default:
            throw failure("unknown Thrift type \(type)")
        }
    }

    /// Skips a list, set or map element of type `type`: bools there are a byte each.
    private mutating func skipElement(_ type: UInt8) throws(Failure) {
        if type == WireType.booleanTrue.rawValue || type == WireType.booleanFalse.rawValue {
            _ = try byte()
        } else {
            try skip(type)
        }
    }

    /// Reads a list of structs, calling `element` for each with the reader at the struct's first field.
    mutating func structList(_ type: UInt8, _ element: (inout ThriftCompactReader) throws(Failure) -> Void) throws(Failure) {
        let (elementType, count) = try listHeader(type)
        guard elementType == WireType.structure.rawValue else { throw failure("expected a list of structs, found elements of Thrift type \(elementType)") }
        for _ in 0..<count { try element(&self) }
    }
}

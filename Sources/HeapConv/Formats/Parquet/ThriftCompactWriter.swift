/// Encodes Thrift structs in the compact protocol, the encoding of Parquet's page headers and footer
/// (apache/thrift `doc/specs/thrift-compact-protocol.md`).
///
/// Fields must be written in ascending id order within a struct: each field header holds the id's
/// difference from the previous one (1 to 15 in the header byte, else a zigzag varint after it), and the
/// previous id is kept per open struct.
struct ThriftCompactWriter {
    private(set) var bytes: [UInt8] = []
    /// The last field id written in each open struct, innermost last.
    private var lastField: [Int16] = [0]

    /// Compact-protocol type ids of the field header's low nibble.
    enum WireType: UInt8 {
        case booleanTrue = 1, booleanFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8
        case list = 9, set = 10, map = 11, structure = 12
    }

    init() {
        bytes.reserveCapacity(256)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    private mutating func fieldHeader(_ id: Int16, _ type: WireType) {
        let last = lastField[lastField.count - 1]
        let delta = Int(id) - Int(last)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func i32(_ id: Int16, _ value: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(value))
    }

    /// An `i32` field from an `Int` that fits (sizes and counts the caller has checked).
    mutating func i32(_ id: Int16, _ value: Int) {
        i32(id, Int32(value))
    }

    mutating func i64(_ id: Int16, _ value: Int64) {
        fieldHeader(id, .i64)
        zigzag(value)
    }

    mutating func i64(_ id: Int16, _ value: Int) {
        i64(id, Int64(value))
    }

    /// An `i8` field: one raw byte.
    mutating func i8(_ id: Int16, _ value: Int8) {
        fieldHeader(id, .byte)
        bytes.append(UInt8(bitPattern: value))
    }

    /// A `bool` field: the value is the header's type.
    mutating func bool(_ id: Int16, _ value: Bool) {
        fieldHeader(id, value ? .booleanTrue : .booleanFalse)
    }

    mutating func binary(_ id: Int16, _ value: some Collection<UInt8>) {
        fieldHeader(id, .binary)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ id: Int16, _ value: String) {
        binary(id, Array(value.utf8))
    }

    /// A struct field whose fields `body` writes; closes it with the stop byte.
    mutating func structure(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .structure)
        structBody(body)
    }

    /// The fields of a struct (a list element, or the outermost one) and its stop byte.
    mutating func structBody(_ body: (inout ThriftCompactWriter) -> Void) {
        lastField.append(0)
        body(&self)
        bytes.append(0)
        lastField.removeLast()
    }

    /// A list field's header: `count` elements of `element` type follow, without field headers.
    mutating func listHeader(_ id: Int16, element: WireType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | element.rawValue)
        } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    /// A list of `i32` (enum values).
    mutating func i32List(_ id: Int16, _ values: [Int32]) {
        listHeader(id, element: .i32, count: values.count)
        for value in values { zigzag(Int64(value)) }
    }

    /// A list of strings.
    mutating func stringList(_ id: Int16, _ values: [String]) {
        listHeader(id, element: .binary, count: values.count)
        for value in values {
            varint(UInt64(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }
    }

    /// A list of structs, each written by `body`.
    mutating func structList<Element>(_ id: Int16, _ elements: [Element], _ body: (inout ThriftCompactWriter, Element) -> Void) {
        listHeader(id, element: .structure, count: elements.count)
        for element in elements { structBody { body(&$0, element) } }
    }
}

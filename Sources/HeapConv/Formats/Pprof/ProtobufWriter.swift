/// The protocol-buffers wire format, as much as `profile.proto` needs: varints (wire type 0) and
/// length-delimited fields (wire type 2: strings, packed repeated integers, nested messages). A message is
/// built into a byte array, so a nested one is written whole and then appended with its length.
///
/// `int64` fields are not zig-zag encoded: a negative value takes ten bytes, as protobuf says. Fields whose
/// value is zero are left out by the callers (proto3's default), except where a reader needs them present.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    /// A varint field (int64, uint64, bool), written even when zero.
    mutating func field(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        varint(value)
    }

    /// A signed field: two's complement, ten bytes when negative.
    mutating func field(_ field: Int, signed value: Int64) {
        self.field(field, UInt64(bitPattern: value))
    }

    /// A varint field left out when zero.
    mutating func optional(_ field: Int, _ value: UInt64) {
        if value != 0 { self.field(field, value) }
    }

    /// A length-delimited field: `bytes` as they are (a string, or a nested message's encoding).
    mutating func field(_ field: Int, bytes content: some Collection<UInt8>) {
        tag(field, 2)
        varint(UInt64(content.count))
        bytes.append(contentsOf: content)
    }

    /// A nested message.
    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        self.field(field, bytes: nested.bytes)
    }

    /// Appends the fields another writer encoded (repeated fields gathered apart).
    mutating func append(_ other: ProtobufWriter) {
        bytes.append(contentsOf: other.bytes)
    }

    /// A packed repeated integer field (left out when empty).
    mutating func packed(_ field: Int, _ values: some Sequence<UInt64>) {
        var packed = ProtobufWriter()
        for value in values { packed.varint(value) }
        if !packed.bytes.isEmpty { self.field(field, bytes: packed.bytes) }
    }
}

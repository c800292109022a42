/// The parts of apache/parquet-format's `parquet.thrift` heapconv writes and reads: the footer
/// (`FileMetaData` and what it holds) and page headers, with their field ids, encoded and decoded in the
/// Thrift compact protocol. Fields heapconv does not use are skipped on reading and never written.
enum Parquet {
    /// `PAR1`: the first and the last four bytes of a file.
    static let magic: [UInt8] = [0x50, 0x41, 0x52, 0x31]

    /// A name from a file, for a one-line message: quoted, control characters replaced, shortened.
    static func quoted(_ name: String) -> String {
        Array(name.utf8).withUnsafeBytes { TextScalar.quoted($0) }
    }

    enum PhysicalType: Int32 {
        case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLengthByteArray = 7

        var name: String {
            switch self {
            case .boolean: "BOOLEAN"
            case .int32: "INT32"
            case .int64: "INT64"
            case .int96: "INT96"
            case .float: "FLOAT"
            case .double: "DOUBLE"
            case .byteArray: "BYTE_ARRAY"
            case .fixedLengthByteArray: "FIXED_LEN_BYTE_ARRAY"
            }
        }
    }

    enum Repetition: Int32 {
        case required = 0, optional = 1, repeated = 2
    }

    enum Encoding: Int32 {
        case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
        case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
    }

    enum Codec: Int32 {
        case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7

        var name: String {
            switch self {
            case .uncompressed: "UNCOMPRESSED"
            case .snappy: "SNAPPY"
            case .gzip: "GZIP"
            case .lzo: "LZO"
            case .brotli: "BROTLI"
            case .lz4: "LZ4"
            case .zstd: "ZSTD"
            case .lz4Raw: "LZ4_RAW"
            }
        }
    }

    enum PageType: Int32 {
        case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
    }

    /// ConvertedType values heapconv writes or interprets.
    enum ConvertedType {
        static let utf8: Int32 = 0, list: Int32 = 3, enumeration: Int32 = 4, timestampMillis: Int32 = 9
        static let timestampMicros: Int32 = 10, uint8: Int32 = 11, uint16: Int32 = 12, uint32: Int32 = 13
        static let uint64: Int32 = 14, int8: Int32 = 15, int16: Int32 = 16, int32: Int32 = 17, int64: Int32 = 18
        static let json: Int32 = 19
    }

    /// The LogicalType union's members heapconv writes or interprets.
    enum LogicalType: Equatable {
        case string
        case list
        case enumeration
        case json
        /// TIMESTAMP: `unit` 1 millis, 2 micros, 3 nanos.
        case timestamp(adjustedToUTC: Bool, unit: Int16)
        case integer(bitWidth: Int8, signed: Bool)
        /// Any other member (its field id).
        case other(Int16)

        func encode(_ w: inout ThriftCompactWriter) {
            switch self {
            case .string: w.structure(1) { _ in }
            case .list: w.structure(3) { _ in }
            case .enumeration: w.structure(4) { _ in }
            case .json: w.structure(12) { _ in }
            case .timestamp(let utc, let unit):
                w.structure(8) { t in
                    t.bool(1, utc)
                    t.structure(2) { u in u.structure(unit) { _ in } }
                }
            case .integer(let bits, let signed):
                w.structure(10) { i in
                    i.i8(1, bits)
                    i.bool(2, signed)
                }
            case .other:
                break
            }
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> LogicalType {
            var result = LogicalType.other(0)
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1: result = .string
                case 3: result = .list
                case 4: result = .enumeration
                case 12: result = .json
                case 8:
                    var utc = false, unit: Int16 = 0
                    try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                        if id == 1 { utc = try r.bool(type) }
                        if id == 2 {
                            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                                unit = id
                            }
                        }
                    }
                    result = .timestamp(adjustedToUTC: utc, unit: unit)
                case 10:
                    var bits: Int8 = 0, signed = true
                    try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                        if id == 1 { bits = Int8(truncatingIfNeeded: try r.integer(type)) }
                        if id == 2 { signed = try r.bool(type) }
                    }
                    result = .integer(bitWidth: bits, signed: signed)
                default:
                    result = .other(id)
                }
            }
            return result
        }
    }

    struct SchemaElement {
        var type: PhysicalType?
        var repetition: Repetition?
        var name: String
        var numChildren: Int?
        var convertedType: Int32?
        var logicalType: LogicalType?

        func encode(_ w: inout ThriftCompactWriter) {
            if let type { w.i32(1, type.rawValue) }
            if let repetition { w.i32(3, repetition.rawValue) }
            w.string(4, name)
            if let numChildren { w.i32(5, numChildren) }
            if let convertedType { w.i32(6, convertedType) }
            if let logicalType { w.structure(10) { logicalType.encode(&$0) } }
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> SchemaElement {
            var e = SchemaElement(name: "")
            var rawType: Int32?
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1: rawType = try r.i32(type)
                case 3: e.repetition = Repetition(rawValue: try r.i32(type))
                case 4: e.name = try r.string(type)
                case 5:
                    let n = try r.i32(type)
                    guard n >= 0 else { throw r.failure("a schema element has \(n) children") }
                    e.numChildren = Int(n)
                case 6: e.convertedType = try r.i32(type)
                case 10: e.logicalType = try LogicalType.decode(&r)
                default: try r.skip(type)
                }
            }
            if let rawType {
                guard let known = PhysicalType(rawValue: rawType) else { throw r.failure("unknown physical type \(rawType) for column \(Parquet.quoted(e.name))") }
                e.type = known
            }
            return e
        }
    }

    struct Statistics {
        var nullCount: Int64?
        var minValue: [UInt8]?
        var maxValue: [UInt8]?
        /// Also write the deprecated `min`/`max`, which readers compare as signed: only for signed orders.
        var legacy = false

        func encode(_ w: inout ThriftCompactWriter) {
            if legacy, let maxValue, let minValue {
                w.binary(1, maxValue)
                w.binary(2, minValue)
            }
            if let nullCount { w.i64(3, nullCount) }
            if let maxValue, let minValue {
                w.binary(5, maxValue)
                w.binary(6, minValue)
                w.bool(7, true)
                w.bool(8, true)
            }
        }
    }

    struct ColumnMetaData {
        var type: PhysicalType
        var encodings: [Encoding]
        var path: [String]
        var codec: Codec
        var numValues: Int64
        var totalUncompressedSize: Int64
        var totalCompressedSize: Int64
        var dataPageOffset: Int64
        var dictionaryPageOffset: Int64?
        var statistics: Statistics?

        func encode(_ w: inout ThriftCompactWriter) {
            w.i32(1, type.rawValue)
            w.i32List(2, encodings.map(\.rawValue))
            w.stringList(3, path)
            w.i32(4, codec.rawValue)
            w.i64(5, numValues)
            w.i64(6, totalUncompressedSize)
            w.i64(7, totalCompressedSize)
            w.i64(9, dataPageOffset)
            if let dictionaryPageOffset { w.i64(11, dictionaryPageOffset) }
            if let statistics { w.structure(12) { statistics.encode(&$0) } }
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> ColumnMetaData {
            var m = ColumnMetaData(type: .int64, encodings: [], path: [], codec: .uncompressed, numValues: -1,
                                   totalUncompressedSize: -1, totalCompressedSize: -1, dataPageOffset: -1)
            var codec: Int32 = 0
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1:
                    let raw = try r.i32(type)
                    guard let known = PhysicalType(rawValue: raw) else { throw r.failure("unknown physical type \(raw)") }
                    m.type = known
                case 3:
                    let (element, count) = try r.listHeader(type)
                    for _ in 0..<count { m.path.append(try r.string(element)) }
                case 4: codec = try r.i32(type)
                case 5: m.numValues = try r.integer(type)
                case 6: m.totalUncompressedSize = try r.integer(type)
                case 7: m.totalCompressedSize = try r.integer(type)
                case 9: m.dataPageOffset = try r.integer(type)
                case 11: m.dictionaryPageOffset = try r.integer(type)
                default: try r.skip(type)
                }
            }
            guard let known = Codec(rawValue: codec) else { throw r.failure("unknown compression codec \(codec)") }
            m.codec = known
            guard m.numValues >= 0, m.totalCompressedSize >= 0, m.dataPageOffset >= 0 else {
                throw r.failure("a column chunk's metadata lacks its value count, size or data page offset")
            }
            return m
        }
    }

    struct RowGroup {
        var columns: [ColumnMetaData]
        var numRows: Int64
        var totalByteSize: Int64
        var fileOffset: Int64
        var totalCompressedSize: Int64

        func encode(_ w: inout ThriftCompactWriter) {
            w.structList(1, columns) { c, column in
                c.i64(2, 0)  // ColumnChunk.file_offset: deprecated, required, 0.
                c.structure(3) { column.encode(&$0) }
            }
            w.i64(2, totalByteSize)
            w.i64(3, numRows)
            w.i64(5, fileOffset)
            w.i64(6, totalCompressedSize)
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> RowGroup {
            var g = RowGroup(columns: [], numRows: -1, totalByteSize: 0, fileOffset: 0, totalCompressedSize: 0)
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1:
                    try r.structList(type) { (r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) in
                        var meta: ColumnMetaData?
                        try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                            if id == 3 { meta = try ColumnMetaData.decode(&r) } else { try r.skip(type) }
                        }
                        guard let meta else { throw r.failure("a column chunk has no metadata (files with separate column metadata are not supported)") }
                        g.columns.append(meta)
                    }
                case 3: g.numRows = try r.integer(type)
                default: try r.skip(type)
                }
            }
            guard g.numRows >= 0 else { throw r.failure("a row group lacks its row count") }
            return g
        }
    }

    struct FileMetaData {
        var version: Int32 = 1
        var schema: [SchemaElement] = []
        var numRows: Int64 = 0
        var rowGroups: [RowGroup] = []
        var keyValues: [(key: String, value: String)] = []
        var createdBy: String?
        /// Leaf columns, each with a TYPE_ORDER column order (needed for min/max of unsigned columns).
        var columnOrders = 0

        func encode() -> [UInt8] {
            var w = ThriftCompactWriter()
            w.structBody { w in
                w.i32(1, version)
                w.structList(2, schema) { e, element in element.encode(&e) }
                w.i64(3, numRows)
                w.structList(4, rowGroups) { g, group in group.encode(&g) }
                if !keyValues.isEmpty {
                    w.structList(5, keyValues) { k, pair in
                        k.string(1, pair.key)
                        k.string(2, pair.value)
                    }
                }
                if let createdBy { w.string(6, createdBy) }
                if columnOrders > 0 {
                    w.structList(7, Array(repeating: (), count: columnOrders)) { o, _ in o.structure(1) { _ in } }
                }
            }
            return w.bytes
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> FileMetaData {
            var m = FileMetaData()
            var sawSchema = false
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1: m.version = try r.i32(type)
                case 2:
                    sawSchema = true
                    try r.structList(type) { (r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) in
                        m.schema.append(try SchemaElement.decode(&r))
                    }
                case 3: m.numRows = try r.integer(type)
                case 4:
                    try r.structList(type) { (r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) in
                        m.rowGroups.append(try RowGroup.decode(&r))
                    }
                case 5:
                    try r.structList(type) { (r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) in
                        var key = "", value = ""
                        try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                            if id == 1 { key = try r.string(type) } else if id == 2 { value = try r.string(type) } else { try r.skip(type) }
                        }
                        m.keyValues.append((key, value))
                    }
                case 6: m.createdBy = try r.string(type)
                default: try r.skip(type)
                }
            }
            guard sawSchema, !m.schema.isEmpty else { throw r.failure("the footer has no schema") }
            return m
        }
    }

    struct PageHeader {
        var type: PageType
        var uncompressedSize: Int
        var compressedSize: Int
        /// Data page (v1): values (levels) in the page, their encoding.
        var numValues = 0
        var encoding: Encoding = .plain
        /// Data page v2 only: level section lengths, nulls, rows, whether the values are compressed.
        var definitionLevelsLength = 0
        var repetitionLevelsLength = 0
        var numNulls = 0
        var numRows = 0
        var isCompressed = true

        /// A v1 data page's header.
        static func dataPage(uncompressed: Int, compressed: Int, values: Int, encoding: Encoding) -> PageHeader {
            PageHeader(type: .dataPage, uncompressedSize: uncompressed, compressedSize: compressed, numValues: values, encoding: encoding)
        }

        /// A dictionary page's header.
        static func dictionaryPage(uncompressed: Int, compressed: Int, entries: Int) -> PageHeader {
            PageHeader(type: .dictionaryPage, uncompressedSize: uncompressed, compressedSize: compressed, numValues: entries, encoding: .plain)
        }

        func encode() -> [UInt8] {
            var w = ThriftCompactWriter()
            w.structBody { w in
                w.i32(1, type.rawValue)
                w.i32(2, uncompressedSize)
                w.i32(3, compressedSize)
                switch type {
                case .dataPage:
                    w.structure(5) { d in
                        d.i32(1, numValues)
                        d.i32(2, encoding.rawValue)
                        d.i32(3, Encoding.rle.rawValue)
                        d.i32(4, Encoding.rle.rawValue)
                    }
                case .dictionaryPage:
                    w.structure(7) { d in
                        d.i32(1, numValues)
                        d.i32(2, Encoding.plain.rawValue)
                    }
                case .dataPageV2:
                    w.structure(8) { d in
                        d.i32(1, numValues)
                        d.i32(2, numNulls)
                        d.i32(3, numRows)
                        d.i32(4, encoding.rawValue)
                        d.i32(5, definitionLevelsLength)
                        d.i32(6, repetitionLevelsLength)
                        d.bool(7, isCompressed)
                    }
                case .indexPage:
                    break
                }
            }
            return w.bytes
        }

        static func decode(_ r: inout ThriftCompactReader) throws(ThriftCompactReader.Failure) -> PageHeader {
            var rawType: Int32 = -1
            var h = PageHeader(type: .indexPage, uncompressedSize: -1, compressedSize: -1)
            var rawEncoding: Int32 = 0
            try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                switch id {
                case 1: rawType = try r.i32(type)
                case 2: h.uncompressedSize = Int(try r.i32(type))
                case 3: h.compressedSize = Int(try r.i32(type))
                case 5, 7:
                    try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                        switch id {
                        case 1: h.numValues = Int(try r.i32(type))
                        case 2: rawEncoding = try r.i32(type)
                        default: try r.skip(type)
                        }
                    }
                case 8:
                    try r.structure { (r: inout ThriftCompactReader, id: Int16, type: UInt8) throws(ThriftCompactReader.Failure) in
                        switch id {
                        case 1: h.numValues = Int(try r.i32(type))
                        case 2: h.numNulls = Int(try r.i32(type))
                        case 3: h.numRows = Int(try r.i32(type))
                        case 4: rawEncoding = try r.i32(type)
                        case 5: h.definitionLevelsLength = Int(try r.i32(type))
                        case 6: h.repetitionLevelsLength = Int(try r.i32(type))
                        case 7: h.isCompressed = try r.bool(type)
                        default: try r.skip(type)
                        }
                    }
                default: try r.skip(type)
                }
            }
            guard let type = PageType(rawValue: rawType) else { throw r.failure("unknown page type \(rawType)") }
            h.type = type
            guard h.uncompressedSize >= 0, h.compressedSize >= 0 else { throw r.failure("a page header lacks its sizes or has negative ones") }
            guard h.numValues >= 0, h.definitionLevelsLength >= 0, h.repetitionLevelsLength >= 0, h.numNulls >= 0 else {
                throw r.failure("a page header has a negative count or length")
            }
            guard let encoding = Encoding(rawValue: rawEncoding) else { throw r.failure("unknown page encoding \(rawEncoding)") }
            h.encoding = encoding
            return h
        }
    }
}

/// heapconv's Parquet table: one column per JSON Lines key, in the same order (``EventField/stored``),
/// with the types `Schemas/parquet.md` fixes.
enum ParquetColumnKind: Equatable {
    /// UTF-8 text (BYTE_ARRAY, STRING + UTF8): event kinds, states, sources, names, GUIDs.
    case text
    /// UTC nanoseconds since the epoch (INT64, TIMESTAMP(true, NANOS)).
    case timestamp
    /// INT32 with INTEGER(32, unsigned) + UINT_32.
    case unsigned32
    /// INT32 with INTEGER(32, signed) + INT_32 (exit statuses).
    case signed32
    /// INT64 with INTEGER(64, unsigned) + UINT_64 (heap handles, addresses, sizes).
    case unsigned64
    /// The three-level LIST of UINT_64 frames (`stack`).
    case frames

    var physicalType: Parquet.PhysicalType {
        switch self {
        case .text: .byteArray
        case .timestamp, .unsigned64, .frames: .int64
        case .unsigned32, .signed32: .int32
        }
    }

    /// Whether values compare as unsigned (min/max statistics).
    var isUnsigned: Bool { self == .unsigned32 || self == .unsigned64 || self == .frames }
}

struct ParquetColumn {
    let field: EventField
    let kind: ParquetColumnKind
    /// Every event has the field: REQUIRED, no definition levels.
    let required: Bool

    var name: String { field.name }

    /// Text columns with few possible values, buffered as codes: event kinds, states, sources, `il`.
    var isCoded: Bool { field == .event || field == .state || field == .source || field == .pdbKind }

    /// The text of code `code` of a coded column.
    func codeText(_ code: UInt64) -> [UInt8] {
        switch field {
        case .event: EventKind(rawValue: UInt8(truncatingIfNeeded: code)).map { Array($0.name.utf8) } ?? []
        case .state: ContextState(rawValue: UInt8(truncatingIfNeeded: code)).map { Array($0.name.utf8) } ?? []
        case .source:
            HeapSource(rawValue: UInt32(truncatingIfNeeded: code)).name.map { Array($0.utf8) } ?? Array(String(code).utf8)
        default: Array("il".utf8)
        }
    }

    /// The columns heapconv writes, in order.
    static let all: [ParquetColumn] = EventField.stored.map { field in
        let kind: ParquetColumnKind
        switch field.encoding {
        case .kind, .source, .state, .text, .guid, .pdbKind, .derived: kind = .text
        case .signed: kind = field == .ts ? .timestamp : .signed32
        case .hex: kind = .unsigned64
        case .frames: kind = .frames
        case .decimal: kind = field.maximum <= UInt64(UInt32.max) ? .unsigned32 : .unsigned64
        }
        return ParquetColumn(field: field, kind: kind, required: field == .event || field == .ts || field == .pid)
    }

    /// The schema elements of the table, depth first: the root, then each column (three for the list).
    static func schema() -> [Parquet.SchemaElement] {
        var elements = [Parquet.SchemaElement(repetition: .required, name: "schema", numChildren: all.count)]
        for column in all {
            let repetition: Parquet.Repetition = column.required ? .required : .optional
            switch column.kind {
            case .text:
                elements.append(.init(type: .byteArray, repetition: repetition, name: column.name,
                                      convertedType: Parquet.ConvertedType.utf8, logicalType: .string))
            case .timestamp:
                elements.append(.init(type: .int64, repetition: repetition, name: column.name,
                                      logicalType: .timestamp(adjustedToUTC: true, unit: 3)))
            case .unsigned32:
                elements.append(.init(type: .int32, repetition: repetition, name: column.name,
                                      convertedType: Parquet.ConvertedType.uint32, logicalType: .integer(bitWidth: 32, signed: false)))
            case .signed32:
                elements.append(.init(type: .int32, repetition: repetition, name: column.name,
                                      convertedType: Parquet.ConvertedType.int32, logicalType: .integer(bitWidth: 32, signed: true)))
            case .unsigned64:
                elements.append(.init(type: .int64, repetition: repetition, name: column.name,
                                      convertedType: Parquet.ConvertedType.uint64, logicalType: .integer(bitWidth: 64, signed: false)))
            case .frames:
                elements.append(.init(repetition: repetition, name: column.name, numChildren: 1,
                                      convertedType: Parquet.ConvertedType.list, logicalType: .list))
                elements.append(.init(repetition: .repeated, name: "list", numChildren: 1))
                elements.append(.init(type: .int64, repetition: .required, name: "element",
                                      convertedType: Parquet.ConvertedType.uint64, logicalType: .integer(bitWidth: 64, signed: false)))
            }
        }
        return elements
    }
}

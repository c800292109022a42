/// How one leaf column of a Parquet file maps onto a heapconv field, from the file's schema.
struct ParquetLeaf {
    let field: EventField
    /// The column chunk's index in each row group (leaves in schema order).
    let index: Int
    let type: Parquet.PhysicalType
    /// Definition level of a value (0 for a required flat column).
    let maxDefinition: Int
    /// 1 for the stack list, 0 for flat columns.
    let maxRepetition: Int
    /// List columns: the definition level from which the list exists, and from which it has an entry.
    let listPresent: Int
    let listEntry: Int
    /// Whether the values are signed (INT32/INT64 without an unsigned annotation).
    let signed: Bool
    /// Nanoseconds per unit of a timestamp column (1, 1000 or 1,000,000).
    let timeScale: Int64
}

/// Reads one column chunk page by page, giving each row's value (or list): memory is one page and the
/// chunk's dictionary at a time. Every size, count, level and index is checked against what the chunk
/// holds, so a damaged file gives an error naming the column.
struct ParquetColumnCursor {
    let leaf: ParquetLeaf
    private let input: any RandomAccessInput
    private let codec: Parquet.Codec
    private var offset: UInt64
    private let end: UInt64
    /// Level entries the chunk has not given yet (from its metadata).
    private var entriesLeft: Int

    // The chunk's dictionary.
    private var dictionaryIntegers: [UInt64] = []
    private var dictionaryText: [UInt8] = []
    private var dictionaryEnds: [Int] = []
    private var hasDictionary = false

    // The current page: its levels, its non-null values, and how far they have been read.
    private var repetition: [UInt8] = []
    private var definition: [UInt8] = []
    private var entryCount = 0
    private var entry = 0
    private var integers: [UInt64] = []
    private(set) var text: [UInt8] = []
    private var textEnds: [Int] = []
    private var value = 0

    struct Failure: Error {
        var message: String
        var offset: UInt64?
    }

    /// The most bytes a page may expand to per compressed byte (deflate's limit is about 1032).
    static let maximumExpansion = 1100
    /// The most bytes a page header may take (statistics make some long).
    static let maximumPageHeader = 16 << 20
    /// The most frames one stack may have.
    static let maximumStackFrames = 1 << 22
    /// The most bytes of text one page may expand to through its dictionary.
    static let maximumPageText = 256 << 20

    init(leaf: ParquetLeaf, input: any RandomAccessInput, chunk: Parquet.ColumnMetaData) throws(Failure) {
        self.leaf = leaf
        self.input = input
        codec = chunk.codec
        // A dictionary offset of 0 (or anything before the first page) means none, as arrow reads it.
        let dictionary = chunk.dictionaryPageOffset.flatMap { $0 >= 4 && $0 < chunk.dataPageOffset ? $0 : nil }
        let start = dictionary ?? chunk.dataPageOffset
        guard start >= 4, chunk.totalCompressedSize >= 0, UInt64(start) + UInt64(chunk.totalCompressedSize) <= input.size else {
            throw Failure(message: "column \"\(leaf.field.name)\": its chunk at offset \(start) of \(chunk.totalCompressedSize) bytes lies outside the file")
        }
        offset = UInt64(start)
        end = UInt64(start) + UInt64(chunk.totalCompressedSize)
        entriesLeft = Int(chunk.numValues)
    }

    private func failure(_ message: String) -> Failure {
        Failure(message: "column \"\(leaf.field.name)\": " + message, offset: offset)
    }

    private func read(_ count: Int, at position: UInt64) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let input = self.input
        do throws(ConversionError) {
            try withRawBytes(&bytes) { (buffer) throws(ConversionError) in try input.read(at: position, into: buffer) }
        } catch {
            throw Failure(message: error.message, offset: position)
        }
        return bytes
    }

    // MARK: - Pages

    /// Reads pages until a data page is loaded.
    private mutating func loadDataPage() throws(Failure) {
        while true {
            guard offset < end else { throw failure("the column chunk ends before its \(entriesLeft) remaining values") }
            // The header: a few dozen bytes, more with statistics; read more until it decodes.
            var want = Int(min(end - offset, 256))
            var header: Parquet.PageHeader
            var headerLength: Int
            while true {
                let bytes = try read(want, at: offset)
                var reader = ThriftCompactReader(bytes, baseOffset: offset)
                do {
                    header = try Parquet.PageHeader.decode(&reader)
                    headerLength = reader.position
                    break
                } catch {
                    guard error.truncated, UInt64(want) < end - offset, want < Self.maximumPageHeader else {
                        throw Failure(message: "column \"\(leaf.field.name)\": page header: " + error.message, offset: error.offset)
                    }
                    want = Int(min(end - offset, UInt64(min(want * 4, Self.maximumPageHeader))))
                }
            }
            let bodyStart = offset + UInt64(headerLength)
            guard UInt64(header.compressedSize) <= end - bodyStart else {
                throw failure("a page of \(header.compressedSize) bytes runs past the end of its column chunk")
            }
            guard header.uncompressedSize <= max(1 << 16, header.compressedSize * Self.maximumExpansion) else {
                throw failure("a page of \(header.compressedSize) bytes says it expands to \(header.uncompressedSize)")
            }
            let body = try read(header.compressedSize, at: bodyStart)
            let pageOffset = offset
            offset = bodyStart + UInt64(header.compressedSize)
            do {
                switch header.type {
                case .dictionaryPage:
                    try loadDictionary(header, body)
                case .dataPage:
                    try loadData(header, body)
                    return
                case .dataPageV2:
                    try loadDataV2(header, body)
                    return
                case .indexPage:
                    continue
                }
            } catch {
                throw Failure(message: "column \"\(leaf.field.name)\": " + error.message, offset: pageOffset)
            }
        }
    }

    private func decompress(_ bytes: ArraySlice<UInt8>, expected: Int) throws(ParquetDecompression.Failure) -> [UInt8] {
        try withRawBytes(Array(bytes)) { (raw) throws(ParquetDecompression.Failure) in
            try ParquetDecompression.decompress(raw, codec: codec, expected: expected)
        }
    }

    private mutating func loadDictionary(_ header: Parquet.PageHeader, _ body: [UInt8]) throws(ParquetDecompression.Failure) {
        guard !hasDictionary else { throw .init(message: "a second dictionary page") }
        guard header.encoding == .plain || header.encoding == .plainDictionary else {
            throw .init(message: "a dictionary page encoded \(header.encoding), not PLAIN")
        }
        let bytes = try decompress(body[...], expected: header.uncompressedSize)
        var integers: [UInt64] = [], text: [UInt8] = [], ends: [Int] = []
        try withRawBytes(bytes) { (raw) throws(ParquetDecompression.Failure) in
            try Self.decodePlain(raw, count: header.numValues, type: leaf.type, integers: &integers, text: &text, ends: &ends)
        }
        dictionaryIntegers = integers
        dictionaryText = text
        dictionaryEnds = ends
        hasDictionary = true
    }

    private mutating func loadData(_ header: Parquet.PageHeader, _ body: [UInt8]) throws(ParquetDecompression.Failure) {
        let bytes = try decompress(body[...], expected: header.uncompressedSize)
        try withRawBytes(bytes) { (raw) throws(ParquetDecompression.Failure) in
            var position = 0
            func levels(_ maximum: Int, into out: inout [UInt8]) throws(ParquetDecompression.Failure) {
                guard raw.count - position >= 4 else { throw .init(message: "a data page ends before its levels") }
                let length = Int(raw.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
                guard length <= raw.count - position - 4 else { throw .init(message: "levels of \(length) bytes run past the end of their page") }
                try Self.decodeLevels(UnsafeRawBufferPointer(rebasing: raw[position + 4..<position + 4 + length]),
                                      count: header.numValues, maximum: maximum, into: &out)
                position += 4 + length
            }
            try startPage(entries: header.numValues)
            if leaf.maxRepetition > 0 { try levels(leaf.maxRepetition, into: &repetition) }
            if leaf.maxDefinition > 0 { try levels(leaf.maxDefinition, into: &definition) }
            try decodeValues(UnsafeRawBufferPointer(rebasing: raw[position...]), encoding: header.encoding)
        }
    }

    private mutating func loadDataV2(_ header: Parquet.PageHeader, _ body: [UInt8]) throws(ParquetDecompression.Failure) {
        let levelBytes = header.repetitionLevelsLength + header.definitionLevelsLength
        guard levelBytes <= body.count, levelBytes <= header.uncompressedSize else {
            throw .init(message: "levels of \(levelBytes) bytes run past the end of their page")
        }
        try startPage(entries: header.numValues)
        try withRawBytes(body) { (raw) throws(ParquetDecompression.Failure) in
            if leaf.maxRepetition > 0 {
                try Self.decodeLevels(UnsafeRawBufferPointer(rebasing: raw[0..<header.repetitionLevelsLength]),
                                      count: header.numValues, maximum: leaf.maxRepetition, into: &repetition)
            }
            if leaf.maxDefinition > 0 {
                try Self.decodeLevels(UnsafeRawBufferPointer(rebasing: raw[header.repetitionLevelsLength..<levelBytes]),
                                      count: header.numValues, maximum: leaf.maxDefinition, into: &definition)
            }
        }
        let valueBytes = header.isCompressed
            ? try decompress(body[levelBytes...], expected: header.uncompressedSize - levelBytes)
            : Array(body[levelBytes...])
        try withRawBytes(valueBytes) { (raw) throws(ParquetDecompression.Failure) in
            try decodeValues(raw, encoding: header.encoding)
        }
    }

    /// The most values a page may have: pages of heapconv, pyarrow, DuckDB and Spark hold far fewer, and
    /// a page's levels are decoded whole.
    static let maximumPageValues = 1 << 24

    private mutating func startPage(entries: Int) throws(ParquetDecompression.Failure) {
        guard entries <= Self.maximumPageValues else { throw .init(message: "a data page of \(entries) values (heapconv reads up to \(Self.maximumPageValues))") }
        guard entries > 0, entries <= entriesLeft else {
            throw .init(message: "a data page of \(entries) values where the chunk has \(entriesLeft) left")
        }
        entryCount = entries
        entry = 0
        value = 0
        entriesLeft -= entries
        if leaf.maxRepetition == 0 { repetition.removeAll(keepingCapacity: true) }
        if leaf.maxDefinition == 0 { definition.removeAll(keepingCapacity: true) }
    }

    private static func decodeLevels(_ bytes: UnsafeRawBufferPointer, count: Int, maximum: Int, into out: inout [UInt8]) throws(ParquetDecompression.Failure) {
        out.removeAll(keepingCapacity: true)
        do throws(ParquetRLEDecoder.Failure) {
            var decoder = try ParquetRLEDecoder(bytes, width: ParquetRLE.bitWidth(UInt64(maximum)))
            for _ in 0..<count {
                let level = try decoder.next()
                guard level <= maximum else { throw ParquetRLEDecoder.Failure(message: "level \(level) above the column's maximum \(maximum)") }
                out.append(UInt8(level))
            }
        } catch {
            throw .init(message: error.message)
        }
    }

    /// Decodes the page's non-null values (those whose definition level is the maximum).
    private mutating func decodeValues(_ raw: UnsafeRawBufferPointer, encoding: Parquet.Encoding) throws(ParquetDecompression.Failure) {
        let count = leaf.maxDefinition == 0 ? entryCount : definition.reduce(0) { $0 + ($1 == leaf.maxDefinition ? 1 : 0) }
        integers.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        textEnds.removeAll(keepingCapacity: true)
        switch encoding {
        case .plain:
            try Self.decodePlain(raw, count: count, type: leaf.type, integers: &integers, text: &text, ends: &textEnds)
        case .plainDictionary, .rleDictionary:
            guard hasDictionary else { throw .init(message: "a dictionary-encoded page without a dictionary page before it") }
            guard count > 0 else { return }
            guard let width = raw.first else { throw .init(message: "a dictionary-encoded page without its bit width") }
            do throws(ParquetRLEDecoder.Failure) {
                var decoder = try ParquetRLEDecoder(UnsafeRawBufferPointer(rebasing: raw[1...]), width: Int(width))
                let entries = leaf.type == .byteArray ? dictionaryEnds.count : dictionaryIntegers.count
                for _ in 0..<count {
                    let index = Int(try decoder.next())
                    guard index < entries else { throw ParquetRLEDecoder.Failure(message: "dictionary index \(index) of \(entries) entries") }
                    if leaf.type == .byteArray {
                        text.append(contentsOf: dictionaryText[(index == 0 ? 0 : dictionaryEnds[index - 1])..<dictionaryEnds[index]])
                        textEnds.append(text.count)
                        guard text.count <= Self.maximumPageText else {
                            throw ParquetRLEDecoder.Failure(message: "a page's text expands past \(Self.maximumPageText >> 20) MiB through its dictionary")
                        }
                    } else {
                        integers.append(dictionaryIntegers[index])
                    }
                }
            } catch {
                throw .init(message: error.message)
            }
        case .deltaBinaryPacked where leaf.type == .int32 || leaf.type == .int64:
            do throws(ParquetDeltaDecoder.Failure) {
                var decoder = try ParquetDeltaDecoder(raw)
                try decoder.decode(count: count, into: &integers)
                if leaf.type == .int32 { for i in integers.indices { integers[i] &= 0xFFFF_FFFF } }
            } catch {
                throw .init(message: error.message)
            }
        case .deltaLengthByteArray where leaf.type == .byteArray:
            do throws(ParquetDeltaDecoder.Failure) {
                var decoder = try ParquetDeltaDecoder(raw)
                var lengths: [UInt64] = []
                try decoder.decode(count: count, into: &lengths)
                var position = decoder.position
                for length in lengths {
                    guard length <= UInt64(raw.count - position) else { throw ParquetDeltaDecoder.Failure(message: "a string runs past the end of its page") }
                    text.append(contentsOf: raw[position..<position + Int(length)])
                    textEnds.append(text.count)
                    position += Int(length)
                }
            } catch {
                throw .init(message: error.message)
            }
        default:
            throw .init(message: "values encoded \(encoding), which heapconv cannot read for \(leaf.type.name) (it reads PLAIN, dictionaries and DELTA_BINARY_PACKED)")
        }
    }

    /// PLAIN values: 4 or 8 little-endian bytes (INT32 zero-extended), or a 4-byte length and the bytes.
    private static func decodePlain(_ raw: UnsafeRawBufferPointer, count: Int, type: Parquet.PhysicalType,
                                    integers: inout [UInt64], text: inout [UInt8], ends: inout [Int]) throws(ParquetDecompression.Failure) {
        switch type {
        case .int32, .int64:
            let size = type == .int32 ? 4 : 8
            guard count <= raw.count / size else { throw .init(message: "\(count) PLAIN values need \(count * size) bytes; the page has \(raw.count)") }
            integers.reserveCapacity(count)
            for k in 0..<count {
                integers.append(size == 4 ? UInt64(raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self).littleEndian)
                                          : raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self).littleEndian)
            }
        case .byteArray:
            var position = 0
            for _ in 0..<count {
                guard raw.count - position >= 4 else { throw .init(message: "PLAIN strings run past the end of their page") }
                let length = Int(raw.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
                position += 4
                guard length <= raw.count - position else { throw .init(message: "a PLAIN string runs past the end of its page") }
                text.append(contentsOf: raw[position..<position + length])
                ends.append(text.count)
                position += length
            }
        default:
            throw .init(message: "values of type \(type.name)")
        }
    }

    // MARK: - Rows

    /// Makes sure an entry is available; `false` when the chunk has no more.
    private mutating func ensureEntry() throws(Failure) -> Bool {
        if entry < entryCount { return true }
        guard entriesLeft > 0 else { return false }
        try loadDataPage()
        return true
    }

    /// The next row's value of a flat column: an integer, or a range of ``text``; `nil` when null.
    mutating func nextFlat() throws(Failure) -> (integer: UInt64, text: Range<Int>)? {
        guard try ensureEntry() else { throw failure("the column chunk has fewer values than its row group has rows") }
        let level = leaf.maxDefinition == 0 ? 0 : Int(definition[entry])
        entry += 1
        guard level == leaf.maxDefinition else { return nil }
        defer { value += 1 }
        return try current()
    }

    private func current() throws(Failure) -> (integer: UInt64, text: Range<Int>) {
        if leaf.type == .byteArray {
            guard value < textEnds.count else { throw failure("a page has fewer values than its levels say") }
            return (0, (value == 0 ? 0 : textEnds[value - 1])..<textEnds[value])
        }
        guard value < integers.count else { throw failure("a page has fewer values than its levels say") }
        return (integers[value], 0..<0)
    }

    /// The next row of a list column: `nil` for a null list, else its elements (integers, or text ranges
    /// appended to `texts`).
    mutating func nextList(integers out: inout [UInt64], texts: inout [[UInt8]]) throws(Failure) -> Bool {
        guard try ensureEntry() else { throw failure("the column chunk has fewer values than its row group has rows") }
        guard repetition[entry] == 0 else { throw failure("a row starts with repetition level \(repetition[entry])") }
        var first = true
        var present = false
        while true {
            if !first {
                guard try ensureEntry(), repetition[entry] == 1 else { return present }
            }
            first = false
            let level = definition.isEmpty ? leaf.maxDefinition : Int(definition[entry])
            entry += 1
            if level < leaf.listPresent { return false }
            present = true
            if level < leaf.listEntry { continue }
            guard level == leaf.maxDefinition else { throw failure("a null frame in a stack") }
            guard out.count + texts.count < Self.maximumStackFrames else {
                throw failure("a stack of more than \(Self.maximumStackFrames) frames")
            }
            let v = try current()
            value += 1
            if leaf.type == .byteArray { texts.append(Array(text[v.text])) } else { out.append(v.integer) }
        }
    }
}

/// `array.withUnsafeBytes` for a body with a typed error (the standard library's is untyped `rethrows`).
@inline(__always)
func withRawBytes<R, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    var result: Result<R, E>?
    array.withUnsafeBytes { raw in
        do throws(E) { result = .success(try body(raw)) } catch { result = .failure(error) }
    }
    return try result!.get()
}

/// `array.withUnsafeMutableBytes` for a body with a typed error.
@inline(__always)
func withRawBytes<R, E: Error>(_ array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
    var result: Result<R, E>?
    array.withUnsafeMutableBytes { raw in
        do throws(E) { result = .success(try body(raw)) } catch { result = .failure(error) }
    }
    return try result!.get()
}

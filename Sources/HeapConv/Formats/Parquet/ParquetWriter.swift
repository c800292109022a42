/// Writes events as an Apache Parquet file (`Schemas/parquet.md`): one row per event or context record,
/// one column per JSON Lines key, gathered column-wise in row groups of at most ``rowGroupRows`` rows (and
/// ``rowGroupBytes`` of buffered values), each written as column chunks of gzip'd v1 data pages, and a
/// footer with the schema, statistics and the input's name and facts.
///
/// Memory is bounded by one row group's buffers and two row groups' pages, whatever the input's size;
/// pages are compressed on one thread per processor while the next row group is gathered.
public struct ParquetWriter: EventWriter {
    private let output: OutputBuffer
    private let name: String
    private let keyValues: [(key: String, value: String)]
    private let compressor: ParquetPageCompressor?
    private var emitter: ParquetRowEmitter
    private var rowGroups: [Parquet.RowGroup] = []
    /// The row group whose pages are being compressed.
    private var pending: (chunks: [ParquetChunkEncoder.Chunk], jobs: [ParquetPageCompressor.Job], rows: Int)?
    /// Rows per row group and per page here (the defaults, or small ones for tests).
    private let groupRows: Int
    private let pageRows: Int
    /// Bytes written so far: the next byte's file offset.
    private var offset: Int64 = 0
    private var totalRows: Int64 = 0

    /// Rows per row group: DuckDB's and Spark's row-group skipping works at this grain.
    static let rowGroupRows = 1 << 17
    /// Buffered text and frame bytes that end a row group early (long stacks, long command lines).
    static let rowGroupBytes = 24 << 20

    /// - Parameters:
    ///   - level: zlib level 1-9 for the GZIP codec, or 0 for uncompressed pages.
    public init(output: OutputBuffer, name: String, inputName: String, inputFacts: InfoValue?, level: Int32 = ParquetFormat.defaultLevel) throws(ConversionError) {
        try self.init(output: output, name: name, inputName: inputName, inputFacts: inputFacts, level: level,
                      rowGroupRows: Self.rowGroupRows, pageRows: ParquetChunkEncoder.pageRows)
    }

    /// `pageRows` must be a multiple of 64 (pages start on a word of the presence bitmaps).
    init(output: OutputBuffer, name: String, inputName: String, inputFacts: InfoValue?, level: Int32,
         rowGroupRows: Int, pageRows: Int) throws(ConversionError) {
        precondition(pageRows > 0 && pageRows % 64 == 0 && rowGroupRows > 0)
        groupRows = rowGroupRows
        self.pageRows = pageRows
        self.output = output
        self.name = name
        var keyValues = [(key: String, value: String)(key: "heapconv.input", value: inputName)]
        if let inputFacts { keyValues.append(("heapconv.input_facts", inputFacts.json)) }
        self.keyValues = keyValues
        compressor = level == 0 ? nil : try ParquetPageCompressor(level: level, name: name)
        emitter = ParquetRowEmitter(capacity: rowGroupRows)
    }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        if offset == 0 { try put(Parquet.magic) }
        try batch.withFrameView { (frames) throws(ConversionError) in
            for event in batch.events {
                try emitter.emit(event, frames: frames)
                emitter.row += 1
                if emitter.row == groupRows || emitter.variableBytes > Self.rowGroupBytes {
                    try flush()
                }
            }
        }
    }

    public mutating func finish() throws(ConversionError) {
        if offset == 0 { try put(Parquet.magic) }
        if emitter.row > 0 { try flush() }
        try writePending()
        var metadata = Parquet.FileMetaData()
        metadata.schema = ParquetColumn.schema()
        metadata.numRows = totalRows
        metadata.rowGroups = rowGroups
        metadata.keyValues = keyValues
        metadata.createdBy = "heapconv version \(HeapConvVersion.string)"
        metadata.columnOrders = ParquetColumn.all.count
        let footer = metadata.encode()
        try put(footer)
        let length = UInt32(footer.count)
        try put((0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + Parquet.magic)
        try output.finish()
    }

    private mutating func put(_ bytes: [UInt8]) throws(ConversionError) {
        var failure: ConversionError?
        bytes.withUnsafeBytes { raw in
            do throws(ConversionError) { try output.append(bytes: raw) } catch { failure = error }
        }
        if let failure { throw failure }
        offset += Int64(bytes.count)
    }

    /// Encodes the buffered rows as one row group and starts compressing its pages; writes the row group
    /// before it, whose pages were compressed meanwhile.
    private mutating func flush() throws(ConversionError) {
        let rows = emitter.row
        let pageRows = self.pageRows
        let chunks = emitter.columns.map { ParquetChunkEncoder.encode($0, rows: rows, pageRows: pageRows) }
        emitter.reset()
        // Every page of every chunk, compressed together.
        var jobs: [ParquetPageCompressor.Job] = []
        for chunk in chunks {
            for page in chunk.pages {
                let job = ParquetPageCompressor.Job()
                job.input = page.body
                jobs.append(job)
            }
        }
        try writePending()
        if let compressor { try compressor.submit(jobs) }
        pending = (chunks, jobs, rows)
        if compressor == nil { try writePending() }
    }

    /// Writes the row group whose pages are compressing, once they are.
    private mutating func writePending() throws(ConversionError) {
        guard let (chunks, jobs, rows) = pending else { return }
        pending = nil
        if let compressor { try compressor.collect(jobs) }
        let groupStart = offset
        var columns: [Parquet.ColumnMetaData] = []
        var jobIndex = 0
        for (column, chunk) in zip(ParquetColumn.all, chunks) {
            let chunkStart = offset
            var dictionaryOffset: Int64?
            var dataOffset: Int64?
            var uncompressedTotal: Int64 = 0
            for page in chunk.pages {
                let job = jobs[jobIndex]
                jobIndex += 1
                let stored = compressor == nil ? page.body : job.output
                let header = page.type == .dictionaryPage
                    ? Parquet.PageHeader.dictionaryPage(uncompressed: page.body.count, compressed: stored.count, entries: page.values)
                    : Parquet.PageHeader.dataPage(uncompressed: page.body.count, compressed: stored.count, values: page.values,
                                                  encoding: page.encoding)
                if page.type == .dictionaryPage { dictionaryOffset = offset } else if dataOffset == nil { dataOffset = offset }
                let headerBytes = header.encode()
                try put(headerBytes)
                try put(stored)
                uncompressedTotal += Int64(headerBytes.count + page.body.count)
            }
            columns.append(Parquet.ColumnMetaData(
                type: column.kind.physicalType, encodings: chunk.encodings,
                path: column.kind == .frames ? [column.name, "list", "element"] : [column.name],
                codec: compressor == nil ? .uncompressed : .gzip, numValues: Int64(chunk.numValues),
                totalUncompressedSize: uncompressedTotal, totalCompressedSize: offset - chunkStart,
                dataPageOffset: dataOffset ?? chunkStart, dictionaryPageOffset: dictionaryOffset, statistics: chunk.statistics))
        }
        rowGroups.append(Parquet.RowGroup(columns: columns, numRows: Int64(rows),
                                          totalByteSize: columns.reduce(0) { $0 + $1.totalUncompressedSize },
                                          fileOffset: groupStart, totalCompressedSize: offset - groupStart))
        totalRows += Int64(rows)
    }
}

/// Puts each event's fields into the column buffers, as row ``row``: the ``TextFieldEmitter`` order is the
/// columns' order, and a field not emitted stays null.
struct ParquetRowEmitter: TextFieldEmitter {
    /// One buffer per column, indexed by ``EventField`` raw value (every stored field is a column).
    var columns: [ParquetColumnBuffer]
    var row = 0

    init(capacity: Int) {
        columns = ParquetColumn.all.map { ParquetColumnBuffer($0, capacity: capacity) }
        precondition(zip(columns.indices, ParquetColumn.all).allSatisfy { $0 == $1.field.rawValue })
    }

    /// Bytes of text and stack frames gathered: what rows can make unbounded (the other values are a few
    /// bytes a row). Checked after every row, so that no page nears Parquet's 2 GiB limits.
    private(set) var variableBytes = 0

    mutating func reset() {
        for i in columns.indices { columns[i].reset() }
        row = 0
        variableBytes = 0
    }

    @inline(__always)
    private mutating func append(_ field: EventField, _ value: UInt64) {
        columns[field.rawValue].append(value, row: row)
    }

    mutating func kind(_ kind: EventKind) { append(.event, UInt64(kind.rawValue)) }
    mutating func signed(_ field: EventField, _ value: Int64) { append(field, UInt64(bitPattern: value)) }
    mutating func decimal(_ field: EventField, _ value: UInt64) { append(field, value) }
    mutating func hex(_ field: EventField, _ value: UInt64) { append(field, value) }
    mutating func source(_ source: HeapSource) { append(.source, UInt64(source.rawValue)) }
    mutating func state(_ state: ContextState) { append(.state, UInt64(state.rawValue)) }

    mutating func stack(_ frames: UnsafeBufferPointer<UInt64>) throws(ConversionError) {
        columns[EventField.stack.rawValue].appendFrames(frames, row: row)
        variableBytes += frames.count * 8
    }

    mutating func text(_ field: EventField, _ bytes: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        columns[field.rawValue].appendText(bytes, row: row)
        variableBytes += bytes.count
    }

    mutating func pdb(_ encoded: UnsafeBufferPointer<UInt8>) throws(ConversionError) {
        guard let pdb = PDBIdentity(encoded: encoded) else { return }
        columns[EventField.pdbName.rawValue].appendText(pdb.name, row: row)
        variableBytes += pdb.name.count + 36
        columns[EventField.pdbGUID.rawValue].appendText(Array(pdb.guidText.utf8), row: row)
        append(.pdbAge, UInt64(pdb.age))
        if pdb.isIL { append(.pdbKind, 0) }
    }
}

/// Turns one column's buffered row group into the pages of a column chunk: a dictionary page when the
/// values repeat enough, then data pages (v1) cut every ``pageRows`` rows, each with its definition (and,
/// for the stack list, repetition) levels and its values, PLAIN or as dictionary indices; and the chunk's
/// statistics.
struct ParquetChunkEncoder {
    /// One page before compression.
    struct Page {
        var type: Parquet.PageType
        var body: [UInt8]
        /// Level entries (data pages) or dictionary entries.
        var values: Int
        var encoding: Parquet.Encoding
    }

    /// A column chunk ready to compress.
    struct Chunk {
        var pages: [Page] = []
        var encodings: [Parquet.Encoding] = []
        var statistics = Parquet.Statistics()
        /// Level entries over all data pages.
        var numValues = 0
    }

    /// Rows per data page: a multiple of 64, so that pages start on a word of the presence bitmap.
    static let pageRows = 1 << 14
    /// The most level entries (frames) a stack page takes before it ends at the next row: readers decode a
    /// page's levels whole.
    static let maximumPageEntries = 1 << 20
    /// The most dictionary entries a chunk may have before its values are written PLAIN.
    static let maximumDictionaryEntries = 1 << 16
    /// The most bytes a text dictionary may hold.
    static let maximumDictionaryBytes = 1 << 20
    /// Text statistics are written only for values up to this long (as DuckDB truncates longer ones).
    static let maximumStatisticsText = 256

    /// Encodes `buffer`'s `rows` rows in pages of `pageRows` (a multiple of 64).
    static func encode(_ buffer: ParquetColumnBuffer, rows: Int, pageRows: Int = pageRows) -> Chunk {
        let column = buffer.column
        switch column.kind {
        case .frames:
            return encodeFrames(buffer, rows: rows, pageRows: pageRows)
        case .text where !column.isCoded:
            return encodeText(buffer, rows: rows, pageRows: pageRows)
        default:
            return encodeIntegers(buffer, rows: rows, pageRows: pageRows)
        }
    }

    // MARK: - Integers (and coded text)

    /// A dictionary of 64-bit values in first-seen order, or `nil` when there are too many distinct ones
    /// for it to pay (more than a quarter of the values, or ``maximumDictionaryEntries``).
    private static func integerDictionary(_ values: [UInt64], always: Bool) -> (entries: [UInt64], indices: [UInt32])? {
        var map = AddressMap<UInt32>()
        var entries: [UInt64] = []
        var indices = [UInt32]()
        indices.reserveCapacity(values.count)
        let limit = always ? maximumDictionaryEntries : min(maximumDictionaryEntries, max(64, values.count / 4))
        for v in values {
            if let index = map[v] {
                indices.append(index)
            } else {
                guard entries.count < limit else { return nil }
                map.updateValue(UInt32(entries.count), forKey: v)
                indices.append(UInt32(entries.count))
                entries.append(v)
            }
        }
        return (entries, indices)
    }

    private static func encodeIntegers(_ buffer: ParquetColumnBuffer, rows: Int, pageRows: Int) -> Chunk {
        let column = buffer.column
        let values = buffer.integers
        var chunk = Chunk()
        // A chunk without values (a column no event of the row group uses) needs no dictionary.
        // Timestamps are nearly all distinct and close together: differences, not a dictionary. Addresses
        // are nearly all distinct too; other integers (sizes, threads, heaps) repeat.
        let delta = column.field == .ts
        let dictionary = delta || column.field == .address || column.field == .oldAddress || values.isEmpty
            ? nil : integerDictionary(values, always: column.isCoded)
        let width32 = column.kind.physicalType == .int32
        if let dictionary {
            var body: [UInt8] = []
            if column.isCoded {
                for code in dictionary.entries { appendPlainText(column.codeText(code), to: &body) }
            } else {
                for v in dictionary.entries { appendPlain(v, width32: width32, to: &body) }
            }
            chunk.pages.append(Page(type: .dictionaryPage, body: body, values: dictionary.entries.count, encoding: .plain))
            chunk.encodings = [.plain, .rle, .rleDictionary]
        } else {
            chunk.encodings = delta ? [.deltaBinaryPacked] : [.plain, .rle]
        }
        let width = dictionary.map { max(1, ParquetRLE.bitWidth(UInt64($0.entries.count - 1))) } ?? 0
        var first = 0
        var valueStart = 0
        while first < rows {
            let end = min(rows, first + pageRows)
            var body: [UInt8] = []
            let valueEnd: Int
            if column.required {
                valueEnd = end
            } else {
                valueEnd = valueStart + buffer.presentCount(from: first, to: end)
                appendDefinitionLevels(buffer, first: first, count: end - first, to: &body)
            }
            if let dictionary {
                body.append(UInt8(width))
                dictionary.indices.withUnsafeBufferPointer { indices in
                    ParquetRLE.encode(UnsafeBufferPointer(rebasing: indices[valueStart..<valueEnd]), width: width, to: &body)
                }
            } else if delta {
                values.withUnsafeBufferPointer { values in
                    ParquetDelta.encode(UnsafeBufferPointer(rebasing: values[valueStart..<valueEnd]), to: &body)
                }
            } else {
                body.reserveCapacity(body.count + (valueEnd - valueStart) * (width32 ? 4 : 8))
                if column.isCoded {
                    for k in valueStart..<valueEnd { appendPlainText(column.codeText(values[k]), to: &body) }
                } else {
                    for k in valueStart..<valueEnd { appendPlain(values[k], width32: width32, to: &body) }
                }
            }
            chunk.pages.append(Page(type: .dataPage, body: body, values: end - first,
                                    encoding: dictionary != nil ? .rleDictionary : delta ? .deltaBinaryPacked : .plain))
            chunk.numValues += end - first
            first = end
            valueStart = valueEnd
        }
        chunk.statistics.nullCount = Int64(rows - values.count)
        if column.isCoded {
            let codes = dictionary?.entries ?? Array(Set(values))
            setTextBounds(codes.map(column.codeText), into: &chunk.statistics)
        } else if !values.isEmpty {
            setIntegerBounds(dictionary?.entries ?? values, kind: column.kind, into: &chunk.statistics)
        }
        return chunk
    }

    @inline(__always)
    private static func appendPlain(_ value: UInt64, width32: Bool, to body: inout [UInt8]) {
        var v = value
        for _ in 0..<(width32 ? 4 : 8) {
            body.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    private static func appendPlainText(_ bytes: some Collection<UInt8>, to body: inout [UInt8]) {
        appendPlain(UInt64(bytes.count), width32: true, to: &body)
        body.append(contentsOf: bytes)
    }

    /// Min and max in the column's order: unsigned for unsigned columns, signed for the timestamp and
    /// signed 32-bit ones (which also get the deprecated signed `min`/`max`).
    private static func setIntegerBounds(_ values: [UInt64], kind: ParquetColumnKind, into statistics: inout Parquet.Statistics) {
        let width32 = kind.physicalType == .int32
        var low: UInt64, high: UInt64
        if kind.isUnsigned {
            low = values.min()!
            high = values.max()!
        } else {
            let signed = values.map { width32 ? Int64(Int32(truncatingIfNeeded: $0)) : Int64(bitPattern: $0) }
            low = UInt64(bitPattern: signed.min()!)
            high = UInt64(bitPattern: signed.max()!)
            statistics.legacy = true
        }
        var lowBytes: [UInt8] = [], highBytes: [UInt8] = []
        appendPlain(low, width32: width32, to: &lowBytes)
        appendPlain(high, width32: width32, to: &highBytes)
        statistics.minValue = lowBytes
        statistics.maxValue = highBytes
    }

    /// Byte-wise min and max of text values, when neither is longer than ``maximumStatisticsText``.
    private static func setTextBounds(_ texts: [[UInt8]], into statistics: inout Parquet.Statistics) {
        guard let low = texts.min(by: { $0.lexicographicallyPrecedes($1) }),
              let high = texts.max(by: { $0.lexicographicallyPrecedes($1) }),
              low.count <= maximumStatisticsText, high.count <= maximumStatisticsText else { return }
        statistics.minValue = low
        statistics.maxValue = high
    }

    /// Definition levels of `count` rows from `first` (width 1), with their 4-byte length (v1 pages).
    private static func appendDefinitionLevels(_ buffer: ParquetColumnBuffer, first: Int, count: Int, to body: inout [UInt8]) {
        let lengthAt = body.count
        body.append(contentsOf: [0, 0, 0, 0])
        buffer.withPresentBits { bits in ParquetRLE.encodeBitmap(bits, first: first, count: count, to: &body) }
        setLength(body.count - lengthAt - 4, at: lengthAt, in: &body)
    }

    private static func setLength(_ length: Int, at offset: Int, in body: inout [UInt8]) {
        for k in 0..<4 { body[offset + k] = UInt8(truncatingIfNeeded: length >> (8 * k)) }
    }

    // MARK: - Text

    private static func encodeText(_ buffer: ParquetColumnBuffer, rows: Int, pageRows: Int) -> Chunk {
        let ends = buffer.textEnds
        let bytes = buffer.textBytes
        func text(_ k: Int) -> ArraySlice<UInt8> {
            bytes[(k == 0 ? 0 : Int(ends[k - 1]))..<Int(ends[k])]
        }
        // A dictionary unless the distinct values are too many or too large.
        var map: [ArraySlice<UInt8>: UInt32] = [:]
        var entries: [ArraySlice<UInt8>] = []
        var indices: [UInt32] = []
        var dictionaryBytes = 0
        var useDictionary = !ends.isEmpty
        for k in 0..<ends.count {
            let t = text(k)
            if let index = map[t] {
                indices.append(index)
                continue
            }
            dictionaryBytes += t.count + 4
            guard entries.count < maximumDictionaryEntries, dictionaryBytes <= maximumDictionaryBytes else {
                useDictionary = false
                break
            }
            map[t] = UInt32(entries.count)
            indices.append(UInt32(entries.count))
            entries.append(t)
        }
        var chunk = Chunk()
        if useDictionary {
            var body: [UInt8] = []
            for entry in entries { appendPlainText(entry, to: &body) }
            chunk.pages.append(Page(type: .dictionaryPage, body: body, values: entries.count, encoding: .plain))
            chunk.encodings = [.plain, .rle, .rleDictionary]
        } else {
            chunk.encodings = [.plain, .rle]
        }
        let width = max(1, ParquetRLE.bitWidth(UInt64(max(entries.count, 1) - 1)))
        var first = 0
        var valueStart = 0
        while first < rows {
            let end = min(rows, first + pageRows)
            var body: [UInt8] = []
            let valueEnd = valueStart + buffer.presentCount(from: first, to: end)
            appendDefinitionLevels(buffer, first: first, count: end - first, to: &body)
            if useDictionary {
                body.append(UInt8(width))
                indices.withUnsafeBufferPointer { indices in
                    ParquetRLE.encode(UnsafeBufferPointer(rebasing: indices[valueStart..<valueEnd]), width: width, to: &body)
                }
            } else {
                for k in valueStart..<valueEnd { appendPlainText(text(k), to: &body) }
            }
            chunk.pages.append(Page(type: .dataPage, body: body, values: end - first, encoding: useDictionary ? .rleDictionary : .plain))
            chunk.numValues += end - first
            first = end
            valueStart = valueEnd
        }
        chunk.statistics.nullCount = Int64(rows - ends.count)
        setTextBounds(useDictionary ? entries.map(Array.init) : (0..<ends.count).map { Array(text($0)) }, into: &chunk.statistics)
        return chunk
    }

    // MARK: - Frames (the stack list)

    /// The stack as the standard three-level list: an optional list of required UINT_64 elements, so the
    /// definition level is 0 for no stack, 1 for an empty stack, 2 for each frame; the repetition level is
    /// 0 for a row's first entry and 1 for the frames after it.
    private static func encodeFrames(_ buffer: ParquetColumnBuffer, rows: Int, pageRows: Int) -> Chunk {
        let frames = buffer.integers
        let lengths = buffer.listLengths
        var chunk = Chunk()
        let dictionary = frames.isEmpty ? nil : integerDictionary(frames, always: false)
        if let dictionary {
            var body: [UInt8] = []
            for v in dictionary.entries { appendPlain(v, width32: false, to: &body) }
            chunk.pages.append(Page(type: .dictionaryPage, body: body, values: dictionary.entries.count, encoding: .plain))
            chunk.encodings = [.plain, .rle, .rleDictionary]
        } else {
            chunk.encodings = [.plain, .rle]
        }
        // Indices in whole bytes: a stack seen again is then the same byte string, which deflate finds
        // (packed at 15 bits its copies fall on different bit offsets and look different).
        let width = dictionary.map { (ParquetRLE.bitWidth(UInt64(max(1, $0.entries.count - 1))) + 7) / 8 * 8 } ?? 0
        var first = 0
        var listIndex = 0
        var frameStart = 0
        var nulls = 0
        var repetition: [UInt8] = [], definition: [UInt8] = []
        while first < rows {
            var end = min(rows, first + pageRows)
            repetition.removeAll(keepingCapacity: true)
            definition.removeAll(keepingCapacity: true)
            var frameEnd = frameStart
            for row in first..<end {
                // Deep stacks: the page also ends at a row once it holds ``maximumPageEntries`` entries.
                if definition.count >= maximumPageEntries {
                    end = row
                    break
                }
                guard buffer.has(row) else {
                    repetition.append(0)
                    definition.append(0)
                    nulls += 1
                    continue
                }
                let n = Int(lengths[listIndex])
                listIndex += 1
                if n == 0 {
                    repetition.append(0)
                    definition.append(1)
                    nulls += 1
                } else {
                    repetition.append(0)
                    definition.append(2)
                    for _ in 1..<n {
                        repetition.append(1)
                        definition.append(2)
                    }
                    frameEnd += n
                }
            }
            var body: [UInt8] = []
            for (levels, levelWidth) in [(repetition, 1), (definition, 2)] {
                let lengthAt = body.count
                body.append(contentsOf: [0, 0, 0, 0])
                levels.withUnsafeBufferPointer { ParquetRLE.encode($0, width: levelWidth, to: &body) }
                setLength(body.count - lengthAt - 4, at: lengthAt, in: &body)
            }
            if let dictionary {
                body.append(UInt8(width))
                dictionary.indices.withUnsafeBufferPointer { indices in
                    ParquetRLE.encode(UnsafeBufferPointer(rebasing: indices[frameStart..<frameEnd]), width: width, to: &body)
                }
            } else {
                body.reserveCapacity(body.count + (frameEnd - frameStart) * 8)
                for k in frameStart..<frameEnd { appendPlain(frames[k], width32: false, to: &body) }
            }
            chunk.pages.append(Page(type: .dataPage, body: body, values: definition.count,
                                    encoding: dictionary == nil ? .plain : .rleDictionary))
            chunk.numValues += definition.count
            first = end
            frameStart = frameEnd
        }
        chunk.statistics.nullCount = Int64(nulls)
        if !frames.isEmpty { setIntegerBounds(dictionary?.entries ?? frames, kind: .frames, into: &chunk.statistics) }
        return chunk
    }
}

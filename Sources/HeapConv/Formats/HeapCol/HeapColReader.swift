import CZlib

/// Reads `.heapcol` (`Schemas/heapcol.md`), decompressing the gzip stream itself.
///
/// Every block's CRC-32 is checked before it is decoded, every column is checked against the counts its
/// event kinds imply, and the footer's counts against what was read; the first problem is thrown as a
/// ``ConversionError`` of kind `.malformedInput` at its offset in the decompressed stream (gzip-level damage
/// is reported by ``GzipSource`` at its compressed offset). The events of a damaged row group are never
/// returned. Memory is bounded by one row group and the stack dictionary's limits.
public struct HeapColReader: EventReader {
    private let decoder: HeapColDecoder

    /// Reads the header from `source`, the compressed file. With `readAhead` (the default) the file is
    /// decompressed on a thread of its own ahead of the decoder; without it, on the caller's thread.
    ///
    /// - Throws: `.malformedInput` when the stream is not heapcol or has an unsupported major version.
    public init(source: any ByteSource, name: String = "<heapcol>", readAhead: Bool = true) throws(ConversionError) {
        let inflated = try GzipSource(source, name: name)
        decoder = try HeapColDecoder(source: readAhead ? ThreadedSource(inflated) : inflated)
    }

    /// Reads a heapcol stream that is already decompressed (the bytes inside the file's gzip member): for
    /// fuzzing the decoder itself, which mutated gzip (with its CRC) rarely reaches.
    public init(uncompressed source: any ByteSource) throws(ConversionError) {
        decoder = try HeapColDecoder(source: source)
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        try decoder.read(into: &batch, limit: limit)
    }

    public func facts() -> InfoValue? {
        .object([("format", .string("heapcol")),
                 ("version", .string("\(HeapColFormat.majorVersion).\(decoder.minorVersion)"))])
    }
}

/// The state of a heapcol read: the decompressed input, the stack dictionary, and the decoded events of the
/// current row group waiting to be handed out.
final class HeapColDecoder {
    private let input: InputBuffer
    private(set) var minorVersion: UInt8 = 0

    private var pending: [HeapEvent] = []
    private var pendingPosition = 0
    private var footerRead = false
    /// The first problem found; every later read throws it again.
    private var failure: ConversionError?

    private var rowGroups: UInt64 = 0
    private var events: UInt64 = 0
    private var perKind = [UInt64](repeating: 0, count: EventKind.heapKinds.count)
    /// Context records decoded per kind (process, thread, image), for the 1.1 footer.
    private var contextPerKind: [UInt64] = [0, 0, 0]
    /// Context records of a `'C'` block waiting for the row group they are placed in.
    private var waitingContext: [HeapColContextReader.Record] = []
    /// The strings of the context records in ``pending`` and ``waitingContext``.
    private var contextText: [UInt8] = []

    /// The stack dictionary: entry i is `stackFrames[stackStarts[i]..<stackStarts[i + 1]]`.
    private var stackFrames: [UInt64] = []
    private var stackStarts: [Int] = [0]

    /// Decoded columns of the current row group, by id, and where each started.
    private var columns = [[UInt64]](repeating: [], count: HeapColColumn.allCases.count)
    private var columnOffsets = [UInt64](repeating: 0, count: HeapColColumn.allCases.count)
    private var previousAddress: [UInt64] = []

    init(source: any ByteSource) throws(ConversionError) {
        input = InputBuffer(source: source, capacity: 1 << 20,
                            maximumRecordSize: HeapColFormat.maximumBodyLength * 2)
        guard try need(HeapColFormat.headerLength) else {
            throw malformed(at: input.consumedBytes + UInt64(input.available.count),
                            "the stream ends after \(input.available.count) bytes, inside the 10-byte heapcol header")
        }
        let header = input.available
        for (i, byte) in HeapColFormat.magic.enumerated() where header[i] != byte {
            throw malformed(at: 0, "not a heapcol file: the decompressed stream does not start with \"HEAPCOL\\0\"")
        }
        guard header[8] == HeapColFormat.majorVersion else {
            throw malformed(at: 8, "unsupported heapcol major version \(header[8]) (this heapconv reads version \(HeapColFormat.majorVersion))")
        }
        minorVersion = header[9]
        input.consume(HeapColFormat.headerLength)
    }

    func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        if let failure { throw failure }
        var appended = 0
        while appended < limit {
            if pendingPosition == pending.count {
                if footerRead { break }
                pending.removeAll(keepingCapacity: true)
                if waitingContext.isEmpty { contextText.removeAll(keepingCapacity: true) }
                pendingPosition = 0
                do {
                    try readBlock()
                } catch {
                    // Nothing of a damaged row group is handed out, now or on a later call.
                    pending.removeAll()
                    failure = error
                    throw error
                }
                continue
            }
            let take = min(limit - appended, pending.count - pendingPosition)
            stackFrames.withUnsafeBufferPointer { frames in
                for i in pendingPosition..<pendingPosition + take {
                    var event = pending[i]
                    if event.isContext {
                        let text = contextText
                        batch.events.append(event.remappingText { batch.appendText(text.slice($0)) })
                        continue
                    }
                    let ref = event.context.stack
                    if ref.isPresent {
                        // `buildEvents` checked every entry's range against the dictionary.
                        let start = Int(ref.offset)
                        event.context.stack = batch.appendStack(UnsafeBufferPointer(rebasing: frames[start..<start + Int(ref.count)]))
                    }
                    batch.events.append(event)
                }
            }
            pendingPosition += take
            appended += take
        }
        return appended > 0
    }

    private func malformed(at offset: UInt64, _ message: String) -> ConversionError {
        ConversionError(.malformedInput, at: .offset(offset), message)
    }

    /// Fills the input until `count` bytes are available; `false` if it ends first.
    private func need(_ count: Int) throws(ConversionError) -> Bool {
        while input.available.count < count {
            if try !input.fill() { return false }
        }
        return true
    }

    /// The decompressed offset where the stream ended (once ``need(_:)`` returned `false`).
    private var endOffset: UInt64 { input.consumedBytes + UInt64(input.available.count) }

    /// Reads the next block: decodes a row group into ``pending``, or checks the footer and that nothing
    /// follows it, or skips a block of a later minor version.
    private func readBlock() throws(ConversionError) {
        let blockOffset = input.consumedBytes
        guard try need(HeapColFormat.blockHeaderLength) else {
            if input.available.isEmpty {
                throw malformed(at: endOffset, "the stream ends before the heapcol footer (truncated file?)")
            }
            throw malformed(at: endOffset, "the stream ends inside the header of the block at offset 0x"
                            + String(blockOffset, radix: 16) + " (truncated file?)")
        }
        let header = input.available
        let tag = header[0]
        let length = Int(header[1]) | Int(header[2]) << 8 | Int(header[3]) << 16 | Int(header[4]) << 24
        guard length <= HeapColFormat.maximumBodyLength else {
            throw malformed(at: blockOffset + 1, "block length \(length) exceeds heapcol's limit of 2^28 bytes (corrupt file?)")
        }
        let total = HeapColFormat.blockHeaderLength + length + HeapColFormat.blockTrailerLength
        guard try need(total) else {
            throw malformed(at: endOffset, "the stream ends inside the block at offset 0x" + String(blockOffset, radix: 16)
                            + " of \(total) bytes (truncated file?)")
        }
        let block = UnsafeRawBufferPointer(rebasing: input.available[0..<total])
        let bodyEnd = HeapColFormat.blockHeaderLength + length
        let stored = UInt32(block[bodyEnd]) | UInt32(block[bodyEnd + 1]) << 8 | UInt32(block[bodyEnd + 2]) << 16
            | UInt32(block[bodyEnd + 3]) << 24
        let computed = blockCRC(UnsafeRawBufferPointer(rebasing: block[0..<bodyEnd]))
        guard stored == computed else {
            throw malformed(at: blockOffset, "CRC-32 mismatch in the block at offset 0x" + String(blockOffset, radix: 16)
                            + " (stored 0x" + String(stored, radix: 16) + ", computed 0x" + String(computed, radix: 16)
                            + "): the file is corrupt")
        }
        let body = UnsafeRawBufferPointer(rebasing: block[HeapColFormat.blockHeaderLength..<bodyEnd])
        let bodyOffset = blockOffset + UInt64(HeapColFormat.blockHeaderLength)
        if !waitingContext.isEmpty && tag != HeapColFormat.rowGroupTag {
            throw malformed(at: blockOffset, "a context block placing records inside a row group is not followed by one")
        }
        switch tag {
        case HeapColFormat.rowGroupTag:
            try decodeRowGroup(body, at: bodyOffset)
            input.consume(total)
            if !waitingContext.isEmpty { try placeWaitingContext(at: blockOffset) }
        case HeapColContext.tag:
            var records: [HeapColContextReader.Record] = []
            try HeapColContextReader.decode(body, at: bodyOffset, text: &contextText, records: &records,
                                            perKind: &contextPerKind)
            input.consume(total)
            if records.last!.position == 0 {
                // Nothing of the next row group comes before them: they may leave now.
                pending.append(contentsOf: records.lazy.map(\.event))
            } else {
                waitingContext = records
            }
        case HeapColFormat.footerTag:
            try checkFooter(body, at: bodyOffset)
            input.consume(total)
            footerRead = true
            if try need(1) {
                throw malformed(at: input.consumedBytes, "data after the heapcol footer")
            }
        default:
            input.consume(total)  // a block of a later minor version
        }
    }

    /// Puts the waiting context records among the row group's events in ``pending``, each before the event
    /// at its position.
    private func placeWaitingContext(at blockOffset: UInt64) throws(ConversionError) {
        let records = waitingContext
        waitingContext = []
        guard records.last!.position <= pending.count else {
            throw malformed(at: blockOffset, "a context record's position \(records.last!.position) is past the \(pending.count) events of the row group that follows")
        }
        var merged: [HeapEvent] = []
        merged.reserveCapacity(pending.count + records.count)
        var next = 0
        for (i, event) in pending.enumerated() {
            while next < records.count, records[next].position == i {
                merged.append(records[next].event)
                next += 1
            }
            merged.append(event)
        }
        merged.append(contentsOf: records[next...].lazy.map(\.event))
        pending = merged
    }

    private func blockCRC(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return UInt32(truncatingIfNeeded: crc32(0, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }

    private func checkFooter(_ body: UnsafeRawBufferPointer, at offset: UInt64) throws(ConversionError) {
        guard let p = body.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw malformed(at: offset, "the heapcol footer is empty")
        }
        var position = 0
        var values: [UInt64] = []
        for _ in 0..<HeapColFormat.footerValueCount {
            guard let value = Varint.read(p, &position, body.count) else {
                throw malformed(at: offset + UInt64(position), "the heapcol footer is too short or holds a bad varint")
            }
            values.append(value)
        }
        func check(_ stored: UInt64, _ counted: UInt64, _ what: String) throws(ConversionError) {
            guard stored == counted else {
                throw malformed(at: offset, "the footer counts \(stored) \(what) but the file holds \(counted): row groups are missing or repeated")
            }
        }
        try check(values[0], rowGroups, "row groups")
        try check(values[1], events, "events")
        for kind in EventKind.heapKinds {
            try check(values[2 + Int(kind.rawValue)], perKind[Int(kind.rawValue)], "\(kind.name) events")
        }
        // Version 1.1 appends the context records' counts; a 1.0 file has none (and no 'C' blocks).
        var contextCounts: [UInt64] = [0, 0, 0, 0]
        if minorVersion >= 1 {
            for i in 0..<HeapColFormat.contextFooterValueCount {
                guard let value = Varint.read(p, &position, body.count) else {
                    throw malformed(at: offset + UInt64(position), "the heapcol 1.1 footer lacks its context-record counts")
                }
                contextCounts[i] = value
            }
        }
        try check(contextCounts[0], contextPerKind.reduce(0, +), "context records")
        for (i, kind) in [EventKind.process, .thread, .image].enumerated() {
            try check(contextCounts[1 + i], contextPerKind[i], "\(kind.name) records")
        }
    }

    // MARK: Row groups

    private func decodeRowGroup(_ body: UnsafeRawBufferPointer, at bodyOffset: UInt64) throws(ConversionError) {
        let group = rowGroups + 1
        func problem(_ offset: UInt64, _ message: String) -> ConversionError {
            malformed(at: offset, "row group \(group): " + message)
        }
        guard let p = body.baseAddress?.assumingMemoryBound(to: UInt8.self), !body.isEmpty else {
            throw problem(bodyOffset, "empty row group body")
        }
        let end = body.count
        var position = 0
        guard let n64 = Varint.read(p, &position, end), n64 >= 1, n64 <= UInt64(HeapColFormat.maximumRowGroupEvents) else {
            throw problem(bodyOffset, "the event count must be from 1 to 65536")
        }
        let n = Int(n64)
        let flagsOffset = position
        guard let flags = Varint.read(p, &position, end), flags & ~HeapColFormat.resetStackDictionaryFlag == 0 else {
            throw problem(bodyOffset + UInt64(flagsOffset), "unknown row-group flags")
        }

        // Columns, in increasing id order; the kind column (id 0) comes first and decides the others' counts.
        var expected = [Int](repeating: 0, count: HeapColColumn.allCases.count)
        var nextID = 0
        var lastID: UInt64? = nil
        var stackRoom = 0
        while position < end {
            let columnStart = position
            guard let id = Varint.read(p, &position, end), let size64 = Varint.read(p, &position, end),
                  size64 <= UInt64(end - position) else {
                throw problem(bodyOffset + UInt64(columnStart), "bad column header or column runs past the end of the row group")
            }
            if let lastID, id <= lastID {
                throw problem(bodyOffset + UInt64(columnStart), "column id \(id) after column id \(lastID): ids must increase")
            }
            lastID = id
            let size = Int(size64)
            if id < UInt64(HeapColColumn.allCases.count) {
                let column = HeapColColumn(rawValue: Int(id))!
                guard Int(id) == nextID else {
                    throw problem(bodyOffset + UInt64(columnStart), "column \"\(HeapColColumn(rawValue: nextID)!.name)\" is missing")
                }
                nextID += 1
                let limit: (exact: Int?, maximum: Int)
                switch column {
                case .kind, .time, .pid, .tid, .cpu, .heap, .stack: limit = (n, n)
                case .pidDict, .tidDict, .heapDict: limit = (nil, n)
                case .details: limit = (nil, expected[column.rawValue])
                case .stackDict:
                    if flags & HeapColFormat.resetStackDictionaryFlag != 0 {
                        stackFrames.removeAll(keepingCapacity: true)
                        stackStarts.removeAll(keepingCapacity: true)
                        stackStarts.append(0)
                    }
                    // At most three integers per entry besides its own frames.
                    stackRoom = 3 * (HeapColFormat.maximumStackEntries - (stackStarts.count - 1))
                        + HeapColFormat.maximumStackFrames - stackFrames.count
                    limit = (nil, stackRoom)
                case .address, .oldAddress: limit = (expected[column.rawValue] + 1, expected[column.rawValue] + 1)
                default: limit = (expected[column.rawValue], expected[column.rawValue])
                }
                columnOffsets[column.rawValue] = bodyOffset + UInt64(columnStart)
                try decodeSequence(p, from: position, to: position + size, into: &columns[column.rawValue],
                                   exactCount: limit.exact, maximumCount: limit.maximum,
                                   at: bodyOffset + UInt64(position), column: column, group: group)
                if column == .kind { try countByKind(n: n, into: &expected, group: group) }
            }
            position += size
        }
        guard nextID == HeapColColumn.allCases.count else {
            throw problem(bodyOffset + UInt64(end), "column \"\(HeapColColumn(rawValue: nextID)!.name)\" is missing")
        }
        try addStacks(group: group)
        try buildEvents(n: n, group: group)
        rowGroups += 1
        events += UInt64(n)
    }

    /// Checks the kind codes and sets how many integers each kind-dependent column must hold (for
    /// `details`, the most it may hold).
    private func countByKind(n: Int, into expected: inout [Int], group: UInt64) throws(ConversionError) {
        var counts = [Int](repeating: 0, count: EventKind.heapKinds.count)
        for (i, code) in columns[HeapColColumn.kind.rawValue].enumerated() {
            guard code < UInt64(counts.count) else {
                throw malformed(at: columnOffsets[HeapColColumn.kind.rawValue],
                                "row group \(group): event \(i) has unknown kind code \(code)")
            }
            counts[Int(code)] += 1
        }
        func count(_ kinds: EventKind...) -> Int { kinds.reduce(0) { $0 + counts[Int($1.rawValue)] } }
        expected[HeapColColumn.address.rawValue] = count(.alloc, .realloc, .free, .expand, .contract)
        expected[HeapColColumn.size.rawValue] = count(.alloc, .realloc)
        expected[HeapColColumn.oldAddress.rawValue] = count(.realloc)
        expected[HeapColColumn.oldSize.rawValue] = count(.realloc)
        expected[HeapColColumn.source.rawValue] = count(.alloc, .realloc, .free)
        expected[HeapColColumn.flags.rawValue] = count(.create, .snapshot)
        expected[HeapColColumn.details.rawValue] = 4 * count(.create) + 7 * count(.expand, .contract)
            + 9 * count(.snapshot) + count(.other)
    }

    /// Decodes an integer sequence (`Schemas/heapcol.md` §4) from `p[start..<end]` into `values`.
    private func decodeSequence(
        _ p: UnsafePointer<UInt8>, from start: Int, to end: Int, into values: inout [UInt64],
        exactCount: Int?, maximumCount: Int, at offset: UInt64, column: HeapColColumn, group: UInt64
    ) throws(ConversionError) {
        func problem(_ position: Int, _ message: String) -> ConversionError {
            malformed(at: offset + UInt64(position - start), "row group \(group), column \"\(column.name)\": " + message)
        }
        values.removeAll(keepingCapacity: true)
        var position = start
        guard position < end else { throw problem(position, "empty column (no layout byte)") }
        let layout = p[position]
        position += 1
        guard let count64 = Varint.read(p, &position, end) else { throw problem(position, "bad or missing count") }
        if let exactCount, count64 != UInt64(exactCount) {
            throw problem(start + 1, "holds \(count64) values where its events need \(exactCount)")
        }
        guard count64 <= UInt64(maximumCount) else {
            throw problem(start + 1, "holds \(count64) values, more than the \(maximumCount) allowed here")
        }
        let count = Int(count64)
        values.reserveCapacity(count)
        switch layout {
        case 0:
            for _ in 0..<count {
                guard let value = Varint.read(p, &position, end) else {
                    throw problem(position, "bad varint or the column ends after \(values.count) of \(count) values")
                }
                values.append(value)
            }
        case 1:
            while values.count < count {
                let runStart = position
                guard let value = Varint.read(p, &position, end), let run = Varint.read(p, &position, end) else {
                    throw problem(position, "bad varint or the column ends after \(values.count) of \(count) values")
                }
                guard run >= 1, run <= UInt64(count - values.count) else {
                    throw problem(runStart, "a run of \(run) does not fit the remaining \(count - values.count) values")
                }
                for _ in 0..<Int(run) { values.append(value) }
            }
        case 2:
            guard position < end else { throw problem(position, "missing packed width") }
            let width = Int(p[position])
            position += 1
            guard width >= 1 && width <= 64 else { throw problem(position - 1, "packed width \(width) is not from 1 to 64") }
            let bytes = (count * width + 7) / 8
            guard end - position == bytes else {
                throw problem(position, "\(count) packed values of \(width) bits take \(bytes) bytes, the column has \(end - position)")
            }
            var bits = BitReader(p + position)
            if width <= 32 {
                for _ in 0..<count { values.append(bits.take(width)) }
            } else {
                for _ in 0..<count {
                    let low = bits.take(32)
                    values.append(low | bits.take(width - 32) << 32)
                }
            }
            guard bits.remainder == 0 else { throw problem(end - 1, "nonzero padding bits after the last packed value") }
            position = end
        default:
            throw problem(start, "unknown integer-sequence layout \(layout)")
        }
        guard position == end else { throw problem(position, "\(end - position) bytes left over after the last value") }
    }

    /// Applies this row group's `stack_dict` column to the stack dictionary (reset already done).
    private func addStacks(group: UInt64) throws(ConversionError) {
        let additions = columns[HeapColColumn.stackDict.rawValue]
        let offset = columnOffsets[HeapColColumn.stackDict.rawValue]
        // Entries are appended to the dictionary as they are read, so bases may be entries of this column.
        func problem(_ message: String) -> ConversionError {
            malformed(at: offset, "row group \(group), column \"stack_dict\": " + message)
        }
        func next() throws(ConversionError) -> UInt64 {
            guard i < additions.count else { throw problem("a stack entry runs past the column's end") }
            i += 1
            return additions[i - 1]
        }
        var i = 0
        while i < additions.count {
            let entry = stackStarts.count - 1
            let base = try next()
            var shared = 0
            var baseStart = 0
            if base > 0 {
                guard base <= UInt64(entry) else { throw problem("base \(base) reaches before the first of \(entry) entries") }
                let baseEntry = entry - Int(base)
                baseStart = stackStarts[baseEntry]
                let baseCount = stackStarts[baseEntry + 1] - baseStart
                let sharedValue = try next()
                guard sharedValue <= UInt64(baseCount) else {
                    throw problem("\(sharedValue) shared frames from a base of \(baseCount)")
                }
                shared = Int(sharedValue)
                baseStart += baseCount - shared
            }
            let count = try next()
            guard count <= UInt64(additions.count - i) else { throw problem("a stack of \(count) frames runs past the column's end") }
            guard entry < HeapColFormat.maximumStackEntries,
                  stackFrames.count + Int(count) + shared <= HeapColFormat.maximumStackFrames else {
                throw problem("the stack dictionary exceeds heapcol's limits")
            }
            var previous: UInt64 = 0
            for _ in 0..<Int(count) {
                previous = Varint.undelta(additions[i], from: previous)
                stackFrames.append(previous)
                i += 1
            }
            for k in 0..<shared { stackFrames.append(stackFrames[baseStart + k]) }
            stackStarts.append(stackFrames.count)
        }
    }

    /// Builds the row group's events from its columns into ``pending``, checking every index and range.
    private func buildEvents(n: Int, group: UInt64) throws(ConversionError) {
        func problem(_ column: HeapColColumn, _ message: String) -> ConversionError {
            malformed(at: columnOffsets[column.rawValue], "row group \(group), column \"\(column.name)\": " + message)
        }
        let pidDict = columns[HeapColColumn.pidDict.rawValue]
        let tidDict = columns[HeapColColumn.tidDict.rawValue]
        let heapDict = columns[HeapColColumn.heapDict.rawValue]
        for (values, column) in [(pidDict, HeapColColumn.pidDict), (tidDict, .tidDict)] {
            if let bad = values.first(where: { $0 > UInt64(UInt32.max) }) {
                throw problem(column, "value \(bad) does not fit in 32 bits")
            }
        }
        let kinds = columns[HeapColColumn.kind.rawValue]
        let times = columns[HeapColColumn.time.rawValue]
        let pids = columns[HeapColColumn.pid.rawValue]
        let tids = columns[HeapColColumn.tid.rawValue]
        let cpus = columns[HeapColColumn.cpu.rawValue]
        let heaps = columns[HeapColColumn.heap.rawValue]
        let stacks = columns[HeapColColumn.stack.rawValue]
        let addresses = columns[HeapColColumn.address.rawValue]
        let sizes = columns[HeapColColumn.size.rawValue]
        let oldAddresses = columns[HeapColColumn.oldAddress.rawValue]
        let oldSizes = columns[HeapColColumn.oldSize.rawValue]
        let sources = columns[HeapColColumn.source.rawValue]
        let flags = columns[HeapColColumn.flags.rawValue]
        let details = columns[HeapColColumn.details.rawValue]
        // The address columns start with their shift.
        var a = 1, s = 0, o = 1, src = 0, f = 0, d = 0
        let addressShift = addresses[0], oldAddressShift = oldAddresses[0]
        guard addressShift <= 63 else { throw problem(.address, "shift \(addressShift) is above 63") }
        guard oldAddressShift <= 63 else { throw problem(.oldAddress, "shift \(oldAddressShift) is above 63") }
        // Locals, not properties, in the loop: a class's properties cost an exclusivity check per mutation.
        var previousAddress = self.previousAddress
        self.previousAddress = []
        previousAddress.removeAll(keepingCapacity: true)
        previousAddress.append(contentsOf: heapDict)
        var pending = self.pending
        self.pending = []
        var perKind = self.perKind
        defer {
            self.previousAddress = previousAddress
            self.pending = pending
            self.perKind = perKind
        }
        let stackEntries = UInt64(stackStarts.count - 1)
        var time: UInt64 = 0
        pending.reserveCapacity(n)

        func detail(_ maximum: UInt64 = .max) throws(ConversionError) -> UInt64 {
            guard d < details.count else { throw problem(.details, "runs out of values") }
            let value = details[d]
            d += 1
            guard value <= maximum else { throw problem(.details, "value \(value) is above its field's maximum \(maximum)") }
            return value
        }
        func u32(_ column: HeapColColumn, _ value: UInt64) throws(ConversionError) -> UInt32 {
            guard value <= UInt64(UInt32.max) else { throw problem(column, "value \(value) does not fit in 32 bits") }
            return UInt32(value)
        }
        func source(_ value: UInt64) throws(ConversionError) -> HeapSource {
            HeapSource(rawValue: try u32(.source, value))
        }
        func optional(_ mask: UInt64, _ bit: UInt64) throws(ConversionError) -> UInt64? {
            mask & bit != 0 ? try detail() : nil
        }

        for i in 0..<n {
            time = Varint.undelta(times[i], from: time)
            guard pids[i] < UInt64(pidDict.count) else { throw problem(.pid, "index \(pids[i]) outside a dictionary of \(pidDict.count)") }
            guard tids[i] < UInt64(tidDict.count) else { throw problem(.tid, "index \(tids[i]) outside a dictionary of \(tidDict.count)") }
            guard heaps[i] < UInt64(heapDict.count) else { throw problem(.heap, "index \(heaps[i]) outside a dictionary of \(heapDict.count)") }
            guard cpus[i] <= UInt64(UInt32.max) + 1 else { throw problem(.cpu, "value \(cpus[i]) is not a 32-bit CPU number + 1") }
            guard stacks[i] <= stackEntries else { throw problem(.stack, "entry \(stacks[i]) outside a dictionary of \(stackEntries)") }
            var stack = StackRef.none
            if stacks[i] > 0 {
                let entry = Int(stacks[i]) - 1
                stack = StackRef(offset: UInt32(stackStarts[entry]), count: UInt32(stackStarts[entry + 1] - stackStarts[entry]))
            }
            let h = Int(heaps[i])
            let context = EventContext(
                timestamp: Int64(bitPattern: time), processID: UInt32(pidDict[Int(pids[i])]),
                threadID: UInt32(tidDict[Int(tids[i])]), cpu: cpus[i] == 0 ? nil : UInt32(cpus[i] - 1),
                heap: heapDict[h], stack: stack)
            // The kind column's counts were checked against every kind-dependent column's length, so the
            // cursors a, s, o, src and f stay inside their columns.
            func nextAddress() -> UInt64 {
                let address = previousAddress[h] &+ UInt64(bitPattern: Varint.unzigzag(addresses[a]) &<< addressShift)
                previousAddress[h] = address
                a += 1
                return address
            }
            let event: HeapEvent
            switch EventKind(rawValue: UInt8(kinds[i]))! {
            case .alloc:
                let address = nextAddress()
                event = .alloc(context, address: address, size: sizes[s], source: try source(sources[src]))
                s += 1
                src += 1
            case .realloc:
                let address = nextAddress()
                event = .realloc(context, address: address, size: sizes[s],
                                 oldAddress: address &+ UInt64(bitPattern: Varint.unzigzag(oldAddresses[o]) &<< oldAddressShift),
                                 oldSize: oldSizes[o - 1],
                                 source: try source(sources[src]))
                s += 1
                o += 1
                src += 1
            case .free:
                event = .free(context, address: nextAddress(), source: try source(sources[src]))
                src += 1
            case .destroy:
                event = .destroy(context)
            case .create:
                let flagValue = try u32(.flags, flags[f])
                f += 1
                let mask = try detail(7)
                event = .create(context, HeapCreateFields(
                    flags: flagValue, reserveSize: try optional(mask, 1), commitSize: try optional(mask, 2),
                    allocatedSize: try optional(mask, 4)))
            case .expand:
                let address = nextAddress()
                let mask = try detail(1)
                let committedSize = try detail(), freeSpace = try detail(), committedSpace = try detail()
                let reservedSpace = try detail(), allocated = try optional(mask, 1)
                event = .expand(context, HeapExpandFields(
                    committedSize: committedSize, address: address, freeSpace: freeSpace, committedSpace: committedSpace,
                    reservedSpace: reservedSpace, noOfUCRs: UInt32(try detail(UInt64(UInt32.max))), allocatedSpace: allocated))
            case .contract:
                let address = nextAddress()
                let mask = try detail(1)
                let decommitSize = try detail(), freeSpace = try detail(), committedSpace = try detail()
                let reservedSpace = try detail(), allocated = try optional(mask, 1)
                event = .contract(context, HeapContractFields(
                    decommitSize: decommitSize, decommitAddress: address, freeSpace: freeSpace,
                    committedSpace: committedSpace, reservedSpace: reservedSpace,
                    noOfUCRs: UInt32(try detail(UInt64(UInt32.max))), allocatedSpace: allocated))
            case .snapshot:
                let flagValue = try u32(.flags, flags[f])
                f += 1
                let mask = try detail(1)
                let freeSpace = try detail(), committedSpace = try detail(), reservedSpace = try detail()
                let largeUCRSpace = try detail(), allocated = try optional(mask, 1)
                let freeListLength = UInt32(try detail(UInt64(UInt32.max)))
                let ucrLength = UInt32(try detail(UInt64(UInt32.max)))
                let processID = UInt32(try detail(UInt64(UInt32.max)))
                event = .snapshot(context, HeapSnapshotFields(
                    freeSpace: freeSpace, committedSpace: committedSpace, reservedSpace: reservedSpace, flags: flagValue,
                    processID: processID, largeUCRSpace: largeUCRSpace, freeListLength: freeListLength,
                    ucrLength: ucrLength, allocatedSpace: allocated))
            case .other:
                event = .other(context, opcode: UInt8(try detail(UInt64(UInt8.max))))
            case .process, .thread, .image:
                preconditionFailure("kind codes were checked to be heap event kinds")
            }
            pending.append(event)
            perKind[Int(kinds[i])] += 1
        }
        guard d == details.count else { throw problem(.details, "\(details.count - d) values left over after the last event") }
    }
}

/// Reads fields of up to 32 bits from a little-endian bit string whose length the caller has checked.
struct BitReader {
    private var p: UnsafePointer<UInt8>
    private var accumulator: UInt64 = 0
    private var bitCount = 0

    init(_ p: UnsafePointer<UInt8>) { self.p = p }

    /// The next `width` bits (1 to 32). The caller checked that the bytes holding them exist.
    @inline(__always)
    mutating func take(_ width: Int) -> UInt64 {
        while bitCount < width {
            accumulator |= UInt64(p[0]) << UInt64(bitCount)
            p += 1
            bitCount += 8
        }
        let value = accumulator & (UInt64.max >> UInt64(64 - width))
        accumulator >>= UInt64(width)
        bitCount -= width
        return value
    }

    /// The bits read from the last byte but not taken: the padding, once every field is taken.
    var remainder: UInt64 { accumulator }
}

/// Context records (process, thread, image) in `.heapcol`: the `'C'` block of format version 1.1
/// (`Schemas/heapcol.md` §5.4).
///
/// Context records are few next to heap events, so they are not columns: a `'C'` block lists them record
/// by record, each with its **position**, the number of events of the next row group that come before it.
/// A block whose records all have position 0 may stand anywhere (they come after everything before it); a
/// block with any later position is followed directly by the row group it refers to. Readers of 1.0 skip
/// the block by its tag and read the heap events as before.
enum HeapColContext {
    static let tag: UInt8 = 0x43  // "C"
    /// Kind codes, those of ``EventKind``.
    static let kinds: ClosedRange<UInt8> = EventKind.process.rawValue...EventKind.image.rawValue
    /// The longest string a record may hold (a command line is at most 32,767 UTF-16 units).
    static let maximumStringLength = 1 << 20

    /// Presence-mask bits, in the order their values follow.
    enum Bit {
        static let cpu: UInt64 = 1 << 0
        static let parent: UInt64 = 1 << 1
        static let session: UInt64 = 1 << 2
        static let exitStatus: UInt64 = 1 << 3
        static let name: UInt64 = 1 << 4
        static let commandLine: UInt64 = 1 << 5
        static let checksum: UInt64 = 1 << 6
        static let timestamp: UInt64 = 1 << 7
        static let pdb: UInt64 = 1 << 8
    }

    /// The mask bits each kind may use.
    static func allowedBits(_ kind: EventKind) -> UInt64 {
        switch kind {
        case .process: Bit.cpu | Bit.parent | Bit.session | Bit.exitStatus | Bit.name | Bit.commandLine
        case .thread: Bit.cpu | Bit.name
        default: Bit.cpu | Bit.name | Bit.checksum | Bit.timestamp | Bit.pdb
        }
    }
}

/// The writer's side: context records gathered while a row group fills, encoded as the body of the `'C'`
/// block written just before that row group.
struct HeapColContextWriter {
    /// The encoded records (without the leading count).
    private(set) var body: [UInt8] = []
    private(set) var count = 0
    /// The highest position of the gathered records.
    private(set) var lastPosition = 0
    private var previousTime: UInt64 = 0
    /// Records written per kind (process, thread, image), for the footer.
    private(set) var perKind: [UInt64] = [0, 0, 0]

    /// Gathered records beyond which the writer ends the row group early (or writes the block alone), so
    /// that neither side ever holds more than this many.
    static let flushCount = 4096
    static let flushBytes = 1 << 20

    var isFull: Bool { count >= Self.flushCount || body.count >= Self.flushBytes }

    /// Adds `event` (a context record whose strings are in `batch`), `position` events into the row group.
    mutating func append(_ event: HeapEvent, position: Int, batch: EventBatch) throws(ConversionError) {
        let c = event.context
        count += 1
        lastPosition = position
        varint(UInt64(position))
        body.append(event.kind.rawValue)
        let time = UInt64(bitPattern: c.timestamp)
        varint(Varint.delta(time, from: previousTime))
        previousTime = time
        varint(UInt64(c.processID))
        typealias Bit = HeapColContext.Bit
        let cpu: UInt64 = c.cpu == nil ? 0 : Bit.cpu
        switch event {
        case .process(_, let f):
            perKind[0] += 1
            body.append(f.state.rawValue)
            var mask = cpu
            if f.parentID != nil { mask |= Bit.parent }
            if f.sessionID != nil { mask |= Bit.session }
            if f.exitStatus != nil { mask |= Bit.exitStatus }
            if f.name.isPresent { mask |= Bit.name }
            if f.commandLine.isPresent { mask |= Bit.commandLine }
            varint(mask)
            if let value = c.cpu { varint(UInt64(value)) }
            if let value = f.parentID { varint(UInt64(value)) }
            if let value = f.sessionID { varint(UInt64(value)) }
            if let value = f.exitStatus { varint(Varint.zigzag(Int64(value))) }
            try string(batch.text(f.name))
            try string(batch.text(f.commandLine))
        case .thread(_, let f):
            perKind[1] += 1
            body.append(f.state.rawValue)
            varint(UInt64(c.threadID))
            varint(cpu | (f.name.isPresent ? Bit.name : 0))
            if let value = c.cpu { varint(UInt64(value)) }
            try string(batch.text(f.name))
        case .image(_, let f):
            perKind[2] += 1
            body.append(f.state.rawValue)
            varint(f.base)
            varint(f.size)
            let pdb = batch.text(f.pdb).flatMap(PDBIdentity.init(encoded:))
            var mask = cpu
            if f.name.isPresent { mask |= Bit.name }
            if f.checksum != nil { mask |= Bit.checksum }
            if f.timeDateStamp != nil { mask |= Bit.timestamp }
            if pdb != nil { mask |= Bit.pdb }
            varint(mask)
            if let value = c.cpu { varint(UInt64(value)) }
            try string(batch.text(f.name))
            if let value = f.checksum { varint(UInt64(value)) }
            if let value = f.timeDateStamp { varint(UInt64(value)) }
            if let pdb {
                body.append(contentsOf: pdb.guid)
                varint(UInt64(pdb.age))
                body.append(pdb.isIL ? 1 : 0)
                try string(pdb.name[...])
            }
        default:
            preconditionFailure("only context records go into a 'C' block")
        }
    }

    /// Empties the gathered records after their block was written.
    mutating func removeAll() {
        body.removeAll(keepingCapacity: true)
        count = 0
        lastPosition = 0
        previousTime = 0
    }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            body.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        body.append(UInt8(truncatingIfNeeded: v))
    }

    private mutating func string(_ bytes: ArraySlice<UInt8>?) throws(ConversionError) {
        guard let bytes else { return }
        guard bytes.count <= HeapColContext.maximumStringLength else {
            throw ConversionError(.unsupported, "a context record's string of \(bytes.count) bytes exceeds heapcol's limit of 1 MiB")
        }
        varint(UInt64(bytes.count))
        body.append(contentsOf: bytes)
    }
}

/// The reader's side: decodes a `'C'` block into context records whose strings live in `text`.
struct HeapColContextReader {
    /// A decoded record and its position in the next row group.
    struct Record {
        var position: Int
        var event: HeapEvent
    }

    /// Decodes `body` (at decompressed offset `offset`); strings go into `text`. Positions never decrease.
    static func decode(_ body: UnsafeRawBufferPointer, at offset: UInt64, text: inout [UInt8],
                       records: inout [Record], perKind: inout [UInt64]) throws(ConversionError) {
        guard let p = body.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ConversionError(.malformedInput, at: .offset(offset), "empty context block")
        }
        let end = body.count
        var position = 0
        func problem(_ message: String) -> ConversionError {
            ConversionError(.malformedInput, at: .offset(offset + UInt64(position)), "context block: " + message)
        }
        func varint(_ what: String) throws(ConversionError) -> UInt64 {
            guard let value = Varint.read(p, &position, end) else { throw problem("bad or truncated varint (\(what))") }
            return value
        }
        func u32(_ what: String) throws(ConversionError) -> UInt32 {
            let value = try varint(what)
            guard value <= UInt64(UInt32.max) else { throw problem("\(what) \(value) exceeds 2^32 - 1") }
            return UInt32(value)
        }
        func byte(_ what: String) throws(ConversionError) -> UInt8 {
            guard position < end else { throw problem("truncated (\(what))") }
            position += 1
            return p[position - 1]
        }
        func bytes(_ count: Int, _ what: String) throws(ConversionError) -> UnsafeBufferPointer<UInt8> {
            guard count <= end - position else { throw problem("truncated (\(what))") }
            position += count
            return UnsafeBufferPointer(start: p + position - count, count: count)
        }
        /// A string's bytes, checked.
        func stringBytes(_ what: String) throws(ConversionError) -> UnsafeBufferPointer<UInt8> {
            let length = try varint(what + " length")
            guard length <= UInt64(HeapColContext.maximumStringLength) else { throw problem("\(what) of \(length) bytes exceeds 1 MiB") }
            let content = try bytes(Int(length), what)
            guard UTF8Validation.isValid(content) else { throw problem("\(what) is not valid UTF-8") }
            return content
        }
        /// A name, stored in `text`; an empty one is absent.
        func string(_ what: String) throws(ConversionError) -> TextRef {
            let content = try stringBytes(what)
            return content.isEmpty ? .none : text.appendText(content)
        }
        let count = try varint("record count")
        guard count >= 1, count <= UInt64(end) else { throw problem("record count \(count) does not fit the block") }
        var previousTime: UInt64 = 0
        var lastPosition = 0
        for _ in 0..<count {
            let at = try varint("position")
            guard at >= UInt64(lastPosition), at <= UInt64(HeapColFormat.maximumRowGroupEvents) else {
                throw problem("position \(at) is before the previous record's or past a row group")
            }
            lastPosition = Int(at)
            let kindCode = try byte("kind")
            guard HeapColContext.kinds.contains(kindCode), let kind = EventKind(rawValue: kindCode) else {
                throw problem("unknown record kind \(kindCode)")
            }
            let time = Varint.undelta(try varint("time"), from: previousTime)
            previousTime = time
            let pid = try u32("process id")
            let stateCode = try byte("state")
            guard let state = ContextState(rawValue: stateCode), state.applies(to: kind) else {
                throw problem("state \(stateCode) does not apply to a \(kind.name) record")
            }
            var context = EventContext(timestamp: Int64(bitPattern: time), processID: pid, threadID: 0, heap: 0)
            let event: HeapEvent
            typealias Bit = HeapColContext.Bit
            switch kind {
            case .process:
                let mask = try varint("mask")
                guard mask & ~HeapColContext.allowedBits(kind) == 0 else { throw problem("unknown mask bits 0x\(String(mask, radix: 16))") }
                if mask & Bit.cpu != 0 { context.cpu = try u32("cpu") }
                var f = ProcessFields(state: state)
                if mask & Bit.parent != 0 { f.parentID = try u32("parent id") }
                if mask & Bit.session != 0 { f.sessionID = try u32("session") }
                if mask & Bit.exitStatus != 0 {
                    guard state == .end || state == .defunct else { throw problem("an exit status in a \(state.name) process record") }
                    let status = Varint.unzigzag(try varint("exit status"))
                    guard let narrow = Int32(exactly: status) else { throw problem("exit status \(status) exceeds 32 bits") }
                    f.exitStatus = narrow
                }
                if mask & Bit.name != 0 { f.name = try string("name") }
                if mask & Bit.commandLine != 0 { f.commandLine = try string("command line") }
                event = .process(context, f)
                perKind[0] += 1
            case .thread:
                context.threadID = try u32("thread id")
                let mask = try varint("mask")
                guard mask & ~HeapColContext.allowedBits(kind) == 0 else { throw problem("unknown mask bits 0x\(String(mask, radix: 16))") }
                if mask & Bit.cpu != 0 { context.cpu = try u32("cpu") }
                let name = mask & Bit.name != 0 ? try string("name") : .none
                event = .thread(context, ThreadFields(state: state, name: name))
                perKind[1] += 1
            default:
                var f = ImageFields(state: state, base: try varint("base"), size: try varint("size"))
                let mask = try varint("mask")
                guard mask & ~HeapColContext.allowedBits(kind) == 0 else { throw problem("unknown mask bits 0x\(String(mask, radix: 16))") }
                if mask & Bit.cpu != 0 { context.cpu = try u32("cpu") }
                if mask & Bit.name != 0 { f.name = try string("name") }
                if mask & Bit.checksum != 0 { f.checksum = try u32("checksum") }
                if mask & Bit.timestamp != 0 { f.timeDateStamp = try u32("timestamp") }
                if mask & Bit.pdb != 0 {
                    let guid = Array(try bytes(16, "PDB GUID"))
                    let age = try u32("PDB age")
                    let il = try byte("PDB kind")
                    guard il <= 1 else { throw problem("PDB kind \(il) is neither 0 nor 1") }
                    // An empty PDB name is a value.
                    let name = Array(try stringBytes("PDB name"))
                    f.pdb = text.appendText(PDBIdentity(guid: guid, age: age, isIL: il == 1, name: name).encoded)
                }
                event = .image(context, f)
                perKind[2] += 1
            }
            records.append(Record(position: lastPosition, event: event))
        }
        guard position == end else { throw problem("\(end - position) bytes left over after the records") }
    }
}

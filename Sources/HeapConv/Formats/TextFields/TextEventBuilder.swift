/// Collects the fields of one text record (a JSON line or a CSV row) and builds the ``HeapEvent`` they
/// describe, checking that the event kind has every field it needs and none it cannot have.
///
/// One builder is reused for every record: ``reset()`` clears it without allocating.
struct TextEventBuilder {
    private let values = FieldValues()
    private(set) var present: UInt64 = 0
    var kind: EventKind = .alloc
    var source: HeapSource = .mainPath
    var stack: StackRef = .none
    var state: ContextState = .start

    @inline(__always)
    mutating func reset() {
        present = 0
        stack = .none
    }

    @inline(__always)
    func has(_ field: EventField) -> Bool { present & field.bit != 0 }

    @inline(__always)
    mutating func set(_ field: EventField, _ value: UInt64) {
        values[field] = value
        present |= field.bit
    }

    @inline(__always)
    mutating func setKind(_ kind: EventKind) {
        self.kind = kind
        present |= EventField.event.bit
    }

    @inline(__always)
    mutating func setSource(_ source: HeapSource) {
        self.source = source
        present |= EventField.source.bit
    }

    @inline(__always)
    mutating func setStack(_ stack: StackRef) {
        self.stack = stack
        present |= EventField.stack.bit
    }

    mutating func setState(_ state: ContextState) {
        self.state = state
        present |= EventField.state.bit
    }

    /// Records a string field whose bytes the parser stored in the batch's text arena (`pdb_guid` too, as
    /// its 16 bytes).
    mutating func setText(_ field: EventField, _ ref: TextRef) {
        set(field, UInt64(ref.offset) << 32 | UInt64(ref.count))
    }

    /// Records a field that is accepted and ignored (`frames`).
    mutating func setIgnored(_ field: EventField) {
        present |= field.bit
    }

    /// Sets a field written as text in CSV cells and Parquet strings alike (a source, a state, a name, a
    /// GUID, `il`) from its bytes, storing strings in `batch`; returns what was expected when they do not
    /// parse. An empty name is no value, as the trace's own empty names are; an empty PDB name is a value.
    mutating func setText(_ field: EventField, parsing bytes: UnsafeRawBufferPointer, into batch: inout EventBatch) -> String? {
        switch field.encoding {
        case .source:
            guard let source = TextScalar.source(bytes) else { return "a source name or number" }
            setSource(source)
        case .state:
            guard let state = TextScalar.state(bytes) else {
                return "a state (" + ContextState.allCases.map(\.name).joined(separator: ", ") + ")"
            }
            setState(state)
        case .text:
            guard UTF8Validation.isValid(bytes) else { return "UTF-8 text" }
            setText(field, bytes.isEmpty && field != .pdbName ? .none : batch.appendText(bytes))
        case .guid:
            guard let guid = PDBIdentity.guidBytes(bytes) else { return "a GUID like ec83d8df-5559-46e0-b630-133ebd979266" }
            setText(field, batch.appendText(guid))
        case .pdbKind:
            guard TextScalar.equals(bytes, Array("il".utf8)) else { return "il" }
            setIgnored(field)
        default:
            preconditionFailure("\(field.name) is not a text field")
        }
        return nil
    }

    @inline(__always)
    private func value(_ field: EventField) -> UInt64 { values[field] }

    @inline(__always)
    private func ifPresent(_ field: EventField) -> UInt64? { has(field) ? values[field] : nil }

    @inline(__always)
    private func u32(_ field: EventField) -> UInt32 { UInt32(truncatingIfNeeded: values[field]) }

    private func text(_ field: EventField) -> TextRef {
        guard has(field) else { return .none }
        let v = values[field]
        return TextRef(offset: UInt32(truncatingIfNeeded: v >> 32), count: UInt32(truncatingIfNeeded: v))
    }

    /// The event, or a message naming the first missing or inapplicable field. Context records with a PDB
    /// identity store it in `batch`'s text arena.
    func build(into batch: inout EventBatch) -> Result<HeapEvent, FieldProblem> {
        guard has(.event) else { return .failure(.missing(.event)) }
        let (required, optional) = EventField.fields(of: kind)
        let need = EventField.common | required
        if present & need != need {
            let missing = EventField.allCases.first { need & $0.bit != 0 && present & $0.bit == 0 }!
            return .failure(.missing(missing))
        }
        let extra = present & ~(need | optional | EventField.commonOptional)
        if extra != 0 {
            let field = EventField.allCases.first { extra & $0.bit != 0 }!
            return .failure(.notApplicable(field, kind))
        }
        let context = EventContext(
            timestamp: Int64(bitPattern: value(.ts)), processID: u32(.pid), threadID: has(.tid) ? u32(.tid) : 0,
            cpu: has(.cpu) ? u32(.cpu) : nil, heap: has(.heap) ? value(.heap) : 0, stack: stack)
        let event: HeapEvent
        switch kind {
        case .alloc:
            event = .alloc(context, address: value(.address), size: value(.size), source: source)
        case .realloc:
            event = .realloc(context, address: value(.address), size: value(.size), oldAddress: value(.oldAddress),
                             oldSize: value(.oldSize), source: source)
        case .free:
            event = .free(context, address: value(.address), source: source)
        case .destroy:
            event = .destroy(context)
        case .create:
            event = .create(context, HeapCreateFields(
                flags: u32(.flags), reserveSize: ifPresent(.reserveSize), commitSize: ifPresent(.commitSize),
                allocatedSize: ifPresent(.allocatedSize)))
        case .expand:
            event = .expand(context, HeapExpandFields(
                committedSize: value(.committedSize), address: value(.address), freeSpace: value(.freeSpace),
                committedSpace: value(.committedSpace), reservedSpace: value(.reservedSpace),
                noOfUCRs: u32(.noOfUCRs), allocatedSpace: ifPresent(.allocatedSpace)))
        case .contract:
            event = .contract(context, HeapContractFields(
                decommitSize: value(.decommitSize), decommitAddress: value(.address), freeSpace: value(.freeSpace),
                committedSpace: value(.committedSpace), reservedSpace: value(.reservedSpace),
                noOfUCRs: u32(.noOfUCRs), allocatedSpace: ifPresent(.allocatedSpace)))
        case .snapshot:
            event = .snapshot(context, HeapSnapshotFields(
                freeSpace: value(.freeSpace), committedSpace: value(.committedSpace),
                reservedSpace: value(.reservedSpace), flags: u32(.flags), processID: u32(.processID),
                largeUCRSpace: value(.largeUCRSpace), freeListLength: u32(.freeListLength),
                ucrLength: u32(.ucrLength), allocatedSpace: ifPresent(.allocatedSpace)))
        case .other:
            event = .other(context, opcode: UInt8(truncatingIfNeeded: value(.opcode)))
        case .process, .thread, .image:
            return buildContext(context, into: &batch)
        }
        return .success(event)
    }

    private func buildContext(_ context: EventContext, into batch: inout EventBatch) -> Result<HeapEvent, FieldProblem> {
        guard state.applies(to: kind) else { return .failure(.badState(state, kind)) }
        switch kind {
        case .process:
            if has(.exitStatus), state != .end && state != .defunct { return .failure(.notApplicable(.exitStatus, kind)) }
            return .success(.process(context, ProcessFields(
                state: state, parentID: ifPresent(.parentPID).map(UInt32.init(truncatingIfNeeded:)),
                sessionID: ifPresent(.session).map(UInt32.init(truncatingIfNeeded:)),
                exitStatus: ifPresent(.exitStatus).map { Int32(truncatingIfNeeded: Int64(bitPattern: $0)) },
                name: text(.name), commandLine: text(.commandLine))))
        case .thread:
            return .success(.thread(context, ThreadFields(state: state, name: text(.name))))
        default:
            // A PDB identity needs its GUID and age; its name may be empty (an empty CSV cell).
            let pdbPresent = present & (EventField.pdbFields | EventField.pdbKind.bit)
            if pdbPresent != 0, let missing = [EventField.pdbGUID, .pdbAge].first(where: { !has($0) }) {
                return .failure(.missing(missing))
            }
            var pdb = TextRef.none
            if pdbPresent != 0, let guid = batch.text(text(.pdbGUID)) {
                let name = batch.text(text(.pdbName)).map(Array.init) ?? []
                pdb = batch.appendText(PDBIdentity(guid: Array(guid), age: u32(.pdbAge), isIL: has(.pdbKind), name: name).encoded)
            }
            return .success(.image(context, ImageFields(
                state: state, base: value(.address), size: value(.size), name: text(.name),
                checksum: ifPresent(.checksum).map(UInt32.init(truncatingIfNeeded:)),
                timeDateStamp: ifPresent(.imageTimestamp).map(UInt32.init(truncatingIfNeeded:)), pdb: pdb)))
        }
    }
}

/// One slot per ``EventField``, allocated once per reader: setting a field is a single store, without the
/// uniqueness and bounds checks an array would repeat for every value.
final class FieldValues {
    private let slots: UnsafeMutablePointer<UInt64>
    private static let count = EventField.allCases.count

    init() {
        slots = .allocate(capacity: Self.count)
        slots.initialize(repeating: 0, count: Self.count)
    }

    deinit { slots.deallocate() }

    @inline(__always)
    subscript(field: EventField) -> UInt64 {
        // Safe: every EventField raw value is below `count`, the number of cases.
        get { slots[field.rawValue] }
        set { slots[field.rawValue] = newValue }
    }
}

/// Why a text record does not make an event.
enum FieldProblem: Error {
    case missing(EventField)
    case notApplicable(EventField, EventKind)
    case badState(ContextState, EventKind)

    var message: String {
        switch self {
        case .missing(let field): "missing \"\(field.name)\""
        case .notApplicable(let field, let kind): "\"\(field.name)\" does not apply to a \(kind.name) event"
        case .badState(let state, let kind):
            "a \(kind.name) record cannot have the state \"\(state.name)\" (it takes "
                + ContextState.allCases.filter { $0.applies(to: kind) }.map(\.name).joined(separator: ", ") + ")"
        }
    }
}

/// Byte-level parsing of the scalar values the text formats share.
enum TextScalar {
    /// Parses unsigned decimal digits; `nil` if empty, not all digits, or above `maximum`.
    @inline(__always)
    static func decimal(_ bytes: UnsafeRawBufferPointer, maximum: UInt64 = .max) -> UInt64? {
        let n = bytes.count
        guard n > 0, n <= 20 else { return nil }
        var value: UInt64 = 0
        var first = 0
        // Eight digits at a time for the first sixteen (a non-digit among them fails the whole number).
        while first + 8 <= min(n, 16) {
            // Safe: first + 8 <= n bytes of `bytes`.
            let (count, digits) = SWARDigits.leadingDecimal(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: first, as: UInt64.self)))
            guard count == 8 else { return nil }
            value = value &* 100_000_000 &+ digits
            first += 8
        }
        // Up to 19 digits cannot overflow a UInt64; only the 20th needs checking.
        for i in first..<min(n, 19) {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        if n == 20 {
            let digit = bytes[19] &- 0x30
            guard digit < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(digit))
            guard !o1 && !o2 else { return nil }
            value = a
        }
        return value <= maximum ? value : nil
    }

    /// Parses an optionally negative decimal integer that fits in `Int64`.
    @inline(__always)
    static func signed(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        if bytes.first == UInt8(ascii: "-") {
            guard let magnitude = decimal(UnsafeRawBufferPointer(rebasing: bytes.dropFirst())),
                  magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard let value = decimal(bytes), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// Parses `0x` followed by 1 to 16 hex digits (either case).
    @inline(__always)
    static func hex(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count >= 3, bytes.count <= 18, bytes[0] == 0x30, bytes[1] | 0x20 == 0x78 else { return nil }
        var value: UInt64 = 0
        var first = 2
        // Eight digits at a time while eight bytes remain (a non-digit among them fails the whole number).
        while first + 8 <= bytes.count {
            // Safe: first + 8 <= bytes.count.
            let (count, digits) = SWARDigits.leadingHex(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: first, as: UInt64.self)))
            guard count == 8 else { return nil }
            value = value << 32 | digits
            first += 8
        }
        for i in first..<bytes.count {
            let digit = SWARDigits.hexValue(bytes[i])
            guard digit < 0x10 else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// The event kind named by `bytes`.
    static func kind(_ bytes: UnsafeRawBufferPointer) -> EventKind? {
        for kind in EventKind.allCases where equals(bytes, kind.nameBytes) { return kind }
        return nil
    }

    /// The context state named by `bytes`.
    static func state(_ bytes: UnsafeRawBufferPointer) -> ContextState? {
        for state in ContextState.allCases where equals(bytes, Array(state.name.utf8)) { return state }
        return nil
    }

    /// The source named by `bytes`, or given as its decimal number.
    static func source(_ bytes: UnsafeRawBufferPointer) -> HeapSource? {
        if let number = decimal(bytes, maximum: UInt64(UInt32.max)) { return HeapSource(rawValue: UInt32(number)) }
        for (i, name) in sourceNames.enumerated() where equals(bytes, name) { return HeapSource.named[i] }
        return nil
    }

    private static let sourceNames: [[UInt8]] = HeapSource.named.map { Array($0.name!.utf8) }

    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ name: [UInt8]) -> Bool {
        guard bytes.count == name.count else { return false }
        for i in 0..<name.count where bytes[i] != name[i] { return false }
        return true
    }

    /// Whether `bytes` start with the UTF-8 byte-order mark EF BB BF.
    static func startsWithByteOrderMark(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// Printable text of `bytes` for an error message, shortened to 40 characters.
    static func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
        // A JSON string token already has its quotes.
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            return quoted(UnsafeRawBufferPointer(rebasing: bytes.dropFirst().dropLast()))
        }
        let prefix = bytes.prefix(40)
        var text = String(decoding: UnsafeRawBufferPointer(rebasing: prefix), as: UTF8.self)
        text = String(text.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) })
        return "\"" + text + (bytes.count > 40 ? "…" : "") + "\""
    }
}

extension EventKind {
    /// ``name`` as bytes, for matching without building strings.
    var nameBytes: [UInt8] { EventKind.nameTable[Int(rawValue)] }
    static let nameTable: [[UInt8]] = EventKind.allCases.map { Array($0.name.utf8) }
}

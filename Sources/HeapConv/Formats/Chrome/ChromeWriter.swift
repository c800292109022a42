/// Writes heap events as Chrome trace JSON (the Trace Event Format's object form) for the Perfetto UI and
/// chrome://tracing, as a stream: `Schemas/chrome-trace.md` documents every record.
///
/// Per event it writes, in this order: the `M` names of a process or thread seen for the first time, the
/// event as a thread-scoped instant (unless `--no-instants`), the `C` counters it changed (live bytes and
/// blocks of its heap and of its process), and the `b`/`e`/`n` records of block lifetimes (`--lifetimes`).
/// Timestamps are microseconds after the first event, formatted exactly from integer nanoseconds.
///
/// Events must come in time order: one earlier than an event before it is drawn at that earlier event's
/// time, so the output stays sorted, and ``report`` says how many were and by how much. The only records
/// that go back in time are the `leaks` slices, written after the last event because only then is it known
/// which blocks leaked; both importers sort events by time before building slices.
///
/// Memory grows with what must be remembered (live blocks, heaps, threads, distinct stacks for `leaks`),
/// never with the number of events.
public struct ChromeWriter: EventWriter {
    /// Integers up to 2^53 survive both importers' conversion to double exactly.
    static let exactDoubleLimit: UInt64 = 1 << 53
    /// chrome://tracing reads the whole file into one JavaScript string, which V8 caps just under 512 MiB.
    public static let catapultLimit: UInt64 = 512 << 20
    /// The Perfetto web UI runs its trace processor in WebAssembly and runs out of memory past about 1 GB.
    public static let perfettoUILimit: UInt64 = 1 << 30
    /// More lifetime slices open at once in one heap than this get a warning: each is a row in the viewers.
    public static let concurrentSlicesWarning = 300

    /// Room for an event's records other than stack frames (a stack reserves per frame).
    static let recordRoom = 2048
    /// At most this many `b` records are held back at one timestamp (see ``HeldBegins``).
    static let maximumHeldBegins = 16_384

    let output: OutputBuffer
    let instants: Bool
    let selection: LifetimeSelection
    let inputName: String
    let inputFacts: InfoValue?

    private var started = false
    private var needsSeparator = false
    /// The first event's timestamp: `ts` 0.
    private(set) var origin: Int64 = 0
    private(set) var hasOrigin = false
    /// The time the last event was drawn at (its own, or a later one's for an out-of-order event).
    private(set) var latest: Int64 = 0
    private(set) var lateEvents: UInt64 = 0
    private(set) var maximumLateness: UInt64 = 0

    /// Heap events written.
    public private(set) var heapEvents: UInt64 = 0
    /// Records in `traceEvents` (names, instants, counters, lifetime slices).
    public private(set) var traceEvents: UInt64 = 0

    private var live = LiveHeapState()
    /// The counter values last written, per heap (by ``HeapSlots`` slot) and per process, to write only
    /// changes and keep process totals as sums of heap values.
    private var heapSlots = HeapSlots()
    private var heapCounters: [ShownCounters] = []
    private var processSlots: [UInt32: Int] = [:]
    private var processCounters: [ShownCounters] = []

    private var namedProcesses: Set<UInt32> = []
    private var namedThreads: Set<UInt64> = []
    /// Names the trace's context records give: process image names, thread names (`pid << 32 | tid`).
    private var processNames: [UInt32: [UInt8]] = [:]
    private var threadNames: [UInt64: [UInt8]] = [:]
    /// The images of the trace, for stack frames as `module+0xoffset`.
    let modules = ModuleMap()

    var lifetimes: ChromeLifetimes
    /// Copies of ``lifetimes``' settings, read per event without touching its storage.
    let lifetimesEnabled: Bool
    let leaksOnly: Bool
    /// `b` records held back while their time is the current one, in case the block ends at that same
    /// time and becomes one `n` record (see `ChromeWriter+Lifetimes.swift`).
    var heldBegins = HeldBegins()
    private var reportLines: [String] = []

    /// What the counters of one heap or process last showed.
    private struct ShownCounters {
        var bytes: UInt64 = 0
        var blocks: UInt64 = 0
        /// For a heap, the slot of its process; unused for a process.
        var process: Int = 0
        /// `,"pid":4242,"name":"heap 0x1a0000` or `,"pid":4242,"name":"all heaps` in ``text``.
        var prefix: Range<Int>
    }
    private var text = ChromeRecordText()
    /// Threads already named, by `pid << 32 | tid`, and a small cache in front of them.
    private var threadCache = [(key: UInt64, valid: Bool)](repeating: (0, false), count: 64)

    /// A writer for a conversion: options, input name and facts come from `context`.
    public init(context: WriterContext) {
        self.init(output: context.output, options: context.options, inputName: context.inputName,
                  inputFacts: context.inputFacts)
    }

    /// A writer into `output`, taking `lifetimes` and `noInstants` from `options`.
    public init(output: OutputBuffer, options: ConversionOptions, inputName: String, inputFacts: InfoValue? = nil) {
        self.output = output
        self.instants = !options.noInstants
        self.selection = options.lifetimes
        self.inputName = inputName
        self.inputFacts = inputFacts
        self.lifetimes = ChromeLifetimes(options.lifetimes)
        self.lifetimesEnabled = lifetimes.enabled
        self.leaksOnly = lifetimes.leaksOnly
    }

    public var report: [String] { reportLines }

    // MARK: Events

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        if !started { try start() }
        let events = batch.events
        let ahead = LiveHeapState.prefetchDistance
        // One emitter for the batch: one made per event retained and released the buffer every time.
        var args = ChromeArgsEmitter(output: output, cursor: try output.cursor(reserving: 0),
                                     reserveAfterStack: Self.recordRoom, modules: modules)
        try batch.withFrameView { (frames) throws(ConversionError) in
            for i in events.indices {
                if i + ahead < events.count { live.prefetch(events[i + ahead]) }
                if events[i].isContext {
                    try noteContext(events[i], in: batch)
                    continue
                }
                try write(events[i], in: batch, frames: frames, args: &args)
            }
        }
    }

    @inline(__always)
    private mutating func write(_ event: HeapEvent, in batch: EventBatch, frames: FrameView,
                                args: inout ChromeArgsEmitter) throws(ConversionError) {
        let c = event.context
        var time = c.timestamp
        if !hasOrigin {
            hasOrigin = true
            origin = time
            latest = time
        }
        if time < latest {
            lateEvents += 1
            maximumLateness = max(maximumLateness, UInt64(bitPattern: latest &- time))
            time = latest
        } else {
            latest = time
        }
        // `time >= origin` always holds, so the difference fits in a UInt64 even across the whole Int64 range.
        let ts = UInt64(bitPattern: time &- origin)
        heapEvents += 1
        if !heldBegins.isEmpty && ts != heldBegins.time {
            try releaseHeldBegins()
        }

        text.setTimestamp(ts)
        try output.reserve(Self.recordRoom)
        nameThread(process: c.processID, thread: c.threadID)
        if instants {
            // Room for all but a long stack was reserved above.
            var cursor = try output.cursor(reserving: Self.recordRoom)
            separate(&cursor)
            cursor.append("{\"ph\":\"i\",\"ts\":")
            text.appendTimestamp(to: &cursor)
            cursor.append(",\"pid\":")
            cursor.append(decimal: UInt64(c.processID))
            cursor.append(",\"tid\":")
            cursor.append(decimal: UInt64(c.threadID))
            cursor.append(",\"s\":\"t\",\"name\":\"")
            cursor.append(ChromeArgsEmitter.instantNames[Int(event.kind.rawValue)])
            cursor.append(",\"args\":{")
            args.cursor = cursor
            args.processID = c.processID
            try args.emit(event, frames: frames)
            args.cursor.append("}}")
            output.commit(args.cursor)
        }
        if case .changed(let key) = live.apply(event) {
            writeCounters(of: key)
        }
        if lifetimesEnabled {
            try writeLifetimes(of: event, in: batch, at: ts)
        }
    }

    /// Takes the names and images of a context record. A process or thread already drawn under its number
    /// gets its name now (a later `M` record renames it); the others are named when their first heap event
    /// comes.
    private mutating func noteContext(_ event: HeapEvent, in batch: EventBatch) throws(ConversionError) {
        modules.apply(event, in: batch)
        switch event {
        case .process(let c, let f):
            guard let name = batch.text(f.name).map(Array.init), processNames[c.processID] != name else { return }
            processNames[c.processID] = name
            if namedProcesses.contains(c.processID) {
                try output.reserve(Self.recordRoom + name.count * 6)
                appendName(process: c.processID, thread: 0, record: ",\"name\":\"process_name\",\"args\":{\"name\":\"", label: name)
            }
        case .thread(let c, let f):
            let key = UInt64(c.processID) << 32 | UInt64(c.threadID)
            guard let name = batch.text(f.name).map(Array.init), threadNames[key] != name else { return }
            threadNames[key] = name
            if namedThreads.contains(key) {
                try output.reserve(Self.recordRoom + name.count * 6)
                appendName(process: c.processID, thread: c.threadID, record: ",\"name\":\"thread_name\",\"args\":{\"name\":\"", label: name)
            }
        default:
            break
        }
    }

    /// Writes the record separator and counts the record.
    @inline(__always)
    mutating func separate() {
        output.write { separate(&$0) }
    }

    @inline(__always)
    mutating func separate(_ cursor: inout OutputCursor) {
        if needsSeparator {
            cursor.append(",\n")
        } else {
            cursor.append(UInt8(ascii: "\n"))
            needsSeparator = true
        }
        traceEvents += 1
    }

    /// Names a process and a thread the first time they appear (`M` records, at most ~200 bytes).
    @inline(__always)
    private mutating func nameThread(process: UInt32, thread: UInt32) {
        let key = UInt64(process) << 32 | UInt64(thread)
        let cached = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 58)
        guard threadCache[cached] != (key, true) else { return }
        threadCache[cached] = (key, true)
        guard namedThreads.insert(key).inserted else { return }
        if namedProcesses.insert(process).inserted {
            if let name = processNames[process] {
                appendName(process: process, thread: thread, record: ",\"name\":\"process_name\",\"args\":{\"name\":\"", label: name)
            } else {
                appendName(process: process, thread: thread, record: ",\"name\":\"process_name\",\"args\":{\"name\":\"process ",
                           number: process)
            }
        }
        if let name = threadNames[key] {
            appendName(process: process, thread: thread, record: ",\"name\":\"thread_name\",\"args\":{\"name\":\"", label: name)
        } else {
            appendName(process: process, thread: thread, record: ",\"name\":\"thread_name\",\"args\":{\"name\":\"thread ",
                       number: thread)
        }
    }

    /// One `M` record naming a process or a thread with text from the trace (escaped; room reserved by the
    /// caller for 6 bytes a byte).
    private mutating func appendName(process: UInt32, thread: UInt32, record: StaticString, label: [UInt8]) {
        separate()
        output.append("{\"ph\":\"M\",\"pid\":")
        output.append(decimal: UInt64(process))
        output.append(",\"tid\":")
        output.append(decimal: UInt64(thread))
        output.append(record)
        ModuleMap.jsonEscaped(label).withUnsafeBytes { bytes in for byte in bytes { output.append(byte) } }
        output.append("\"}}")
    }

    /// One `M` record naming a process or a thread: `record` holds the metadata name and the label's start.
    @inline(__always)
    private mutating func appendName(process: UInt32, thread: UInt32, record: StaticString, number: UInt32) {
        separate()
        output.append("{\"ph\":\"M\",\"pid\":")
        output.append(decimal: UInt64(process))
        output.append(",\"tid\":")
        output.append(decimal: UInt64(thread))
        output.append(record)
        output.append(decimal: UInt64(number))
        output.append("\"}}")
    }

    // MARK: Counters

    /// Writes the live bytes and blocks of `key`'s heap and process that changed (at most ~460 bytes),
    /// through one cursor.
    @inline(__always)
    private mutating func writeCounters(of key: HeapKey) {
        guard let totals = live.totals(of: key) else { return }
        let slot = heapSlot(key)
        let shown = heapCounters[slot]
        let process = shown.process
        let bytesChanged = totals.liveBytes != shown.bytes
        let blocksChanged = totals.liveBlocks != shown.blocks
        if bytesChanged { processCounters[process].bytes &+= totals.liveBytes &- shown.bytes }
        if blocksChanged { processCounters[process].blocks &+= totals.liveBlocks &- shown.blocks }
        let processShown = processCounters[process]
        output.write { cursor in
            if bytesChanged {
                writeCounter(&cursor, shown.prefix, metric: " bytes\",\"args\":{\"live\":", value: totals.liveBytes)
                writeCounter(&cursor, processShown.prefix, metric: " bytes\",\"args\":{\"live\":", value: processShown.bytes)
            }
            if blocksChanged {
                writeCounter(&cursor, shown.prefix, metric: " blocks\",\"args\":{\"live\":", value: totals.liveBlocks)
                writeCounter(&cursor, processShown.prefix, metric: " blocks\",\"args\":{\"live\":",
                             value: processShown.blocks)
            }
        }
        heapCounters[slot].bytes = totals.liveBytes
        heapCounters[slot].blocks = totals.liveBlocks
    }

    /// One `C` record at the current event's time: `"heap 0x1a0000 bytes"` or `"all heaps bytes"`.
    @inline(__always)
    private mutating func writeCounter(_ cursor: inout OutputCursor, _ prefix: Range<Int>, metric: StaticString,
                                       value: UInt64) {
        separate(&cursor)
        cursor.append("{\"ph\":\"C\",\"ts\":")
        text.appendTimestamp(to: &cursor)
        text.append(prefix, to: &cursor)
        cursor.append(metric)
        cursor.appendCounterValue(value)
        cursor.append("}}")
    }

    /// The slot of a heap's shown counters, created on first use.
    @inline(__always)
    private mutating func heapSlot(_ key: HeapKey) -> Int {
        let (slot, isNew) = heapSlots.slot(creating: key)
        guard isNew else { return slot }
        let process: Int
        if let existing = processSlots[key.processID] {
            process = existing
        } else {
            process = processCounters.count
            processCounters.append(ShownCounters(prefix: text.store(",\"pid\":\(key.processID),\"name\":\"all heaps")))
            processSlots[key.processID] = process
        }
        let prefix = text.store(",\"pid\":\(key.processID),\"name\":\"heap 0x" + String(key.heap, radix: 16))
        heapCounters.append(ShownCounters(process: process, prefix: prefix))
        return slot
    }

    // MARK: Start and end

    private mutating func start() throws(ConversionError) {
        started = true
        try output.reserve(64)
        output.append("{\"traceEvents\":[")
    }

    public mutating func finish() throws(ConversionError) {
        if !started { try start() }
        try writeSurvivors()
        try output.reserve(64)
        output.append("\n],\n\"metadata\":")
        try output.append(string: metadata().chromeJSON)
        try output.reserve(2)
        output.append("}\n")
        try output.finish()
        reportLines = makeReport(bytes: output.totalBytes)
    }

    /// Facts about the trace for the top-level `metadata` object.
    func metadata() -> InfoValue {
        var entries: [(String, InfoValue)] = [
            ("source", .string(inputName)),
            ("heapconv-version", .string(HeapConvVersion.string)),
            ("schema", .string("heapconv chrome-trace 1 (Schemas/chrome-trace.md)")),
        ]
        if hasOrigin {
            entries.append(("ts-origin", .string(Timestamps.iso8601(origin))))
            entries.append(("ts-origin-ns", .string(String(origin))))
        }
        entries.append(("ts-unit", .string("microseconds after ts-origin")))
        if let clock = inputFacts?["clock"] {
            entries.append(("clock", clock))
        }
        entries.append(("lifetimes", .string(selection.argument)))
        entries.append(("instants", .bool(instants)))
        entries.append(("heap-events", .uint(heapEvents)))
        entries.append(("trace-events", .uint(traceEvents)))
        if lateEvents > 0 {
            entries.append(("out-of-order-events", .uint(lateEvents)))
        }
        if let inputFacts {
            entries.append(("input", inputFacts))
        }
        return .object(entries)
    }
}

extension LifetimeSelection {
    /// The `--lifetimes` argument that selects this.
    var argument: String {
        switch self {
        case .none: "none"
        case .leaks: "leaks"
        case .all: "all"
        case .large(let bytes): "large:" + String(bytes)
        }
    }
}

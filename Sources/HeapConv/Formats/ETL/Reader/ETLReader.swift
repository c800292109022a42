/// Reads heap events from a Windows Event Trace Log (`.etl`): our own parser of the file format, for
/// Linux and macOS where no Windows API exists.
///
/// Creating the reader makes a first pass over the whole file (``ETLIndex``, its two halves on two threads
/// for large files): it validates every buffer, counts records for ``facts()``, collects stack-key
/// definitions and notes the buffers holding heap events.
/// Reading makes a second pass over just those buffers, merging the per-CPU streams into time order (or
/// keeping file order with `--file-order`) and attaching call stacks (see ``StackHoldingArea`` for the rule).
///
/// The reader owns its file descriptor, which is closed when the last copy of the reader is released.
/// Standard input is spooled to an unlinked temporary file first, since the file is read at random offsets.
public struct ETLReader: EventReader {
    /// What the first pass learned (header, counts); read-only from here on.
    private let summary: ETLSummary
    private let tables: DecodeTables
    private var state: DecodeState
    private var merger: StreamMerger
    private var holding: StackHoldingArea
    /// Events go straight to the batch: the file has no stack fragments and needs no reordering.
    private let direct: Bool
    private let fileOrder: Bool
    private var finished = false
    /// Whether ``read(into:limit:)`` was called: until then the second pass's counters do not exist.
    private var started = false
    /// The input's name for skipped problems (errors thrown are named by the caller).
    private let name: String?

    /// Records that must arrive after an event before it leaves, when CPU streams are not in time order.
    static let reorderWindow: UInt64 = 4096

    /// Opens the input named by `context` (`-` is standard input) and makes the first pass.
    public init(_ context: ReaderContext) throws(ConversionError) {
        let input = try FileETLInput.open(context.path, keepGoing: context.options.keepGoing)
        try self.init(input: input, name: context.name, keepGoing: context.options.keepGoing,
                      fileOrder: context.options.fileOrder)
    }

    /// Reads an `.etl` image held in memory (for embedding and fuzzing); `name` names skipped problems.
    public init(bytes: [UInt8], name: String? = nil, keepGoing: Bool = false, fileOrder: Bool = false) throws(ConversionError) {
        try self.init(input: MemoryETLInput(bytes), name: name, keepGoing: keepGoing, fileOrder: fileOrder)
    }

    /// `indexParts` forces how many threads make the first pass (see ``ETLIndex/build(_:keepGoing:parts:)``).
    init(input: any ETLInput, name: String? = nil, keepGoing: Bool = false, fileOrder: Bool = false,
         indexParts: Int? = nil) throws(ConversionError) {
        let index = try ETLIndex.build(input, keepGoing: keepGoing, parts: indexParts)
        self.name = name
        self.fileOrder = fileOrder
        tables = DecodeTables(clock: index.clock, stackKeys: index.stackKeys, heapThreads: index.heapThreads,
                              identities: index.identities, loader: BufferLoader(input: input, logicalSize: index.logicalBufferSize))
        state = DecodeState(problems: index.problems)
        summary = ETLSummary(header: index.header, clock: index.clock, statistics: index.statistics,
                             keepGoing: keepGoing)
        let statistics = index.statistics
        let window = !fileOrder && statistics.cpuStreamInversions > 0 ? Self.reorderWindow : 0
        direct = statistics.stackFragments == 0 && window == 0
        holding = StackHoldingArea(reorderWindow: window, fileOrder: fileOrder)
        var streams: [RecordStream] = []
        if statistics.heapRecords > 0 || statistics.contextRecords > 0, !index.entries.isEmpty {
            if fileOrder {
                streams = [RecordStream(entries: index.entries)]
            } else {
                var byCPU: [UInt16: [BufferEntry]] = [:]
                for entry in index.entries { byCPU[entry.processor, default: []].append(entry) }
                streams = byCPU.keys.sorted().map { RecordStream(entries: byCPU[$0]!) }
            }
        }
        merger = StreamMerger(streams: streams)
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        let before = batch.count
        started = true
        guard !finished else { return false }
        while batch.count < limit {
            if !direct {
                holding.release(into: &batch, limit: limit, final: false)
                if batch.count >= limit { break }
            }
            guard let stream = try merger.next(tables, &state) else {
                holding.release(into: &batch, limit: limit, final: true)
                if holding.isEmpty { finished = true }
                break
            }
            let item = merger.streams[stream].head
            switch item.kind {
            case .heap:
                let event = merger.streams[stream].events[Int(item.index)]
                if event.isContext {
                    let text = merger.streams[stream].text
                    if direct {
                        batch.events.append(event.remappingText { batch.appendText(text.bytes.slice($0)) })
                    } else {
                        holding.addContext(event, text: text.bytes,
                                           key: .init(primary: item.ticks, secondary: merger.streams[stream].headOrder))
                    }
                } else if direct {
                    batch.events.append(event)
                } else {
                    holding.add(event, ticks: item.ticks, thread: item.thread,
                                key: .init(primary: item.ticks, secondary: merger.streams[stream].headOrder))
                }
            case .inlineFragment:
                holding.noteArrival()
                holding.attach(eventTicks: item.eventTicks, thread: item.thread, part: item.isKernelPart ? .kernel : .user,
                               fragmentTicks: item.ticks, frames: merger.streams[stream].inlineFrames(item))
            case .keyFragment:
                holding.noteArrival()
                holding.attach(eventTicks: item.eventTicks, thread: item.thread, part: item.isKernelPart ? .kernel : .user,
                               fragmentTicks: item.ticks, frames: tables.stackKeys.stacks[Int(UInt32(bitPattern: item.index))])
            }
        }
        return batch.count > before
    }

    /// The file's facts: OS, pointer size, clock, times, buffers and record counts (complete from the start),
    /// and, once reading has begun, the second pass's stack and ordering counters (complete once every event
    /// was read).
    public func facts() -> InfoValue? {
        ETLFacts.make(summary: summary, tables: tables, state: state, holding: holding, fileOrder: fileOrder,
                      read: started ? finished : nil)
    }

    /// Each damaged region skipped under `--keep-going`, with its offset (at most ``ProblemLog/limit``, then
    /// one line counting the rest).
    public var skippedProblems: [ConversionError] {
        let problems = state.problems.all
        guard let name else { return problems }
        return problems.map { $0.naming(name) }
    }
}

/// The first pass's findings that `facts()` reports.
struct ETLSummary {
    let header: LogfileHeader
    let clock: ETLClock
    let statistics: ETLStatistics
    let keepGoing: Bool
}

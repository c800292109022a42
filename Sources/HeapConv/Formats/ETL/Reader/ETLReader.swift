/// Reads heap events from a Windows Event Trace Log (`.etl`): our own parser of the file format, for
/// Linux and macOS where no Windows API exists.
///
/// Creating the reader makes a first pass over the whole file (``ETLIndex``): it validates every buffer,
/// counts records for ``facts()``, collects stack-key definitions and notes the buffers holding heap events.
/// Reading makes a second pass over just those buffers, merging the per-CPU streams into time order (or
/// keeping file order with `--file-order`) and attaching call stacks (see ``StackHoldingArea`` for the rule).
///
/// The reader owns its file descriptor and closes it when released. Standard input is spooled to an unlinked
/// temporary file first, since the file is read at random offsets.
public struct ETLReader: EventReader {
    private let core: ETLReaderCore
    /// The input's name for skipped problems (errors thrown are named by the caller).
    private let name: String?

    /// Opens the input named by `context` (`-` is standard input) and makes the first pass.
    public init(_ context: ReaderContext) throws(ConversionError) {
        let input = try FileETLInput.open(context.path)
        try self.init(input: input, name: context.name, keepGoing: context.options.keepGoing,
                      fileOrder: context.options.fileOrder)
    }

    init(input: any ETLInput, name: String? = nil, keepGoing: Bool = false, fileOrder: Bool = false) throws(ConversionError) {
        core = try ETLReaderCore(input: input, keepGoing: keepGoing, fileOrder: fileOrder)
        self.name = name
    }

    public mutating func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        try core.read(into: &batch, limit: limit)
    }

    /// The file's facts: OS, pointer size, clock, times, buffers and record counts (complete from the start),
    /// and stack and ordering counters (complete once every event was read).
    public func facts() -> InfoValue? { core.facts() }

    /// Each damaged region skipped under `--keep-going`, with its offset (at most ``ProblemLog/limit``, then
    /// one line counting the rest).
    public var skippedProblems: [ConversionError] {
        let problems = core.context.problems.all
        guard let name else { return problems }
        return problems.map { $0.naming(name) }
    }
}

/// The state of one reading: the first pass's index, the streams of the second pass, the holding area.
final class ETLReaderCore {
    let index: ETLIndex
    let context: DecodeContext
    let fileOrder: Bool
    /// Events go straight to the batch: the file has no stack fragments and needs no reordering.
    let direct: Bool
    private var merger: StreamMerger
    private(set) var holding: StackHoldingArea
    private var finished = false
    /// Records a stream must be ahead before an event leaves, when CPU streams are not in time order.
    static let reorderWindow: UInt64 = 4096

    init(input: any ETLInput, keepGoing: Bool, fileOrder: Bool) throws(ConversionError) {
        var index = try ETLIndex.build(input, keepGoing: keepGoing)
        let loader = BufferLoader(input: input, logicalSize: index.logicalBufferSize)
        let problems = index.problems
        context = DecodeContext(clock: index.clock, stackKeys: index.stackKeys, heapThreads: index.heapThreads,
                                loader: loader, problems: problems)
        // The context owns these now; the index keeps the counts.
        index.stackKeys = StackKeyTable()
        index.heapThreads = []
        self.fileOrder = fileOrder
        let statistics = index.statistics
        let window = !fileOrder && statistics.cpuStreamInversions > 0 ? Self.reorderWindow : 0
        direct = statistics.stackFragments == 0 && window == 0
        holding = StackHoldingArea(reorderWindow: window, fileOrder: fileOrder)
        var streams: [RecordStream] = []
        if statistics.heapRecords > 0 {
            if fileOrder {
                streams = [RecordStream(entries: index.entries)]
            } else {
                var byCPU: [UInt16: [BufferEntry]] = [:]
                for entry in index.entries { byCPU[entry.header.processor, default: []].append(entry) }
                streams = byCPU.keys.sorted().map { RecordStream(entries: byCPU[$0]!) }
            }
        }
        index.entries = []
        self.index = index
        merger = StreamMerger(streams: streams)
    }

    func read(into batch: inout EventBatch, limit: Int) throws(ConversionError) -> Bool {
        let before = batch.count
        guard !finished else { return false }
        while batch.count < limit {
            if !direct {
                holding.release(into: &batch, limit: limit, final: false)
                if batch.count >= limit { break }
            }
            guard let next = try merger.next(context) else {
                holding.release(into: &batch, limit: limit, final: true)
                if holding.isEmpty { finished = true }
                break
            }
            switch next.item {
            case .heap(let event, let ticks, let thread):
                if direct {
                    batch.events.append(event)
                } else {
                    holding.add(event, ticks: ticks, thread: thread,
                                key: .init(primary: next.ticks, secondary: next.order))
                }
            case .inlineFragment(let eventTicks, let thread, let part, let frames, let width):
                holding.noteArrival()
                holding.attach(eventTicks: eventTicks, thread: thread, part: part, fragmentTicks: next.ticks,
                               frameCount: frames.count / width, frameAt: { frames.pointer($0 * width, width: width) })
            case .keyFragment(let eventTicks, let thread, let part, let stack):
                holding.noteArrival()
                let frames = context.stackKeys.stacks[Int(stack)]
                holding.attach(eventTicks: eventTicks, thread: thread, part: part, fragmentTicks: next.ticks,
                               frameCount: frames.count, frameAt: { frames[$0] })
            }
        }
        return batch.count > before
    }

    func facts() -> InfoValue? {
        ETLFacts.make(index: index, context: context, holding: holding, fileOrder: fileOrder, complete: finished)
    }
}

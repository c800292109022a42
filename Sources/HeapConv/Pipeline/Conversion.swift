#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished conversion did.
public struct ConversionReport: Sendable {
    /// Events the writer received (after filters), context records included.
    public var eventsWritten: UInt64 = 0
    /// Heap events the writer received (after filters): ``eventsWritten`` without the context records.
    public var heapEventsWritten: UInt64 { eventsWritten - input.keptContextRecords }
    /// Bytes of output (compressed size for gzip'd outputs is not tracked here: this is what the writer formatted).
    public var bytesFormatted: UInt64 = 0
    /// Lines the writer wants the user to see.
    public var writerReport: [String] = []
    /// Problems skipped under `--keep-going`; a non-empty list means the output is partial.
    public var skippedProblems: [ConversionError] = []
    /// What the reader produced before filters.
    public var input = InputTally()
    /// Why the output holds no event, in one line (``EmptyOutput``); `nil` when it holds some.
    public var emptyWarning: String?
}

/// Runs one conversion: reader → filters → writer, in bounded batches, the reader on its own thread.
///
/// The output appears under its name only if everything succeeded (see ``AtomicOutputFile``); standard
/// output is written directly.
public enum Conversion {
    /// Batches in flight between the reading and the writing thread: bounds memory, gives back-pressure.
    static let batchesInFlight = 4

    public static func run(
        _ options: ConversionOptions, progress: ((UInt64) -> Void)? = nil
    ) throws(ConversionError) -> ConversionReport {
        let (inputFormat, inputGzip) = try FormatRegistry.resolve(path: options.inputPath, override: options.inputFormat, role: "input")
        let (outputFormat, outputGzip) = try FormatRegistry.resolve(path: options.outputPath, override: options.outputFormat, role: "output")
        let inputName = options.inputPath == "-" ? "<stdin>" : options.inputPath
        let outputName = options.outputPath == "-" ? "<stdout>" : options.outputPath
        let makeReader = try FormatRegistry.reader(of: inputFormat, path: options.inputPath)
        let makeWriter = try FormatRegistry.writer(of: outputFormat, path: options.outputPath)
        try options.checkApplicable(input: inputFormat, output: (outputFormat, outputGzip))
        try checkDistinctFiles(input: options.inputPath, output: options.outputPath)

        var reader: any EventReader
        do {
            reader = try makeReader(ReaderContext(path: options.inputPath, name: inputName, gzip: inputGzip, options: options))
        } catch {
            throw error.naming(inputName)
        }

        let file: AtomicOutputFile? = options.outputPath == "-" ? nil : try AtomicOutputFile(path: options.outputPath)
        var sink: any ByteSink = FileDescriptorSink(fd: file?.fd ?? 1, name: outputName)
        if outputGzip || outputFormat.writesGzip {
            let settings = outputFormat.gzipSettings(options.compressionLevel)
            sink = try settings.makeSink(sink, name: outputName)
        } else if outputFormat.writerIsHeavy || inputFormat.readerIsLight {
            // The writing thread is the bottleneck: take the system calls (and the kernel's throttling of a
            // fast writer) off it.
            sink = ThreadedSink(sink)
        }
        let output = OutputBuffer(sink: sink)
        do {
            var writer = try makeWriter(WriterContext(output: output, name: outputName, inputName: inputName,
                                                      inputFacts: reader.facts(), options: options))
            var report = try pump(from: &reader, inputName: inputName, to: &writer, filter: options.filter, progress: progress)
            try writer.finish()
            report.bytesFormatted = output.totalBytes
            report.writerReport = writer.report
            report.skippedProblems = reader.skippedProblems
            if report.heapEventsWritten == 0 {
                report.emptyWarning = EmptyOutput.warning(input: report.input, filter: options.filter,
                                                          inputName: inputName, emptyHint: inputFormat.emptyHint)
            }
            try file?.commit()
            return report
        } catch {
            // The sink's threads may still be writing to the file: stop them before it is closed.
            output.abandon()
            file?.discard()
            throw error
        }
    }

    /// Refuses to write over the input: compares the files the two arguments lead to (after links, `-` as
    /// standard input and output) by device and inode, so `a.etl`, `./a.etl` and a link to it are one file.
    /// Only regular files count: reading and writing `/dev/null` is harmless.
    static func checkDistinctFiles(input: String, output: String) throws(ConversionError) {
        guard let source = FileIdentity.of(argument: input, standardDescriptor: 0), source.isRegular,
              let target = FileIdentity.of(argument: output, standardDescriptor: 1), target == source else { return }
        let inputName = input == "-" ? "<stdin>" : input
        let outputName = output == "-" ? "<stdout>" : output
        throw ConversionError(.usage, "\(inputName) and \(outputName) are the same file: "
                              + "writing the output would destroy the input")
    }

    /// Moves every batch from `reader` through the filter into `writer`, reading on a second thread.
    static func pump(
        from reader: inout any EventReader, inputName: String, to writer: inout any EventWriter,
        filter: EventFilter, progress: ((UInt64) -> Void)?
    ) throws(ConversionError) -> ConversionReport {
        let full = BoundedHandoff<EventBatch>(capacity: batchesInFlight)
        let empty = BoundedHandoff<EventBatch>(capacity: batchesInFlight + 2)
        for _ in 0..<batchesInFlight + 1 { empty.put(EventBatch()) }
        let box = ReaderBox(reader)
        let worker = WorkerThread {
            var stage = EventFilterStage(filter)
            while var batch = empty.take() {
                batch.removeAll()
                do throws(ConversionError) {
                    guard try box.reader.read(into: &batch, limit: EventBatch.defaultCapacity) else { break }
                } catch {
                    box.failure = error.naming(inputName)
                    break
                }
                stage.apply(to: &batch)
                box.tally = stage.tally
                if batch.isEmpty {
                    empty.put(batch)
                } else if !full.put(batch) {
                    break
                }
            }
            full.close()
        }
        var report = ConversionReport()
        var failure: ConversionError?
        while let batch = full.take() {
            do throws(ConversionError) {
                try writer.write(batch)
            } catch {
                failure = error
                break
            }
            report.eventsWritten += UInt64(batch.count)
            progress?(report.eventsWritten)
            empty.put(batch)
        }
        empty.close()
        full.close()
        worker.join()
        reader = box.reader
        if let failure { throw failure }
        if let failure = box.failure { throw failure }
        report.input = box.tally
        return report
    }
}

/// Carries the reader to the reading thread and its outcome back; only one thread touches it at a time
/// (the reading thread until `join()`, then the caller).
private final class ReaderBox: @unchecked Sendable {
    var reader: any EventReader
    var failure: ConversionError?
    var tally = InputTally()
    init(_ reader: any EventReader) { self.reader = reader }
}

import Foundation
import Testing
@testable import HeapConv

/// Runs `Tests/Tools/perfetto_json_lint.py` (an emulation of Perfetto's JSON importer rules) on written
/// traces: it must predict a clean import, with the tracks we mean to create.
@Suite struct ChromeLintTests {
    static let tool = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tools/perfetto_json_lint.py")

    /// Writes `batches` to a temporary file and returns the lint's exit status and report.
    static func lint(_ batches: [EventBatch], lifetimes: LifetimeSelection, noInstants: Bool = false) throws -> (Int32, String) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("heapconv-lint-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = ConversionOptions(inputPath: "sample.jsonl", outputPath: path)
        options.lifetimes = lifetimes
        options.noInstants = noInstants
        let sink = MemoryByteSink()
        var writer = ChromeWriter(output: OutputBuffer(sink: sink), options: options, inputName: "sample.jsonl")
        for batch in batches { try writer.write(batch) }
        try writer.finish()
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", tool.path, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(arguments: [LifetimeSelection.none, .leaks, .large(2048), .all])
    func workloadImportsCleanly(_ lifetimes: LifetimeSelection) throws {
        let (status, report) = try Self.lint([SampleEvents.workload(count: 3_000)], lifetimes: lifetimes)
        #expect(status == 0, "\(report)")
        #expect(report.contains("RESULT   : PREDICTED CLEAN"), "\(report)")
        #expect(!report.contains("silently ignored"), "\(report)")
        // Per heap (three in the workload) two counters, plus the two process totals.
        #expect(report.contains("counter tracks: 8 "), "\(report)")
        #expect(report.contains("pid 4242: heap 0x1a0000 bytes live"), "\(report)")
        #expect(report.contains("pid 4242: all heaps blocks live"), "\(report)")
        #expect(report.contains("process names: 1, thread names: 4"), "\(report)")
        if lifetimes != .none {
            #expect(report.contains("async group process pid=4242 \"heap 0x1a0000 block\""), "\(report)")
        }
        #expect(!report.contains("did not end"), "\(report)")
    }

    @Test func everyKindAndExtremeValuesImportCleanly() throws {
        let (status, report) = try Self.lint([SampleEvents.everyKind()], lifetimes: .all)
        #expect(status == 0, "\(report)")
        #expect(report.contains("RESULT   : PREDICTED CLEAN"), "\(report)")
    }

    @Test func countersAloneImportCleanly() throws {
        let (status, report) = try Self.lint([SampleEvents.workload(count: 1_000)], lifetimes: .leaks, noInstants: true)
        #expect(status == 0, "\(report)")
        #expect(!report.contains("instants as 0-dur slices"), "\(report)")
    }
}

import Foundation
import Testing
@testable import HeapConv

/// `Examples/read_heapcol.py`, written from `Schemas/heapcol.md` alone, must print exactly what heapconv's
/// JSON Lines writer prints for the same events: the proof that the specification is complete.
@Suite struct HeapColPythonReaderTests {
    typealias H = HeapColHarness

    /// The repository's root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the Python reader on `file`; returns its exit status, standard output and standard error.
    static func python(_ file: [UInt8]) throws -> (status: Int32, out: [UInt8], err: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("heapcol-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.heapcol")
        try Data(file).write(to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("Examples/read_heapcol.py").path, path.path]
        // Output to files, not pipes: nothing to drain while the process runs.
        let outPath = dir.appendingPathComponent("out.jsonl")
        let errPath = dir.appendingPathComponent("err.txt")
        _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        let out = try FileHandle(forWritingTo: outPath)
        let err = try FileHandle(forWritingTo: errPath)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outPath)
        let errData = try Data(contentsOf: errPath)
        return (process.terminationStatus, [UInt8](outData), String(decoding: errData, as: UTF8.self))
    }

    static func expectSameAsHeapconv(_ batches: [EventBatch], rowGroupLimit: Int = HeapColFormat.maximumRowGroupEvents,
                                     stackEntryLimit: Int = HeapColFormat.maximumStackEntries,
                                     stackFrameLimit: Int = HeapColFormat.maximumStackFrames) throws {
        let file = try H.write(batches, rowGroupLimit: rowGroupLimit, stackEntryLimit: stackEntryLimit, stackFrameLimit: stackFrameLimit)
        let expected = try H.jsonl([H.batch(try H.read(file))])
        #expect(expected == (try H.jsonl(batches)))
        let (status, out, err) = try python(file)
        #expect(status == 0, "\(err)")
        #expect(err.isEmpty)
        if out != expected {
            let got = String(decoding: out, as: UTF8.self).split(separator: "\n")
            let want = String(decoding: expected, as: UTF8.self).split(separator: "\n")
            let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            Issue.record("line \(first + 1) differs (\(got.count) lines, \(want.count) expected):\n  python:   \(first < got.count ? String(got[first]) : "<none>")\n  heapconv: \(first < want.count ? String(want[first]) : "<none>")")
        }
    }

    @Test func everyKindAndExtremes() throws {
        try Self.expectSameAsHeapconv([SampleEvents.everyKind(), SampleEvents.extremeTimes()])
    }

    @Test func workloadInManyRowGroupsWithDictionaryResets() throws {
        try Self.expectSameAsHeapconv([SampleEvents.workload(count: 3000), HeapColWorkloads.stackHeavy(count: 3000), SampleEvents.everyKind()],
                                      rowGroupLimit: 997, stackEntryLimit: 300, stackFrameLimit: 5000)
    }

    @Test func fullSizeRowGroups() throws {
        try Self.expectSameAsHeapconv([SampleEvents.workload(count: 70_000)])
    }

    @Test func emptyFile() throws {
        try Self.expectSameAsHeapconv([])
    }

    @Test func randomValuesOfEveryWidth() throws {
        var rng = SplitMix64(seed: 77)
        func value() -> UInt64 {
            let bits = Int(rng.next() % 65)
            return bits == 0 ? 0 : rng.next() >> UInt64(64 - bits)
        }
        var batch = EventBatch()
        for i in 0..<2000 {
            let c = EventContext(timestamp: Int64(bitPattern: value()), processID: UInt32(truncatingIfNeeded: value()),
                                 threadID: UInt32(truncatingIfNeeded: value()), cpu: i % 3 == 0 ? nil : UInt32(truncatingIfNeeded: value()),
                                 heap: value())
            let event: HeapEvent = i % 2 == 0
                ? .realloc(c, address: value(), size: value(), oldAddress: value(), oldSize: value(), source: HeapSource(rawValue: UInt32(truncatingIfNeeded: value())))
                : .alloc(c, address: value(), size: value(), source: HeapSource(rawValue: UInt32(rng.next() % 9)))
            batch.append(event, stack: (0..<Int(rng.next() % 5)).map { _ in value() })
        }
        try Self.expectSameAsHeapconv([batch], rowGroupLimit: 333)
    }

    @Test func damagedFilesAreRejectedWithAnOffset() throws {
        let file = try H.write([SampleEvents.everyKind()])
        var stream = try H.gunzip(file)
        stream[40] ^= 0x10  // inside the first row group: its CRC no longer matches
        let (status, out, err) = try Self.python(try H.gzip(stream))
        #expect(status == 1)
        #expect(out.isEmpty)
        #expect(err.contains("offset 0xa: CRC-32 mismatch"), "\(err)")
        let truncated = try Self.python(try H.gzip(Array(try H.gunzip(file).dropLast(3))))
        #expect(truncated.status == 1)
        #expect(truncated.err.contains("truncated"), "\(truncated.err)")
    }
}

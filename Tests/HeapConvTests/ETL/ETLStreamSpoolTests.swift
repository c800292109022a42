import Foundation
import Testing
@testable import HeapConv

/// `.etl` from a pipe, a FIFO or a device is spooled to `$TMPDIR` with its buffer headers checked on the way:
/// garbage and endless streams stop at the first impossible header, the spool never outlives the process.
@Suite struct ETLStreamSpoolTests {
    static let sh = URL(fileURLWithPath: "/bin/sh")

    /// Runs `script` with `$H` the binary and `TMPDIR` an empty folder of its own; returns the result, the
    /// seconds it took and what was left in that folder.
    func run(_ script: String, in dir: URL) throws -> (CLI.Result, Double, [String]) {
        let spool = dir.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let start = Date()
        let r = try CLI.run(Self.sh, ["-c", "H='\(CLI.executable.path)'; export TMPDIR='\(spool.path)'; " + script], in: dir)
        let seconds = Date().timeIntervalSince(start)
        return (r, seconds, try FileManager.default.contentsOfDirectory(atPath: spool.path))
    }

    @Test func anEndlessDeviceStopsAtItsFirstHeader() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let (r, seconds, left) = try run("\"$H\" /dev/zero out.jsonl --from etl", in: dir)
        #expect(r.status == 65)
        #expect(r.stderr == "heapconv: error: /dev/zero: offset 0x0: first buffer: buffer size is 0 (not an .etl file?)\n")
        #expect(seconds < 5)
        #expect(left.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.jsonl").path))
    }

    /// A FIFO fed a real trace and then random bytes without end: the run stops at the header after the
    /// trace, within a second, and leaves nothing behind; with `--keep-going` it converts the trace.
    @Test func aFIFOFedGarbageWithoutEndStopsAtTheFirstBadHeader() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let fixture = try ETLTestSupport.fixturePath("SYNTHETIC-heap-64.etl")
        let size = try ETLTestSupport.fixture("SYNTHETIC-heap-64.etl").count
        let feed = "mkfifo in.etl; (cat '\(fixture)'; exec cat /dev/urandom) > in.etl 2>/dev/null & "
        let (r, seconds, left) = try run(feed + "\"$H\" in.etl out.jsonl --from etl; s=$?; kill %1 2>/dev/null; exit $s", in: dir)
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("heapconv: error: in.etl: offset 0x\(String(size, radix: 16)): buffer size"), "\(r.stderr)")
        #expect(seconds < 5)
        #expect(left.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["in.etl", "spool"])

        let expected = try CLI.run([fixture, "-", "--to", "jsonl"])
        #expect(expected.status == 0)
        let (kept, _, keptLeft) = try run(
            "rm -f in.etl; " + feed + "\"$H\" in.etl - --from etl --to jsonl --keep-going; s=$?; kill %1 2>/dev/null; exit $s", in: dir)
        #expect(kept.status == 3)
        #expect(kept.stdout == expected.stdout)
        #expect(kept.stderr.contains("skipped: in.etl: offset 0x\(String(size, radix: 16)): buffer size"))
        #expect(kept.stderr.contains("the rest of the stream was not read"))
        #expect(keptLeft.isEmpty)
    }

    @Test func aValidTraceOnStandardInputConvertsAsTheFileDoes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        for name in ["SYNTHETIC-heap-32.etl", "perfview-net.4.5.2.x64.etl"] {
            let fixture = try ETLTestSupport.fixturePath(name)
            let expected = try CLI.run([fixture, "-", "--to", "jsonl"])
            let (r, _, left) = try run("\"$H\" - - --from etl --to jsonl < '\(fixture)'", in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == expected.stdout)
            #expect(left.isEmpty)
        }
    }

    @Test func aSpoolFolderThatCannotBeWrittenIsNamed() throws {
        let fixture = try ETLTestSupport.fixturePath("SYNTHETIC-heap-64.etl")
        let r = try CLI.run(Self.sh, ["-c", "TMPDIR=/nonexistent/spool '\(CLI.executable.path)' - - --from etl --to jsonl < '\(fixture)'"])
        #expect(r.status == 74)
        #expect(r.stderr.hasPrefix("heapconv: error: <stdin>: cannot create a temporary file in /nonexistent/spool to spool the input:"))
    }

    /// The check itself: every real fixture passes in pieces of any size; bytes after a trace fail at the
    /// exact offset where the next header would begin.
    @Test(arguments: [1, 7, 72, 4096, 1 << 20])
    func theHeaderCheckFollowsRealFilesInAnyPieces(piece: Int) throws {
        for name in ["SYNTHETIC-heap-64.etl", "airbus-AMSITrace.etl", "perfview-net.4.5.2.x86.etl", "krabsetw-powershell.etl"] {
            let bytes = try ETLTestSupport.fixture(name)
            var check = StreamedBufferCheck()
            var problem: ConversionError?
            bytes.withUnsafeBytes { all in
                var start = 0
                while start < all.count, problem == nil {
                    let end = min(start + piece, all.count)
                    problem = check.feed(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
            #expect(problem == nil, "\(name): \(problem?.description ?? "")")
            #expect(check.headerOffset == UInt64(bytes.count), "\(name)")
            let garbage = [UInt8](repeating: 0xFF, count: 100)
            let tail = garbage.withUnsafeBytes { check.feed($0) }
            #expect(tail?.location == .offset(UInt64(bytes.count)))
            #expect(tail?.message == "buffer size 0xffffffff exceeds the maximum 0x1000000")
        }
    }
}

import Foundation
import Testing
@testable import HeapConv

/// The built binary, run as users run it: statuses, messages, files left behind.
@Suite struct ConvertCommandTests {
    static let jsonl = TextGoldenTests.jsonl

    func files(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test func convertsByExtensionAndRoundTripsThroughGzip() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["in.jsonl", "mid.csv.gz"], in: dir).status == 0)
        let r = try CLI.run(["convert", "mid.csv.gz", "out.jsonl"], in: dir)
        #expect(r.status == 0 && r.stderr.isEmpty)
        #expect(try String(contentsOf: dir.appendingPathComponent("out.jsonl"), encoding: .utf8) == Self.jsonl)
        let gunzip = try CLI.run(URL(fileURLWithPath: "/bin/gzip"), ["-t", "mid.csv.gz"], in: dir)
        #expect(gunzip.status == 0)
        #expect(try files(in: dir) == ["in.jsonl", "mid.csv.gz", "out.jsonl"])
    }

    @Test func standardInputAndOutputNeedFormatsAndCarryData() throws {
        let r = try CLI.run(["-", "-", "--from", "jsonl", "--to", "jsonl"], stdin: Data(Self.jsonl.utf8))
        #expect(r.status == 0)
        #expect(r.stdout == Self.jsonl)
        let noFormat = try CLI.run(["-", "out.csv"], stdin: Data())
        #expect(noFormat.status == 64)
        #expect(noFormat.stderr.contains("cannot infer the input format of standard input; pass --from FORMAT"))
    }

    /// `--from jsonl.gz` reads gzip from standard input; `--to csv.gz` writes gzip whatever the file is called.
    @Test func gzipFormatsForStandardInputAndOutput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        let sh = URL(fileURLWithPath: "/bin/sh")
        #expect(try CLI.run(sh, ["-c", "gzip -c in.jsonl > packed"], in: dir).status == 0)
        let packed = try Data(contentsOf: dir.appendingPathComponent("packed"))
        let r = try CLI.run(["-", "-", "--from", "jsonl.gz", "--to", "jsonl"], stdin: packed)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.jsonl)

        #expect(try CLI.run(["in.jsonl", "plain.csv"], in: dir).status == 0)
        #expect(try CLI.run(["in.jsonl", "out.bin", "--to", "CSV.GZ"], in: dir).status == 0)
        let unpacked = try CLI.run(sh, ["-c", "gzip -dc out.bin"], in: dir)
        #expect(unpacked.status == 0)
        #expect(unpacked.stdout == (try String(contentsOf: dir.appendingPathComponent("plain.csv"), encoding: .utf8)))

        let heapcol = try CLI.run(["-", "out.heapcol", "--from", "heapcol.gz"], in: dir, stdin: Data())
        #expect(heapcol.status == 64)
        #expect(heapcol.stderr.contains("heapcol is gzip-compressed already: pass --from heapcol"))
        let etl = try CLI.run(["-", "out.jsonl", "--from", "etl.gz"], in: dir, stdin: Data())
        #expect(etl.status == 64)
        #expect(etl.stderr.contains("etl cannot be gzip-compressed"))
    }

    @Test func malformedInputLeavesNoOutputAndExits65() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let lines = Self.jsonl + #"{"event":"alloc","ts":1,"pid":2,"tid":3,"heap":"0x4","address":"0x5","size":"x","source":3}"# + "\n"
        try lines.write(to: dir.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["bad.jsonl", "out.csv"], in: dir)
        #expect(r.status == 65)
        #expect(r.stderr == "heapconv: error: bad.jsonl:10:77: expected an unsigned 64-bit integer for \"size\", found \"\\\"x\\\"\"\n"
                || r.stderr.hasPrefix("heapconv: error: bad.jsonl:10:77: expected an unsigned 64-bit integer for \"size\""))
        #expect(try files(in: dir) == ["bad.jsonl"])
    }

    @Test func aFailedConversionKeepsAnExistingTarget() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try "old contents".write(to: dir.appendingPathComponent("out.csv"), atomically: true, encoding: .utf8)
        try "{\"event\":\"nope\"}\n".write(to: dir.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["bad.jsonl", "out.csv"], in: dir).status == 65)
        #expect(try String(contentsOf: dir.appendingPathComponent("out.csv"), encoding: .utf8) == "old contents")
        #expect(try files(in: dir) == ["bad.jsonl", "out.csv"])
    }

    @Test func truncatedGzipInputIsAnErrorWithAnOffset() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["in.jsonl", "full.jsonl.gz"], in: dir).status == 0)
        let full = try Data(contentsOf: dir.appendingPathComponent("full.jsonl.gz"))
        try full.prefix(full.count - 10).write(to: dir.appendingPathComponent("cut.jsonl.gz"))
        let r = try CLI.run(["cut.jsonl.gz", "out.csv"], in: dir)
        #expect(r.status == 65)
        #expect(r.stderr.contains("cut.jsonl.gz: offset 0x"))
        #expect(r.stderr.contains("gzip stream ends early"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.csv").path))
    }

    @Test func exitStatusesForUsageOpenAndCreateProblems() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        let missing = try CLI.run(["nope.jsonl", "out.csv"], in: dir)
        #expect(missing.status == 66)
        #expect(missing.stderr == "heapconv: error: nope.jsonl: cannot open: No such file or directory\n")
        let noDir = try CLI.run(["in.jsonl", "no/such/dir/out.csv"], in: dir)
        #expect(noDir.status == 73)
        #expect(noDir.stderr == "heapconv: error: no/such/dir/out.csv: cannot create: No such file or directory\n")
        let unknown = try CLI.run(["in.jsonl", "out.txt"], in: dir)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("out.txt: cannot infer the output format from the file name; pass --to with one of:"))
        let badOption = try CLI.run(["in.jsonl", "out.csv", "--level", "12"], in: dir)
        #expect(badOption.status == 64)
        let same = try CLI.run(["in.jsonl", "in.jsonl"], in: dir)
        #expect(same.status == 64)
        #expect(try files(in: dir) == ["in.jsonl"])
    }

    @Test func filtersSelectProcessesHeapsKindsAndTimeWindows() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        func kinds(_ extra: [String]) throws -> [String] {
            let r = try CLI.run(["in.jsonl", "-", "--to", "jsonl"] + extra, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").map { line in
                String(line.split(separator: "\"")[3])
            }
        }
        #expect(try kinds(["--event", "alloc,free"]) == ["alloc", "free"])
        #expect(try kinds(["--event", "alloc", "--event", "destroy"]) == ["alloc", "destroy"])
        #expect(try kinds(["--heap", "0x0"]) == ["create"])
        #expect(try kinds(["--heap", "0xffffffffffffffff,0x0"]) == ["create", "destroy"])
        #expect(try kinds(["--pid", "1"]) == [])
        #expect(try kinds(["--pid", "17185", "--event", "free"]) == ["free"])
        // The first event is at 1555526400000010000 ns; offsets count from it.
        #expect(try kinds(["--since", "+20us", "--until", "+30000ns"]) == ["realloc"])
        #expect(try kinds(["--since", "2019-04-17T18:40:00.00003Z"]) == ["realloc", "free"])
        #expect(try kinds(["--until", "1970-01-01T00:00:00.000000008Z"]) == ["create", "expand", "contract"])
        let bad = try CLI.run(["in.jsonl", "-", "--to", "jsonl", "--since", "yesterday"], in: dir)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--since: cannot read 'yesterday'"))
    }

    @Test func devicesAndPipesAreWrittenInPlaceNotReplaced() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["in.jsonl", "/dev/null", "--to", "csv"], in: dir).status == 0)
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        // A FIFO gets the bytes and stays a FIFO.
        let fifo = dir.appendingPathComponent("out.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/bin/cat")
        cat.arguments = [fifo]
        let pipe = Pipe()
        cat.standardOutput = pipe
        try cat.run()
        let r = try CLI.run(["in.jsonl", fifo, "--to", "jsonl"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let received = pipe.fileHandleForReading.readDataToEndOfFile()
        cat.waitUntilExit()
        #expect(String(decoding: received, as: UTF8.self) == Self.jsonl)
        #expect(stat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    }

    @Test func formatsHeapconvCannotWriteSaySoAndNameTheFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        let writable = FormatRegistry.all.filter { $0.makeWriter != nil }.map(\.name).joined(separator: ", ")
        for format in FormatRegistry.all where format.makeWriter == nil {
            let r = try CLI.run(["in.jsonl", "-", "--to", format.name], in: dir)
            #expect(r.status == 69)
            #expect(r.stderr == "heapconv: error: heapconv cannot write \(format.name) files; it writes \(writable)\n")
        }
        let etl = try CLI.run(["in.jsonl", "out.etl"], in: dir)
        #expect(etl.status == 69)
        #expect(etl.stderr == "heapconv: error: out.etl: heapconv cannot write etl files; it writes \(writable)\n")
        let xml = try CLI.run(["in.jsonl", "out.x", "--to", "xml"], in: dir)
        #expect(xml.status == 64)
        #expect(xml.stderr == "heapconv: error: unknown output format \"xml\"; heapconv writes \(writable) (add .gz for gzip: csv.gz)\n")
        #expect(try files(in: dir) == ["in.jsonl"])
    }

    @Test func helpListsFormatsAndExitStatuses() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for format in FormatRegistry.all { #expect(r.stdout.contains(format.name)) }
        #expect(r.stdout.contains("65   malformed input"))
        #expect(try CLI.run(["--version"]).stdout == HeapConvVersion.string + "\n")
    }

    @Test func interruptedConversionsRemoveTheirTemporaryFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let fifo = dir.appendingPathComponent("in.jsonl").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["in.jsonl", "out.csv"]
        process.currentDirectoryURL = dir
        try process.run()
        let writer = FileHandle(forWritingAtPath: fifo)!
        writer.write(Data(Self.jsonl.utf8))
        // Wait until the temporary output exists, then interrupt.
        var waited = 0
        while try files(in: dir).count < 2 && waited < 500 { usleep(10_000); waited += 1 }
        #expect(try files(in: dir).count == 2)
        kill(process.processIdentifier, SIGTERM)
        waited = 0
        while process.isRunning && waited < 1000 { usleep(10_000); waited += 1 }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? writer.close()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGTERM)
        #expect(try files(in: dir) == ["in.jsonl"])
    }
}

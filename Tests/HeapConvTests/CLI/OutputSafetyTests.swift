import Foundation
import Testing
@testable import HeapConv

/// Outputs that never hurt the user's files: links stay links, named descriptors are written through,
/// the input is never the output, permission bits survive, ignored signals stay ignored.
@Suite struct OutputSafetyTests {
    static let jsonl = TextGoldenTests.jsonl
    static let sh = URL(fileURLWithPath: "/bin/sh")

    /// A directory holding `in.jsonl`; removed by the caller.
    func workspace() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try Self.jsonl.write(to: dir.appendingPathComponent("in.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    func text(_ dir: URL, _ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    func linkTarget(_ dir: URL, _ name: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent(name).path)
    }

    func shell(_ script: String, in dir: URL) throws -> CLI.Result {
        try CLI.run(Self.sh, ["-c", "H='\(CLI.executable.path)'; " + script], in: dir)
    }

    @Test func aLinkedOutputStaysALinkAndItsTargetIsReplaced() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        try "old".write(to: dir.appendingPathComponent("real.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.jsonl").path, withDestinationPath: "real.jsonl")
        // A chain of two links, one of them absolute.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("chain.jsonl").path,
                                                   withDestinationPath: dir.appendingPathComponent("link.jsonl").path)
        let r = try CLI.run(["in.jsonl", "chain.jsonl"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(linkTarget(dir, "link.jsonl") == "real.jsonl")
        #expect(linkTarget(dir, "chain.jsonl") == dir.appendingPathComponent("link.jsonl").path)
        #expect(try text(dir, "real.jsonl") == Self.jsonl)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["chain.jsonl", "in.jsonl", "link.jsonl", "real.jsonl"])
    }

    @Test func aDanglingLinkGetsItsTargetCreated() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("out.csv").path, withDestinationPath: "sub/new.csv")
        #expect(try CLI.run(["in.jsonl", "out.csv"], in: dir).status == 0)
        #expect(linkTarget(dir, "out.csv") == "sub/new.csv")
        #expect(try text(dir, "sub/new.csv").hasPrefix("event,ts,"))
    }

    @Test func aLinkLoopIsAnErrorThatTouchesNothing() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("a.csv").path, withDestinationPath: "b.csv")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("b.csv").path, withDestinationPath: "a.csv")
        let r = try CLI.run(["in.jsonl", "a.csv"], in: dir)
        #expect(r.status == 73)
        #expect(r.stderr == "heapconv: error: a.csv: too many levels of symbolic links\n")
        #expect(linkTarget(dir, "a.csv") == "b.csv" && linkTarget(dir, "b.csv") == "a.csv")
    }

    /// `/dev/stdout` redirected to a file: the bytes reach the file, and the system's link is not replaced.
    @Test func devStdoutRedirectedToAFileGetsTheBytes() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        let r = try shell("\"$H\" in.jsonl /dev/stdout --to jsonl > f && test -L /dev/stdout", in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try text(dir, "f") == Self.jsonl)
        // Appending through the descriptor keeps what was there.
        let append = try shell("\"$H\" in.jsonl /dev/stdout --to jsonl >> f", in: dir)
        #expect(append.status == 0)
        #expect(try text(dir, "f") == Self.jsonl + Self.jsonl)
    }

    @Test func namedDescriptorsAreWrittenThrough() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        for name in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
            let r = try CLI.run(["in.jsonl", name, "--to", "jsonl"], in: dir)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout == Self.jsonl, "\(name)")
        }
        // A descriptor the shell opened for us, and one that is not open.
        let three = try shell("\"$H\" in.jsonl /dev/fd/3 --to jsonl 3> three.jsonl", in: dir)
        #expect(three.status == 0, "\(three.stderr)")
        #expect(try text(dir, "three.jsonl") == Self.jsonl)
        let closed = try CLI.run(["in.jsonl", "/dev/fd/9", "--to", "jsonl"], in: dir)
        #expect(closed.status == 73)
        #expect(closed.stderr == "heapconv: error: /dev/fd/9: descriptor 9 is not open\n")
        let readOnly = try shell("echo x > other; \"$H\" in.jsonl /dev/fd/4 --to jsonl 4< other", in: dir)
        #expect(readOnly.status == 73)
        #expect(readOnly.stderr.contains("descriptor 4 is open for reading only"))
        #expect(try text(dir, "in.jsonl") == Self.jsonl)
    }

    @Test func theInputIsNeverTheOutputWhateverItsName() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.jsonl").path, withDestinationPath: "in.jsonl")
        try FileManager.default.linkItem(at: dir.appendingPathComponent("in.jsonl"), to: dir.appendingPathComponent("hard.jsonl"))
        let names = ["in.jsonl", "./in.jsonl", dir.appendingPathComponent("in.jsonl").path, "sub/../in.jsonl", "link.jsonl", "hard.jsonl"]
        for name in names {
            let r = try CLI.run(["in.jsonl", name, "--to", "jsonl"], in: dir)
            #expect(r.status == 64, "\(name)")
            #expect(r.stderr == "heapconv: error: in.jsonl and \(name) are the same file: writing the output would destroy the input\n")
        }
        // Standard output appended to the input, and standard input read from the output.
        let appended = try shell("\"$H\" in.jsonl - --to jsonl >> in.jsonl", in: dir)
        #expect(appended.status == 64)
        #expect(appended.stderr.contains("in.jsonl and <stdout> are the same file"))
        let fromStdin = try shell("\"$H\" - link.jsonl --from jsonl < in.jsonl", in: dir)
        #expect(fromStdin.status == 64)
        #expect(fromStdin.stderr.contains("<stdin> and link.jsonl are the same file"))
        #expect(try text(dir, "in.jsonl") == Self.jsonl)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["hard.jsonl", "in.jsonl", "link.jsonl", "sub"])
        // Devices are not files a conversion could destroy.
        #expect(try CLI.run(["/dev/null", "/dev/null", "--from", "jsonl", "--to", "jsonl"]).status == 0)
    }

    @Test func aReplacedTargetKeepsItsPermissionBits() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        for mode in [0o444, 0o640, 0o755] {
            let target = dir.appendingPathComponent("out.csv").path
            try? FileManager.default.removeItem(atPath: target)
            try "old".write(toFile: target, atomically: false, encoding: .utf8)
            #expect(chmod(target, mode_t(mode)) == 0)
            let r = try CLI.run(["in.jsonl", "out.csv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            var info = stat()
            #expect(stat(target, &info) == 0)
            #expect(Int(info.st_mode & 0o7777) == mode)
            #expect(try text(dir, "out.csv").hasPrefix("event,ts,"))
        }
        // A new file gets the usual 0666 less the umask.
        let r = try shell("umask 027; \"$H\" in.jsonl new.csv", in: dir)
        #expect(r.status == 0)
        var info = stat()
        #expect(stat(dir.appendingPathComponent("new.csv").path, &info) == 0 && info.st_mode & 0o777 == 0o640)
    }

    /// `nohup heapconv ...`: a hang-up the parent ignores does not stop the conversion; without that, it does
    /// and the temporary output goes.
    @Test func anIgnoredHangUpStaysIgnored() throws {
        let dir = try workspace()
        defer { CLI.remove(dir) }
        // The FIFO is held open by the shell (descriptor 3) so that heapconv starts, creates its temporary
        // output and waits for input; the signal comes once the temporary file exists.
        func run(ignoring: Bool) throws -> CLI.Result {
            try shell("""
                rm -f fifo out.jsonl; mkfifo fifo; exec 3<>fifo
                (\(ignoring ? "trap '' HUP; " : "")exec "$H" - out.jsonl --from jsonl < fifo 3>&-) & pid=$!
                i=0; while [ -z "$(ls -A | grep heapconv-)" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
                kill -HUP $pid; sleep 0.2
                cat in.jsonl >&3; exec 3>&-
                wait $pid; echo "status $?"; ls -A
                """, in: dir)
        }
        let ignored = try run(ignoring: true)
        #expect(ignored.stdout.hasPrefix("status 0\n"), "\(ignored.stdout)\(ignored.stderr)")
        #expect(try text(dir, "out.jsonl") == Self.jsonl)
        let hungUp = try run(ignoring: false)
        #expect(hungUp.stdout == "status 129\nfifo\nin.jsonl\n", "\(hungUp.stdout)\(hungUp.stderr)")
    }
}

import CSignalGuard
import Foundation
import Testing

/// The signal guard in a child process of its own (an exit test): a terminating signal removes the
/// temporary output and kills; during and after the final rename it is swallowed.
@Suite struct SignalGuardTests {
    /// Where the first test's child writes (exit tests capture nothing, so the parent knows the name).
    static let writingPath = FileManager.default.temporaryDirectory.appendingPathComponent("heapconv-guard-test-writing.tmp").path

    @Test func aSignalWhileWritingRemovesTheTemporaryFileAndKills() async {
        _ = FileManager.default.createFile(atPath: Self.writingPath, contents: Data("x".utf8))
        await #expect(processExitsWith: .signal(SIGTERM)) {
            let slot = heapconv_guard_arm(SignalGuardTests.writingPath)
            precondition(slot >= 0)
            raise(SIGTERM)
            exit(0)  // not reached when the handler did its job
        }
        #expect(!FileManager.default.fileExists(atPath: Self.writingPath))
    }

    @Test func aSignalDuringOrAfterTheCommitIsSwallowed() async {
        await #expect(processExitsWith: .success) {
            let directory = FileManager.default.temporaryDirectory
            let temporary = directory.appendingPathComponent("guard-\(getpid()).tmp").path
            let target = directory.appendingPathComponent("guard-\(getpid()).out").path
            _ = FileManager.default.createFile(atPath: temporary, contents: Data("done".utf8))
            let slot = heapconv_guard_arm(temporary)
            heapconv_guard_begin_commit(slot)
            raise(SIGTERM)  // blocked: delivered when the commit ends
            kill(getpid(), SIGINT)  // to the process: any thread may take it
            let renamed = rename(temporary, target) == 0
            heapconv_guard_end_commit(slot, renamed ? 1 : 0)
            raise(SIGHUP)  // after the commit
            let kept = (try? String(contentsOfFile: target, encoding: .utf8)) == "done"
            unlink(target)
            exit(renamed && kept ? 0 : 1)
        }
    }

    @Test func anIgnoredSignalGetsNoHandler() async {
        await #expect(processExitsWith: .success) {
            signal(SIGHUP, SIG_IGN)
            let slot = heapconv_guard_arm("/nonexistent/guard.tmp")
            let ok = slot >= 0 && heapconv_guard_handles(SIGHUP) == 0 && heapconv_guard_handles(SIGTERM) == 1
            raise(SIGHUP)
            exit(ok ? 0 : 1)
        }
    }
}

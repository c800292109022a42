#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that appears under its name only when the conversion succeeds.
///
/// Bytes go to a hidden temporary file beside the target (same directory, so the final `rename(2)` is
/// atomic); ``commit()`` renames it into place, ``discard()`` removes it. If the process is interrupted
/// (SIGINT, SIGTERM, SIGHUP) the temporary file is removed too, so `make` never sees a half-written target.
/// A target that exists and is not a regular file (`/dev/null`, a FIFO, a terminal) is written directly:
/// renaming over it would replace the device.
public final class AtomicOutputFile {
    public let path: String
    public let temporaryPath: String
    public let fd: Int32
    /// Whether bytes go straight to a non-regular target instead of a temporary file.
    public let isDirect: Bool
    private var done = false

    /// Creates the temporary file for `path`.
    public init(path: String) throws(ConversionError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else {
            throw ConversionError(.cannotCreateOutput, file: path, "is a directory")
        }
        var info = stat()
        if stat(path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw ConversionError(.cannotCreateOutput, file: path, "is a directory") }
            if type != S_IFREG {
                let fd = sysOpen(path, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw ConversionError(.cannotCreateOutput, file: path, "cannot open: " + systemErrorText(currentErrno))
                }
                self.fd = fd
                temporaryPath = path
                isDirect = true
                return
            }
        }
        isDirect = false
        var attempt = 0
        while true {
            let candidate = directory + "." + base + ".heapconv-\(getpid())-\(attempt).tmp"
            let fd = sysOpen(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                temporaryPath = candidate
                self.fd = fd
                break
            }
            let code = currentErrno
            guard code == EEXIST, attempt < 100 else {
                throw ConversionError(.cannotCreateOutput, file: path, "cannot create: " + systemErrorText(code))
            }
            attempt += 1
        }
        SignalCleanup.register(temporaryPath)
    }

    deinit { discard() }

    /// Closes the temporary file and renames it to ``path``.
    public func commit() throws(ConversionError) {
        guard !done else { return }
        done = true
        if isDirect {
            if sysClose(fd) != 0 {
                throw ConversionError(.io, file: path, "close failed: " + systemErrorText(currentErrno))
            }
            return
        }
        if sysClose(fd) != 0 {
            let code = currentErrno
            unlink(temporaryPath)
            SignalCleanup.unregister()
            throw ConversionError(.io, file: path, "close failed: " + systemErrorText(code))
        }
        if rename(temporaryPath, path) != 0 {
            let code = currentErrno
            unlink(temporaryPath)
            SignalCleanup.unregister()
            throw ConversionError(.cannotCreateOutput, file: path, "cannot rename the finished output into place: "
                                  + systemErrorText(code))
        }
        SignalCleanup.unregister()
    }

    /// Closes and removes the temporary file; the target is left as it was.
    public func discard() {
        guard !done else { return }
        done = true
        _ = sysClose(fd)
        if isDirect { return }
        unlink(temporaryPath)
        SignalCleanup.unregister()
    }
}

/// Removes the pending temporary output when a terminating signal arrives, then dies of that signal.
enum SignalCleanup {
    // Written only from the converting thread before/after the signal handlers may read it; the handler
    // reads a C string, which is async-signal-safe to pass to unlink(2).
    nonisolated(unsafe) private static var pending: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var installed = false

    static func register(_ path: String) {
        unregister()
        pending = strdup(path)
        guard !installed else { return }
        installed = true
        // A parent may have blocked these signals; a conversion must still be stoppable and clean up.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                if let path = SignalCleanup.pending { unlink(path) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func unregister() {
        let old = pending
        pending = nil
        free(old)
    }
}

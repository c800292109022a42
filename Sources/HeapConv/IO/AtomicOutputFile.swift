#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSignalGuard

/// An output file that appears under its name only when the conversion succeeds.
///
/// Where the bytes go depends on what the path leads to (``OutputDestination``): a regular file, existing
/// or not, is written to a hidden temporary file beside it (beside a symbolic link's final target, so the
/// link stays a link) and renamed over it by ``commit()``; the replaced file's permission bits (and, for
/// root, its owner) carry over. ``discard()`` removes the temporary file and leaves the target as it was.
/// If the process is interrupted (SIGINT, SIGTERM, SIGHUP) the temporary file is removed too, so `make`
/// never sees a half-written target; a signal the parent ignores (`nohup`) stays ignored, and a signal that
/// arrives during or after the final rename is swallowed, since the conversion has succeeded by then.
/// Devices, FIFOs and named descriptors (`/dev/stdout`, `/dev/fd/N`) are written directly.
public final class AtomicOutputFile {
    /// The path as the user gave it.
    public let path: String
    /// What the path leads to.
    public let destination: OutputDestination
    /// The temporary file being written; `nil` when writing directly.
    public let temporaryPath: String?
    public let fd: Int32
    /// The signal guard's slot for ``temporaryPath`` (-1: none).
    private let guardSlot: Int32
    private var done = false

    /// Whether bytes go straight to the destination instead of a temporary file.
    public var isDirect: Bool { temporaryPath == nil }

    /// Resolves `path` and opens what it leads to (a temporary file for regular files).
    public init(path: String) throws(ConversionError) {
        self.path = path
        destination = try OutputDestination.resolve(path)
        switch destination {
        case .descriptor(let number):
            let flags = fcntl(number, F_GETFL)
            guard flags >= 0 else {
                throw ConversionError(.cannotCreateOutput, file: path, "descriptor \(number) is not open")
            }
            guard flags & O_ACCMODE != O_RDONLY else {
                throw ConversionError(.cannotCreateOutput, file: path, "descriptor \(number) is open for reading only")
            }
            let copy = fcntl(number, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else {
                throw ConversionError(.cannotCreateOutput, file: path, "cannot use descriptor \(number): " + systemErrorText(currentErrno))
            }
            fd = copy
            temporaryPath = nil
            guardSlot = -1
        case .inPlace(let target):
            let opened = sysOpen(target, O_WRONLY | O_CLOEXEC)
            guard opened >= 0 else {
                throw ConversionError(.cannotCreateOutput, file: path, "cannot open: " + systemErrorText(currentErrno))
            }
            fd = opened
            temporaryPath = nil
            guardSlot = -1
        case .replace(let target):
            (fd, temporaryPath) = try Self.createTemporary(beside: target, naming: path)
            guardSlot = heapconv_guard_arm(temporaryPath!)
        }
    }

    /// Creates `.NAME.heapconv-PID-N.tmp` in `target`'s directory with the target's permission bits (and owner,
    /// for root) when the target exists.
    private static func createTemporary(beside target: String, naming path: String) throws(ConversionError) -> (Int32, String) {
        let directory = OutputDestination.directoryPart(of: target)
        let base = String(target.dropFirst(directory.count))
        var existing = stat()
        let replacing = stat(target, &existing) == 0
        var attempt = 0
        while true {
            let candidate = directory + "." + base + ".heapconv-\(getpid())-\(attempt).tmp"
            let fd = sysOpen(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                if replacing {
                    if geteuid() == 0 { _ = fchown(fd, existing.st_uid, existing.st_gid) }
                    _ = fchmod(fd, existing.st_mode & 0o7777)
                }
                return (fd, candidate)
            }
            let code = currentErrno
            guard code == EEXIST, attempt < 100 else {
                throw ConversionError(.cannotCreateOutput, file: path, "cannot create: " + systemErrorText(code))
            }
            attempt += 1
        }
    }

    deinit { discard() }

    /// Closes the output and, when it went to a temporary file, renames that over the target.
    public func commit() throws(ConversionError) {
        guard !done else { return }
        done = true
        if sysClose(fd) != 0 {
            let code = currentErrno
            removeTemporary()
            throw ConversionError(.io, file: path, "close failed: " + systemErrorText(code))
        }
        guard let temporaryPath, case .replace(let target) = destination else { return }
        heapconv_guard_begin_commit(guardSlot)
        let renamed = rename(temporaryPath, target) == 0
        let code = currentErrno
        heapconv_guard_end_commit(guardSlot, renamed ? 1 : 0)
        if !renamed {
            removeTemporary()
            throw ConversionError(.cannotCreateOutput, file: path, "cannot rename the finished output into place: "
                                  + systemErrorText(code))
        }
    }

    /// Closes and removes the temporary file; the target is left as it was.
    public func discard() {
        guard !done else { return }
        done = true
        _ = sysClose(fd)
        removeTemporary()
    }

    private func removeTemporary() {
        guard let temporaryPath else { return }
        unlink(temporaryPath)
        heapconv_guard_disarm(guardSlot)
    }

    /// Puts back the signal dispositions the process had before the first output file was created. The
    /// command line never needs it; a program that runs conversions and handles SIGINT, SIGTERM or SIGHUP
    /// itself calls it after each conversion.
    public static func restoreSignalHandling() {
        heapconv_guard_restore()
    }
}

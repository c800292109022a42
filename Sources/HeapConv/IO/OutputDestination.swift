#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an output path leads once its symbolic links are followed, which decides how it is written.
///
/// A link is never replaced: a regular file reached through links is written beside the link's final target
/// and renamed over that target, so the link keeps pointing at the new contents. Names of open descriptors
/// (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) are written through that descriptor, so a shell's
/// redirection (`> f`, `>> f`, a pipe) gets the bytes where it expects them; anything else that is not a
/// regular file (a device, a FIFO) is opened and written in place.
public enum OutputDestination: Equatable, Sendable {
    /// An open descriptor of this process, named by the path.
    case descriptor(Int32)
    /// An existing file that is not a regular file: written in place.
    case inPlace(String)
    /// A regular file, existing or not (the final target of any links): written beside it, then renamed.
    case replace(String)

    /// Symbolic links followed before giving up, as the kernel's own limit.
    static let linkLimit = 40

    /// Resolves `path`. Throws a cannot-create error for a directory, a link loop or an unreadable link.
    public static func resolve(_ path: String) throws(ConversionError) -> OutputDestination {
        var current = path
        for _ in 0..<linkLimit {
            if let fd = descriptorNumber(named: current) { return .descriptor(fd) }
            if current.hasSuffix("/") {
                throw ConversionError(.cannotCreateOutput, file: path, "is a directory")
            }
            var info = stat()
            guard lstat(current, &info) == 0 else {
                let code = currentErrno
                if code == ENOENT { return .replace(current) }
                throw ConversionError(.cannotCreateOutput, file: path, "cannot create: " + systemErrorText(code))
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                guard let target = readLink(current) else {
                    throw ConversionError(.cannotCreateOutput, file: path,
                                          "cannot read the symbolic link \(current): " + systemErrorText(currentErrno))
                }
                current = target.hasPrefix("/") ? target : directoryPart(of: current) + target
            case S_IFDIR:
                throw ConversionError(.cannotCreateOutput, file: path, "is a directory")
            case S_IFREG:
                return .replace(current)
            default:
                return .inPlace(current)
            }
        }
        throw ConversionError(.cannotCreateOutput, file: path, "too many levels of symbolic links")
    }

    /// The descriptor number a path names: `/dev/stdout` (1), `/dev/stderr` (2), `/dev/fd/N`,
    /// `/proc/self/fd/N`, `/proc/thread-self/fd/N` and `/proc/PID/fd/N` for this process's PID.
    static func descriptorNumber(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default: break
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.hasPrefix("/"), let last = parts.last, let number = Int32(last), number >= 0 else { return nil }
        if parts.count == 3, parts[0] == "dev", parts[1] == "fd" { return number }
        if parts.count == 4, parts[0] == "proc", parts[2] == "fd" {
            if parts[1] == "self" || parts[1] == "thread-self" || parts[1] == Substring(String(getpid())) { return number }
        }
        return nil
    }

    /// The directory part of `path` with its trailing slash, or `""` for a bare name.
    static func directoryPart(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// The target of the symbolic link at `path`, or `nil` with `errno` set.
    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count - 1) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A file's identity, device and inode, as `stat(2)` reports it after following links: two paths, or a path
/// and a descriptor, name the same file exactly when their identities are equal.
public struct FileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    /// Whether the file is a regular file (the only kind a conversion could destroy by writing it).
    public let isRegular: Bool

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        isRegular = info.st_mode & S_IFMT == S_IFREG
    }

    /// The identity of the file `path` leads to; `nil` when there is none (yet).
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The identity of the file open on `descriptor`; `nil` when it is not open.
    public init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The identity of a conversion's input or output as the user named it: `-` is standard input (`role`
    /// input) or output, names of descriptors are those descriptors.
    static func of(argument: String, standardDescriptor: Int32) -> FileIdentity? {
        if argument == "-" { return FileIdentity(descriptor: standardDescriptor) }
        if let fd = OutputDestination.descriptorNumber(named: argument) { return FileIdentity(descriptor: fd) }
        return FileIdentity(path: argument)
    }
}

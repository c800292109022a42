#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor with `read(2)`, retrying on `EINTR`. Closes the descriptor on ``close()`` only
/// when it owns it (not for standard input).
public final class FileDescriptorSource: ByteSource {
    public let fd: Int32
    let name: String
    let ownsDescriptor: Bool
    private var closed = false

    public init(fd: Int32, name: String, ownsDescriptor: Bool) {
        self.fd = fd
        self.name = name
        self.ownsDescriptor = ownsDescriptor
    }

    /// Opens `path` for reading (`-` is standard input, named `<stdin>`).
    public static func open(_ path: String) throws(ConversionError) -> FileDescriptorSource {
        if path == "-" { return FileDescriptorSource(fd: 0, name: "<stdin>", ownsDescriptor: false) }
        let fd = sysOpen(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConversionError(.cannotOpenInput, file: path, "cannot open: " + systemErrorText(errno))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            _ = sysClose(fd)
            throw ConversionError(.cannotOpenInput, file: path, "is a directory")
        }
        return FileDescriptorSource(fd: fd, name: path, ownsDescriptor: true)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = sysRead(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ConversionError(.io, file: name, "read failed: " + systemErrorText(errno))
        }
    }

    /// Closes the descriptor if this source owns it.
    public func close() {
        guard ownsDescriptor, !closed else { return }
        closed = true
        _ = sysClose(fd)
    }

    deinit { close() }
}

/// Writes to a file descriptor with `write(2)`, checking every result and retrying short writes and `EINTR`.
public final class FileDescriptorSink: ByteSink {
    public let fd: Int32
    let name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = sysWrite(fd, base, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw ConversionError(.io, file: name, "write failed: " + systemErrorText(errno))
            }
            remaining -= n
            base += n
        }
    }

    public func finish() throws(ConversionError) {}
}

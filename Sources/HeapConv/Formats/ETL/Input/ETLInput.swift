#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of an `.etl` file: the reader walks buffers in file order once, then reads
/// them again per processor, so it needs `pread`, not a stream.
protocol ETLInput: AnyObject {
    /// Total size in bytes.
    var size: UInt64 { get }
    /// Fills all of `buffer` with the bytes at `offset`, or throws (a short read is an I/O error: callers
    /// only ask for ranges inside ``size``).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError)
}

/// An `.etl` file read with `pread(2)`. Owns its descriptor and closes it on deinit.
///
/// Standard input (`-`) is first copied into an unlinked temporary file, because a pipe cannot be read at
/// random offsets; the copy disappears when the descriptor is closed.
final class FileETLInput: ETLInput {
    let fd: Int32
    let size: UInt64

    private init(fd: Int32, size: UInt64) {
        self.fd = fd
        self.size = size
    }

    deinit { _ = sysClose(fd) }

    /// Opens `path` (`-` is standard input, spooled to a temporary file).
    static func open(_ path: String) throws(ConversionError) -> FileETLInput {
        if path == "-" { return try spoolStandardInput() }
        let fd = sysOpen(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConversionError(.cannotOpenInput, file: path, "cannot open: " + systemErrorText(currentErrno))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let text = systemErrorText(currentErrno)
            _ = sysClose(fd)
            throw ConversionError(.cannotOpenInput, file: path, "cannot stat: " + text)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            _ = sysClose(fd)
            throw ConversionError(.cannotOpenInput, file: path, "is a directory")
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            // A FIFO or character device: copy it like standard input.
            defer { _ = sysClose(fd) }
            return try spool(from: fd, name: path)
        }
        return FileETLInput(fd: fd, size: UInt64(info.st_size))
    }

    private static func spoolStandardInput() throws(ConversionError) -> FileETLInput {
        try spool(from: 0, name: "<stdin>")
    }

    /// Copies everything readable from `source` into an unlinked file in `$TMPDIR` (or `/tmp`).
    static func spool(from source: Int32, name: String) throws(ConversionError) -> FileETLInput {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((directory + "/heapconv-etl-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw ConversionError(.io, file: name, "cannot create a temporary file in \(directory) to spool the input: "
                                  + systemErrorText(currentErrno))
        }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var total: UInt64 = 0
        while true {
            let n = sysRead(source, chunk.baseAddress!, chunk.count)
            if n == 0 { break }
            if n < 0 {
                if currentErrno == EINTR { continue }
                let text = systemErrorText(currentErrno)
                _ = sysClose(fd)
                throw ConversionError(.io, file: name, "read failed: " + text)
            }
            var written = 0
            while written < n {
                let w = sysWrite(fd, chunk.baseAddress! + written, n - written)
                if w < 0 {
                    if currentErrno == EINTR { continue }
                    let text = systemErrorText(currentErrno)
                    _ = sysClose(fd)
                    throw ConversionError(.io, file: name, "cannot spool the input to \(directory): " + text)
                }
                written += w
            }
            total += UInt64(n)
        }
        return FileETLInput(fd: fd, size: total)
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = sysPread(fd, base + done, buffer.count - done, Int(offset) + done)
            if n > 0 {
                done += n
            } else if n == 0 {
                throw ConversionError(.io, at: .offset(offset + UInt64(done)),
                                      "the file ended while reading (it was changed while being read?)")
            } else if currentErrno != EINTR {
                throw ConversionError(.io, at: .offset(offset + UInt64(done)), "read failed: " + systemErrorText(currentErrno))
            }
        }
    }
}

/// An `.etl` image in memory (tests, fuzzing).
final class MemoryETLInput: ETLInput {
    let bytes: [UInt8]
    var size: UInt64 { UInt64(bytes.count) }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) {
        guard offset <= UInt64(bytes.count), buffer.count <= bytes.count - Int(offset) else {
            throw ConversionError(.io, at: .offset(offset), "read past the end of the input")
        }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<Int(offset) + buffer.count]))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of an input whose format needs it: the `.etl` reader walks buffers in file
/// order once, then reads them again per processor; a Parquet reader starts from the footer at the end.
protocol RandomAccessInput: AnyObject {
    /// Total size in bytes.
    var size: UInt64 { get }
    /// Fills all of `buffer` with the bytes at `offset`, or throws (a short read is an I/O error: callers
    /// only ask for ranges inside ``size``).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError)
    /// Why the input was cut short before the reader saw it (a spooled stream under `--keep-going`), to be
    /// reported as a skipped problem; `nil` when it is whole.
    var truncation: ConversionError? { get }
}

extension RandomAccessInput {
    var truncation: ConversionError? { nil }
}

/// Checks a stream's bytes as they are spooled, so that a stream that is not of the expected format stops
/// at its first impossible structure instead of filling the disk (``StreamedBufferCheck`` for `.etl`).
protocol SpoolCheck {
    /// Takes the next bytes of the stream; returns the problem at the first impossible structure.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> ConversionError?
    /// Where the structure being checked starts: the spool is cut there under `--keep-going`.
    var headerOffset: UInt64 { get }
}

/// A file read with `pread(2)`. Owns its descriptor and closes it on deinit.
///
/// Standard input (`-`), FIFOs and devices are first copied into an unlinked temporary file in `$TMPDIR`,
/// because a pipe cannot be read at random offsets; the copy disappears when the descriptor is closed (or
/// the process ends, however it ends). A ``SpoolCheck`` may check the bytes as they arrive.
final class RandomAccessFile: RandomAccessInput {
    let fd: Int32
    let size: UInt64
    /// Why a spooled stream was cut short under `--keep-going`: the problem at the first impossible buffer
    /// header, where the spool ends.
    let truncation: ConversionError?

    private init(fd: Int32, size: UInt64, truncation: ConversionError? = nil) {
        self.fd = fd
        self.size = size
        self.truncation = truncation
    }

    deinit { _ = sysClose(fd) }

    /// Opens `path` (`-` is standard input, spooled to a temporary file, as are FIFOs and devices).
    /// With `keepGoing`, a spooled stream that `check` finds damaged is kept up to its first bad structure
    /// (see ``truncation``); without it, that structure is an error.
    static func open(_ path: String, keepGoing: Bool = false, check: (any SpoolCheck)? = nil) throws(ConversionError) -> RandomAccessFile {
        if path == "-" { return try spool(from: 0, name: "<stdin>", keepGoing: keepGoing, check: check) }
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
            return try spool(from: fd, name: path, keepGoing: keepGoing, check: check)
        }
        return RandomAccessFile(fd: fd, size: UInt64(info.st_size))
    }

    /// The folder spooled streams go to: `$TMPDIR`, else `/tmp`.
    static var spoolDirectory: String {
        guard let value = getenv("TMPDIR"), value.pointee != 0 else { return "/tmp" }
        return String(cString: value)
    }

    /// Copies `source` into an unlinked file in ``spoolDirectory``, with `check` checking the bytes on the way.
    static func spool(from source: Int32, name: String, keepGoing: Bool = false, check: (any SpoolCheck)? = nil) throws(ConversionError) -> RandomAccessFile {
        let directory = spoolDirectory
        var template = Array((directory + "/heapconv-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw ConversionError(.io, file: name, "cannot create a temporary file in \(directory) to spool the input: "
                                  + systemErrorText(currentErrno))
        }
        // Unlinked at once: the spool has no name to leave behind, whatever ends the process.
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var check = check
        var total: UInt64 = 0
        var truncation: ConversionError?
        while true {
            let n = sysRead(source, chunk.baseAddress!, chunk.count)
            if n == 0 { break }
            if n < 0 {
                if currentErrno == EINTR { continue }
                let text = systemErrorText(currentErrno)
                _ = sysClose(fd)
                throw ConversionError(.io, file: name, "read failed: " + text)
            }
            var keep = n
            if let problem = check?.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n])), let headerOffset = check?.headerOffset {
                guard keepGoing else {
                    _ = sysClose(fd)
                    throw problem.naming(name)
                }
                // Keep everything before the bad header; a stream cannot be searched for the next good one.
                keep = headerOffset > total ? Int(headerOffset - total) : 0
                truncation = ConversionError(.malformedInput, file: name, at: .offset(headerOffset),
                                             problem.message + "; the rest of the stream was not read")
            }
            var written = 0
            while written < keep {
                let w = sysWrite(fd, chunk.baseAddress! + written, keep - written)
                if w < 0 {
                    if currentErrno == EINTR { continue }
                    let text = systemErrorText(currentErrno)
                    _ = sysClose(fd)
                    throw ConversionError(.io, file: name, "cannot spool the input to \(directory): " + text)
                }
                written += w
            }
            total += UInt64(keep)
            if truncation != nil, let headerOffset = check?.headerOffset {
                // The bad header may have begun in an earlier chunk, already spooled.
                if total > headerOffset {
                    _ = ftruncate(fd, off_t(headerOffset))
                    total = headerOffset
                }
                break
            }
        }
        return RandomAccessFile(fd: fd, size: total, truncation: truncation)
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

/// An input in memory (tests, fuzzing).
final class MemoryInput: RandomAccessInput {
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

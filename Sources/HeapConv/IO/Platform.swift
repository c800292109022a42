#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin, unqualified names for the system calls the IO layer uses, so the rest of the code compiles on
// Linux (Glibc) and macOS (Darwin) alike without module-qualified calls.

@inline(__always) func sysOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
@inline(__always) func sysRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
@inline(__always) func sysPread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int) -> Int {
    pread(fd, buffer, count, off_t(offset))
}
@inline(__always) func sysWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
@inline(__always) func sysClose(_ fd: Int32) -> Int32 { close(fd) }

/// Processors online, at least 1.
func onlineProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// The text of a C `errno` value.
func systemErrorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// The current `errno`.
@inline(__always) var currentErrno: Int32 { errno }

/// Whether the descriptor is a terminal (for progress lines and colour).
public func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

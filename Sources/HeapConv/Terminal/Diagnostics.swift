#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-line messages on standard error, `heapconv: error: ...`, with the label in colour when standard
/// error is a terminal.
public enum Diagnostics {
    private static let colour = isTerminal(2) && getenv("NO_COLOR") == nil

    /// `heapconv: error: <message>`.
    public static func error(_ message: String) { emit("error", "\u{1B}[1;31m", message) }
    /// `heapconv: warning: <message>`.
    public static func warning(_ message: String) { emit("warning", "\u{1B}[1;33m", message) }
    /// `heapconv: <message>`.
    public static func note(_ message: String) { writeStderr("heapconv: " + message + "\n") }

    /// Reports what `--keep-going` skipped: a count, then one line per problem (at most 20).
    public static func skipped(_ problems: [ConversionError]) {
        warning("skipped \(problems.count) damaged part\(problems.count == 1 ? "" : "s") of the input; the output holds the rest")
        for problem in problems.prefix(20) { note("  skipped: " + problem.description) }
        if problems.count > 20 { note("  ... and \(problems.count - 20) more") }
    }

    private static func emit(_ label: String, _ ansi: String, _ message: String) {
        let tag = colour ? ansi + label + ":\u{1B}[0m" : label + ":"
        writeStderr("heapconv: " + tag + " " + message + "\n")
    }

    static func writeStderr(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var rest = UnsafeRawBufferPointer(utf8)
            while !rest.isEmpty {
                let n = sysWrite(2, rest.baseAddress!, rest.count)
                if n <= 0 { if n < 0 && currentErrno == EINTR { continue }; return }
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
        }
    }
}

/// Writes text to standard output, reporting a failed write (a closed pipe, a full disk) as an I/O error.
public enum StandardOutput {
    public static func write(_ text: inout String) throws(ConversionError) {
        let sink = FileDescriptorSink(fd: 1, name: "<stdout>")
        var failure: ConversionError?
        text.withUTF8 { utf8 in
            do throws(ConversionError) { try sink.write(UnsafeRawBufferPointer(utf8)) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// A progress line on standard error, redrawn at most four times a second: events so far and the rate.
public final class ProgressMeter {
    private let start = monotonicNanoseconds()
    private var lastDraw: UInt64 = 0
    private var drawn = false

    public init() {}

    public func update(events: UInt64) {
        let now = monotonicNanoseconds()
        guard now - lastDraw >= 250_000_000 else { return }
        lastDraw = now
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(events) / seconds : 0
        Diagnostics.writeStderr("\r\u{1B}[Kheapconv: \(Self.human(Double(events))) events, \(Self.human(rate)) events/s")
        drawn = true
    }

    /// Erases the progress line.
    public func clear() {
        if drawn { Diagnostics.writeStderr("\r\u{1B}[K") }
        drawn = false
    }

    static func human(_ value: Double) -> String {
        if value >= 1e6 { return String(Int(value / 1e5) / 10) + "." + String(Int(value / 1e5) % 10) + "M" }
        if value >= 1e3 { return String(Int(value / 1e2) / 10) + "." + String(Int(value / 1e2) % 10) + "k" }
        return String(Int(value))
    }
}

/// Nanoseconds of the monotonic clock.
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

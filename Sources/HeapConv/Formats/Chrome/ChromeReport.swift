/// What the Chrome writer tells the user at the end: how big the trace is, and the warnings that decide
/// whether it opens (viewer size limits, rows of lifetime slices, out-of-order input).
extension ChromeWriter {
    func makeReport(bytes: UInt64) -> [String] {
        var lines = ["chrome: \(Self.grouped(traceEvents)) trace events for \(Self.grouped(heapEvents)) heap events, "
                     + "\(Self.size(bytes)) of JSON"
                     + (heapEvents > 0 ? " (\(bytes / heapEvents) bytes per heap event)" : "")]
        lines += Self.viewerWarnings(bytes: bytes, instants: instants, lifetimes: selection)
        if lateEvents > 0 {
            lines.append("chrome: warning: \(Self.grouped(lateEvents)) event\(lateEvents == 1 ? " was" : "s were") earlier "
                         + "than an event before \(lateEvents == 1 ? "it" : "them") (by up to \(Self.duration(maximumLateness))) "
                         + "and \(lateEvents == 1 ? "is" : "are") drawn at that event's time to keep the trace sorted; "
                         + "sort the input by time for exact times")
        }
        if hasOrigin, UInt64(bitPattern: latest &- origin) > Self.exactDoubleLimit {
            lines.append("chrome: warning: the trace spans \(Self.duration(UInt64(bitPattern: latest &- origin))); "
                         + "past 104 days the viewers' doubles lose sub-microsecond precision")
        }
        lines += concurrencyWarnings()
        return lines
    }

    /// Warnings for a file of `bytes` bytes of JSON past what the viewers load, with the ways to make it
    /// smaller that apply to a trace written with `instants` and `lifetimes`.
    static func viewerWarnings(bytes: UInt64, instants: Bool = true, lifetimes: LifetimeSelection = .none) -> [String] {
        var ways = ["keep fewer events with --pid, --heap, --event or --since/--until"]
        if instants { ways.append("leave out the instants with --no-instants") }
        switch lifetimes {
        case .all: ways.append("draw fewer lifetimes with --lifetimes leaks or large:BYTES")
        case .large: ways.append("draw fewer lifetimes with a larger --lifetimes large:BYTES")
        case .leaks, .none: break
        }
        let smaller = ways.joined(separator: ", ")
        if bytes > perfettoUILimit {
            return ["chrome: warning: \(size(bytes)) of JSON is more than the Perfetto web UI loads (about 1 GB) "
                    + "and chrome://tracing (512 MiB): \(smaller); or open it in Perfetto through a native "
                    + "trace_processor (trace_processor --httpd)"]
        }
        if bytes > catapultLimit {
            return ["chrome: warning: \(size(bytes)) of JSON is more than chrome://tracing loads (512 MiB); "
                    + "open it at ui.perfetto.dev, or \(smaller)"]
        }
        return []
    }

    /// One warning per heap (the five worst) whose lifetime slices need more rows than a viewer shows well.
    private func concurrencyWarnings() -> [String] {
        guard lifetimesEnabled else { return [] }
        let crowded = lifetimes.rowsNeeded().filter { $0.value > Self.concurrentSlicesWarning }
            .sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var lines = crowded.prefix(5).map { key, count in
            "chrome: warning: heap 0x\(String(key.heap, radix: 16)) of process \(key.processID) has "
                + "\(Self.grouped(UInt64(count))) \(lifetimes.leaksOnly ? "leaked blocks" : "lifetime slices open at once"), "
                + "one row each in the viewers; draw fewer with --lifetimes large:BYTES, --heap or --since/--until"
        }
        if crowded.count > 5 {
            lines.append("chrome: warning: ... and \(crowded.count - 5) more heaps with over \(Self.concurrentSlicesWarning) rows of lifetime slices")
        }
        return lines
    }

    /// `1234567` → `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// `5_872_026` → `5.6 MiB`.
    static func size(_ bytes: UInt64) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return oneDecimal(value) + " " + units[unit]
    }

    /// Nanoseconds as `750 ns`, `12.5 µs`, `3.2 ms`, `4.0 s`, `2.5 h` or `3.1 days`.
    static func duration(_ ns: UInt64) -> String {
        let value = Double(ns)
        switch ns {
        case ..<1_000: return "\(ns) ns"
        case ..<1_000_000: return oneDecimal(value / 1e3) + " µs"
        case ..<1_000_000_000: return oneDecimal(value / 1e6) + " ms"
        case ..<3_600_000_000_000: return oneDecimal(value / 1e9) + " s"
        case ..<86_400_000_000_000: return oneDecimal(value / 3.6e12) + " h"
        default: return oneDecimal(value / 8.64e13) + " days"
        }
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = UInt64((value * 10).rounded())
        return String(tenths / 10) + "." + String(tenths % 10)
    }
}

extension InfoValue {
    /// Compact JSON for the Chrome trace's `metadata`: like ``json``, except that integers past 2^53,
    /// which both importers would round, are written as strings.
    var chromeJSON: String {
        switch self {
        case .int(let v): v.magnitude <= ChromeWriter.exactDoubleLimit ? String(v) : Self.quote(String(v))
        case .uint(let v): v <= ChromeWriter.exactDoubleLimit ? String(v) : Self.quote(String(v))
        case .bool(let v): v ? "true" : "false"
        case .string(let s): Self.quote(s)
        case .array(let items): "[" + items.map(\.chromeJSON).joined(separator: ",") + "]"
        case .object(let entries):
            "{" + entries.map { Self.quote($0.0) + ":" + $0.1.chromeJSON }.joined(separator: ",") + "}"
        }
    }
}

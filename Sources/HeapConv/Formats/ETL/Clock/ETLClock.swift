/// Converts raw event timestamps into UTC nanoseconds since the Unix epoch, exactly and without floating
/// point (FORMAT.md §4):
///
///     unix_ns(StartTime) + floor((ticks − ticks_of_the_log_file_header_record) × 1_000_000_000 / frequency)
///
/// The header record is the sync point both PerfView and dissect use: its ticks correspond to `StartTime`.
struct ETLClock: Equatable {
    /// What the session's raw timestamps count (`ReservedFlags` of the log-file header).
    enum Source: Equatable {
        /// `QueryPerformanceCounter` ticks at `PerfFreq` (clock type 1; 0 means the default, QPC).
        case queryPerformanceCounter
        /// System time in 100 ns units (clock type 2).
        case systemTime
        /// CPU cycles at `CpuSpeedInMHz` (clock type 3).
        case cpuCycles

        var name: String {
            switch self {
            case .queryPerformanceCounter: "QPC"
            case .systemTime: "system time"
            case .cpuCycles: "CPU cycles"
            }
        }
    }

    let source: Source
    /// Ticks per second, > 0.
    let frequency: Int64
    /// `StartTime` as Unix nanoseconds.
    let startUnixNanoseconds: Int64
    /// The raw timestamp of the log-file header record.
    let referenceTicks: Int64
    /// `1e9 / frequency` when that is a whole number (10 MHz → 100): a multiplication is then exact.
    private let nanosecondsPerTick: Int64?

    init(source: Source, frequency: Int64, startUnixNanoseconds: Int64, referenceTicks: Int64) {
        precondition(frequency > 0)
        self.source = source
        self.frequency = frequency
        self.startUnixNanoseconds = startUnixNanoseconds
        self.referenceTicks = referenceTicks
        nanosecondsPerTick = 1_000_000_000 % frequency == 0 ? 1_000_000_000 / frequency : nil
    }

    /// Unix nanoseconds of `ticks`; `nil` when the result does not fit in an `Int64`.
    @inline(__always)
    func unixNanoseconds(ticks: Int64) -> Int64? {
        let (delta, o1) = ticks.subtractingReportingOverflow(referenceTicks)
        if o1 { return nil }
        let elapsed: Int64
        if let step = nanosecondsPerTick {
            let (ns, o2) = delta.multipliedReportingOverflow(by: step)
            if o2 { return nil }
            elapsed = ns
        } else {
            guard let ns = Self.floorScale(delta, frequency) else { return nil }
            elapsed = ns
        }
        let (total, o3) = startUnixNanoseconds.addingReportingOverflow(elapsed)
        return o3 ? nil : total
    }

    /// `floor(delta × 1e9 / frequency)`, or `nil` on overflow.
    static func floorScale(_ delta: Int64, _ frequency: Int64) -> Int64? {
        var (q, r) = delta.quotientAndRemainder(dividingBy: frequency)
        if r < 0 {
            q -= 1
            r += frequency
        }
        // 0 <= r < frequency, so r × 1e9 / frequency < 1e9; a full-width product never overflows the quotient.
        let product = UInt64(r).multipliedFullWidth(by: 1_000_000_000)
        let (fraction, _) = UInt64(frequency).dividingFullWidth(product)
        let (whole, o1) = q.multipliedReportingOverflow(by: 1_000_000_000)
        if o1 { return nil }
        let (sum, o2) = whole.addingReportingOverflow(Int64(fraction))
        return o2 ? nil : sum
    }
}

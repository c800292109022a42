/// Everything a conversion can be asked to do; each reader and writer takes what concerns it.
public struct ConversionOptions: Sendable {
    /// Input path (`-` is standard input).
    public var inputPath: String
    /// Output path (`-` is standard output).
    public var outputPath: String
    /// Format name overriding the input's extension (`--from`).
    public var inputFormat: String?
    /// Format name overriding the output's extension (`--to`).
    public var outputFormat: String?
    /// Which events to keep.
    public var filter = EventFilter()
    /// Recover what intact parts of a damaged input hold instead of stopping at the first problem.
    public var keepGoing = false
    /// Keep the input's physical order instead of merging into time order (`.etl`).
    public var fileOrder = false
    /// zlib level for compressed outputs (1 fastest ... 9 smallest); `nil` leaves it to the output format
    /// (``FormatEntry/gzipSettings``: 6 for `.gz` outputs, Huffman-only coding for `.heapcol`).
    public var compressionLevel: Int32?
    /// Chrome trace: which block lifetimes to draw as async slices.
    public var lifetimes: LifetimeSelection = .none
    /// Chrome trace: leave out the per-event instants.
    public var noInstants = false
    /// Print nothing but errors.
    public var quiet = false
    /// Print a progress line (when standard error is a terminal).
    public var progress = false

    public init(inputPath: String, outputPath: String) {
        self.inputPath = inputPath
        self.outputPath = outputPath
    }
}

/// Which heap blocks a Chrome trace draws as async slices from allocation to free.
public enum LifetimeSelection: Equatable, Sendable {
    case none
    /// Only blocks still alive at the end of the trace.
    case leaks
    /// Blocks of at least this many bytes.
    case large(UInt64)
    case all

    /// Parses `none`, `leaks`, `all` or `large:BYTES`.
    public init?(argument: String) {
        switch argument {
        case "none": self = .none
        case "leaks": self = .leaks
        case "all": self = .all
        default:
            guard argument.hasPrefix("large:"), let bytes = UInt64(argument.dropFirst(6)) else { return nil }
            self = .large(bytes)
        }
    }
}

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
    /// JSON Lines and CSV: add each heap event's stack as `module+0xoffset` names (`frames`).
    public var frames = false
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

/// An option that only some formats take. Each ``FormatEntry`` lists those its reader or writer takes, so
/// that an option given to a conversion whose formats ignore it is a usage error, never silently dropped.
public enum FormatOption: String, Sendable, CaseIterable {
    case lifetimes = "--lifetimes"
    case noInstants = "--no-instants"
    case keepGoing = "--keep-going"
    case fileOrder = "--file-order"
    case frames = "--frames"

    /// Whether the input's reader takes the option (else the output's writer).
    public var isReaderOption: Bool { self == .keepGoing || self == .fileOrder }
}

extension ConversionOptions {
    /// The format-specific options these options set.
    public var formatOptions: [FormatOption] {
        var set: [FormatOption] = []
        if lifetimes != .none { set.append(.lifetimes) }
        if noInstants { set.append(.noInstants) }
        if keepGoing { set.append(.keepGoing) }
        if fileOrder { set.append(.fileOrder) }
        if frames { set.append(.frames) }
        return set
    }

    /// Throws a usage error for an option the formats would ignore: a format-specific option neither
    /// format takes, or `--level` on an output that is not compressed. `output` is `nil` for `info`.
    func checkApplicable(input: FormatEntry, output: (format: FormatEntry, gzip: Bool)?) throws(ConversionError) {
        for option in formatOptions where option.isReaderOption || output != nil {
            let format = option.isReaderOption ? input : output!.format
            guard !format.options.contains(option) else { continue }
            let takers = FormatRegistry.all.filter { $0.options.contains(option) }.map(\.name).joined(separator: ", ")
            let role = option.isReaderOption ? "input" : "output"
            let path = option.isReaderOption ? inputPath : outputPath
            throw ConversionError(.usage, "\(option.rawValue) applies to \(takers) \(role) only, not \(format.name)"
                                  + (path == "-" ? "" : " (\(path))"))
        }
        if let level = compressionLevel, let output {
            if !output.gzip && !output.format.writesGzip && !output.format.compressesItself {
                let compressed = FormatRegistry.all.filter { $0.writesGzip || $0.compressesItself }.map(\.name)
                throw ConversionError(.usage, "--level applies to compressed outputs only (.gz, \(compressed.joined(separator: ", "))), not "
                                      + (outputPath == "-" ? "uncompressed \(output.format.name)" : outputPath))
            }
            if level == 0 && !output.format.compressesItself {
                let takers = FormatRegistry.all.filter(\.compressesItself).map(\.name).joined(separator: ", ")
                throw ConversionError(.usage, "--level 0 (uncompressed) applies to \(takers) output only; use 1 to 9")
            }
        }
    }
}

/// How a reader is set up: where its input is and what the user asked for.
public struct ReaderContext {
    /// The path as given (`-` is standard input).
    public let path: String
    /// The name errors use (`<stdin>` for `-`).
    public let name: String
    /// Whether the input is gzip-compressed (its name ends in `.gz`).
    public let gzip: Bool
    public let options: ConversionOptions

    /// Opens the input for sequential reading, decompressing it on a thread of its own when it is gzip'd.
    public func openSequential() throws(ConversionError) -> any ByteSource {
        let file = try FileDescriptorSource.open(path)
        return gzip ? ThreadedSource(try GzipSource(file, name: name)) : file
    }
}

/// How a writer is set up: its output buffer and what it may say about the input.
public struct WriterContext {
    /// Where the writer formats its bytes.
    public let output: OutputBuffer
    /// The output's name, for messages.
    public let name: String
    /// The input's name, for writers that record where their events came from.
    public let inputName: String
    /// Facts the reader knows about its input (clock, pointer size, ...), if any.
    public let inputFacts: InfoValue?
    public let options: ConversionOptions
}

/// One format heapconv knows: its name, the file extensions it is inferred from, and how to make its
/// reader and writer. A format that cannot be read or written leaves that factory `nil`.
public struct FormatEntry: Sendable {
    /// The name `--from` and `--to` take.
    public let name: String
    /// Lower-case extensions without the dot, longest first where they overlap.
    public let extensions: [String]
    /// Whether `name.gz` is this format gzip-compressed.
    public let allowsGzip: Bool
    /// Whether the writer's output is always one gzip stream (the file's own design, not a `.gz` suffix).
    public let writesGzip: Bool
    /// Whether the writer compresses parts of its output itself (Parquet pages): `--level` applies, and
    /// `--level 0` leaves them uncompressed.
    public let compressesItself: Bool
    /// Whether this format's writer takes more time per event than any reader, so that its thread is the
    /// conversion's bottleneck (Chrome JSON): the system calls writing its output then get a thread of their
    /// own. Where both threads are busy (JSON Lines from `.etl`) that extra thread slows the conversion.
    public let writerIsHeavy: Bool
    /// Whether this format's reader takes less time per event than any writer (a column decoder): the
    /// writer's system calls then get a thread of their own, as for ``writerIsHeavy``.
    public let readerIsLight: Bool
    /// A line for `--help`.
    public let summary: String
    /// Why an input of this format may hold no event, for the warning of an empty conversion (`nil`: it
    /// simply holds none).
    public let emptyHint: String?
    /// The format-specific options this format's reader or writer takes; any other is an error.
    public let options: Set<FormatOption>
    public let makeReader: (@Sendable (ReaderContext) throws(ConversionError) -> any EventReader)?
    public let makeWriter: (@Sendable (WriterContext) throws(ConversionError) -> any EventWriter)?
    /// How this format's gzip'd output is compressed, given `--level` (`nil` when not given).
    public let gzipSettings: @Sendable (Int32?) -> GzipSettings

    public init(
        name: String, extensions: [String], allowsGzip: Bool, writesGzip: Bool = false, compressesItself: Bool = false,
        writerIsHeavy: Bool = false, readerIsLight: Bool = false, summary: String, emptyHint: String? = nil,
        options: Set<FormatOption> = [],
        makeReader: (@Sendable (ReaderContext) throws(ConversionError) -> any EventReader)?,
        makeWriter: (@Sendable (WriterContext) throws(ConversionError) -> any EventWriter)?,
        gzipSettings: @escaping @Sendable (Int32?) -> GzipSettings = { GzipSettings(level: $0 ?? 6) }
    ) {
        self.name = name
        self.extensions = extensions
        self.allowsGzip = allowsGzip
        self.writesGzip = writesGzip
        self.compressesItself = compressesItself
        self.writerIsHeavy = writerIsHeavy
        self.readerIsLight = readerIsLight
        self.summary = summary
        self.emptyHint = emptyHint
        self.options = options
        self.makeReader = makeReader
        self.makeWriter = makeWriter
        self.gzipSettings = gzipSettings
    }
}

/// zlib level and strategy for a compressed output.
public struct GzipSettings: Sendable, Equatable {
    public var level: Int32
    public var strategy: GzipStrategy

    public init(level: Int32, strategy: GzipStrategy = .standard) {
        self.level = level
        self.strategy = strategy
    }
}

/// The formats heapconv knows, by name and extension. Each format registers here in one line; no format
/// knows another.
public enum FormatRegistry {
    public static let all: [FormatEntry] = [
        JSONLinesFormat.entry,
        CSVFormat.entry,
        ETLFormat.entry,
        ChromeFormat.entry,
        HeapColFormat.entry,
        PprofFormat.entry,
        ParquetFormat.entry,
    ]

    /// The format called `name` (case-insensitive; `ndjson` is JSON Lines).
    public static func named(_ name: String) -> FormatEntry? {
        let lower = name.lowercased()
        return all.first { $0.name == lower || $0.extensions.contains(lower) }
    }

    /// The names of the formats heapconv reads (`role` input) or writes.
    static func names(for role: String) -> String {
        all.filter { role == "input" ? $0.makeReader != nil : $0.makeWriter != nil }.map(\.name).joined(separator: ", ")
    }

    /// `format`'s reader factory, or the error saying heapconv cannot read it (naming `path`).
    static func reader(of format: FormatEntry, path: String) throws(ConversionError) -> @Sendable (ReaderContext) throws(ConversionError) -> any EventReader {
        guard let make = format.makeReader else {
            throw ConversionError(.unsupported, file: path == "-" ? nil : path,
                                  "heapconv cannot read \(format.name) files; it reads \(names(for: "input"))")
        }
        return make
    }

    /// `format`'s writer factory, or the error saying heapconv cannot write it (naming `path`).
    static func writer(of format: FormatEntry, path: String) throws(ConversionError) -> @Sendable (WriterContext) throws(ConversionError) -> any EventWriter {
        guard let make = format.makeWriter else {
            throw ConversionError(.unsupported, file: path == "-" ? nil : path,
                                  "heapconv cannot write \(format.name) files; it writes \(names(for: "output"))")
        }
        return make
    }

    /// The format and compression of `path`, from `override` when given, else from its extension.
    public static func resolve(path: String, override: String?, role: String) throws(ConversionError) -> (FormatEntry, gzip: Bool) {
        let lower = path.lowercased()
        let gzip = lower.hasSuffix(".gz")
        let stem = gzip ? String(lower.dropLast(3)) : lower
        if let override {
            // `csv.gz` names a format and gzip compression at once (for standard input and output).
            let gzipOverride = override.lowercased().hasSuffix(".gz")
            let name = gzipOverride ? String(override.dropLast(3)) : override
            guard let format = named(name) else {
                throw ConversionError(.usage, "unknown \(role) format \"\(override)\"; heapconv \(role == "input" ? "reads" : "writes") "
                                      + names(for: role) + " (add .gz for gzip: csv.gz)")
            }
            if gzipOverride && !format.allowsGzip {
                throw ConversionError(.usage, format.writesGzip
                                      ? "\(format.name) is gzip-compressed already: pass --\(role == "input" ? "from" : "to") \(format.name)"
                                      : "\(format.name) cannot be gzip-compressed")
            }
            return (format, (gzip || gzipOverride) && !format.writesGzip)
        }
        if path == "-" {
            throw ConversionError(.usage, "cannot infer the \(role) format of standard \(role == "input" ? "input" : "output"); pass --\(role == "input" ? "from" : "to") FORMAT")
        }
        // Formats that are gzip by design may name `.gz` in their extension (`.pb.gz`).
        for format in all where format.writesGzip {
            for ext in format.extensions where ext.hasSuffix(".gz") && lower.hasSuffix("." + ext) { return (format, false) }
        }
        for format in all {
            for ext in format.extensions where stem.hasSuffix("." + ext) {
                if gzip && !format.allowsGzip {
                    throw ConversionError(.usage, file: path, "\(format.name) files cannot be .gz-compressed")
                }
                return (format, gzip)
            }
        }
        throw ConversionError(.usage, file: path, "cannot infer the \(role) format from the file name; pass --\(role == "input" ? "from" : "to") with one of: "
                              + names(for: role))
    }
}

/// Why a conversion failed, where, and with which exit status: one line a user can act on.
///
/// Readers throw it with a ``Location`` and let ``Conversion`` fill in the file name; its ``description``
/// reads like a compiler diagnostic: `trace.csv:12:7: expected an integer in "size", found "x"` or
/// `trace.etl: offset 0x1a2b0: record size 0x9000 runs past the buffer end 0x10000`.
public struct ConversionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, which decides the exit status.
    public enum Kind: Sendable, Equatable {
        /// The command line is wrong (64).
        case usage
        /// The input is not what its format says (65).
        case malformedInput
        /// The input cannot be opened or read from the start (66).
        case cannotOpenInput
        /// The format exists in the design but is not built yet (69).
        case unsupported
        /// The output cannot be created (73).
        case cannotCreateOutput
        /// Reading or writing failed part way (74).
        case io
        /// A bug in heapconv (70).
        case `internal`
    }

    /// Where in the input the problem is.
    public enum Location: Sendable, Equatable {
        /// A text position: 1-based line and, when known, 1-based column.
        case line(Int, column: Int? = nil)
        /// A byte offset from the start of the (uncompressed) input.
        case offset(UInt64)
    }

    public var kind: Kind
    /// The file the problem is in, as the user named it (`<stdin>` for `-`).
    public var file: String?
    public var location: Location?
    public var message: String

    public init(_ kind: Kind, file: String? = nil, at location: Location? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.location = location
        self.message = message
    }

    /// The process exit status for this error, in the sysexits style.
    public var exitStatus: Int32 {
        switch kind {
        case .usage: 64
        case .malformedInput: 65
        case .cannotOpenInput: 66
        case .unsupported: 69
        case .internal: 70
        case .cannotCreateOutput: 73
        case .io: 74
        }
    }

    /// A copy that names `file` unless it already names one.
    public func naming(_ file: String) -> ConversionError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }

    public var description: String {
        var text = ""
        if let file { text += file }
        switch location {
        case .line(let line, let column)?:
            text += (file == nil ? "line " : ":") + String(line)
            if let column { text += ":" + String(column) }
            text += ": "
        case .offset(let offset)?:
            text += (file == nil ? "" : ": ") + "offset 0x" + String(offset, radix: 16) + ": "
        case nil:
            if file != nil { text += ": " }
        }
        return text + message
    }
}

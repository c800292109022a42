#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable window over a ``ByteSource`` for the text readers: they look at the bytes not yet consumed,
/// consume what they parsed, and ask for more when a record runs past the window.
///
/// The window grows for long records up to ``maximumRecordSize``; beyond that the reader reports the record
/// as too long instead of using unbounded memory.
public final class InputBuffer {
    // Unchecked: one reader on one thread owns the buffer, and no method holds an access to these across a
    // call that could touch them again; dynamic exclusivity checks would run for every line.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    private var source: any ByteSource
    /// Whether the source has reported its end.
    public private(set) var atEnd = false
    /// Bytes consumed before the current window start (the offset of ``available``'s first byte).
    @exclusivity(unchecked) public private(set) var consumedBytes: UInt64 = 0
    /// The longest record a reader may need to see whole.
    public let maximumRecordSize: Int

    public init(source: any ByteSource, capacity: Int = 1 << 20, maximumRecordSize: Int = 64 << 20) {
        self.source = source
        storage = .allocate(byteCount: capacity, alignment: 16)
        self.maximumRecordSize = maximumRecordSize
    }

    deinit { storage.deallocate() }

    /// Starts over on `source`, keeping the storage: a parser reads chunk after chunk through one buffer.
    public func restart(source: any ByteSource) {
        self.source = source
        start = 0
        end = 0
        atEnd = false
        consumedBytes = 0
    }

    /// The bytes read but not consumed yet.
    @inline(__always)
    public var available: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<end])
    }

    /// Marks the first `n` available bytes as consumed.
    @inline(__always)
    public func consume(_ n: Int) {
        precondition(n >= 0 && n <= end - start)
        start += n
        consumedBytes += UInt64(n)
    }

    /// Reads more input after the available bytes, moving or growing the window as needed. Returns `false`
    /// at the end of the input (nothing was added). Throws when the available bytes already fill
    /// ``maximumRecordSize``.
    public func fill() throws(ConversionError) -> Bool {
        if atEnd { return false }
        if start > 0 && (end == storage.count || start > storage.count / 2) {
            let live = end - start
            if live > 0 {
                memmove(storage.baseAddress!, storage.baseAddress! + start, live)
            }
            start = 0
            end = live
        }
        if end == storage.count {
            guard storage.count < maximumRecordSize else {
                throw ConversionError(.malformedInput, at: .offset(consumedBytes),
                                      "record longer than \(maximumRecordSize >> 20) MiB")
            }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(storage.count * 2, maximumRecordSize),
                                                                alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[start..<end]))
            end -= start
            start = 0
            storage.deallocate()
            storage = bigger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        if n == 0 {
            atEnd = true
            return false
        }
        end += n
        return true
    }

    /// The next line without its terminator (`\n`, or `\r\n`), consuming it; `nil` at the end of the input.
    /// A last line without a terminator is returned too. The bytes stay valid until the next call.
    public func nextLine() throws(ConversionError) -> UnsafeRawBufferPointer? {
        var searched = 0
        while true {
            let window = available
            if let base = window.baseAddress, window.count > searched,
               let hit = memchr(base + searched, 0x0A, window.count - searched) {
                let length = base.distance(to: UnsafeRawPointer(hit))
                var line = UnsafeRawBufferPointer(rebasing: window[0..<length])
                if length > 0 && line[length - 1] == 0x0D { line = UnsafeRawBufferPointer(rebasing: line[0..<length - 1]) }
                consume(length + 1)
                return line
            }
            searched = window.count
            if try !fill() {
                let rest = available
                if rest.isEmpty { return nil }
                consume(rest.count)
                var line = rest
                if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line[0..<line.count - 1]) }
                return line
            }
            // `fill` may have moved the window; `searched` counts from its start, which is unchanged.
        }
    }

    /// Whether a CSV line segment that starts inside quotes (`inQuotes`) or at a cell start ends inside quotes.
    /// As in RFC 4180 a quote opens a quoted cell only at the cell's start, and `""` inside one is a quote: a
    /// stray quote in a bare cell changes nothing, so the row still ends at its line break and the parser
    /// reports it there instead of the chunk running on to the next quote.
    static func quoteState(_ segment: UnsafeRawBufferPointer, _ inQuotes: Bool) -> Bool {
        var inQuotes = inQuotes
        var cellStart = !inQuotes
        var justClosed = false
        for b in segment {
            if inQuotes {
                if b == 0x22 {
                    inQuotes = false
                    justClosed = true
                }
            } else if b == 0x22 {
                // An opening quote, or the second quote of a `""` inside a quoted cell.
                if cellStart || justClosed { inQuotes = true }
                cellStart = false
                justClosed = false
            } else {
                cellStart = b == 0x2C
                justClosed = false
            }
        }
        return inQuotes
    }

    /// Up to `maximum` whole records (terminators included), consuming them, and how many lines they
    /// span; `nil` at the end of the input. A record is a line, or with `quoted` (CSV) a run of lines until
    /// a line break outside double quotes. Fewer records come back when the window ends first, so that a
    /// chunk never waits for more input while it has records to hand out. What is left at the end of the
    /// input (a last line without a terminator, or an unterminated quote) comes back as a chunk of its own.
    /// The bytes stay valid until the next call.
    public func takeRecords(maximum: Int, quoted: Bool = false) throws(ConversionError) -> (bytes: UnsafeRawBufferPointer, lines: Int)? {
        precondition(maximum > 0)
        var records = 0
        var lines = 0
        var cut = 0
        var linesAtCut = 0
        var scanned = 0
        var inQuotes = false
        while true {
            let window = available
            if let base = window.baseAddress {
                while records < maximum, scanned < window.count {
                    guard let hit = memchr(base + scanned, 0x0A, window.count - scanned) else { break }
                    let newline = base.distance(to: UnsafeRawPointer(hit))
                    // Quotes between here and the line break decide whether it ends a record.
                    if quoted, inQuotes || memchr(base + scanned, 0x22, newline - scanned) != nil {
                        inQuotes = Self.quoteState(UnsafeRawBufferPointer(rebasing: window[scanned..<newline]), inQuotes)
                    }
                    lines += 1
                    scanned = newline + 1
                    if !inQuotes {
                        records += 1
                        cut = scanned
                        linesAtCut = lines
                    }
                }
                // A partial line after `scanned` is scanned again once the rest of it has arrived.
            }
            if records > 0 {
                // Hand out what is whole now rather than move the window under it.
                consume(cut)
                return (UnsafeRawBufferPointer(rebasing: window[0..<cut]), linesAtCut)
            }
            if try !fill() {
                let rest = available
                if rest.isEmpty { return nil }
                consume(rest.count)
                return (rest, 1)
            }
            // `fill` may have moved the window; offsets count from its start, which is unchanged.
        }
    }
}

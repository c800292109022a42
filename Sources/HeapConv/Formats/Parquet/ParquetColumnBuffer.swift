/// One column's values in the row group being gathered: which rows have a value (a bitmap, so that rows
/// without one cost nothing), and the values of those that do. A struct kept in an array: a class's
/// stored arrays would be checked for exclusive access at run time on every append (a sixth of the
/// writer's time).
struct ParquetColumnBuffer {
    let column: ParquetColumn
    /// Bit `r % 64` of word `r / 64`: row `r` has a value (optional columns).
    private(set) var present: [UInt64]
    /// Integer values (or codes of the named text columns: event kinds, states, sources), present rows only.
    var integers: [UInt64] = []
    /// Text values: their bytes back to back and where each ends.
    var textBytes: [UInt8] = []
    var textEnds: [UInt32] = []
    /// Frames column: the number of frames of each present row (0 for an empty stack), and the frames.
    var listLengths: [UInt32] = []

    init(_ column: ParquetColumn, capacity: Int) {
        self.column = column
        present = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    @inline(__always)
    mutating func mark(_ row: Int) {
        present[row >> 6] |= 1 << UInt64(row & 63)
    }

    @inline(__always)
    mutating func append(_ value: UInt64, row: Int) {
        mark(row)
        integers.append(value)
    }

    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, row: Int) {
        mark(row)
        textBytes.append(contentsOf: bytes)
        textEnds.append(UInt32(textBytes.count))
    }

    mutating func appendText(_ bytes: some Collection<UInt8>, row: Int) {
        mark(row)
        textBytes.append(contentsOf: bytes)
        textEnds.append(UInt32(textBytes.count))
    }

    @inline(__always)
    mutating func appendFrames(_ frames: UnsafeBufferPointer<UInt64>, row: Int) {
        mark(row)
        listLengths.append(UInt32(frames.count))
        integers.append(contentsOf: frames)
    }

    /// Empties the buffer for the next row group, keeping the storage.
    mutating func reset() {
        for i in present.indices { present[i] = 0 }
        integers.removeAll(keepingCapacity: true)
        textBytes.removeAll(keepingCapacity: true)
        textEnds.removeAll(keepingCapacity: true)
        listLengths.removeAll(keepingCapacity: true)
    }

    /// Whether row `row` has a value.
    @inline(__always)
    func has(_ row: Int) -> Bool { present[row >> 6] & (1 << UInt64(row & 63)) != 0 }

    /// Present values among rows `first..<end` (`first` a multiple of 64).
    func presentCount(from first: Int, to end: Int) -> Int {
        var n = 0
        for w in first / 64..<end / 64 { n += present[w].nonzeroBitCount }
        if end % 64 != 0 { n += (present[end / 64] & ((1 << UInt64(end % 64)) - 1)).nonzeroBitCount }
        return n
    }

    /// Calls `body` with the presence bitmap's words.
    func withPresentBits(_ body: (UnsafeBufferPointer<UInt64>) -> Void) {
        present.withUnsafeBufferPointer(body)
    }
}

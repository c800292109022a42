/// A buffer the second pass reads again: one holding heap events or stack fragments. 24 bytes, so that the
/// index stays small next to the file (0.04 % of it with 64 KiB buffers); the header is read again with the
/// buffer.
struct BufferEntry {
    var fileOffset: UInt64
    /// Where the first pass stopped walking (the data end, or a damaged record skipped under `--keep-going`).
    var walkEnd: UInt32
    /// Position of the buffer in the file (0 = header buffer), for ordering records with equal timestamps.
    var ordinal: UInt32
    var processor: UInt16

    /// File order of a record at `position` in this buffer: buffer ordinal, then position.
    @inline(__always)
    func order(of position: Int) -> UInt64 { UInt64(ordinal) << 32 | UInt64(UInt32(truncatingIfNeeded: position)) }
}

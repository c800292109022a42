/// A growable, reused byte area for buffers read from the file or decompressed into: allocated once at the
/// largest size seen, so reading buffer after buffer does not allocate.
final class ByteStorage {
    private(set) var bytes: UnsafeMutableRawBufferPointer

    init(capacity: Int = 0) {
        bytes = .allocate(byteCount: max(capacity, 16), alignment: 16)
    }

    deinit { bytes.deallocate() }

    /// Makes room for at least `count` bytes (the contents are not kept).
    func reserve(_ count: Int) {
        guard count > bytes.count else { return }
        bytes.deallocate()
        bytes = .allocate(byteCount: count, alignment: 16)
    }

    /// The first `count` bytes, which must have been reserved.
    func prefix(_ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: bytes[0..<count])
    }

    var capacity: Int { bytes.count }
}

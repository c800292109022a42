/// What one `.etl` buffer decodes to, refilled for every buffer a stream loads: elements appended without
/// an array's copy-on-write check (one per heap event and stack fragment), indexed with a bounds check.
/// Shared by reference between copies of its stream, which never use it at the same time.
final class DecodedBuffer<Element> {
    // Unchecked: one stream on one thread owns the buffer, and no access spans a call that could touch it
    // again; the dynamic checks would cost more than the copy-on-write check this type avoids.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<Element>
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow() }
        // Safe: count < capacity here.
        (base + count).initialize(to: element)
        count += 1
    }

    /// Empties the buffer, keeping its storage.
    func removeAll() {
        base.deinitialize(count: count)
        count = 0
    }

    subscript(index: Int) -> Element {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "DecodedBuffer index out of range")
            return base[index]
        }
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}

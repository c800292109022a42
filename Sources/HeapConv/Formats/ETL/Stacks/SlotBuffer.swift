/// A fixed number of elements in one allocation, indexed with a bounds check and shared by
/// reference: the holding area's ring of held events and the merge's streams, which are written several
/// times per event and must not pay an array's copy-on-write check each time. Its owner never copies it
/// into a second owner.
final class SlotBuffer<Element> {
    private let base: UnsafeMutablePointer<Element>
    let count: Int

    /// `count` copies of `filler`.
    init(count: Int, filler: Element) {
        precondition(count >= 0)
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: filler, count: count)
        self.count = count
    }

    /// The elements of `elements`, in order.
    init(_ elements: [Element]) {
        count = elements.count
        base = .allocate(capacity: max(count, 1))
        elements.withUnsafeBufferPointer { if let source = $0.baseAddress { base.initialize(from: source, count: count) } }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(index: Int) -> Element {
        @inline(__always) unsafeAddress {
            precondition(index >= 0 && index < count, "SlotBuffer index out of range")
            return UnsafePointer(base + index)
        }
        @inline(__always) unsafeMutableAddress {
            precondition(index >= 0 && index < count, "SlotBuffer index out of range")
            return base + index
        }
    }
}

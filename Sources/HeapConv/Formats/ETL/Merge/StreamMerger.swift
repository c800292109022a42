/// A k-way merge of per-CPU record streams by (raw timestamp, file order).
///
/// ETW fills one buffer per CPU at a time, so the file is not in time order, but each CPU's records in file
/// order are (the real fixtures have no inversion inside a CPU's stream; their 94 and 112 inversions in file
/// order are all between CPUs). Merging the CPUs' streams, each holding one buffer, yields time order with
/// memory bounded by CPUs × buffer size. Equal timestamps keep file order.
struct StreamMerger {
    /// The streams, advanced in place for every record (no copy-on-write check, unlike an array).
    let streams: SlotBuffer<RecordStream>
    /// Each stream's head key (raw ticks, file order), beside the streams so that comparisons stay in one
    /// small buffer.
    private let keys: SlotBuffer<(ticks: Int64, order: UInt64)>
    /// Min-heap of indices into `streams` whose head is valid, by key. The top is the stream whose head was
    /// handed out last; it is advanced on the next call.
    private var heap: [Int] = []
    private var started = false

    init(streams: [RecordStream]) {
        self.streams = SlotBuffer(streams)
        keys = SlotBuffer(count: streams.count, filler: (0, 0))
    }

    /// Moves to the next item in merged order and returns the stream holding it as its head; `nil` at the
    /// end. The item stays valid until the next call.
    mutating func next(_ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> Int? {
        if !started {
            started = true
            for index in 0..<streams.count where try streams[index].advance(tables, &state) {
                keys[index] = (streams[index].headTicks, streams[index].headOrder)
                heap.append(index)
                siftUp(heap.count - 1)
            }
        } else if let top = heap.first {
            if try streams[top].advance(tables, &state) {
                keys[top] = (streams[top].headTicks, streams[top].headOrder)
                // Most of the time the same stream stays first: skip the sift when it does.
                if heap.count > 1, !isFirst(top) { siftDown(0) }
            } else {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(0)
                }
            }
        }
        return heap.first
    }

    /// Whether `top` still comes before both children of the heap's root.
    @inline(__always)
    private func isFirst(_ top: Int) -> Bool {
        !Self.before(heap[1], top, keys) && (heap.count < 3 || !Self.before(heap[2], top, keys))
    }

    private mutating func siftUp(_ start: Int) {
        let keys = self.keys
        BinaryHeap.siftUp(&heap, from: start) { a, b in Self.before(a, b, keys) }
    }

    private mutating func siftDown(_ start: Int) {
        let keys = self.keys
        BinaryHeap.siftDown(&heap, from: start) { a, b in Self.before(a, b, keys) }
    }

    /// Whether stream `a`'s head comes before stream `b`'s: by time, then by the order records were read.
    @inline(__always)
    private static func before(_ a: Int, _ b: Int, _ keys: SlotBuffer<(ticks: Int64, order: UInt64)>) -> Bool {
        let (ka, kb) = (keys[a], keys[b])
        return ka.ticks < kb.ticks || (ka.ticks == kb.ticks && ka.order < kb.order)
    }
}

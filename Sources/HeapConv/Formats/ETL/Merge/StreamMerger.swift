/// A k-way merge of per-CPU record streams by (raw timestamp, file order).
///
/// ETW fills one buffer per CPU at a time, so the file is not in time order, but each CPU's records in file
/// order are (the real fixtures have no inversion inside a CPU's stream; their 94 and 112 inversions in file
/// order are all between CPUs). Merging the CPUs' streams, each holding one buffer, yields time order with
/// memory bounded by CPUs × buffer size. Equal timestamps keep file order.
struct StreamMerger {
    private(set) var streams: [RecordStream]
    /// Min-heap of indices into `streams` whose head is valid, by (headTicks, headOrder). The top is the
    /// stream whose head was handed out last; it is advanced on the next call.
    private var heap: [Int] = []
    private var started = false

    init(streams: [RecordStream]) {
        self.streams = streams
    }

    /// Moves to the next item in merged order and returns the stream holding it as its head; `nil` at the
    /// end. The item stays valid until the next call.
    mutating func next(_ tables: DecodeTables, _ state: inout DecodeState) throws(ConversionError) -> Int? {
        if !started {
            started = true
            for index in streams.indices where try streams[index].advance(tables, &state) {
                heap.append(index)
                siftUp(heap.count - 1)
            }
        } else if let top = heap.first {
            if try streams[top].advance(tables, &state) {
                siftDown(0)
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

    private mutating func siftUp(_ start: Int) {
        let streams = self.streams
        BinaryHeap.siftUp(&heap, from: start) { a, b in Self.before(a, b, in: streams) }
    }

    private mutating func siftDown(_ start: Int) {
        let streams = self.streams
        BinaryHeap.siftDown(&heap, from: start) { a, b in Self.before(a, b, in: streams) }
    }

    /// Whether stream `a`'s head comes before stream `b`'s: by time, then by the order records were read.
    @inline(__always)
    private static func before(_ a: Int, _ b: Int, in streams: [RecordStream]) -> Bool {
        let (ta, tb) = (streams[a].headTicks, streams[b].headTicks)
        return ta < tb || (ta == tb && streams[a].headOrder < streams[b].headOrder)
    }
}

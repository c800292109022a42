/// The sift operations of a binary min-heap kept in an array and ordered by `less`: one implementation for
/// the per-CPU stream merge and the stack holding area.
enum BinaryHeap {
    /// Restores the heap order after the element at `start` became smaller (or was appended there).
    @inline(__always)
    static func siftUp<T>(_ heap: inout [T], from start: Int, by less: (T, T) -> Bool) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Restores the heap order after the element at `start` became larger (or replaced the top).
    @inline(__always)
    static func siftDown<T>(_ heap: inout [T], from start: Int, by less: (T, T) -> Bool) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            let right = left + 1
            let smaller = right < heap.count && less(heap[right], heap[left]) ? right : left
            guard less(heap[smaller], heap[parent]) else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}

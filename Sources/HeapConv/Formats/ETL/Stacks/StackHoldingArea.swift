/// Heap events waiting for their call stacks, released in output order once no fragment can still arrive.
///
/// **The rule.** Kernel-style events get their stacks from separate StackWalk records carrying the event's
/// raw timestamp and thread id (FORMAT.md §6): first the kernel fragment, then — possibly some records later,
/// when the thread leaves the kernel — the user fragment. An event is *complete*, and may leave, when
///
/// 1. it has received a fragment that ends in user space (a user fragment, a `StackKeyUser`, or a `Stack`
///    whose frames run from kernel into user space) — nothing can follow it (when that fragment came before
///    the event, as file order allows, the kernel part must be there too); or
/// 2. a later heap event of the same thread has arrived — the user fragment comes before the thread's next
///    event; or
/// 3. the input has ended.
///
/// Events leave in output order (timestamp, then file order; or plain file order with `--file-order`): a
/// complete event waits behind an incomplete earlier one. The area is bounded: when it holds more than
/// ``maximumEvents`` events or ``maximumFrames`` frames, the earliest event leaves without waiting (counted
/// in ``forcedReleases``; a fragment for it arriving later is counted in ``unmatchedFragments``).
///
/// With a reorder window `R > 0` (used when the first pass saw timestamps going backwards inside one CPU's
/// stream), an event also waits until `R` more records have arrived after it, so that a record up to `R`
/// positions late still takes its place in time order.
///
/// Fragments arriving before their event (possible in file order, where buffers of different CPUs are not
/// in time order) wait in a small stash of ``maximumStashed`` fragments.
struct StackHoldingArea {
    static let maximumEvents = 1 << 15
    static let maximumFrames = 1 << 21
    static let maximumStashed = 4096

    /// A range of frames in ``arena``; `count < 0` means absent.
    struct FrameRange {
        var start: Int32
        var count: Int32
        static let absent = FrameRange(start: 0, count: -1)
        var isPresent: Bool { count >= 0 }
    }

    /// An output-order key: raw ticks then file order in time order; arrival number in file order.
    struct OrderKey: Comparable {
        var primary: Int64
        var secondary: UInt64
        static func < (a: OrderKey, b: OrderKey) -> Bool { (a.primary, a.secondary) < (b.primary, b.secondary) }
    }

    private struct Slot {
        var event: HeapEvent
        var ticks: Int64
        var thread: UInt32
        var key: OrderKey
        var arrival: UInt64
        var kernel = FrameRange.absent
        var user = FrameRange.absent
        var complete = false
        /// The previous held event of the same thread (slot, generation), to find older targets.
        var previousOfThread: Int32 = -1
        var previousGeneration: UInt32 = 0
        var generation: UInt32 = 0
        var alive = true
    }

    private struct Stashed {
        var ticks: Int64
        var thread: UInt32
        var part: StackWalk.Part
        var frames: [UInt64]
    }

    private struct ThreadTicks: Hashable {
        var ticks: Int64
        var thread: UInt32
    }

    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    /// Live slot indices in output order: a min-heap by `key` when a reorder window is used, else a FIFO
    /// ring, because events then arrive in output order.
    private var heap: [Int32] = []
    private var ring = SlotRing()
    private let usesHeap: Bool
    /// Newest held event per thread: slot index in the low 32 bits, generation in the high 32 bits.
    private var newestByThread = ThreadMap()
    private var arena = FrameArena()
    private var liveFrames = 0
    private var stash: [ThreadTicks: [Stashed]] = [:]
    private var stashOrder: [ThreadTicks] = []
    private var stashHead = 0
    private var stashedCount = 0
    private var arrivals: UInt64 = 0

    /// Records that must arrive after an event before it leaves (see the type's documentation).
    let reorderWindow: UInt64
    /// Whether early fragments are stashed for an event still to come (file order), or only fragments whose
    /// event might tie in time with them (time order).
    let stashEarlyFragments: Bool

    /// Events that left without waiting for their fragments because the area was full.
    private(set) var forcedReleases: UInt64 = 0
    /// Fragments that found no held event (their event already left, was not a heap event, or never came).
    private(set) var unmatchedFragments: UInt64 = 0
    /// Fragments attached to an event.
    private(set) var attachedFragments: UInt64 = 0
    /// Events released with a timestamp earlier than an event released before them.
    private(set) var lateEvents: UInt64 = 0
    private var lastReleased: OrderKey?
    private let timeOrdered: Bool

    init(reorderWindow: UInt64, fileOrder: Bool) {
        self.reorderWindow = reorderWindow
        self.stashEarlyFragments = fileOrder
        self.timeOrdered = !fileOrder
        usesHeap = reorderWindow > 0
    }

    var isEmpty: Bool { heldCount == 0 }
    var heldCount: Int { usesHeap ? heap.count : ring.count }

    /// Takes `event` (raw timestamp `ticks`, thread `thread`) to wait for its stack fragments; `key` orders
    /// it for output (ignored in file order, where arrival order is used).
    mutating func add(_ event: HeapEvent, ticks: Int64, thread: UInt32, key: OrderKey) {
        arrivals &+= 1
        var slot = Slot(event: event, ticks: ticks, thread: thread,
                        key: timeOrdered ? key : OrderKey(primary: 0, secondary: arrivals), arrival: arrivals)
        if let packed = newestByThread[thread] {
            let previous = Int32(truncatingIfNeeded: packed)
            let generation = UInt32(truncatingIfNeeded: packed >> 32)
            if isLive(previous, generation) {
                slots[Int(previous)].complete = true
                slot.previousOfThread = previous
                slot.previousGeneration = generation
            }
        }
        let index: Int32
        if let reused = freeSlots.popLast() {
            index = reused
            slot.generation = slots[Int(reused)].generation &+ 1
            slots[Int(reused)] = slot
        } else {
            index = Int32(slots.count)
            slots.append(slot)
        }
        newestByThread.set(thread, UInt64(UInt32(bitPattern: index)) | UInt64(slots[Int(index)].generation) << 32)
        push(index)
        if stashedCount > 0, let early = stash.removeValue(forKey: ThreadTicks(ticks: ticks, thread: thread)) {
            stashedCount -= early.count
            for fragment in early {
                attach(fragment.frames, part: fragment.part, to: index, early: true)
            }
        }
    }

    /// Counts a record that is not a heap event but moves the reorder window (a stack fragment).
    mutating func noteArrival() { arrivals &+= 1 }

    /// Attaches a fragment (`frames`, innermost first) for the event of `thread` at raw `eventTicks`.
    /// `fragmentTicks` is the fragment record's own timestamp (for deciding whether its event may still come).
    mutating func attach<Frames: FrameSource>(
        eventTicks: Int64, thread: UInt32, part: StackWalk.Part, fragmentTicks: Int64, frames: Frames
    ) {
        if let target = find(ticks: eventTicks, thread: thread) {
            attach(frames, part: part, to: target)
            return
        }
        guard stashEarlyFragments || eventTicks >= fragmentTicks else {
            unmatchedFragments += 1
            return
        }
        let key = ThreadTicks(ticks: eventTicks, thread: thread)
        stash[key, default: []].append(Stashed(ticks: eventTicks, thread: thread, part: part, frames: Array(frames)))
        stashOrder.append(key)
        stashedCount += 1
        while stashedCount > Self.maximumStashed, stashHead < stashOrder.count {
            let oldest = stashOrder[stashHead]
            stashHead += 1
            if var list = stash.removeValue(forKey: oldest) {
                list.removeFirst()
                stashedCount -= 1
                unmatchedFragments += 1
                if !list.isEmpty { stash[oldest] = list }
            }
        }
        if stashHead > 4096, stashHead * 2 > stashOrder.count {
            stashOrder.removeFirst(stashHead)
            stashHead = 0
        }
    }

    /// Releases the events that may leave into `batch`, at most `limit` in total in `batch`. With `final`,
    /// the input has ended and every event may leave.
    mutating func release(into batch: inout EventBatch, limit: Int, final: Bool) {
        while batch.count < limit, heldCount > 0 {
            let top = usesHeap ? heap[0] : ring.first
            let complete = slots[Int(top)].complete
            if !final {
                let overfull = heldCount > Self.maximumEvents || liveFrames > Self.maximumFrames
                guard complete || overfull else { return }
                guard reorderWindow == 0 || overfull || arrivals &- slots[Int(top)].arrival >= reorderWindow else { return }
                if !complete { forcedReleases += 1 }
            }
            popTop()
            emit(top, into: &batch)
            free(top)
        }
    }

    // MARK: - Internals

    private func isLive(_ index: Int32, _ generation: UInt32) -> Bool {
        index >= 0 && Int(index) < slots.count && slots[Int(index)].alive && slots[Int(index)].generation == generation
    }

    /// The held event of `thread` at `ticks`: the newest of the thread or one of the few before it.
    private func find(ticks: Int64, thread: UInt32) -> Int32? {
        guard let packed = newestByThread[thread] else { return nil }
        var index = Int32(truncatingIfNeeded: packed)
        var generation = UInt32(truncatingIfNeeded: packed >> 32)
        var steps = 0
        while steps < 16, isLive(index, generation) {
            if slots[Int(index)].ticks == ticks { return index }
            generation = slots[Int(index)].previousGeneration
            index = slots[Int(index)].previousOfThread
            steps += 1
        }
        return nil
    }

    /// Attaches frames to the held event at `index`. A user part completes the event, unless it came before
    /// the event (`early`, from the stash): the kernel part may then still follow.
    private mutating func attach<Frames: FrameSource>(
        _ frames: Frames, part: StackWalk.Part, to index: Int32, early: Bool = false
    ) {
        let existing = part == .kernel ? slots[Int(index)].kernel : slots[Int(index)].user
        guard !existing.isPresent else {
            unmatchedFragments += 1
            return
        }
        let range = FrameRange(start: Int32(arena.append(frames)), count: Int32(frames.count))
        liveFrames += frames.count
        attachedFragments += 1
        if part == .kernel {
            slots[Int(index)].kernel = range
            if slots[Int(index)].user.isPresent { slots[Int(index)].complete = true }
        } else {
            slots[Int(index)].user = range
            if !early || slots[Int(index)].kernel.isPresent { slots[Int(index)].complete = true }
        }
    }

    private mutating func emit(_ index: Int32, into batch: inout EventBatch) {
        var event = slots[Int(index)].event
        let kernel = slots[Int(index)].kernel
        let user = slots[Int(index)].user
        if kernel.isPresent || user.isPresent {
            let start = batch.frames.count
            // Kernel frames are the innermost, so they come first.
            if kernel.isPresent { arena.copy(kernel, to: &batch.frames) }
            if user.isPresent { arena.copy(user, to: &batch.frames) }
            event.context.stack = StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start))
        } else {
            event.context.stack = .none
        }
        if timeOrdered {
            let key = slots[Int(index)].key
            if let last = lastReleased, key < last {
                lateEvents += 1
            } else {
                lastReleased = key
            }
        }
        batch.events.append(event)
    }

    private mutating func free(_ index: Int32) {
        liveFrames -= Int(max(slots[Int(index)].kernel.count, 0) + max(slots[Int(index)].user.count, 0))
        slots[Int(index)].alive = false
        freeSlots.append(index)
        if heldCount == 0 {
            arena.reset()
            liveFrames = 0
        } else if arena.count > 2 * liveFrames + (1 << 16) {
            compactArena()
        }
    }

    private mutating func compactArena() {
        var fresh = FrameArena()
        func move(_ range: FrameRange) -> FrameRange {
            guard range.isPresent else { return range }
            var frames: [UInt64] = []
            arena.copy(range, to: &frames)
            return FrameRange(start: Int32(fresh.append(frames)), count: range.count)
        }
        let live = usesHeap ? heap : ring.elements
        for index in live {
            slots[Int(index)].kernel = move(slots[Int(index)].kernel)
            slots[Int(index)].user = move(slots[Int(index)].user)
        }
        arena = fresh
    }

    // Output order: a FIFO ring, or a binary min-heap by slot key.

    private mutating func push(_ index: Int32) {
        guard usesHeap else {
            ring.append(index)
            return
        }
        heap.append(index)
        let slots = self.slots
        BinaryHeap.siftUp(&heap, from: heap.count - 1) { a, b in slots[Int(a)].key < slots[Int(b)].key }
    }

    private mutating func popTop() {
        guard usesHeap else {
            ring.removeFirst()
            return
        }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        let slots = self.slots
        BinaryHeap.siftDown(&heap, from: 0) { a, b in slots[Int(a)].key < slots[Int(b)].key }
    }
}

/// A FIFO of slot indices in a power-of-two ring that grows when full; never shrinks or shifts.
struct SlotRing {
    private var storage = [Int32](repeating: 0, count: 64)
    private var head = 0
    private(set) var count = 0

    var first: Int32 { storage[head] }

    mutating func append(_ value: Int32) {
        if count == storage.count {
            var bigger = [Int32](repeating: 0, count: storage.count * 2)
            for i in 0..<count { bigger[i] = storage[(head + i) & (storage.count - 1)] }
            storage = bigger
            head = 0
        }
        storage[(head + count) & (storage.count - 1)] = value
        count += 1
    }

    mutating func removeFirst() {
        head = (head + 1) & (storage.count - 1)
        count -= 1
    }

    /// The elements, first to last.
    var elements: [Int32] { (0..<count).map { storage[(head + $0) & (storage.count - 1)] } }
}

/// The frames of held events, appended in arrival order; reset when the area empties, compacted when most
/// of it is dead. Keeps its storage, so steady-state use does not allocate.
struct FrameArena {
    private var storage: [UInt64] = []
    private(set) var count = 0

    /// Appends `frames`; returns where they start.
    mutating func append<Frames: FrameSource>(_ frames: Frames) -> Int {
        let start = count
        let n = frames.count
        if storage.count < count + n {
            storage.append(contentsOf: repeatElement(0, count: max(count + n - storage.count, storage.count)))
        }
        storage.withUnsafeMutableBufferPointer { buffer in
            // Safe: the storage was just grown to hold `n` more elements from `start`.
            frames.copyFrames(to: buffer.baseAddress! + start)
        }
        count += n
        return start
    }

    /// Appends the frames of `range` to `target`.
    func copy(_ range: StackHoldingArea.FrameRange, to target: inout [UInt64]) {
        target.append(contentsOf: storage[Int(range.start)..<Int(range.start) + Int(range.count)])
    }

    mutating func reset() { count = 0 }
}

/// Frames that can be copied into the holding area: a stack-key definition's array, or a Stack record's
/// bytes.
protocol FrameSource: RandomAccessCollection<UInt64> {
    /// Writes the `count` frames to `target`, which has room for them.
    func copyFrames(to target: UnsafeMutablePointer<UInt64>)
}

extension FrameSource {
    func copyFrames(to target: UnsafeMutablePointer<UInt64>) {
        var i = 0
        for frame in self {
            target[i] = frame
            i += 1
        }
    }
}

extension Array: FrameSource where Element == UInt64 {}

extension InlineFrames: FrameSource {
    /// 8-byte little-endian frames are copied as bytes at once; 4-byte ones are widened one by one.
    func copyFrames(to target: UnsafeMutablePointer<UInt64>) {
        #if _endian(little)
        if width == 8, let source = bytes.base {
            // Safe: `count * 8` bytes are inside `bytes` (count = bytes.count / 8), and the caller made room
            // for `count` frames.
            UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 8)
            return
        }
        #endif
        for i in 0..<count { target[i] = self[i] }
    }
}

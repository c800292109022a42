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
    /// ring (`order[orderHead...]`), because events then arrive in output order.
    private var order: [Int32] = []
    private var orderHead = 0
    private let usesHeap: Bool
    /// Newest held event per thread: slot index in the low 32 bits, generation in the high 32 bits.
    private var newestByThread = ThreadMap()
    private var arena: [UInt64] = []
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
    var heldCount: Int { order.count - orderHead }

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
    mutating func attach<Frames: RandomAccessCollection<UInt64>>(
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
        while batch.count < limit, orderHead < order.count {
            let top = order[orderHead]
            let slot = slots[Int(top)]
            let overfull = heldCount > Self.maximumEvents || liveFrames > Self.maximumFrames
            if !final {
                guard slot.complete || overfull else { return }
                guard reorderWindow == 0 || overfull || arrivals &- slot.arrival >= reorderWindow else { return }
                if !slot.complete { forcedReleases += 1 }
            }
            popTop()
            emit(slot, into: &batch)
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
            let slot = slots[Int(index)]
            if slot.ticks == ticks { return index }
            index = slot.previousOfThread
            generation = slot.previousGeneration
            steps += 1
        }
        return nil
    }

    /// Attaches frames to the held event at `index`. A user part completes the event, unless it came before
    /// the event (`early`, from the stash): the kernel part may then still follow.
    private mutating func attach<Frames: RandomAccessCollection<UInt64>>(
        _ frames: Frames, part: StackWalk.Part, to index: Int32, early: Bool = false
    ) {
        let existing = part == .kernel ? slots[Int(index)].kernel : slots[Int(index)].user
        guard !existing.isPresent else {
            unmatchedFragments += 1
            return
        }
        let range = FrameRange(start: Int32(arena.count), count: Int32(frames.count))
        arena.append(contentsOf: frames)
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

    private mutating func emit(_ slot: Slot, into batch: inout EventBatch) {
        var event = slot.event
        if slot.kernel.isPresent || slot.user.isPresent {
            let start = batch.frames.count
            // Kernel frames are the innermost, so they come first.
            if slot.kernel.isPresent {
                batch.frames.append(contentsOf: arena[Int(slot.kernel.start)..<Int(slot.kernel.start) + Int(slot.kernel.count)])
            }
            if slot.user.isPresent {
                batch.frames.append(contentsOf: arena[Int(slot.user.start)..<Int(slot.user.start) + Int(slot.user.count)])
            }
            event.context.stack = StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start))
        } else {
            event.context.stack = .none
        }
        if timeOrdered, let last = lastReleased, slot.key < last { lateEvents += 1 }
        if timeOrdered, lastReleased.map({ $0 < slot.key }) ?? true { lastReleased = slot.key }
        batch.events.append(event)
    }

    private mutating func free(_ index: Int32) {
        let slot = slots[Int(index)]
        liveFrames -= Int(max(slot.kernel.count, 0) + max(slot.user.count, 0))
        slots[Int(index)].alive = false
        freeSlots.append(index)
        if heldCount == 0 {
            arena.removeAll(keepingCapacity: true)
            liveFrames = 0
        } else if arena.count > 2 * liveFrames + (1 << 16) {
            compactArena()
        }
    }

    private mutating func compactArena() {
        var fresh: [UInt64] = []
        fresh.reserveCapacity(liveFrames)
        func move(_ range: FrameRange) -> FrameRange {
            guard range.isPresent else { return range }
            let moved = FrameRange(start: Int32(fresh.count), count: range.count)
            fresh.append(contentsOf: arena[Int(range.start)..<Int(range.start) + Int(range.count)])
            return moved
        }
        for index in order[orderHead...] {
            slots[Int(index)].kernel = move(slots[Int(index)].kernel)
            slots[Int(index)].user = move(slots[Int(index)].user)
        }
        arena = fresh
    }

    // Binary min-heap over `order` by slot key.

    private func less(_ a: Int32, _ b: Int32) -> Bool { slots[Int(a)].key < slots[Int(b)].key }

    private mutating func push(_ index: Int32) {
        order.append(index)
        guard usesHeap else { return }
        var child = order.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(order[child], order[parent]) else { break }
            order.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        guard usesHeap else {
            orderHead += 1
            if orderHead == order.count {
                order.removeAll(keepingCapacity: true)
                orderHead = 0
            } else if orderHead >= 4096 && orderHead * 2 >= order.count {
                order.removeFirst(orderHead)
                orderHead = 0
            }
            return
        }
        let last = order.removeLast()
        guard !order.isEmpty else { return }
        order[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < order.count else { break }
            let right = left + 1
            let smaller = right < order.count && less(order[right], order[left]) ? right : left
            guard less(order[smaller], order[parent]) else { break }
            order.swapAt(smaller, parent)
            parent = smaller
        }
    }
}

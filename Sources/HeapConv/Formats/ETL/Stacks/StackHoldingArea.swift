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
///
/// Held events live in a ring indexed by arrival number, so that a thread's previous event is found by
/// number and an event that left is recognised by its number alone. Without a reorder window events leave
/// in arrival order from the ring's start; with one they leave by key through a min-heap of arrival numbers,
/// and the ring's start moves past them once every earlier arrival has left.
struct StackHoldingArea {
    static let maximumEvents = 1 << 15
    static let maximumFrames = 1 << 21
    static let maximumStashed = 4096
    /// Bytes of held context records' strings beyond which those of records that left are dropped.
    static let maximumContextText = 4 << 20

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
        var key: OrderKey
        var arrival: UInt64
        var kernel = FrameRange.absent
        var user = FrameRange.absent
        /// The number of the previous held event of the same thread, to find older targets.
        var previousOfThread: UInt64 = .max
        var thread: UInt32
        var complete = false
        /// Left before an earlier arrival (with a reorder window only).
        var released = false

        static let filler = Slot(event: .other(EventContext(timestamp: 0, processID: 0, threadID: 0, heap: 0), opcode: 0),
                                 ticks: 0, key: OrderKey(primary: 0, secondary: 0), arrival: 0, thread: 0)
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

    /// Held events: event number `n` is at `n & (ring.count - 1)` while `head <= n < tail`.
    private var ring = SlotBuffer(count: 64, filler: Slot.filler)
    /// Number of the earliest event that has not left (or, with a reorder window, may not have left).
    private var head: UInt64 = 0
    /// Number of the next event to arrive.
    private var tail: UInt64 = 0
    /// Event numbers in output order by `key`, when a reorder window is used; without one events leave from
    /// `head`, since they arrive in output order.
    private var heap: [UInt64] = []
    private let usesHeap: Bool
    /// Number of the newest held event per thread.
    private var newestByThread = ThreadMap()
    private var arena = FrameArena()
    /// The arena before the last compaction, emptied: the next compaction copies into it, so that neither
    /// arena grows again from nothing.
    private var spareArena = FrameArena()
    private var liveFrames = 0
    private var stash: [ThreadTicks: [Stashed]] = [:]
    private var stashOrder: [ThreadTicks] = []
    private var stashHead = 0
    private var stashedCount = 0
    private var arrivals: UInt64 = 0
    /// The strings of held context records, which refer to it until they leave.
    private var contextText: [UInt8] = []
    private var heldContext = 0

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
    var heldCount: Int { usesHeap ? heap.count : Int(tail &- head) }

    /// Takes `event` (raw timestamp `ticks`, thread `thread`) to wait for its stack fragments; `key` orders
    /// it for output (ignored in file order, where arrival order is used).
    mutating func add(_ event: HeapEvent, ticks: Int64, thread: UInt32, key: OrderKey) {
        arrivals &+= 1
        var slot = Slot(event: event, ticks: ticks,
                        key: timeOrdered ? key : OrderKey(primary: 0, secondary: arrivals), arrival: arrivals,
                        thread: thread)
        if let previous = newestByThread[thread], isHeld(previous) {
            ring[index(previous)].complete = true
            slot.previousOfThread = previous
        }
        if tail &- head == UInt64(ring.count) { growRing() }
        let number = tail
        ring[index(number)] = slot
        tail &+= 1
        newestByThread.set(thread, number)
        if usesHeap { push(number) }
        if stashedCount > 0, let early = stash.removeValue(forKey: ThreadTicks(ticks: ticks, thread: thread)) {
            stashedCount -= early.count
            for fragment in early {
                attach(fragment.frames, part: fragment.part, to: number, early: true)
            }
        }
    }

    /// Takes a context record (process, thread, image; its strings in `text`) to leave in output order with the
    /// heap events: it waits for no stack, but leaves only after the events before it.
    mutating func addContext(_ event: HeapEvent, text: [UInt8], key: OrderKey) {
        arrivals &+= 1
        if heldContext == 0 {
            contextText.removeAll(keepingCapacity: true)
        } else if contextText.count > Self.maximumContextText {
            compactContextText()
        }
        heldContext += 1
        let stored = event.remappingText { contextText.appendText(text.slice($0)) }
        var slot = Slot(event: stored, ticks: key.primary,
                        key: timeOrdered ? key : OrderKey(primary: 0, secondary: arrivals), arrival: arrivals, thread: 0)
        slot.complete = true
        if tail &- head == UInt64(ring.count) { growRing() }
        let number = tail
        ring[index(number)] = slot
        tail &+= 1
        if usesHeap { push(number) }
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
            if usesHeap, !final, tail &- head > UInt64(2 * Self.maximumEvents) {
                // The earliest arrival waits behind later keys (a timestamp far ahead of its neighbours) and
                // the ring behind it grows: let it go now, out of order, rather than hold everything after it.
                releaseEarliestArrival(into: &batch)
                continue
            }
            let top = usesHeap ? heap[0] : head
            let slot = index(top)
            let complete = ring[slot].complete
            // A complete event without a reorder window leaves at once: the common case, checked first.
            if !final && (!complete || reorderWindow != 0) {
                let overfull = heldCount > Self.maximumEvents || liveFrames > Self.maximumFrames
                guard complete || overfull else { return }
                guard reorderWindow == 0 || overfull || arrivals &- ring[slot].arrival >= reorderWindow else { return }
                if !complete { forcedReleases += 1 }
            }
            if usesHeap { popTop() }
            emit(slot, into: &batch)
            free(top)
        }
    }

    // MARK: - Internals

    /// Releases event `head` ahead of its turn in key order (counted as forced).
    private mutating func releaseEarliestArrival(into batch: inout EventBatch) {
        let earliest = head
        // Every held event is in the heap until it leaves, and `head` is always a held one.
        guard let position = heap.firstIndex(of: earliest) else { preconditionFailure("held event missing from the heap") }
        let last = heap.removeLast()
        if position < heap.count {
            heap[position] = last
            let ring = self.ring
            let less = { (a: UInt64, b: UInt64) in
                ring[Int(truncatingIfNeeded: a) & (ring.count - 1)].key < ring[Int(truncatingIfNeeded: b) & (ring.count - 1)].key
            }
            BinaryHeap.siftDown(&heap, from: position, by: less)
            BinaryHeap.siftUp(&heap, from: position, by: less)
        }
        forcedReleases += 1
        emit(index(earliest), into: &batch)
        free(earliest)
    }

    @inline(__always)
    private func index(_ number: UInt64) -> Int { Int(truncatingIfNeeded: number) & (ring.count - 1) }

    /// Whether event `number` is still held.
    @inline(__always)
    private func isHeld(_ number: UInt64) -> Bool {
        number >= head && number < tail && !ring[index(number)].released
    }

    /// The held event of `thread` at `ticks`: the newest of the thread or one of the few before it.
    private func find(ticks: Int64, thread: UInt32) -> UInt64? {
        guard var number = newestByThread[thread] else { return nil }
        var steps = 0
        while steps < 16, isHeld(number) {
            let slot = index(number)
            if ring[slot].ticks == ticks { return number }
            number = ring[slot].previousOfThread
            steps += 1
        }
        return nil
    }

    /// Attaches frames to held event `number`. A user part completes the event, unless it came before the
    /// event (`early`, from the stash): the kernel part may then still follow.
    private mutating func attach<Frames: FrameSource>(
        _ frames: Frames, part: StackWalk.Part, to number: UInt64, early: Bool = false
    ) {
        let slot = index(number)
        let existing = part == .kernel ? ring[slot].kernel : ring[slot].user
        guard !existing.isPresent else {
            unmatchedFragments += 1
            return
        }
        let range = FrameRange(start: Int32(arena.append(frames)), count: Int32(frames.count))
        liveFrames += frames.count
        attachedFragments += 1
        if part == .kernel {
            ring[slot].kernel = range
            if ring[slot].user.isPresent { ring[slot].complete = true }
        } else {
            ring[slot].user = range
            if !early || ring[slot].kernel.isPresent { ring[slot].complete = true }
        }
    }

    private mutating func emit(_ slot: Int, into batch: inout EventBatch) {
        var event = ring[slot].event
        let kernel = ring[slot].kernel
        let user = ring[slot].user
        if kernel.isPresent || user.isPresent {
            let start = batch.frames.count
            // Kernel frames are the innermost, so they come first.
            if kernel.isPresent { arena.copy(kernel, to: &batch.frames) }
            if user.isPresent { arena.copy(user, to: &batch.frames) }
            event.context.stack = StackRef(offset: UInt32(start), count: UInt32(batch.frames.count - start))
        }
        // Without fragments the event keeps the `.none` stack it was decoded with: rebuilding the enum to
        // set it again would cost more than the rest of this function.
        if event.isContext {
            let text = contextText
            event = event.remappingText { batch.appendText(text.slice($0)) }
            heldContext -= 1
        }
        if timeOrdered {
            let key = ring[slot].key
            if let last = lastReleased, key < last {
                lateEvents += 1
            } else {
                lastReleased = key
            }
        }
        batch.events.append(event)
    }

    /// Forgets event `number`, which just left.
    private mutating func free(_ number: UInt64) {
        let slot = index(number)
        liveFrames -= Int(max(ring[slot].kernel.count, 0) + max(ring[slot].user.count, 0))
        if usesHeap {
            ring[slot].released = true
            while head < tail, ring[index(head)].released { head &+= 1 }
        } else {
            head &+= 1
        }
        if heldCount == 0 {
            arena.reset()
            liveFrames = 0
        } else if arena.count > 2 * liveFrames + (1 << 16) {
            compactArena()
        }
    }

    /// Copies the strings of the context records still held into a fresh arena: those that left no longer
    /// hold theirs, and context records keep arriving while a slow heap event holds everything back.
    private mutating func compactContextText() {
        var fresh: [UInt8] = []
        fresh.reserveCapacity(contextText.count / 2)
        var number = head
        while number < tail {
            let slot = index(number)
            if !ring[slot].released, ring[slot].event.isContext {
                let old = contextText
                ring[slot].event = ring[slot].event.remappingText { fresh.appendText(old.slice($0)) }
            }
            number &+= 1
        }
        contextText = fresh
    }

    private mutating func growRing() {
        let bigger = SlotBuffer(count: ring.count * 2, filler: Slot.filler)
        var number = head
        while number < tail {
            bigger[Int(truncatingIfNeeded: number) & (bigger.count - 1)] = ring[index(number)]
            number &+= 1
        }
        ring = bigger
    }

    private mutating func compactArena() {
        // Taken out of `spareArena` (not copied), so that appending to it does not copy its storage.
        var fresh = FrameArena()
        swap(&fresh, &spareArena)
        fresh.reset()
        func move(_ range: FrameRange) -> FrameRange {
            guard range.isPresent else { return range }
            return FrameRange(start: Int32(fresh.append(range, of: arena)), count: range.count)
        }
        var number = head
        while number < tail {
            let slot = index(number)
            if !ring[slot].released {
                ring[slot].kernel = move(ring[slot].kernel)
                ring[slot].user = move(ring[slot].user)
            }
            number &+= 1
        }
        swap(&arena, &fresh)
        spareArena = fresh
    }

    // Output order with a reorder window: a binary min-heap of event numbers by key.

    private mutating func push(_ number: UInt64) {
        heap.append(number)
        let ring = self.ring
        BinaryHeap.siftUp(&heap, from: heap.count - 1) { a, b in
            ring[Int(truncatingIfNeeded: a) & (ring.count - 1)].key < ring[Int(truncatingIfNeeded: b) & (ring.count - 1)].key
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        let ring = self.ring
        BinaryHeap.siftDown(&heap, from: 0) { a, b in
            ring[Int(truncatingIfNeeded: a) & (ring.count - 1)].key < ring[Int(truncatingIfNeeded: b) & (ring.count - 1)].key
        }
    }
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
        makeRoom(n)
        storage.withUnsafeMutableBufferPointer { buffer in
            // Safe: the storage was just grown to hold `n` more elements from `start`.
            frames.copyFrames(to: buffer.baseAddress! + start)
        }
        count += n
        return start
    }

    /// Appends the frames of `range` in `other`; returns where they start.
    mutating func append(_ range: StackHoldingArea.FrameRange, of other: FrameArena) -> Int {
        let start = count
        let n = Int(range.count)
        makeRoom(n)
        storage[start..<start + n] = other.storage[Int(range.start)..<Int(range.start) + n]
        count += n
        return start
    }

    /// Appends the frames of `range` to `target`.
    func copy(_ range: StackHoldingArea.FrameRange, to target: inout [UInt64]) {
        let start = Int(range.start)
        let end = start + Int(range.count)
        precondition(start >= 0 && start <= end && end <= count, "frame range outside the arena")
        // Through a buffer pointer: an array slice would retain and release the storage for every stack.
        storage.withUnsafeBufferPointer { target.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    mutating func reset() { count = 0 }

    /// Grows the storage (at least doubling it) to hold `n` more frames after `count`.
    private mutating func makeRoom(_ n: Int) {
        guard storage.count < count + n else { return }
        storage.append(contentsOf: repeatElement(0, count: max(count + n - storage.count, storage.count)))
    }
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A first-in first-out queue of at most `capacity` elements between two threads: ``put(_:)`` blocks while it
/// is full (back-pressure), ``take()`` blocks while it is empty. Closing it wakes both sides.
///
/// Meant for whole batches or buffers, never single events: one lock round trip per thousands of events.
final class BoundedHandoff<Element>: @unchecked Sendable {
    // Safety: every access to `slots`, `head`, `count` and `closed` happens with `mutex` held.
    private var slots: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var mutex = pthread_mutex_t()
    private var notEmpty = pthread_cond_t()
    private var notFull = pthread_cond_t()

    init(capacity: Int) {
        precondition(capacity > 0)
        slots = Array(repeating: nil, count: capacity)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&notEmpty, nil)
        pthread_cond_init(&notFull, nil)
    }

    deinit {
        pthread_cond_destroy(&notFull)
        pthread_cond_destroy(&notEmpty)
        pthread_mutex_destroy(&mutex)
    }

    /// Appends `element`, waiting while the queue is full. Returns `false` (dropping it) once the queue is closed.
    @discardableResult
    func put(_ element: Element) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while count == slots.count && !closed { pthread_cond_wait(&notFull, &mutex) }
        if closed { return false }
        slots[(head + count) % slots.count] = element
        count += 1
        pthread_cond_signal(&notEmpty)
        return true
    }

    /// Removes the oldest element, waiting while the queue is empty. Returns `nil` once it is closed and empty.
    func take() -> Element? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while count == 0 && !closed { pthread_cond_wait(&notEmpty, &mutex) }
        return removeFirst()
    }

    /// Removes the oldest element if there is one, without waiting.
    func poll() -> Element? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return removeFirst()
    }

    /// Takes the oldest element out of its slot (so the queue keeps no reference to it); lock held.
    private func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = slots[head].take()
        head = (head + 1) % slots.count
        count -= 1
        pthread_cond_signal(&notFull)
        return element
    }

    /// Ends the hand-off: pending ``take()`` calls drain what is queued and then return `nil`; ``put(_:)``
    /// returns `false` from now on.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_broadcast(&notEmpty)
        pthread_cond_broadcast(&notFull)
        pthread_mutex_unlock(&mutex)
    }
}

/// Runs `body` on a new thread; ``join()`` waits for it to end.
final class WorkerThread: @unchecked Sendable {
    // Safety: `thread` is written once in `init` before any other access and read only by `join`.
    private var thread: pthread_t? = nil
    private final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }

    init(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Glibc)
        var handle = pthread_t()
        #else
        var handle: pthread_t? = nil
        #endif
        let status = pthread_create(&handle, nil, { raw in
            #if canImport(Glibc)
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            #else
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            #endif
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed: \(status)")
        thread = handle
    }

    func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }
}

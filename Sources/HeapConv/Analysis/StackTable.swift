#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The distinct call stacks of a trace, per process, each stored once: what profiles and leak reports group
/// heap blocks by, and what the Chrome writer keeps for the slices of leaked blocks it writes at the end.
///
/// A stack is identified by its process and its frames (innermost first); an event without a recorded stack
/// gets its process's "no stack" entry. Each new stack's frames are resolved once, against the modules
/// loaded when it is first seen, into ``FrameSite``s: memory grows with the distinct stacks and their frames,
/// never with the events. Lookups hash the frames and compare them in a flat arena: no allocation per event.
public final class StackTable {
    /// Where a frame lies: a module's mapping in a process (or the kernel's), or no module.
    public struct FrameSite: Hashable, Sendable {
        /// The frame's address.
        public var address: UInt64
        /// The module (an index into the ``ModuleMap``'s modules), or -1 for none.
        public var module: Int32
        /// The start of the module's mapping (its base), meaningful with a module.
        public var mappingStart: UInt64
        /// The end of the mapping (exclusive).
        public var mappingEnd: UInt64
        /// The process whose image (or 0: the kernel's) the frame lies in; without a module, the event's process,
        /// or 0 for a kernel address.
        public var space: UInt32
    }

    /// One distinct stack.
    public struct Entry: Sendable {
        public var processID: UInt32
        /// The frames are `sites[start..<start + count]`; `count` is -1 for "no stack recorded".
        public var start: Int
        public var count: Int
        var hash: UInt64

        public var hasStack: Bool { count >= 0 }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var sites: [FrameSite] = []
    /// The raw frames of every entry, `frames[start..<start + count]` as in ``sites``: compared on lookups
    /// (8 bytes a frame, contiguous) instead of the sites.
    private var rawFrames: [UInt64] = []
    /// Open-addressing slots holding entry index + 1 (0: empty); a power of two in number.
    private var slots = [Int32](repeating: 0, count: 1024)

    public init() {}

    /// The frames of entry `id`, innermost first.
    public func frames(of id: Int) -> ArraySlice<FrameSite> {
        let entry = entries[id]
        return entry.count < 0 ? [] : sites[entry.start..<entry.start + entry.count]
    }

    /// The id of `frames` (nil: no stack recorded) in `processID`, added and resolved against `modules`
    /// when new.
    public func intern<Frames: Collection<UInt64>>(processID: UInt32, frames: Frames?, modules: ModuleMap) -> Int {
        guard let frames else { return intern(processID: processID, buffer: nil, modules: modules) }
        if let id = frames.withContiguousStorageIfAvailable({ intern(processID: processID, buffer: $0, modules: modules) }) {
            return id
        }
        return Array(frames).withUnsafeBufferPointer { intern(processID: processID, buffer: $0, modules: modules) }
    }

    private func intern(processID: UInt32, buffer frames: UnsafeBufferPointer<UInt64>?, modules: ModuleMap) -> Int {
        let hash = Self.hash(processID: processID, frames: frames)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> 17) & mask
        while slots[i] != 0 {
            let id = Int(slots[i]) - 1
            if matches(entries[id], hash: hash, processID: processID, frames: frames) { return id }
            i = (i + 1) & mask
        }
        let id = entries.count
        let start = sites.count
        if let frames {
            for frame in frames { sites.append(Self.site(frame, processID: processID, modules: modules)) }
            rawFrames.append(contentsOf: frames)
        }
        entries.append(Entry(processID: processID, start: start, count: frames.map(\.count) ?? -1, hash: hash))
        slots[i] = Int32(id + 1)
        if entries.count * 2 > slots.count { grow() }
        return id
    }

    /// A hash of the process and frames. Each frame is multiplied on its own and folded in with a rotate and
    /// an xor, so that the multiplies do not wait on each other (a multiply per frame on the chain cost a
    /// fifth of a profile's time); a final mix spreads the bits.
    @inline(__always)
    private static func hash(processID: UInt32, frames: UnsafeBufferPointer<UInt64>?) -> UInt64 {
        guard let frames else { return ~(UInt64(processID) &* 0x9E37_79B9_7F4A_7C15) }
        var h = UInt64(processID) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(frames.count)
        for frame in frames {
            h = ((h << 5) | (h >> 59)) ^ (frame &* 0xFF51_AFD7_ED55_8CCD)
        }
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        return h
    }

    private func matches(_ entry: Entry, hash: UInt64, processID: UInt32, frames: UnsafeBufferPointer<UInt64>?) -> Bool {
        guard entry.hash == hash, entry.processID == processID else { return false }
        guard let frames else { return entry.count < 0 }
        guard entry.count == frames.count else { return false }
        guard let base = frames.baseAddress, entry.count > 0 else { return true }
        return rawFrames.withUnsafeBufferPointer { stored in
            // Safe: entry.start + entry.count <= stored.count, since every entry's frames were appended whole.
            memcmp(stored.baseAddress! + entry.start, base, entry.count * 8) == 0
        }
    }

    private func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for (id, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: entry.hash >> 17) & mask
            while bigger[i] != 0 { i = (i + 1) & mask }
            bigger[i] = Int32(id + 1)
        }
        slots = bigger
    }

    private static func site(_ address: UInt64, processID: UInt32, modules: ModuleMap) -> FrameSite {
        if let hit = modules.resolve(address, processID: processID) {
            return FrameSite(address: address, module: Int32(hit.module), mappingStart: hit.mapping.start,
                             mappingEnd: hit.mapping.end, space: hit.space)
        }
        return FrameSite(address: address, module: -1, mappingStart: 0, mappingEnd: 0,
                         space: address >= ModuleMap.kernelStart ? 0 : processID)
    }
}

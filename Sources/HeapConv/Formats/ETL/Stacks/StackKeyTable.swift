/// Stack-key definitions collected in the first pass over the file, resolving `StackKeyKernel` and
/// `StackKeyUser` references to frames (FORMAT.md §6, "stack caching").
///
/// ETW's stack cache reuses keys: a key is defined by `KeyDelete` when its entry is evicted and by
/// `KeyRundown` at the end of the session, so a key can have many definitions over a trace (the PerfView x64
/// fixture has 2,921 definitions of 1,077 keys). A reference at time *t* therefore means the first
/// Delete/Rundown of its key at or after *t* — the entry it named was still cached when the reference was
/// logged (PerfView resolves pending references on Delete/Rundown the same way). A `KeyCreate` at or before
/// *t* is used when no later Delete/Rundown exists.
///
/// Memory grows with the number of definitions (24 bytes each) and distinct stacks (their frames, stored
/// once), not with the number of events.
struct StackKeyTable {
    /// A definition's position in time: raw ticks, then file order (buffer ordinal, record position) for
    /// equal ticks.
    struct Moment: Comparable {
        var ticks: Int64
        var order: UInt64
        static func < (a: Moment, b: Moment) -> Bool { (a.ticks, a.order) < (b.ticks, b.order) }
    }

    private struct Definition {
        var key: UInt64
        var moment: Moment
        var stack: UInt32
        var isCreate: Bool
    }

    private var definitions: [Definition] = []
    /// Distinct stacks, innermost frame first.
    private(set) var stacks: [[UInt64]] = []
    private var stackIDs: [[UInt64]: UInt32] = [:]
    private var sorted = true
    private var scratch: [UInt64] = []

    var definitionCount: Int { definitions.count }
    var isEmpty: Bool { definitions.isEmpty }

    /// Records that `key` names `frames` (innermost first) at `moment`.
    mutating func define(key: UInt64, frames: ArraySlice<UInt64>, at moment: Moment, isCreate: Bool) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: frames)
        let id: UInt32
        if let known = stackIDs[scratch] {
            id = known
        } else {
            id = UInt32(stacks.count)
            stacks.append(scratch)
            stackIDs[scratch] = id
        }
        if let last = definitions.last, (last.key, last.moment) > (key, moment) { sorted = false }
        definitions.append(Definition(key: key, moment: moment, stack: id, isCreate: isCreate))
    }

    /// Sorts the definitions for lookups; call once after the first pass.
    mutating func finish() {
        if !sorted {
            definitions.sort { ($0.key, $0.moment) < ($1.key, $1.moment) }
            sorted = true
        }
        stackIDs = [:]
        scratch = []
    }

    /// The stack `key` named at `moment`, or `nil` when no definition covers it.
    func resolve(key: UInt64, at moment: Moment) -> UInt32? {
        // First definition with (key, moment) >= (key, moment of the reference).
        var low = 0
        var high = definitions.count
        while low < high {
            let mid = (low + high) / 2
            let d = definitions[mid]
            if (d.key, d.moment) < (key, moment) { low = mid + 1 } else { high = mid }
        }
        var index = low
        while index < definitions.count, definitions[index].key == key {
            if !definitions[index].isCreate { return definitions[index].stack }
            index += 1
        }
        // No later Delete/Rundown: the latest Create at or before the reference.
        index = low - 1
        if index >= 0, definitions[index].key == key, definitions[index].isCreate { return definitions[index].stack }
        if low < definitions.count, definitions[low].key == key, definitions[low].moment == moment,
           definitions[low].isCreate {
            return definitions[low].stack
        }
        return nil
    }
}

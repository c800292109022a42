import Foundation
import Testing
@testable import HeapConv

/// The checks every Chrome trace must pass, each computed independently of the writer from the input
/// events: structure and portable phases, sorted exact timestamps, instants and their args, counters
/// against ``LiveModel``, balanced lifetime slices against a slice model.
enum ChromeChecks {
    static let portablePhases: Set<String> = ["M", "C", "i", "b", "e", "n"]

    /// Records an issue when `condition` fails; unlike `#expect`, costs nothing when it holds, which
    /// matters for checks run on every record of traces with tens of thousands of them.
    @inline(__always)
    static func check(_ condition: Bool, _ message: @autoclosure () -> String = "", sourceLocation: SourceLocation) {
        if !condition { Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation) }
    }

    static func all(_ trace: ChromeTrace, input: EventBatch, lifetimes: LifetimeSelection, instants: Bool = true,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        structure(trace, sourceLocation: sourceLocation)
        sorted(trace, leaksTail: lifetimes == .leaks, sourceLocation: sourceLocation)
        if instants {
            instantsAndCounters(trace, input: input, sourceLocation: sourceLocation)
        } else {
            check(!trace.records.contains { $0.ph == "i" }, sourceLocation: sourceLocation)
            finalCounters(trace, input: input, sourceLocation: sourceLocation)
        }
        slices(trace, input: input, lifetimes: lifetimes, sourceLocation: sourceLocation)
    }

    /// Only portable phases, with what each importer needs; no `displayTimeUnit` but `ns`/`ms`.
    static func structure(_ trace: ChromeTrace, sourceLocation: SourceLocation = #_sourceLocation) {
        if let unit = trace.root["displayTimeUnit"] as? String {
            check(unit == "ns" || unit == "ms", sourceLocation: sourceLocation)
        }
        check(trace.metadata["heapconv-version"] as? String == HeapConvVersion.string, sourceLocation: sourceLocation)
        check(trace.metadata["source"] as? String == "sample.jsonl", sourceLocation: sourceLocation)
        for record in trace.records {
            check(portablePhases.contains(record.ph), "phase \(record.ph)", sourceLocation: sourceLocation)
            check(record.json["pid"] is NSNumber, "numeric pid: \(record.line)", sourceLocation: sourceLocation)
            switch record.ph {
            case "M":
                check(["process_name", "thread_name"].contains(record.name), sourceLocation: sourceLocation)
                check(!(record.args["name"] as? String ?? "").isEmpty, sourceLocation: sourceLocation)
                check(record.json["tid"] is NSNumber, sourceLocation: sourceLocation)
            case "i":
                check(record.json["s"] as? String == "t", "\(record.line)", sourceLocation: sourceLocation)
                check(record.json["tid"] is NSNumber, "\(record.line)", sourceLocation: sourceLocation)
            case "b", "e", "n":
                check(record.json["cat"] as? String == "heap", "\(record.line)", sourceLocation: sourceLocation)
                check(!record.name.isEmpty, sourceLocation: sourceLocation)
                check(!(record.localID ?? "").isEmpty, "\(record.line)", sourceLocation: sourceLocation)
                check(record.json["id"] == nil, sourceLocation: sourceLocation)
            case "C":
                check(record.args.count == 1 && record.args["live"] is NSNumber, "\(record.line)", sourceLocation: sourceLocation)
            default:
                break
            }
            if record.ph != "M" {
                check(record.tsNanoseconds != nil, "ts \(record.tsText ?? "missing") in \(record.line)", sourceLocation: sourceLocation)
            }
        }
    }

    /// `ts` never decreases; with `leaks`, the lifetime slices come after everything else and are sorted
    /// among themselves (`b` records, then their `e` records at the last event's time).
    static func sorted(_ trace: ChromeTrace, leaksTail: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let timed = trace.records.filter { $0.ph != "M" }
        let isTail: (ChromeTrace.Record) -> Bool = { leaksTail && ["b", "e", "n"].contains($0.ph) }
        let main = timed.filter { !isTail($0) }
        let tail = timed.filter(isTail)
        check(isNonDecreasing(main.compactMap(\.tsNanoseconds)), "main records sorted", sourceLocation: sourceLocation)
        check(isNonDecreasing(tail.compactMap(\.tsNanoseconds)), "leak slices sorted", sourceLocation: sourceLocation)
        if let firstTail = timed.firstIndex(where: isTail) {
            check(timed[firstTail...].allSatisfy(isTail), "leak slices last", sourceLocation: sourceLocation)
        }
    }

    static func isNonDecreasing(_ values: [UInt64]) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }
    }

    /// Each input event is one instant, in order, with the name, thread, exact `ts` and args it should
    /// have; after each, the counters written equal the live bytes and blocks recomputed by ``LiveModel``.
    static func instantsAndCounters(_ trace: ChromeTrace, input: EventBatch, sourceLocation: SourceLocation = #_sourceLocation) {
        var model = LiveModel()
        var shown: [String: UInt64] = [:]
        var index = -1
        let origin = input.events.first?.timestamp ?? 0
        var latest = origin
        var currentTS = ""

        func checkShown(after event: HeapEvent) {
            let c = event.context
            let heap = LiveModel.Key(pid: c.processID, heap: c.heap)
            let values = model.heaps[heap] ?? LiveModel.Heap()
            let prefix = "\(c.processID)|heap 0x\(String(c.heap, radix: 16))"
            check(shown[prefix + " bytes", default: 0] == values.bytes, "bytes after \(event)", sourceLocation: sourceLocation)
            check(shown[prefix + " blocks", default: 0] == values.count, "blocks after \(event)", sourceLocation: sourceLocation)
            check(shown["\(c.processID)|all heaps bytes", default: 0] == model.bytes(pid: c.processID), sourceLocation: sourceLocation)
            check(shown["\(c.processID)|all heaps blocks", default: 0] == model.blocks(pid: c.processID), sourceLocation: sourceLocation)
        }

        for record in trace.records {
            switch record.ph {
            case "i":
                if index >= 0 { checkShown(after: input.events[index]) }
                index += 1
                guard index < input.count else {
                    Issue.record("more instants than events", sourceLocation: sourceLocation)
                    return
                }
                let event = input.events[index]
                let c = event.context
                check(record.name == event.kind.windowsName, sourceLocation: sourceLocation)
                check(record.pid == UInt64(c.processID) && record.tid == UInt64(c.threadID), sourceLocation: sourceLocation)
                latest = max(latest, c.timestamp)
                currentTS = ChromeTrace.expectedTS(UInt64(bitPattern: latest &- origin))
                check(record.tsText == currentTS, "ts of \(event)", sourceLocation: sourceLocation)
                check(canonical(record.args) == expectedArgs(event, stack: input.stack(of: event)),
                        "args of \(event)", sourceLocation: sourceLocation)
                model.apply(event)
            case "C":
                check(record.tsText == currentTS, "counter ts", sourceLocation: sourceLocation)
                guard let pid = record.pid.map(UInt32.init) else { continue }
                let expected = expectedCounter(record.name, pid: pid, model: model)
                checkCounterValue(record, expected: expected, sourceLocation: sourceLocation)
                shown["\(pid)|\(record.name)"] = expected
            default:
                break
            }
        }
        if index >= 0 { checkShown(after: input.events[index]) }
        check(index == input.count - 1, "one instant per event", sourceLocation: sourceLocation)
    }

    /// Without instants, the last value of every counter is the live bytes or blocks at the end.
    static func finalCounters(_ trace: ChromeTrace, input: EventBatch, sourceLocation: SourceLocation = #_sourceLocation) {
        var model = LiveModel()
        for event in input.events { model.apply(event) }
        var last: [String: ChromeTrace.Record] = [:]
        for record in trace.records where record.ph == "C" { last["\(record.pid!)|\(record.name)"] = record }
        for (key, heap) in model.heaps where heap.count > 0 || last["\(key.pid)|heap 0x\(String(key.heap, radix: 16)) blocks"] != nil {
            let prefix = "\(key.pid)|heap 0x\(String(key.heap, radix: 16))"
            if let record = last[prefix + " bytes"] { checkCounterValue(record, expected: heap.bytes, sourceLocation: sourceLocation) }
            if let record = last[prefix + " blocks"] {
                checkCounterValue(record, expected: heap.count, sourceLocation: sourceLocation)
            } else {
                Issue.record("no blocks counter for \(prefix)", sourceLocation: sourceLocation)
            }
        }
    }

    static func expectedCounter(_ name: String, pid: UInt32, model: LiveModel) -> UInt64 {
        switch name {
        case "all heaps bytes": return model.bytes(pid: pid)
        case "all heaps blocks": return model.blocks(pid: pid)
        default:
            let parts = name.split(separator: " ")
            guard parts.count == 3, parts[0] == "heap", parts[1].hasPrefix("0x"),
                  let heap = UInt64(parts[1].dropFirst(2), radix: 16) else { return .max }
            let values = model.heaps[LiveModel.Key(pid: pid, heap: heap)] ?? LiveModel.Heap()
            return parts[2] == "bytes" ? values.bytes : parts[2] == "blocks" ? values.count : .max
        }
    }

    /// A counter is an exact integer up to 2^53 and the nearest double above it.
    static func checkCounterValue(_ record: ChromeTrace.Record, expected: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = record.raw("\"live\":") ?? ""
        if expected <= 1 << 53 {
            check(raw == String(expected), "\(record.line) should show \(expected)", sourceLocation: sourceLocation)
        } else {
            check(Double(raw) == Double(expected), "\(record.line) should show \(expected)", sourceLocation: sourceLocation)
        }
    }

    /// A size's text from the rules: a number up to 2^53, a `0x` hex string above.
    static func sizeText(_ v: UInt64) -> String { v <= 1 << 53 ? String(v) : "0x" + String(v, radix: 16) }

    /// The args of an event's instant, as text, from the issue's rules: addresses and flags as `0x` hex
    /// strings, sizes as numbers up to 2^53 (hex strings above), 32-bit counts as numbers, the source by
    /// name, the stack as hex strings.
    static func expectedArgs(_ event: HeapEvent, stack: ArraySlice<UInt64>?) -> [String: String] {
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        func hex(_ v: UInt32) -> String { hex(UInt64(v)) }
        func source(_ s: HeapSource) -> String {
            switch s {
            case .lookaside: "lookaside"
            case .lowFragmentation: "lowfrag"
            case .mainPath: "mainpath"
            case .slowPath: "slowpath"
            case .invalid: "invalid"
            case .segmentHeap: "segmentheap"
            case .other(let n): String(n)
            }
        }
        let c = event.context
        var args: [String: String] = ["heap": hex(c.heap)]
        if let cpu = c.cpu { args["cpu"] = String(cpu) }
        if let stack { args["stack"] = "[" + stack.map(hex).joined(separator: ",") + "]" }
        switch event {
        case .alloc(_, let address, let size, let s):
            args["address"] = hex(address); args["size"] = sizeText(size); args["source"] = source(s)
        case .realloc(_, let address, let size, let oldAddress, let oldSize, let s):
            args["address"] = hex(address); args["size"] = sizeText(size)
            args["old_address"] = hex(oldAddress); args["old_size"] = sizeText(oldSize); args["source"] = source(s)
        case .free(_, let address, let s):
            args["address"] = hex(address); args["source"] = source(s)
        case .destroy:
            break
        case .create(_, let f):
            args["flags"] = hex(f.flags)
            args["reserve_size"] = f.reserveSize.map(sizeText)
            args["commit_size"] = f.commitSize.map(sizeText)
            args["allocated_size"] = f.allocatedSize.map(sizeText)
        case .expand(_, let f):
            args["address"] = hex(f.address); args["committed_size"] = sizeText(f.committedSize)
            args["free_space"] = sizeText(f.freeSpace); args["committed_space"] = sizeText(f.committedSpace)
            args["reserved_space"] = sizeText(f.reservedSpace); args["allocated_space"] = f.allocatedSpace.map(sizeText)
            args["no_of_ucrs"] = String(f.noOfUCRs)
        case .contract(_, let f):
            args["address"] = hex(f.decommitAddress); args["decommit_size"] = sizeText(f.decommitSize)
            args["free_space"] = sizeText(f.freeSpace); args["committed_space"] = sizeText(f.committedSpace)
            args["reserved_space"] = sizeText(f.reservedSpace); args["allocated_space"] = f.allocatedSpace.map(sizeText)
            args["no_of_ucrs"] = String(f.noOfUCRs)
        case .snapshot(_, let f):
            args["flags"] = hex(f.flags); args["free_space"] = sizeText(f.freeSpace)
            args["committed_space"] = sizeText(f.committedSpace); args["reserved_space"] = sizeText(f.reservedSpace)
            args["large_ucr_space"] = sizeText(f.largeUCRSpace); args["allocated_space"] = f.allocatedSpace.map(sizeText)
            args["free_list_length"] = String(f.freeListLength); args["ucr_length"] = String(f.ucrLength)
            args["process_id"] = String(f.processID)
        case .other(_, let opcode):
            args["opcode"] = String(opcode)
        case .process, .thread, .image:
            return [:]
        }
        return args
    }

    /// Parsed args as text: strings as they are, numbers in decimal, arrays as `[a,b]`.
    static func canonical(_ args: [String: Any]) -> [String: String] {
        func text(_ value: Any) -> String {
            switch value {
            case let s as String: s
            case let a as [Any]: "[" + a.map(text).joined(separator: ",") + "]"
            case let n as NSNumber: String(n.uint64Value)
            default: "\(value)"
            }
        }
        return args.mapValues(text)
    }

    /// A lifetime slice as the test expects it or reads it back.
    struct Slice: Hashable, CustomStringConvertible {
        var pid: UInt64
        var heap: String
        var address: String
        var size: String
        var stack: String?
        var start: UInt64
        var end: UInt64
        var leaked: Bool
        var description: String { "pid \(pid) heap \(heap) \(address) size \(size) [\(start), \(end)]\(leaked ? " leaked" : "")" }
    }

    /// Balanced `b`/`e` pairs with matching names and ids (or one `n` for a block that ended when it
    /// began), exactly the slices the selection calls for.
    static func slices(_ trace: ChromeTrace, input: EventBatch, lifetimes: LifetimeSelection, zeroLengthAsN: Bool = true,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        var byID: [String: [ChromeTrace.Record]] = [:]
        for record in trace.records where ["b", "e", "n"].contains(record.ph) {
            byID["\(record.pid ?? 0)|\(record.localID ?? "")", default: []].append(record)
        }
        var actual: [Slice] = []
        for (id, records) in byID {
            let pair = records.count == 2 && records[0].ph == "b" && records[1].ph == "e"
            let single = records.count == 1 && records[0].ph == "n"
            guard pair || single else {
                Issue.record("slice \(id): \(records.map(\.ph))", sourceLocation: sourceLocation)
                continue
            }
            let (b, e) = (records[0], records[records.count - 1])
            check(b.name == e.name, "names of \(id)", sourceLocation: sourceLocation)
            check(b.name.hasPrefix("heap 0x") && b.name.hasSuffix(" block"), b.name, sourceLocation: sourceLocation)
            let heap = String(b.name.dropFirst(5).dropLast(6))
            check(b.localID?.hasPrefix(heap + ":" + (b.args["address"] as? String ?? "") + ":") == true, id, sourceLocation: sourceLocation)
            let stack = (b.args["stack"] as? [Any]).map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }
            actual.append(Slice(pid: b.pid ?? 0, heap: heap, address: b.args["address"] as? String ?? "",
                                size: (b.args["size"] as? String) ?? (b.args["size"] as? NSNumber).map { String($0.uint64Value) } ?? "", stack: stack,
                                start: b.tsNanoseconds ?? 0, end: e.tsNanoseconds ?? 0,
                                leaked: (e.args["leaked"] as? Bool) == true))
            check((e.tsNanoseconds ?? 0) >= (b.tsNanoseconds ?? 0), "\(id) ends before it begins", sourceLocation: sourceLocation)
            if zeroLengthAsN {
                check(pair == (b.tsNanoseconds != e.tsNanoseconds), "\(id): n for zero-length slices only", sourceLocation: sourceLocation)
            }
        }
        let expected = expectedSlices(input, lifetimes: lifetimes)
        check(actual.count == expected.count, "\(actual.count) slices, expected \(expected.count)", sourceLocation: sourceLocation)
        let (got, want) = (Set(actual), Set(expected))
        check(got == want, "unexpected: \(got.subtracting(want).prefix(3)), missing: \(want.subtracting(got).prefix(3))",
              sourceLocation: sourceLocation)
    }

    /// The slices the issue asks for, simulated from the events: a block's slice runs from its allocation to
    /// its free (or reallocation, a second allocation at its address, its heap's destruction), or is
    /// leaked and ends at the last event's time.
    static func expectedSlices(_ input: EventBatch, lifetimes: LifetimeSelection) -> [Slice] {
        guard lifetimes != .none, let origin = input.events.first?.timestamp else { return [] }
        struct Key: Hashable { var pid: UInt32; var heap: UInt64; var address: UInt64 }
        var open: [Key: Slice] = [:]
        var done: [Slice] = []
        var latest = origin
        func selected(_ size: UInt64) -> Bool {
            if case .large(let minimum) = lifetimes { return size >= minimum }
            return true
        }
        for event in input.events {
            let c = event.context
            latest = max(latest, c.timestamp)
            let ts = UInt64(bitPattern: latest &- origin)
            func close(_ address: UInt64) {
                if var slice = open.removeValue(forKey: Key(pid: c.processID, heap: c.heap, address: address)) {
                    slice.end = ts
                    done.append(slice)
                }
            }
            func begin(_ address: UInt64, _ size: UInt64) {
                close(address)
                guard selected(size) else { return }
                let stack = input.stack(of: event).map { "[" + $0.map { "0x" + String($0, radix: 16) }.joined(separator: ",") + "]" }
                open[Key(pid: c.processID, heap: c.heap, address: address)] = Slice(
                    pid: UInt64(c.processID), heap: "0x" + String(c.heap, radix: 16), address: "0x" + String(address, radix: 16),
                    size: sizeText(size), stack: stack, start: ts, end: 0, leaked: false)
            }
            switch event {
            case .alloc(_, let address, let size, _): begin(address, size)
            case .realloc(_, let address, let size, let oldAddress, _, _): close(oldAddress); begin(address, size)
            case .free(_, let address, _): close(address)
            case .destroy:
                for key in open.keys where key.pid == c.processID && key.heap == c.heap { close(key.address) }
            default: break
            }
        }
        let end = UInt64(bitPattern: latest &- origin)
        let leaked = open.values.map { slice in
            var slice = slice
            slice.end = end
            slice.leaked = true
            return slice
        }
        return lifetimes == .leaks ? leaked : done + leaked
    }
}

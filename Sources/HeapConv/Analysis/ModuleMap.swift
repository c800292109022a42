/// Which image (EXE, DLL, driver) each address belongs to, per process, as the trace's image records arrive
/// in time order: what turns a stack frame `0x7ff8ed0814e8` into `ntdll.dll+0x814e8`.
///
/// Loads and start rundowns (`dcstart`) map an image's range in its process, unloads remove it, so a range
/// reused after an unload resolves to whatever is loaded when the frame is looked up; end rundowns
/// (`dcend`) map an image not seen before. Kernel addresses (from `0xffff800000000000`) resolve against the
/// kernel's modules (process 0). A process's map is dropped when the process ends: its id may be reused.
///
/// Memory grows with the images of the trace, never with its events: a module is kept once per distinct
/// (path, PDB identity) and a range per mapping.
public final class ModuleMap {
    /// One module: its names and identity.
    public struct Module: Sendable {
        /// The file's base name (`ntdll.dll`), UTF-8.
        public var name: [UInt8]
        /// The NT path as the trace has it.
        public var path: [UInt8]
        public var pdb: PDBIdentity?
        public var timeDateStamp: UInt32?
        /// ``name`` escaped for a JSON string, formatted once.
        var jsonName: [UInt8]
    }

    /// A mapping of a module: `[start, end)` in one process.
    public struct Mapping: Sendable {
        public var start: UInt64
        public var end: UInt64
        public var module: Int
    }

    /// Where a frame falls.
    public struct Resolution: Sendable {
        public var module: Int
        public var offset: UInt64
        public var mapping: Mapping
        /// The process whose images held it, or 0 for the kernel's.
        public var space: UInt32
    }

    /// The first kernel-mode address of 64-bit Windows.
    public static let kernelStart: UInt64 = 0xFFFF_8000_0000_0000

    public private(set) var modules: [Module] = []
    private var moduleIndex: [ModuleKey: Int] = [:]
    /// Mappings of each process, sorted by start and not overlapping; process 0 holds the kernel's.
    private var processes: [UInt32: [Mapping]] = [:]
    /// The last process looked up and its mappings' slot, for runs of frames of one process.
    private var lastProcess: UInt32 = .max
    private var lastMappings: [Mapping] = []
    /// The kernel's mappings (process 0's), for the lookups that fall back to them.
    private var kernelMappings: [Mapping] = []
    /// Image records applied.
    public private(set) var images: UInt64 = 0

    private struct ModuleKey: Hashable {
        var path: [UInt8]
        var pdb: PDBIdentity?
    }

    public init() {}

    /// Whether no image was ever mapped (the trace has no image records).
    public var isEmpty: Bool { modules.isEmpty }

    /// Applies a context record whose strings are in `batch`; heap events are ignored.
    public func apply(_ event: HeapEvent, in batch: EventBatch) {
        switch event {
        case .image(let c, let f):
            images += 1
            let pid = f.base >= Self.kernelStart ? 0 : c.processID
            if f.state == .unload {
                remove(base: f.base, processID: pid)
                return
            }
            let path = batch.text(f.name).map(Array.init) ?? []
            let pdb = batch.text(f.pdb).flatMap(PDBIdentity.init(encoded:))
            let module = moduleNumber(path: path, pdb: pdb, timeDateStamp: f.timeDateStamp)
            let end = f.base &+ f.size < f.base ? UInt64.max : f.base &+ f.size
            if f.state == .dcend, let existing = lookup(f.base, in: processes[pid] ?? []), existing.start == f.base {
                return  // still mapped, as the rundown confirms
            }
            insert(Mapping(start: f.base, end: end, module: module), processID: pid)
        case .process(let c, let f) where !f.state.isAlive:
            if c.processID != 0 { processes[c.processID] = nil }
            if c.processID == lastProcess { lastProcess = .max }
        default:
            break
        }
    }

    /// The module `address` falls in, in `processID` (or the kernel's, for kernel addresses), now. An
    /// address in none of the process's images is looked up among the kernel's too (a 32-bit kernel's
    /// addresses lie below ``kernelStart``).
    @inline(__always)
    public func resolve(_ address: UInt64, processID: UInt32) -> Resolution? {
        let pid = address >= Self.kernelStart ? 0 : processID
        if pid != lastProcess {
            lastProcess = pid
            lastMappings = processes[pid] ?? []
        }
        if let mapping = lookup(address, in: lastMappings) {
            return Resolution(module: mapping.module, offset: address &- mapping.start, mapping: mapping, space: pid)
        }
        guard pid != 0, !kernelMappings.isEmpty, let mapping = lookup(address, in: kernelMappings) else { return nil }
        return Resolution(module: mapping.module, offset: address &- mapping.start, mapping: mapping, space: 0)
    }

    private func lookup(_ address: UInt64, in mappings: [Mapping]) -> Mapping? {
        var low = 0
        var high = mappings.count
        while low < high {
            let mid = (low + high) / 2
            if mappings[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0, address < mappings[low - 1].end else { return nil }
        return mappings[low - 1]
    }

    private func moduleNumber(path: [UInt8], pdb: PDBIdentity?, timeDateStamp: UInt32?) -> Int {
        let key = ModuleKey(path: path, pdb: pdb)
        if let known = moduleIndex[key] { return known }
        let slash = path.lastIndex { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }
        let name = Array(path[(slash.map { $0 + 1 } ?? 0)...])
        let jsonName = Self.jsonEscaped(name)
        longestName = max(longestName, jsonName.count)
        modules.append(Module(name: name, path: path, pdb: pdb, timeDateStamp: timeDateStamp, jsonName: jsonName))
        moduleIndex[key] = modules.count - 1
        return modules.count - 1
    }

    /// Maps `mapping`, replacing whatever overlaps it (an unload the trace lost).
    private func insert(_ mapping: Mapping, processID: UInt32) {
        var list = processes[processID] ?? []
        list.removeAll { $0.start < mapping.end && mapping.start < $0.end }
        let at = list.firstIndex { $0.start > mapping.start } ?? list.count
        list.insert(mapping, at: at)
        processes[processID] = list
        if processID == 0 { kernelMappings = list }
        if processID == lastProcess { lastProcess = .max }
    }

    private func remove(base: UInt64, processID: UInt32) {
        guard var list = processes[processID], let at = list.firstIndex(where: { $0.start == base }) else { return }
        list.remove(at: at)
        processes[processID] = list
        if processID == 0 { kernelMappings = list }
        if processID == lastProcess { lastProcess = .max }
    }

    /// `bytes` with what a JSON string needs escaped (`"`, `\`, control characters).
    static func jsonEscaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: out += Array("\\u00".utf8) + [SWARDigits.lowerHexDigit(byte >> 4), SWARDigits.lowerHexDigit(byte & 0xF)]
            default: out.append(byte)
            }
        }
        return out
    }

    /// Appends the frame `address` of `processID` as JSON string text without quotes: `ntdll.dll+0x1a2b3`, or
    /// `0x7ff8ed0814e8` where it falls in no module or in an image without a name (at most 18 bytes plus the
    /// module name). The same rule as ``frameName(_:module:offset:)``.
    func appendFrameName(_ address: UInt64, processID: UInt32, to cursor: inout OutputCursor) {
        if let hit = resolve(address, processID: processID), !modules[hit.module].jsonName.isEmpty {
            modules[hit.module].jsonName.withUnsafeBytes { cursor.append(bytes: $0) }
            cursor.append(UInt8(ascii: "+"))
            cursor.append(hex: hit.offset)
        } else {
            cursor.append(hex: address)
        }
    }

    /// The longest ``appendFrameName(_:processID:to:)`` writes.
    var maximumFrameNameLength: Int { longestName + 19 }
    /// The longest escaped module name.
    private var longestName = 0

    /// The frame's name as a `String` (analyses, the CSV `frames` cell, tests).
    public func frameName(_ address: UInt64, processID: UInt32) -> String {
        let hit = resolve(address, processID: processID)
        return frameName(address, module: hit?.module, offset: hit?.offset ?? 0)
    }

    /// The name of the frame at `address`, `offset` into `module` (`nil`: none): `ntdll.dll+0x1a2b3`, or
    /// `0x7ff8ed0814e8` outside any module or in an image the trace gave no name.
    public func frameName(_ address: UInt64, module: Int?, offset: UInt64) -> String {
        guard let module, !modules[module].name.isEmpty else { return "0x" + String(address, radix: 16) }
        return String(decoding: modules[module].name, as: UTF8.self) + "+0x" + String(offset, radix: 16)
    }
}

/// Writes a heap profile in pprof's `profile.proto` form (`Schemas/pprof.md`): which call stacks allocated how
/// much, and which hold the memory still in use at the end, for `go tool pprof` and Perfetto UI's flame graphs.
///
/// Events go into a ``HeapAttribution`` as they come (memory bounded by live blocks and distinct stacks); the
/// profile is encoded at ``finish()``: sample types `alloc_objects/count`, `alloc_space/bytes`,
/// `inuse_objects/count`, `inuse_space/bytes` (Go's heap profile order, `inuse_space` the default), one sample
/// per (process, stack) that allocated, its frames leaf first and, outermost, a root frame naming the process.
/// Locations are one per (mapping, address), each with a function named `module+0xoffset` (or `0x...`);
/// mappings one per loaded image per process, plus `[pid N]` for a process's frames in no image and
/// `[kernel]` for kernel frames in none. The pipeline gzips the bytes (``PprofFormat``).
public struct PprofWriter: EventWriter {
    let output: OutputBuffer
    let inputName: String
    private var attribution = HeapAttribution<StackTag>()
    private var reportLines: [String] = []

    public init(output: OutputBuffer, inputName: String) {
        self.output = output
        self.inputName = inputName
    }

    public var report: [String] { reportLines }

    public mutating func write(_ batch: EventBatch) throws(ConversionError) {
        attribution.apply(batch)
    }

    public mutating func finish() throws(ConversionError) {
        var encoder = PprofEncoder(attribution, inputName: inputName)
        let profile = encoder.encode()
        var failure: ConversionError?
        profile.withUnsafeBytes { bytes in
            do throws(ConversionError) { try output.append(bytes: bytes) } catch { failure = error }
        }
        if let failure { throw failure }
        try output.finish()
        reportLines = ["pprof: \(attribution.heapEvents) heap events in \(attribution.stacks.entries.count) stacks of "
                       + "\(Set(attribution.stacks.entries.map(\.processID)).count) processes, "
                       + "\(attribution.modules.modules.count) modules"]
    }
}

/// Builds the `Profile` message from an attribution: string table, mappings, functions, locations, samples.
struct PprofEncoder {
    private let attribution: HeapAttribution<StackTag>
    private let inputName: String
    private var strings: [String] = [""]
    private var stringIndex: [String: Int] = ["": 0]
    /// Mapping ids by (address space, start, end, module); `[pid N]` and `[kernel]` with module -1.
    private var mappingIDs: [MappingKey: UInt64] = [:]
    private var mappings: [(key: MappingKey, id: UInt64)] = []
    private var functionIDs: [String: UInt64] = [:]
    private var locationIDs: [LocationKey: UInt64] = [:]
    private var locations = ProtobufWriter()
    private var rootLocations: [UInt32: UInt64] = [:]
    private var nextLocation: UInt64 = 1
    private var functions = ProtobufWriter()

    private struct MappingKey: Hashable {
        var space: UInt32
        var start: UInt64
        var end: UInt64
        var module: Int32
    }

    private struct LocationKey: Hashable {
        var mapping: UInt64
        var address: UInt64
    }

    // profile.proto field numbers.
    private enum Profile {
        static let sampleType = 1, sample = 2, mapping = 3, location = 4, function = 5, stringTable = 6
        static let timeNanos = 9, durationNanos = 10, periodType = 11, period = 12, comment = 13
        static let defaultSampleType = 14
    }

    init(_ attribution: HeapAttribution<StackTag>, inputName: String) {
        self.attribution = attribution
        self.inputName = inputName
    }

    private mutating func string(_ text: String) -> UInt64 {
        if let index = stringIndex[text] { return UInt64(index) }
        strings.append(text)
        stringIndex[text] = strings.count - 1
        return UInt64(strings.count - 1)
    }

    private mutating func mappingID(_ key: MappingKey) -> UInt64 {
        if let id = mappingIDs[key] { return id }
        let id = UInt64(mappings.count + 1)
        mappingIDs[key] = id
        mappings.append((key, id))
        return id
    }

    private mutating func functionID(_ name: String) -> UInt64 {
        if let id = functionIDs[name] { return id }
        let id = UInt64(functionIDs.count + 1)
        functionIDs[name] = id
        let nameIndex = string(name)
        functions.message(Profile.function) { f in
            f.field(1, id)
            f.optional(2, nameIndex)
        }
        return id
    }

    private mutating func location(mapping: UInt64, address: UInt64, function: UInt64) -> UInt64 {
        let id = nextLocation
        nextLocation += 1
        locations.message(Profile.location) { l in
            l.field(1, id)
            l.field(2, mapping)
            l.optional(3, address)
            l.message(4) { line in line.field(1, function) }
        }
        return id
    }

    /// The location of a frame: one per (mapping, address).
    private mutating func locationID(_ site: StackTable.FrameSite) -> UInt64 {
        let mapping = site.module >= 0
            ? mappingID(MappingKey(space: site.space, start: site.mappingStart, end: site.mappingEnd, module: site.module))
            : mappingID(MappingKey(space: site.space, start: 0, end: 0, module: -1))
        let key = LocationKey(mapping: mapping, address: site.address)
        if let id = locationIDs[key] { return id }
        let id = location(mapping: mapping, address: site.address, function: functionID(attribution.frameName(site)))
        locationIDs[key] = id
        return id
    }

    /// The synthetic outermost frame of every sample of a process: its name, so that flame graphs separate
    /// processes and stackless events have a place.
    private mutating func rootLocation(_ pid: UInt32) -> UInt64 {
        if let id = rootLocations[pid] { return id }
        // Its own mapping (module -2): process 0's would otherwise be the `[kernel]` one.
        let mapping = mappingID(MappingKey(space: pid, start: 0, end: 0, module: -2))
        let id = location(mapping: mapping, address: 0, function: functionID(attribution.processLabel(pid)))
        rootLocations[pid] = id
        return id
    }

    mutating func encode() -> [UInt8] {
        var profile = ProtobufWriter()
        let types = [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")]
        for (type, unit) in types {
            let t = string(type), u = string(unit)
            profile.message(Profile.sampleType) { v in
                v.field(1, t)
                v.field(2, u)
            }
        }
        let inUse = attribution.inUse()
        let pidKey = string("pid"), bytesKey = string("bytes")
        // One sample per location list: a process's "no stack recorded" and empty stack both come down to
        // its root frame alone, and are one sample.
        var samples: [(locations: [UInt64], processID: UInt32, values: [UInt64])] = []
        var sampleIndex: [[UInt64]: Int] = [:]
        for (id, entry) in attribution.stacks.entries.enumerated() {
            let allocated = attribution.allocations[id]
            let held = inUse[id]
            guard allocated.objects > 0 || held.objects > 0 else { continue }
            var ids: [UInt64] = []
            for site in attribution.stacks.frames(of: id) { ids.append(locationID(site)) }
            ids.append(rootLocation(entry.processID))
            let values = [allocated.objects, allocated.bytes, held.objects, held.bytes]
            if let index = sampleIndex[ids] {
                for k in 0..<4 { samples[index].values[k] &+= values[k] }
            } else {
                sampleIndex[ids] = samples.count
                samples.append((ids, entry.processID, values))
            }
        }
        for (ids, processID, values) in samples {
            let average = values[0] > 0 ? values[1] / values[0] : 0
            profile.message(Profile.sample) { s in
                s.packed(1, ids)
                s.packed(2, values)
                s.message(3) { label in
                    label.field(1, pidKey)
                    label.field(3, UInt64(processID))
                }
                s.message(3) { label in
                    label.field(1, bytesKey)
                    label.field(3, average)
                    label.field(4, bytesKey)
                }
            }
        }
        for (key, id) in mappings {
            let filename: String
            var buildID = ""
            if key.module >= 0 {
                let module = attribution.modules.modules[Int(key.module)]
                filename = String(decoding: module.path, as: UTF8.self)
                if let pdb = module.pdb { buildID = pdb.symbolServerKey }
            } else {
                filename = key.space == 0 && key.module == -1 ? "[kernel]" : "[pid \(key.space)]"
            }
            let f = string(filename), b = buildID.isEmpty ? 0 : string(buildID)
            profile.message(Profile.mapping) { m in
                m.field(1, id)
                m.optional(2, key.start)
                m.optional(3, key.end)
                m.optional(5, f)
                m.optional(6, b)
                // Functions are named here: pprof must not look for the binary to symbolize.
                m.field(7, 1)
            }
        }
        profile.append(locations)
        profile.append(functions)
        let comment = string("heapconv \(HeapConvVersion.string) heap profile of \(inputName): \(attribution.heapEvents) heap events")
        let space = string("space"), bytes = string("bytes"), inuseSpace = string("inuse_space")
        for text in strings { profile.field(Profile.stringTable, bytes: Array(text.utf8)) }
        if let first = attribution.firstTimestamp, let last = attribution.lastTimestamp {
            profile.field(Profile.timeNanos, signed: first)
            profile.optional(Profile.durationNanos, UInt64(bitPattern: last &- first))
        }
        profile.message(Profile.periodType) { v in
            v.field(1, space)
            v.field(2, bytes)
        }
        profile.field(Profile.period, 1)
        profile.packed(Profile.comment, [comment])
        profile.field(Profile.defaultSampleType, inuseSpace)
        return profile.bytes
    }
}


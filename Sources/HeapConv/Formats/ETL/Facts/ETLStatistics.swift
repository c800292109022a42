/// Counts gathered while walking an `.etl` file: what `info` reports about its buffers and records.
struct ETLStatistics {
    var fileSize: UInt64 = 0
    var buffers: UInt64 = 0
    var compressedBuffers: UInt64 = 0
    /// Buffers whose flags say events were lost while filling them (BufferFlag 0x02).
    var buffersFlaggedEventsLost: UInt64 = 0
    var records: UInt64 = 0
    var recordsByKind = [UInt64](repeating: 0, count: RecordKind.allCases.count)
    /// Kernel-header records (SYSTEM, COMPACT, PERFINFO) by hook group.
    var recordsByGroup = [UInt64](repeating: 0, count: 256)
    /// EVENT_HEADER, FULL_HEADER and INSTANCE records by GUID, in order of first appearance.
    var providers: [(guid: GUID, count: UInt64)] = []
    var stackWalkByOpcode = [UInt64](repeating: 0, count: 256)
    var heapByOpcode = [UInt64](repeating: 0, count: 256)
    var heapRecords: UInt64 = 0
    /// Process, Thread and Image records (context for names and modules).
    var contextRecords: UInt64 = 0
    /// Stack, StackKeyKernel and StackKeyUser records.
    var stackFragments: UInt64 = 0
    /// Processor indices that filled buffers (bit set of 2048).
    var processors = [UInt64](repeating: 0, count: 32)
    /// Times a heap or stack record's timestamp was earlier than the previous one on the same CPU.
    var cpuStreamInversions: UInt64 = 0
    /// The latest raw timestamp of the last record of any buffer.
    var lastTicks: Int64?
    /// Buffers and records skipped under `--keep-going`.
    var skippedBuffers: UInt64 = 0
    var skippedRecords: UInt64 = 0
    var skippedBytes: UInt64 = 0

    private var lastProvider = -1

    mutating func countProvider(_ guid: GUID) {
        if lastProvider >= 0, providers[lastProvider].guid == guid {
            providers[lastProvider].count += 1
            return
        }
        if let index = providers.firstIndex(where: { $0.guid == guid }) {
            providers[index].count += 1
            lastProvider = index
        } else {
            providers.append((guid, 1))
            lastProvider = providers.count - 1
        }
    }

    /// Adds the counts of `other`, gathered from buffers after those counted here (`fileSize` is kept).
    mutating func add(_ other: ETLStatistics) {
        buffers += other.buffers
        compressedBuffers += other.compressedBuffers
        buffersFlaggedEventsLost += other.buffersFlaggedEventsLost
        records += other.records
        for i in recordsByKind.indices { recordsByKind[i] += other.recordsByKind[i] }
        for i in recordsByGroup.indices { recordsByGroup[i] += other.recordsByGroup[i] }
        for provider in other.providers {
            if let index = providers.firstIndex(where: { $0.guid == provider.guid }) {
                providers[index].count += provider.count
            } else {
                providers.append(provider)
            }
        }
        for i in stackWalkByOpcode.indices { stackWalkByOpcode[i] += other.stackWalkByOpcode[i] }
        for i in heapByOpcode.indices { heapByOpcode[i] += other.heapByOpcode[i] }
        heapRecords += other.heapRecords
        contextRecords += other.contextRecords
        stackFragments += other.stackFragments
        for i in processors.indices { processors[i] |= other.processors[i] }
        cpuStreamInversions += other.cpuStreamInversions
        if let ticks = other.lastTicks, lastTicks.map({ ticks > $0 }) ?? true { lastTicks = ticks }
        skippedBuffers += other.skippedBuffers
        skippedRecords += other.skippedRecords
        skippedBytes += other.skippedBytes
        lastProvider = -1
    }

    mutating func noteProcessor(_ index: UInt16) {
        processors[Int(index >> 6) & 31] |= 1 << UInt64(index & 63)
    }

    var processorCount: Int { processors.reduce(0) { $0 + $1.nonzeroBitCount } }
}

/// A GUID as stored in a record: `Data1` (u32), `Data2`, `Data3` (u16) little-endian, then 8 bytes.
struct GUID: Equatable, Hashable {
    var low: UInt64
    var high: UInt64

    init(_ bytes: ByteView, at offset: Int) {
        low = bytes.u64(offset)
        high = bytes.u64(offset + 8)
    }

    init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// `222962ab-6180-4b88-a825-346b75f2a24a`.
    var string: String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let data1 = low & 0xFFFF_FFFF
        let data2 = (low >> 32) & 0xFFFF
        let data3 = low >> 48
        // Data4 is a byte array: print its bytes in storage order.
        let data4 = high.byteSwapped
        return hex(data1, 8) + "-" + hex(data2, 4) + "-" + hex(data3, 4) + "-" + hex(data4 >> 48, 4) + "-"
            + hex(data4 & 0xFFFF_FFFF_FFFF, 12)
    }
}

/// Names of the kernel hook groups (`EVENT_TRACE_GROUP_*`, PHNT ntwmi.h).
enum HookGroup {
    static func name(_ group: UInt8) -> String {
        let names = ["Header", "IO", "Memory", "Process", "File", "Thread", "TcpIp", "Job", "UdpIp", "Registry",
                     "DbgPrint", "Config", "Spare1", "WNF", "Pool", "PerfInfo", "Heap", "Object", "Power",
                     "ModBound", "Image", "DPC", "CC", "CritSec", "StackWalk", "UMS", "ALPC", "SplitIO",
                     "ThreadPool", "Hypervisor", "HypervisorX"]
        return Int(group) < names.count ? names[Int(group)] : "group " + group.hex
    }
}

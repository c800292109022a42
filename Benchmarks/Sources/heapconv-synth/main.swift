// heapconv-synth: writes a synthetic heap trace in the raw .etl format for benchmarks.
//
//   heapconv-synth --events N [--cpus C] [--stack-every K] [--compressed] [--images] OUT.etl
//
// The workload imitates a traced program: allocations, reallocations and frees over three heaps and eight
// threads spread over C CPUs, each CPU writing its own buffers (so the file is not in time order), a call
// stack (a StackWalk Stack record) after every K-th allocation, drawn from a few thousand distinct stacks
// that share their outer frames, as real call stacks do. With --images the trace starts with the rundown a
// kernel logger writes (the process, named bench.exe, and 17 images: every frame falls in one) and ends
// with the process's end, as a merged trace would: what names processes and frames. Deterministic: the
// same arguments give the same file.
import ETLSynth
import Foundation

struct Arguments {
    var events = 1_000_000
    var cpus = 4
    var stackEvery = 3
    var compressed = false
    var images = false
    var output = ""

    static let usage = "usage: heapconv-synth --events N [--cpus C] [--stack-every K] [--compressed] [--images] OUT.etl\n"

    init() {
        var args = CommandLine.arguments.dropFirst()
        func number(after option: String) -> Int {
            guard let text = args.popFirst(), let value = Int(text), value > 0 else {
                Self.fail("\(option) takes a positive number")
            }
            return value
        }
        while let arg = args.popFirst() {
            switch arg {
            case "--events": events = number(after: arg)
            case "--cpus": cpus = number(after: arg)
            case "--stack-every": stackEvery = number(after: arg)
            case "--compressed": compressed = true
            case "--images": images = true
            case "-h", "--help":
                FileHandle.standardOutput.write(Data(Self.usage.utf8))
                exit(0)
            default:
                // An unknown option is a mistake, not a file to write (`--help` once became an 89 MB trace).
                guard !arg.hasPrefix("-"), output.isEmpty else { Self.fail("unexpected argument '\(arg)'") }
                output = arg
            }
        }
        if output.isEmpty { Self.fail("no output file given") }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("heapconv-synth: \(message)\n\(usage)".utf8))
        exit(64)
    }
}

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

let args = Arguments()
guard FileManager.default.createFile(atPath: args.output, contents: nil),
      let out = FileHandle(forWritingAtPath: args.output) else {
    FileHandle.standardError.write(Data("heapconv-synth: cannot create \(args.output)\n".utf8))
    exit(73)
}
var pending: [UInt8] = []
pending.reserveCapacity(8 << 20)
var header = ETLLogHeader(width: .bits64, bufferSize: 65536)
header.numberOfProcessors = UInt32(args.cpus)
var builder = ETLFileBuilder(header: header) { buffer in
    pending.append(contentsOf: buffer)
    if pending.count >= 4 << 20 {
        out.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }
}
builder.defaultOptions.compressed = args.compressed

var rng = SplitMix64(state: 0x5eed_1234)
// A few thousand stacks: 64 outer parts of 6-12 frames shared by many inner parts of 2-10 frames.
let outer: [[UInt64]] = (0..<64).map { _ in (0..<(6 + rng.below(7))).map { _ in 0x7ff8_0000_0000 | rng.next() % 0x1000_0000 } }
let stacks: [[UInt64]] = (0..<4096).map { _ in
    (0..<(2 + rng.below(9))).map { _ in 0x7ff6_0000_0000 | rng.next() % 0x100_0000 } + outer[rng.below(outer.count)]
}
let heaps: [UInt64] = [0x1a0_0000, 0x2b0_0000, 0x1f4_8c3a_0000]
let pid: UInt32 = 4242
var live: [(heap: UInt64, address: UInt64, size: UInt64)] = []
var nextAddress: [UInt64: UInt64] = [:]
for heap in heaps { nextAddress[heap] = heap + 0x1000 }
var ticks: Int64 = header.headerTicks + 1_000
if args.images {
    // The rundown: the process, bench.exe for the inner frames (0x7ff6_0000_0000 + 16 MiB) and 16 DLLs of
    // 16 MiB each for the outer ones (0x7ff8_0000_0000 + 256 MiB).
    builder.append(ETLContextRecords.process(.bits64, header: .perfinfo(ticks: ticks), opcode: .dcstart, processID: pid,
                                             parentID: 4, imageFileName: Array("bench.exe".utf8),
                                             commandLine: "C:\\bench\\bench.exe --run"), cpu: 0, ticks: ticks)
    builder.append(ETLContextRecords.image(.bits64, header: .perfinfo(ticks: ticks), kind: .dcstart, base: 0x7ff6_0000_0000,
                                           size: 0x100_0000, processID: pid, fileName: "C:\\bench\\bench.exe"), cpu: 0, ticks: ticks)
    for k in 0..<16 {
        builder.append(ETLContextRecords.image(.bits64, header: .perfinfo(ticks: ticks), kind: .dcstart,
                                               base: 0x7ff8_0000_0000 + UInt64(k) * 0x100_0000, size: 0x100_0000, processID: pid,
                                               fileName: "C:\\Windows\\System32\\lib\(k).dll"), cpu: 0, ticks: ticks)
    }
}
var allocations = 0
for _ in 0..<args.events {
    ticks += Int64(1 + rng.below(40))
    let thread = UInt32(1000 + rng.below(8))
    let cpu = UInt16(Int(thread) % args.cpus)
    let h = ETLHeapRecords.Header(.bits64, thread: thread, process: pid, ticks: ticks)
    let roll = rng.below(100)
    if roll < 50 || live.count < 16 {
        let heap = heaps[rng.below(heaps.count)]
        let size = UInt64(rng.below(10) == 0 ? 4096 + rng.below(1 << 20) : 8 + rng.below(512))
        let address = nextAddress[heap]!
        nextAddress[heap]! += (size + 31) & ~15
        live.append((heap, address, size))
        builder.append(ETLHeapRecords.alloc(h, heap: heap, size: size, address: address, source: UInt32(1 + rng.below(4))), cpu: cpu, ticks: ticks)
        allocations += 1
        if allocations % args.stackEvery == 0 {
            builder.append(ETLStackWalkRecords.stack(.bits64, ticks: ticks, eventTicks: ticks, process: pid, thread: thread,
                                                     frames: stacks[rng.below(stacks.count)]), cpu: cpu, ticks: ticks)
        }
    } else if roll < 62 {
        let i = rng.below(live.count)
        let old = live[i]
        let size = old.size + UInt64(rng.below(256))
        let address = nextAddress[old.heap]!
        nextAddress[old.heap]! += (size + 31) & ~15
        live[i] = (old.heap, address, size)
        builder.append(ETLHeapRecords.realloc(h, heap: old.heap, newAddress: address, oldAddress: old.address,
                                              newSize: size, oldSize: old.size, source: 3), cpu: cpu, ticks: ticks)
    } else {
        let i = rng.below(live.count)
        live.swapAt(i, live.count - 1)
        let old = live.removeLast()
        builder.append(ETLHeapRecords.free(h, heap: old.heap, address: old.address, source: 3), cpu: cpu, ticks: ticks)
    }
}
if args.images {
    ticks += 1
    builder.append(ETLContextRecords.process(.bits64, header: .system(thread: 1000, process: pid, ticks: ticks), opcode: .end,
                                             processID: pid, parentID: 4, exitStatus: 0, imageFileName: Array("bench.exe".utf8)),
                   cpu: 0, ticks: ticks)
}
_ = builder.build()
out.write(Data(pending))
try out.close()

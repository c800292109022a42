import ETLSynth
import Foundation
import Testing
@testable import HeapConv

/// Context records written by `ETLSynth` byte for byte as CONTEXT.md documents them: both pointer sizes,
/// every header kind and version, ids from the payload, images loaded and unloaded mid-trace, a reused
/// address range, kernel modules, and the ImageID/DbgID join; then heap stacks resolved to the right
/// `module+0xoffset` at the right time.
@Suite struct ETLContextSynthTests {
    typealias C = ETLContextRecords
    static let widths: [ETLPointerWidth] = [.bits64, .bits32]

    /// Reads `bytes` and returns the events as JSON Lines (``EventBatch`` strings resolved).
    static func jsonl(_ bytes: [UInt8], frames: Bool = false, keepGoing: Bool = false) throws -> [String] {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("t.etl"))
        let r = try CLI.run(["t.etl", "-", "--to", "jsonl", "--quiet"] + (frames ? ["--frames"] : []) + (keepGoing ? ["--keep-going"] : []),
                            in: dir)
        #expect(r.status == (keepGoing ? 3 : 0), "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// A user-mode address for `width`, and a kernel one.
    static func user(_ width: ETLPointerWidth, _ offset: UInt64) -> UInt64 {
        (width == .bits64 ? 0x7FF8_0000_0000 : 0x7700_0000) + offset
    }
    static func kernel(_ width: ETLPointerWidth) -> UInt64 { width == .bits64 ? 0xFFFF_F800_0000_0000 : 0x8040_0000 }

    @Test(arguments: widths)
    func everyKindAndHeaderDecodesWithIdsFromThePayload(_ width: ETLPointerWidth) throws {
        let sid = C.SID(subAuthorities: [21, 1, 2, 3, 1001])
        let bytes = ETLTestSupport.trace(width) { b in
            b.appendBuffer(cpu: 0, records: [
                // Started by process 4's thread 8: the header names the creator, the payload the process.
                C.process(width, header: .system(thread: 8, process: 4, ticks: 5_000_010), opcode: .start, processID: 0x4321,
                          parentID: 4, sessionID: 1, sid: sid, imageFileName: Array("notepad.exe".utf8),
                          commandLine: "\"C:\\Windows\\notepad.exe\" a.txt"),
                C.thread(width, header: .system(thread: 8, process: 4, ticks: 5_000_020), opcode: .start, processID: 0x4321,
                         threadID: 0x1234, name: "worker"),
                C.image(width, header: .system(thread: 0x1234, process: 0x4321, compact: true, ticks: 5_000_030), kind: .load,
                        base: Self.user(width, 0), size: 0x1000, processID: 0x4321, checksum: 0x1A2B, timeDateStamp: 0x5E00_0000,
                        fileName: "\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll"),
                C.image(width, header: .perfinfo(ticks: 5_000_040), kind: .dcstart, version: 2, base: Self.user(width, 0x10000),
                        size: 0x2000, processID: 0x4321, fileName: "\\Windows\\a.dll"),
                C.thread(width, header: .system(thread: 0x1234, process: 0x4321, ticks: 5_000_050), opcode: .end,
                         processID: 0x4321, threadID: 0x1234, name: ""),
                C.process(width, header: .perfinfo(ticks: 5_000_060), opcode: .defunct, version: 5, processID: 0x4321,
                          parentID: 4, exitStatus: -1_073_741_819, sid: nil, imageFileName: Array("notepad.exe".utf8),
                          exitTime: 132_000_000_000_000_000),
            ])
        }
        let t = { (ticks: Int64) in String(ETLTestSupport.ns(ticks)) }
        let hex = { (value: UInt64) in "0x" + String(value, radix: 16) }
        #expect(try Self.jsonl(bytes) == [
            #"{"event":"process","ts":"# + t(5_000_010) + #","pid":17185,"state":"start","parent_pid":4,"session":1,"name":"notepad.exe","command_line":"\"C:\\Windows\\notepad.exe\" a.txt"}"#,
            #"{"event":"thread","ts":"# + t(5_000_020) + #","pid":17185,"tid":4660,"state":"start","name":"worker"}"#,
            #"{"event":"image","ts":"# + t(5_000_030) + #","pid":17185,"state":"load","address":""# + hex(Self.user(width, 0))
                + #"","size":4096,"name":"\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll","checksum":6699,"timestamp":1577058304}"#,
            #"{"event":"image","ts":"# + t(5_000_040) + #","pid":17185,"state":"dcstart","address":""# + hex(Self.user(width, 0x10000))
                + #"","size":8192,"name":"\\Windows\\a.dll"}"#,
            #"{"event":"thread","ts":"# + t(5_000_050) + #","pid":17185,"tid":4660,"state":"end"}"#,
            #"{"event":"process","ts":"# + t(5_000_060) + #","pid":17185,"state":"defunct","parent_pid":4,"session":1,"exit_status":-1073741819,"name":"notepad.exe"}"#,
        ])
    }

    /// Old versions: Process 0-3, Thread 0-2 (v0 lists the thread id first), Image 0-1; and payloads longer
    /// than the layout (newer versions append fields).
    @Test(arguments: widths)
    func olderVersionsAndLongerPayloads(_ width: ETLPointerWidth) throws {
        let bytes = ETLTestSupport.trace(width) { b in
            var records: [[UInt8]] = []
            for version: UInt8 in 0...3 {
                records.append(C.process(width, header: .perfinfo(ticks: 5_000_010 + Int64(version)), opcode: .dcstart,
                                         version: version, processID: 100 + UInt32(version), parentID: 4,
                                         imageFileName: Array("p\(version).exe".utf8), commandLine: "p\(version) -x",
                                         trailing: [1, 2, 3]))
            }
            for version: UInt8 in 0...2 {
                records.append(C.thread(width, header: .perfinfo(ticks: 5_000_020 + Int64(version)), opcode: .dcstart,
                                        version: version, processID: 200, threadID: 300 + UInt32(version), trailing: [9]))
            }
            for version: UInt8 in 0...1 {
                records.append(C.image(width, header: .system(thread: 1, process: 400, ticks: 5_000_030 + Int64(version)),
                                       kind: .dcstart, version: version, base: 0x1000 * UInt64(version + 1), size: 0x1000,
                                       processID: 400, fileName: "m\(version).dll"))
            }
            b.appendBuffer(cpu: 0, records: records)
        }
        let lines = try Self.jsonl(bytes)
        #expect(lines.count == 9)
        #expect(lines[0].hasSuffix(#""pid":100,"state":"dcstart","parent_pid":4,"name":"p0.exe"}"#))
        #expect(lines[1].hasSuffix(#""pid":101,"state":"dcstart","parent_pid":4,"session":1,"name":"p1.exe"}"#))
        #expect(lines[2].hasSuffix(#""pid":102,"state":"dcstart","parent_pid":4,"session":1,"name":"p2.exe","command_line":"p2 -x"}"#))
        #expect(lines[3].hasSuffix(#""pid":103,"state":"dcstart","parent_pid":4,"session":1,"name":"p3.exe","command_line":"p3 -x"}"#))
        #expect(lines[4].hasSuffix(#""pid":200,"tid":300,"state":"dcstart"}"#))
        #expect(lines[5].hasSuffix(#""pid":200,"tid":301,"state":"dcstart"}"#))
        #expect(lines[6].hasSuffix(#""pid":200,"tid":302,"state":"dcstart"}"#))
        // Image version 0 has no process id of its own: the header's.
        #expect(lines[7].hasSuffix(#""pid":400,"state":"dcstart","address":"0x1000","size":4096,"name":"m0.dll"}"#))
        #expect(lines[8].hasSuffix(#""pid":400,"state":"dcstart","address":"0x2000","size":4096,"name":"m1.dll"}"#))
    }

    /// ImageID and DbgID records join their image by (timestamp, process, base), wherever they are: here in
    /// another CPU's buffer, after the image in file order, with a decoy at the same base a tick later.
    @Test(arguments: widths)
    func pdbIdentitiesJoinByTimestampProcessAndBase(_ width: ETLPointerWidth) throws {
        let base = Self.user(width, 0)
        let guid = C.guidBytes(0xEC83_D8DF, 0x5559, 0x46E0, [0xB6, 0x30, 0x13, 0x3E, 0xBD, 0x97, 0x92, 0x66])
        let bytes = ETLTestSupport.trace(width) { b in
            b.appendBuffer(cpu: 0, records: [
                C.image(width, header: .perfinfo(ticks: 5_000_010), kind: .dcstart, base: base, size: 0x1000, processID: 7,
                        fileName: "ntdll.dll"),
                C.image(width, header: .perfinfo(ticks: 5_000_011), kind: .dcstart, base: base + 0x10000, size: 0x1000,
                        processID: 7, fileName: "il.dll"),
            ])
            b.appendBuffer(cpu: 1, records: [
                C.dbgID(width, ticks: 5_000_011, process: 7, base: base, guid: guid, age: 9, pdbFileName: Array("decoy.pdb".utf8)),
                C.imageID(width, ticks: 5_000_010, process: 7, base: base, size: 0x1000, timeDateStamp: 0x4F01_2345,
                          originalFileName: "ntdll.dll"),
                C.dbgID(width, ticks: 5_000_010, process: 7, base: base, guid: guid, age: 2, pdbFileName: Array("wntdll.pdb".utf8)),
                C.dbgID(width, ticks: 5_000_011, process: 7, base: base + 0x10000, guid: guid, age: 1,
                        pdbFileName: Array("il.pdb".utf8), il: true),
            ])
        }
        let lines = try Self.jsonl(bytes)
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix(#""size":4096,"name":"ntdll.dll","timestamp":1325474629,"pdb_name":"wntdll.pdb","pdb_guid":"ec83d8df-5559-46e0-b630-133ebd979266","pdb_age":2}"#))
        #expect(lines[1].hasSuffix(#""name":"il.dll","pdb_name":"il.pdb","pdb_guid":"ec83d8df-5559-46e0-b630-133ebd979266","pdb_age":1,"pdb_kind":"il"}"#))
    }

    /// Stacks resolve against the images loaded when the event happened: a range reused after an unload
    /// names the new image; kernel frames name the kernel's modules; frames in no image stay hex.
    @Test(arguments: widths)
    func framesResolveToTheModuleLoadedAtTheTime(_ width: ETLPointerWidth) throws {
        let ntdll = Self.user(width, 0)
        let reused = Self.user(width, 0x100000)
        let kernel = Self.kernel(width)
        let heap = ETLHeapRecords.Header(width, thread: 0x1234, process: 0x4321, ticks: 5_000_100)
        let later = ETLHeapRecords.Header(width, thread: 0x1234, process: 0x4321, ticks: 5_000_400)
        let bytes = ETLTestSupport.trace(width) { b in
            b.appendBuffer(cpu: 0, records: [
                C.image(width, header: .perfinfo(ticks: 5_000_010), kind: .dcstart, base: ntdll, size: 0x10000,
                        processID: 0x4321, fileName: "\\Windows\\System32\\ntdll.dll"),
                C.image(.bits64, header: .system(thread: 8, process: 4, ticks: 5_000_020), kind: .dcstart, base: kernel,
                        size: 0x100000, processID: 0, fileName: "\\SystemRoot\\system32\\ntoskrnl.exe"),
                C.image(width, header: .system(thread: 0x1234, process: 0x4321, ticks: 5_000_030), kind: .load, base: reused,
                        size: 0x1000, processID: 0x4321, fileName: "C:\\app\\a.dll"),
                ETLHeapRecords.alloc(heap, heap: 0x10000, size: 16, address: 0x20000, source: 3),
                ETLStackWalkRecords.stack(width, ticks: 5_000_101, eventTicks: 5_000_100, process: 0x4321, thread: 0x1234,
                                          frames: [kernel + 0x123, reused + 0x10, ntdll + 0x1234, 0x3000_0000]),
                C.image(width, header: .system(thread: 0x1234, process: 0x4321, ticks: 5_000_200), kind: .unload, base: reused,
                        size: 0x1000, processID: 0x4321, fileName: "C:\\app\\a.dll"),
                C.image(width, header: .system(thread: 0x1234, process: 0x4321, ticks: 5_000_300), kind: .load, base: reused,
                        size: 0x2000, processID: 0x4321, fileName: "C:\\app\\b.dll"),
                ETLHeapRecords.alloc(later, heap: 0x10000, size: 32, address: 0x20040, source: 3),
                ETLStackWalkRecords.stack(width, ticks: 5_000_401, eventTicks: 5_000_400, process: 0x4321, thread: 0x1234,
                                          frames: [reused + 0x10, reused + 0x1800]),
            ])
        }
        let lines = try Self.jsonl(bytes, frames: true)
        let allocs = lines.filter { $0.hasPrefix(#"{"event":"alloc""#) }
        #expect(allocs.count == 2)
        #expect(allocs[0].hasSuffix(#""frames":["ntoskrnl.exe+0x123","a.dll+0x10","ntdll.dll+0x1234","0x30000000"]}"#), "\(allocs[0])")
        #expect(allocs[1].hasSuffix(#""frames":["b.dll+0x10","b.dll+0x1800"]}"#), "\(allocs[1])")
        // Without --frames there is none, and the context records stay in the stream in time order.
        let plain = try Self.jsonl(bytes)
        #expect(!plain.contains { $0.contains("frames") })
        #expect(plain.map { $0.split(separator: "\"")[3] } == ["image", "image", "image", "alloc", "image", "image", "alloc"])
    }

    /// Chrome: processes and threads carry the trace's names (a name arriving after the first heap event
    /// renames the track), stacks in instants and lifetime slices name their modules.
    @Test func chromeNamesProcessesThreadsAndFrames() throws {
        let ntdll = Self.user(.bits64, 0)
        let h1 = ETLHeapRecords.Header(.bits64, thread: 0x1234, process: 0x4321, ticks: 5_000_100)
        let h2 = ETLHeapRecords.Header(.bits64, thread: 0x1234, process: 0x4321, ticks: 5_000_300)
        let bytes = ETLTestSupport.trace(.bits64) { b in
            b.appendBuffer(cpu: 0, records: [
                C.process(.bits64, header: .perfinfo(ticks: 5_000_005), opcode: .dcstart, processID: 0x4321,
                          imageFileName: Array("note\"pad.exe".utf8)),
                C.image(.bits64, header: .perfinfo(ticks: 5_000_010), kind: .dcstart, base: ntdll, size: 0x10000,
                        processID: 0x4321, fileName: "\\Windows\\System32\\ntdll.dll"),
                ETLHeapRecords.alloc(h1, heap: 0x10000, size: 16, address: 0x20000, source: 3),
                ETLStackWalkRecords.stack(.bits64, ticks: 5_000_101, eventTicks: 5_000_100, process: 0x4321, thread: 0x1234,
                                          frames: [ntdll + 0x10, 0x3000_0000]),
                C.thread(.bits64, header: .system(thread: 0x1234, process: 0x4321, ticks: 5_000_200), opcode: .dcend,
                         processID: 0x4321, threadID: 0x1234, name: "worker"),
                ETLHeapRecords.alloc(h2, heap: 0x10000, size: 32, address: 0x20040, source: 3),
            ])
        }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("t.etl"))
        let r = try CLI.run(["t.etl", "-", "--to", "chrome", "--lifetimes", "all", "--quiet"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"{"ph":"M","pid":17185,"tid":4660,"name":"process_name","args":{"name":"note\"pad.exe"}},"#))
        #expect(lines.contains(#"{"ph":"M","pid":17185,"tid":4660,"name":"thread_name","args":{"name":"thread 4660"}},"#))
        #expect(lines.contains(#"{"ph":"M","pid":17185,"tid":4660,"name":"thread_name","args":{"name":"worker"}},"#))
        #expect(lines.contains { $0.hasPrefix(#"{"ph":"i""#) && $0.contains(#""stack":["ntdll.dll+0x10","0x30000000"]"#) })
        #expect(lines.contains { $0.hasPrefix(#"{"ph":"b""#) && $0.contains(#""stack":["ntdll.dll+0x10","0x30000000"]"#) })
        #expect(!lines.contains { $0.contains(#""name":"Process""#) || $0.contains(#""name":"Image""#) })
    }

    /// `info` names processes from their records and says how many stack frames fall in a module.
    @Test func infoNamesProcessesAndCountsResolvedFrames() throws {
        let ntdll = Self.user(.bits64, 0)
        let heap = ETLHeapRecords.Header(.bits64, thread: 0x1234, process: 0x4321, ticks: 5_000_100)
        let bytes = ETLTestSupport.trace(.bits64) { b in
            b.appendBuffer(cpu: 0, records: [
                C.process(.bits64, header: .perfinfo(ticks: 5_000_005), opcode: .dcstart, processID: 0x4321,
                          imageFileName: Array("notepad.exe".utf8)),
                C.image(.bits64, header: .perfinfo(ticks: 5_000_010), kind: .dcstart, base: ntdll, size: 0x10000,
                        processID: 0x4321, fileName: "\\Windows\\System32\\ntdll.dll"),
                ETLHeapRecords.alloc(heap, heap: 0x10000, size: 16, address: 0x20000, source: 3),
                ETLStackWalkRecords.stack(.bits64, ticks: 5_000_101, eventTicks: 5_000_100, process: 0x4321, thread: 0x1234,
                                          frames: [ntdll + 1, ntdll + 2, 0x3000_0000]),
            ])
        }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("t.etl"))
        let r = try CLI.run(["info", "t.etl", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        let process = try #require((summary["processes"] as? [[String: Any]])?.first)
        #expect(process["name"] as? String == "notepad.exe")
        #expect(process["heaps"] as? Int == 1 && process["outstanding_bytes"] as? Int == 16 && process["outstanding_blocks"] as? Int == 1)
        let frames = try #require(summary["stack_frames"] as? [String: Any])
        #expect(frames["total"] as? Int == 3 && frames["in_modules"] as? Int == 2)
        #expect(frames["in_modules_share"] as? String == "66.7 %")
        #expect(summary["context_records"] as? Int == 2)
    }

    /// Damaged context payloads: an error with the record's offset, nothing written; under --keep-going the
    /// record is skipped and reported.
    static func damaged() -> [(String, [UInt8], String)] {
        // Each payload is cut or edited by hand after the builder wrote it (the header's size field follows).
        func cut(_ record: [UInt8], keeping payload: Int, headerSize: Int) -> [UInt8] {
            var bytes = Array(record.prefix(headerSize + payload))
            let size = UInt16(bytes.count)
            bytes[4] = UInt8(truncatingIfNeeded: size)
            bytes[5] = UInt8(truncatingIfNeeded: size >> 8)
            return bytes
        }
        let process = C.process(.bits64, header: .perfinfo(ticks: 5_000_010), opcode: .dcstart, processID: 5,
                                imageFileName: Array("name.exe".utf8), commandLine: "cmd")
        // SID at 36: TOKEN_USER 16 bytes, then revision and the sub-authority count at 36 + 17.
        var sid = process
        sid[0x10 + 36 + 17] = 200
        let thread = C.thread(.bits64, header: .perfinfo(ticks: 5_000_010), opcode: .dcstart, processID: 5, threadID: 6,
                              name: "worker")
        let image = C.image(.bits64, header: .perfinfo(ticks: 5_000_010), kind: .dcstart, base: 0x1000, size: 0x1000,
                            processID: 5, fileName: "a.dll")
        return [
            ("a process name without its NUL", cut(process, keeping: 36 + 28 + 4, headerSize: 0x10), "image file name at payload offset 0x40 has no terminating NUL"),
            ("a SID count that runs past the payload", sid, "the user SID's 200 sub-authorities run past the payload"),
            ("a thread name without its NUL", cut(thread, keeping: 72 + 5, headerSize: 0x10), "thread name at payload offset 0x48 has no terminating NUL"),
            ("an image shorter than its layout", cut(image, keeping: 40, headerSize: 0x10), "Image/dcstart version 3 payload of 40 bytes is shorter than the 56 bytes of its layout"),
            ("a truncated image path", cut(image, keeping: 56 + 3, headerSize: 0x10), "file name at payload offset 0x38 has no terminating NUL"),
        ]
    }

    @Test func damagedPayloadsAreErrorsWithOffsetsOrSkippedUnderKeepGoing() throws {
        let good = C.thread(.bits64, header: .perfinfo(ticks: 5_000_020), opcode: .dcstart, processID: 5, threadID: 7)
        for (name, record, message) in Self.damaged() {
            let bytes = ETLTestSupport.trace(.bits64) { b in b.appendBuffer(cpu: 0, records: [record, good]) }
            let dir = try CLI.temporaryDirectory()
            defer { CLI.remove(dir) }
            try Data(bytes).write(to: dir.appendingPathComponent("t.etl"))
            let r = try CLI.run(["t.etl", "out.jsonl"], in: dir)
            #expect(r.status == 65, "\(name)")
            // The first buffer after the header buffer starts at 0x1000; its first record at 0x48 into it.
            #expect(r.stderr.hasPrefix("heapconv: error: t.etl: offset 0x1048: "), "\(name): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(name): \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.etl"], "\(name)")
            let kept = try CLI.run(["t.etl", "-", "--to", "jsonl", "--keep-going"], in: dir)
            #expect(kept.status == 3, "\(name)")
            #expect(kept.stdout.split(separator: "\n").count == 1, "\(name): the good record stays")
            #expect(kept.stderr.contains("skipped: t.etl: offset 0x1048: "), "\(name)")
        }
    }

    /// Strings: unaligned UTF-16 after an ANSI name of odd and even length, code points outside the BMP,
    /// a lone surrogate (U+FFFD), ANSI bytes that are not UTF-8 (U+FFFD), and characters JSON escapes.
    @Test func stringsDecodeAndEscape() throws {
        let bytes = ETLTestSupport.trace(.bits64) { b in
            b.appendBuffer(cpu: 0, records: [
                C.process(.bits64, header: .perfinfo(ticks: 5_000_010), opcode: .dcstart, processID: 5,
                          imageFileName: Array("Idle".utf8), commandLine: "a\"b\\c\td 😀 é"),
                C.process(.bits64, header: .perfinfo(ticks: 5_000_011), opcode: .dcstart, processID: 6,
                          imageFileName: [0x62, 0xFF, 0x63], commandLine: "odd"),
                C.thread(.bits64, header: .perfinfo(ticks: 5_000_012), opcode: .dcstart, processID: 5, threadID: 8,
                         trailing: [0x00, 0xD8, 0x41, 0x00, 0x00, 0x00]),
            ])
        }
        let lines = try Self.jsonl(bytes)
        #expect(lines[0].hasSuffix(#""name":"Idle","command_line":"a\"b\\c\td 😀 é"}"#))
        #expect(lines[1].hasSuffix(#""name":"b\#u{FFFD}c","command_line":"odd"}"#))
        // The thread name is the UTF-16 after the fixed part: a lone high surrogate, then "A".
        #expect(lines[2].hasSuffix(#""tid":8,"state":"dcstart","name":"\#u{FFFD}A"}"#))
    }
}

import Testing
@testable import HeapConv

@Suite struct StackTableTests {
    /// Each distinct (process, frames) gets one id, given back with its frames; "no stack" differs from an
    /// empty stack and from another process's same frames.
    @Test func internsEachDistinctStackOnceAndGivesItBack() {
        var rng = SplitMix64(seed: 11)
        let table = StackTable()
        let modules = ModuleMap()
        var ids: [String: Int] = [:]
        var frames: [Int: [UInt64]?] = [:]
        for _ in 0..<20_000 {
            // Few distinct stacks, of lengths 0 to 5, sharing frames, in two processes: many repeats.
            let pid = UInt32(1 + rng.next() % 2)
            let stack: [UInt64]? = rng.next() % 7 == 0 ? nil : (0..<Int(rng.next() % 6)).map { _ in 0x7ff0_0000_0000 + rng.next() % 4 }
            let id = table.intern(processID: pid, frames: stack?[...], modules: modules)
            let key = "\(pid) \(stack.map { "\($0)" } ?? "none")"
            if let known = ids[key] { #expect(id == known) } else { ids[key] = id; frames[id] = stack }
            #expect(table.entries[id].processID == pid)
            #expect(table.entries[id].hasStack == (stack != nil))
            #expect(table.frames(of: id).map(\.address) == (stack ?? []))
        }
        #expect(table.entries.count == ids.count)
        #expect(ids.count > 1_000, "the table grew past its first slots")
    }

    /// Frames resolve against the images loaded when the stack is first seen: in the process's image, in
    /// a kernel image (process 0's), or in no module (with the space the address belongs to).
    @Test func framesResolveAgainstTheModulesLoadedThen() {
        var batch = EventBatch()
        var image = ImageFields(state: .load, base: 0x7ff8_0000_0000, size: 0x10000)
        image.name = batch.appendText("C:\\Windows\\System32\\ntdll.dll")
        batch.append(.image(EventContext(timestamp: 1, processID: 7, threadID: 0, cpu: nil, heap: 0), image))
        var kernel = ImageFields(state: .dcstart, base: 0xffff_f800_0000_0000, size: 0x100000)
        kernel.name = batch.appendText("\\SystemRoot\\system32\\ntoskrnl.exe")
        batch.append(.image(EventContext(timestamp: 2, processID: 0, threadID: 0, cpu: nil, heap: 0), kernel))
        let modules = ModuleMap()
        let table = StackTable()
        let before = table.intern(processID: 7, frames: [0x7ff8_0000_1234][...], modules: modules)
        modules.apply(batch.events[0], in: batch)
        modules.apply(batch.events[1], in: batch)
        #expect(table.frames(of: before).first?.module == -1, "resolved when first seen, before the load")
        let id = table.intern(processID: 8, frames: [0x7ff8_0000_1234, 0xffff_f800_0000_0042, 0xffff_f900_0000_0000][...], modules: modules)
        let sites = Array(table.frames(of: id))
        #expect(sites[0].module == -1 && sites[0].space == 8, "process 8 has no image there")
        #expect(sites[1].module >= 0 && sites[1].space == 0 && sites[1].mappingStart == 0xffff_f800_0000_0000)
        #expect(sites[2].module == -1 && sites[2].space == 0, "a kernel address outside any image")
        let seven = table.intern(processID: 7, frames: [0x7ff8_0000_1234, 0x10][...], modules: modules)
        let resolved = Array(table.frames(of: seven))
        #expect(resolved[0].module >= 0 && resolved[0].space == 7)
        #expect(resolved[0].mappingStart == 0x7ff8_0000_0000 && resolved[0].mappingEnd == 0x7ff8_0001_0000)
        #expect(resolved[1].module == -1 && resolved[1].space == 7)
        #expect(String(decoding: modules.modules[Int(resolved[0].module)].name, as: UTF8.self) == "ntdll.dll")
    }
}

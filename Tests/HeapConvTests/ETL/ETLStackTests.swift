import ETLSynth
import Testing
@testable import HeapConv

/// Call stacks: inline Stack records, kernel then user fragments, stack keys defined anywhere (often at the
/// end), key reuse, fragments before their event in file order, and the bounded holding area.
@Suite struct ETLStackTests {
    typealias SW = ETLStackWalkRecords

    static let kernel: [UInt64] = [0xFFFF_F800_0000_1000, 0xFFFF_F800_0000_2000]
    static let user: [UInt64] = [0x7FF8_0000_1000, 0x7FF8_0000_2000, 0x7FF8_0000_3000]

    static func alloc(_ width: ETLPointerWidth = .bits64, thread: UInt32, ticks: Int64, address: UInt64) -> [UInt8] {
        ETLHeapRecords.alloc(.init(width, thread: thread, process: 9, ticks: ticks), heap: 0x100, size: 16,
                             address: address, source: 3)
    }

    /// Kernel fragment right after the event; the user fragment comes later, after other threads' events and
    /// on another CPU, but before the thread's next event.
    @Test func kernelThenLaterUserFragment() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                Self.alloc(thread: 1, ticks: 5_000_100, address: 0xA),
                SW.stack(.bits64, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.kernel),
                Self.alloc(thread: 2, ticks: 5_000_110, address: 0xB),
            ])
            b.appendBuffer(cpu: 1, records: [
                Self.alloc(thread: 3, ticks: 5_000_105, address: 0xC),
                SW.stack(.bits64, ticks: 5_000_120, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.user),
                Self.alloc(thread: 1, ticks: 5_000_130, address: 0xD),
            ])
        }
        for fileOrder in [false, true] {
            let (events, stacks, reader) = try ETLTestSupport.readAll(bytes, fileOrder: fileOrder)
            let byAddress = Dictionary(uniqueKeysWithValues: zip(events.compactMap(\.address), stacks))
            #expect(byAddress[0xA] == .some(Self.kernel + Self.user))
            #expect(byAddress[0xB] == .some(nil))
            #expect(byAddress[0xC] == .some(nil))
            #expect(byAddress[0xD] == .some(nil))
            if !fileOrder { #expect(events.map(\.address) == [0xA, 0xC, 0xB, 0xD]) }
            #expect(reader.facts()?["stacks"]?["fragments_attached"] == .uint(2))
            #expect(reader.facts()?["stacks"]?["fragments_unmatched"] == .uint(0))
        }
    }

    /// A stack walked in one piece (kernel frames then user frames) completes its event at once; a kernel-only
    /// fragment is closed by the thread's next event.
    @Test func wholeStacksAndKernelOnlyStacks() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                Self.alloc(thread: 1, ticks: 5_000_100, address: 0xA),
                SW.stack(.bits64, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.kernel + Self.user),
                Self.alloc(thread: 1, ticks: 5_000_200, address: 0xB),
                SW.stack(.bits64, ticks: 5_000_201, eventTicks: 5_000_200, process: 9, thread: 1, frames: Self.kernel),
                Self.alloc(thread: 1, ticks: 5_000_300, address: 0xC),
                SW.stack(.bits64, ticks: 5_000_301, eventTicks: 5_000_300, process: 9, thread: 1, frames: []),
            ])
        }
        let (events, stacks, _) = try ETLTestSupport.readAll(bytes)
        #expect(events.map(\.address) == [0xA, 0xB, 0xC])
        #expect(stacks == [Self.kernel + Self.user, Self.kernel, []])
    }

    /// 32-bit stacks: kernel addresses from 0x80000000, frames zero-extended.
    @Test func thirtyTwoBitFragments() throws {
        let k: [UInt64] = [0x8123_4567, 0x8000_0000]
        let u: [UInt64] = [0x7700_1000, 0x0040_1000]
        let bytes = ETLTestSupport.trace(.bits32) { b in
            b.appendBuffer(cpu: 2, records: [
                Self.alloc(.bits32, thread: 5, ticks: 5_000_100, address: 0xA),
                SW.stack(.bits32, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 5, frames: k),
                SW.stack(.bits32, ticks: 5_000_102, eventTicks: 5_000_100, process: 9, thread: 5, frames: u),
            ])
        }
        let (_, stacks, _) = try ETLTestSupport.readAll(bytes)
        #expect(stacks == [k + u])
    }

    /// StackKeyKernel/StackKeyUser references resolved through KeyDelete/KeyRundown definitions that come at
    /// the very end of the file; a key reused after its deletion names the newer stack.
    @Test(arguments: [ETLPointerWidth.bits32, .bits64])
    func stackKeysDefinedAtTheEnd(_ width: ETLPointerWidth) throws {
        let kernelKey: UInt64 = width == .bits64 ? 0xFFFF_FA83_0345_8890 : 0x8345_8890
        let userKey: UInt64 = width == .bits64 ? 0xFFFF_FA83_0345_9000 : 0x8345_9000
        let kernel = width == .bits64 ? Self.kernel : [0x8000_1000, 0x8000_2000]
        let userA: [UInt64] = [0x1000, 0x2000]
        let userB: [UInt64] = [0x3000, 0x4000, 0x5000]
        let bytes = ETLTestSupport.trace(width) { b in
            b.appendBuffer(cpu: 0, records: [
                Self.alloc(width, thread: 1, ticks: 5_000_100, address: 0xA),
                SW.keyReference(width, kernel: true, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 1, key: kernelKey),
                SW.keyReference(width, kernel: false, ticks: 5_000_102, eventTicks: 5_000_100, process: 9, thread: 1, key: userKey),
            ])
            b.appendBuffer(cpu: 1, records: [
                // The user key is evicted (defined as userA), then reused for another stack.
                SW.keyDefinition(width, .delete, ticks: 5_000_150, key: userKey, frames: userA),
                Self.alloc(width, thread: 1, ticks: 5_000_200, address: 0xB),
                SW.keyReference(width, kernel: false, ticks: 5_000_202, eventTicks: 5_000_200, process: 9, thread: 1, key: userKey),
            ])
            b.appendBuffer(cpu: 0, records: [
                SW.keyDefinition(width, .rundown, ticks: 5_000_900, key: kernelKey, frames: kernel),
                SW.keyDefinition(width, .rundown, ticks: 5_000_901, key: userKey, frames: userB),
            ])
        }
        for fileOrder in [false, true] {
            let (events, stacks, reader) = try ETLTestSupport.readAll(bytes, fileOrder: fileOrder)
            #expect(events.map(\.address) == [0xA, 0xB])
            #expect(stacks == [kernel + userA, userB])
            let facts = try #require(reader.facts())
            #expect(facts["stacks"]?["key_definitions"] == .uint(3))
            #expect(facts["stacks"]?["unresolved_keys"] == .uint(0))
        }
    }

    @Test func unresolvedKeysAndUnmatchedFragmentsAreCounted() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 0, records: [
                Self.alloc(thread: 1, ticks: 5_000_100, address: 0xA),
                SW.keyReference(.bits64, kernel: true, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 1, key: 0x99),
                SW.stack(.bits64, ticks: 5_000_102, eventTicks: 5_000_090, process: 9, thread: 1, frames: Self.user),
                SW.stack(.bits64, ticks: 5_000_103, eventTicks: 5_000_100, process: 9, thread: 77, frames: Self.user),
                SW.stack(.bits64, ticks: 5_000_104, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.user),
                SW.stack(.bits64, ticks: 5_000_105, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.user),
            ])
        }
        let (_, stacks, reader) = try ETLTestSupport.readAll(bytes)
        #expect(stacks == [Self.user])
        let facts = try #require(reader.facts())
        #expect(facts["stacks"]?["unresolved_keys"] == .uint(1))
        // One before the event's time, one a duplicate user part (or after the event left).
        #expect(facts["stacks"]?["fragments_unmatched"] == .uint(2))
        #expect(facts["stacks"]?["fragments_of_other_threads"] == .uint(1))
    }

    /// In file order a fragment can come before its event (its CPU's buffer was flushed first): it waits.
    @Test func fragmentBeforeItsEventInFileOrder() throws {
        let bytes = ETLTestSupport.trace { b in
            b.appendBuffer(cpu: 1, records: [
                SW.stack(.bits64, ticks: 5_000_150, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.user),
            ])
            b.appendBuffer(cpu: 0, records: [
                Self.alloc(thread: 1, ticks: 5_000_100, address: 0xA),
                SW.stack(.bits64, ticks: 5_000_101, eventTicks: 5_000_100, process: 9, thread: 1, frames: Self.kernel),
            ])
        }
        for fileOrder in [false, true] {
            let (_, stacks, _) = try ETLTestSupport.readAll(bytes, fileOrder: fileOrder)
            #expect(stacks == [Self.kernel + Self.user])
        }
    }

    /// Events waiting for a user fragment that never comes are bounded: beyond the holding limit the earliest
    /// leaves without it, and output stays in time order.
    @Test func holdingAreaIsBounded() throws {
        let count = StackHoldingArea.maximumEvents + 500
        let bytes = ETLTestSupport.trace(bufferSize: 65_536) { b in
            for i in 0..<count {
                let ticks = 5_000_000 + Int64(i) * 2
                // Every event on its own thread, with a kernel fragment only: none completes before the end.
                b.append(Self.alloc(thread: UInt32(1000 + i), ticks: ticks, address: UInt64(i)), cpu: 0, ticks: ticks)
                b.append(SW.stack(.bits64, ticks: ticks + 1, eventTicks: ticks, process: 9, thread: UInt32(1000 + i),
                                  frames: [Self.kernel[0]]), cpu: 0, ticks: ticks + 1)
            }
        }
        let (events, stacks, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.map(\.address) == (0..<count).map { UInt64($0) })
        #expect(stacks.allSatisfy { $0 == [Self.kernel[0]] })
        let facts = try #require(reader.facts())
        #expect(facts["stacks"]?["events_released_without_waiting"] == .uint(UInt64(count - StackHoldingArea.maximumEvents)))
    }

    /// With timestamps going backwards inside a CPU's stream, events leave by time through the reorder
    /// window, out of arrival order: thousands of them, each with its own stack split in a kernel and a later
    /// user fragment, all find their stacks and leave in time order.
    @Test func reorderedEventsKeepTheirStacks() throws {
        let count = 3_000
        let bytes = ETLTestSupport.trace(bufferSize: 65_536) { b in
            for i in 0..<count {
                // Swap neighbours in pairs: 1, 0, 3, 2, ... so that every second event goes back in time.
                let n = i ^ 1
                let ticks = 5_000_000 + Int64(n) * 10
                let thread = UInt32(1 + n % 7)
                b.append(Self.alloc(thread: thread, ticks: ticks, address: UInt64(n)), cpu: 0, ticks: ticks)
                b.append(SW.stack(.bits64, ticks: ticks + 1, eventTicks: ticks, process: 9, thread: thread,
                                  frames: [Self.kernel[0], UInt64(0xFFFF_F800_0001_0000) + UInt64(n)]), cpu: 0, ticks: ticks + 1)
                b.append(SW.stack(.bits64, ticks: ticks + 2, eventTicks: ticks, process: 9, thread: thread,
                                  frames: [UInt64(0x7FF8_0001_0000) + UInt64(n)]), cpu: 0, ticks: ticks + 2)
            }
        }
        let (events, stacks, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.map(\.address) == (0..<count).map { UInt64($0) })
        #expect(stacks == (0..<count).map { n -> [UInt64]? in
            [Self.kernel[0], 0xFFFF_F800_0001_0000 + UInt64(n), 0x7FF8_0001_0000 + UInt64(n)]
        })
        let facts = try #require(reader.facts())
        #expect(facts["ordering"]?["reorder_window_records"] == .uint(ETLReader.reorderWindow))
        #expect(facts["ordering"]?["late_events"] == .uint(0))
        #expect(facts["stacks"]?["fragments_attached"] == .uint(UInt64(2 * count)))
        #expect(facts["stacks"]?["events_released_without_waiting"] == .uint(0))
    }

    /// One timestamp far ahead of its neighbours (reorder window on) waits behind every later event; the
    /// holding area lets it go early instead of holding, or forcing out without stacks, all that follow.
    @Test func aFarFutureEventDoesNotHoldBackTheRest() throws {
        let count = 2 * StackHoldingArea.maximumEvents + 1_000
        let bytes = ETLTestSupport.trace(bufferSize: 65_536) { b in
            let future: Int64 = 9_000_000_000
            b.append(Self.alloc(thread: 1, ticks: future, address: 0xF), cpu: 0, ticks: future)
            for i in 0..<count {
                let ticks = 5_000_000 + Int64(i) * 2
                b.append(Self.alloc(thread: 2, ticks: ticks, address: UInt64(i)), cpu: 0, ticks: ticks)
                b.append(SW.stack(.bits64, ticks: ticks + 1, eventTicks: ticks, process: 9, thread: 2,
                                  frames: Self.kernel + Self.user), cpu: 0, ticks: ticks + 1)
            }
        }
        let (events, stacks, reader) = try ETLTestSupport.readAll(bytes)
        #expect(events.count == count + 1)
        #expect(zip(events, stacks).filter { $0.0.address != 0xF }.allSatisfy { $0.1 == Self.kernel + Self.user })
        let facts = try #require(reader.facts())
        #expect(facts["stacks"]?["events_released_without_waiting"] == .uint(1))
        #expect(facts["ordering"]?["reorder_window_records"] == .uint(ETLReader.reorderWindow))
    }
}

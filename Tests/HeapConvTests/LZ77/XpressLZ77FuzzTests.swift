import Foundation
import Testing
@testable import HeapConv

/// Seeded mutation fuzzing of the LZ77 decoder: valid streams are damaged in many ways and decoded into
/// outputs of various sizes inside a guarded allocation. The decoder must never crash, never write outside
/// its output, never report more bytes than the capacity, and must agree with a plain byte-by-byte
/// reference decoder written straight from the [MS-XCA] pseudocode (same bytes, or an error at the same
/// input offset).
@Suite struct XpressLZ77FuzzTests {
    static let guardSize = 64
    static let guardByte: UInt8 = 0xA5

    @Test func mutatedStreams() throws {
        var rng = LZ77TestRandom(seed: 0x4C5A_3737)
        var seeds: [(data: [UInt8], compressed: [UInt8])] = []
        for (k, size) in [0, 1, 5, 40, 300, 1000, 3000, 9000, 30_000].enumerated() {
            let data = XpressLZ77RoundTripTests.mixedData(size, seed: UInt64(k + 77))
            seeds.append((data, XpressLZ77Encoder.compress(data)))
            seeds.append((data, XpressLZ77Encoder.compress(data, maxLength: 40, chainDepth: 1)))
        }
        let runs = [UInt8](repeating: 0, count: 70_000)
        seeds.append((runs, XpressLZ77Encoder.compress(runs)))

        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        var iterations = 0
        var outcomes = (ok: 0, failed: 0)
        while iterations < 10_000 && clock.now < deadline {
            let seed = seeds[Int(rng.next() % UInt64(seeds.count))]
            let input = Self.mutate(seed.compressed, &rng)
            let capacity: Int
            switch rng.next() % 6 {
            case 0: capacity = 0
            case 1: capacity = seed.data.count
            case 2: capacity = max(0, seed.data.count - Int(rng.next() % 16))
            case 3: capacity = seed.data.count + Int(rng.next() % 100)
            case 4: capacity = Int(rng.next() % 64)
            default: capacity = 65_536
            }
            if Self.check(input, capacity: capacity, iteration: iterations) { outcomes.ok += 1 } else { outcomes.failed += 1 }
            iterations += 1
        }
        #expect(iterations >= 300, "too few iterations in the time budget")
        #expect(outcomes.ok > 0 && outcomes.failed > 0)
    }

    /// Unmutated seeds decode exactly, into exact and larger outputs.
    @Test func seedsDecodeExactly() throws {
        for size in [0, 7, 100, 5000] {
            let data = XpressLZ77RoundTripTests.mixedData(size, seed: UInt64(size))
            let compressed = XpressLZ77Encoder.compress(data)
            #expect(Self.check(compressed, capacity: size, iteration: -1))
            #expect(try xpressDecode(compressed, capacity: size + 5) == data)
        }
    }

    /// Inputs saved from libFuzzer runs (`FuzzTesting/`): u16 LE capacity, then the stream.
    @Test func replayCrashers() throws {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures/lz77-crashers", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent != "README.md" }
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            guard bytes.count >= 2 else { continue }
            _ = Self.check(Array(bytes[2...]), capacity: Int(bytes[0]) | Int(bytes[1]) << 8, iteration: -1)
        }
    }

    /// Decodes `input` with both decoders into a guarded buffer; returns whether decoding succeeded.
    static func check(_ input: [UInt8], capacity: Int, iteration: Int) -> Bool {
        var memory = [UInt8](repeating: guardByte, count: capacity + 2 * guardSize)
        let result: Result<Int, XpressLZ77Error> = input.withUnsafeBytes { source in
            memory.withUnsafeMutableBytes { all in
                let output = UnsafeMutableRawBufferPointer(rebasing: all[guardSize..<(guardSize + capacity)])
                return Result { () throws(XpressLZ77Error) -> Int in try XpressLZ77.decompress(source, into: output) }
            }
        }
        let context = "iteration \(iteration), input \(input.count) bytes, capacity \(capacity)"
        #expect(memory[..<guardSize].allSatisfy { $0 == guardByte }, "wrote before the output: \(context)")
        #expect(memory[(guardSize + capacity)...].allSatisfy { $0 == guardByte }, "wrote after the output: \(context)")

        let reference = referenceDecode(input, capacity: capacity)
        switch (result, reference) {
        case let (.success(count), .success(expected)):
            #expect(count <= capacity, "\(context)")
            #expect(Array(memory[guardSize..<(guardSize + count)]) == expected, "\(context)")
            return true
        case let (.failure(error), .failure(expected)):
            #expect(error.inputOffset == expected.inputOffset, "\(context): \(error.message) vs \(expected.message)")
            #expect((0...input.count).contains(error.inputOffset), "\(context)")
            return false
        case let (.success(count), .failure(expected)):
            Issue.record("decoded \(count) bytes, reference failed at \(expected.inputOffset): \(expected.message); \(context)")
            return true
        case let (.failure(error), .success(expected)):
            Issue.record("failed at \(error.inputOffset) (\(error.message)), reference decoded \(expected.count); \(context)")
            return false
        }
    }

    /// Damages a stream: bit flips, truncation, random bytes, insertions, deletions, splices and extreme
    /// length fields (0x07 length codes followed by 0xFF / 0x00 fields, huge 32-bit lengths).
    static func mutate(_ stream: [UInt8], _ rng: inout LZ77TestRandom) -> [UInt8] {
        var bytes = stream
        let rounds = Int(rng.next() % 4) + 1
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 9 {
            case 0 where !bytes.isEmpty:  // bit flips
                for _ in 0..<(Int(rng.next() % 4) + 1) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] ^= 1 << UInt8(rng.next() % 8)
                }
            case 1:  // truncation
                bytes.removeLast(bytes.count - position)
            case 2 where !bytes.isEmpty:  // random bytes
                for at in position..<min(bytes.count, position + Int(rng.next() % 8) + 1) {
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 3:  // insertion
                let count = Int(rng.next() % 6) + 1
                bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position)
            case 4 where !bytes.isEmpty:  // deletion
                bytes.removeSubrange(position..<min(bytes.count, position + Int(rng.next() % 6) + 1))
            case 5:  // a match with an extreme length: code 7, nibble 15, byte 255, then 16/32-bit fields
                let distance = UInt16(rng.next() % 8192)
                var field: [UInt8] = [UInt8(truncatingIfNeeded: distance << 3 | 7), UInt8(distance >> 5), 0x0F, 0xFF]
                switch rng.next() % 4 {
                case 0: field += [0xFF, 0xFF]
                case 1: field += [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
                case 2: field += [0x00, 0x00, UInt8(truncatingIfNeeded: rng.next() % 30), 0, 0, 0]
                default: field += [UInt8(truncatingIfNeeded: rng.next() % 30), 0]
                }
                let end = min(bytes.count, position + field.count)
                bytes.replaceSubrange(position..<end, with: field)
            case 6 where !bytes.isEmpty:  // set a byte to an extreme value
                bytes[position] = [0x00, 0x07, 0x0F, 0xF7, 0xFF][Int(rng.next() % 5)]
            case 7:  // flag word of all matches or all literals
                let word: [UInt8] = rng.next() % 2 == 0 ? [0xFF, 0xFF, 0xFF, 0xFF] : [0, 0, 0, 0]
                bytes.replaceSubrange(position..<min(bytes.count, position + 4), with: word)
            default:  // splice: duplicate a piece of the stream elsewhere
                guard !bytes.isEmpty else { break }
                let from = Int(rng.next() % UInt64(bytes.count))
                let piece = Array(bytes[from..<min(bytes.count, from + Int(rng.next() % 40) + 1)])
                bytes.insert(contentsOf: piece, at: position)
            }
        }
        return bytes
    }

    /// The [MS-XCA] §2.4.4 pseudocode, one byte at a time with array indexing, plus this project's end
    /// rule (the input may also end where a flag word or literal would start) and the same error offsets.
    static func referenceDecode(_ input: [UInt8], capacity: Int) -> Result<[UInt8], XpressLZ77Error> {
        var output: [UInt8] = []
        var ip = 0
        var flags: UInt32 = 0
        var flagCount = 0
        var lastLengthHalfByte = -1
        func fail(_ at: Int, _ message: String) -> Result<[UInt8], XpressLZ77Error> {
            .failure(XpressLZ77Error(inputOffset: at, message: message))
        }
        func read(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= input.count else { return nil }
            return (0..<count).reduce(0) { $0 | Int(input[at + $1]) << (8 * $1) }
        }
        while true {
            if flagCount == 0 {
                if ip == input.count { return .success(output) }
                guard let word = read(ip, 4) else { return fail(ip, "flag word truncated") }
                flags = UInt32(word)
                ip += 4
                flagCount = 32
            }
            flagCount -= 1
            if flags & (1 << UInt32(flagCount)) == 0 {
                if ip == input.count { return .success(output) }
                guard output.count < capacity else { return fail(ip, "output full") }
                output.append(input[ip])
                ip += 1
                continue
            }
            if ip == input.count { return .success(output) }
            let matchStart = ip
            guard let matchBytes = read(ip, 2) else { return fail(ip, "match word truncated") }
            ip += 2
            var length = matchBytes % 8
            let offset = matchBytes / 8 + 1
            if length == 7 {
                if lastLengthHalfByte < 0 {
                    guard let byte = read(ip, 1) else { return fail(ip, "nibble truncated") }
                    length = byte % 16
                    lastLengthHalfByte = ip
                    ip += 1
                } else {
                    length = Int(input[lastLengthHalfByte]) / 16
                    lastLengthHalfByte = -1
                }
                if length == 15 {
                    guard let byte = read(ip, 1) else { return fail(ip, "length byte truncated") }
                    length = byte
                    ip += 1
                    if length == 255 {
                        let wideStart = ip
                        guard let wide = read(ip, 2) else { return fail(ip, "16-bit length truncated") }
                        length = wide
                        ip += 2
                        if length == 0 {
                            guard let wider = read(ip, 4) else { return fail(ip, "32-bit length truncated") }
                            length = wider
                            ip += 4
                        }
                        if length < 15 + 7 { return fail(wideStart, "invalid length") }
                        length -= 15 + 7
                    }
                    length += 15
                }
                length += 7
            }
            length += 3
            guard offset <= output.count else { return fail(matchStart, "offset before start") }
            guard length <= capacity - output.count else { return fail(matchStart, "output full") }
            for _ in 0..<length { output.append(output[output.count - offset]) }
        }
    }
}

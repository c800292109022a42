import Foundation
import Testing
@testable import HeapConv

/// Decodes `input` into a fresh buffer of `capacity` bytes and returns the bytes produced.
func xpressDecode(_ input: [UInt8], capacity: Int) throws(XpressLZ77Error) -> [UInt8] {
    var output = [UInt8](repeating: 0xEE, count: capacity)
    let produced: Result<Int, XpressLZ77Error> = input.withUnsafeBytes { source in
        output.withUnsafeMutableBytes { destination in
            Result { () throws(XpressLZ77Error) -> Int in try XpressLZ77.decompress(source, into: destination) }
        }
    }
    return Array(output[..<(try produced.get())])
}

/// The error a decode throws, or nil if it succeeds.
func xpressError(_ input: [UInt8], capacity: Int) -> XpressLZ77Error? {
    do {
        _ = try xpressDecode(input, capacity: capacity)
        return nil
    } catch {
        return error
    }
}

func lz77Hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

@Suite struct XpressLZ77SpecExampleTests {
    let alphabet = lz77Hex("3f 00 00 00 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a")
    let abc = lz77Hex("ff ff ff 1f 61 62 63 17 00 0f ff 26 01")

    /// [MS-XCA] §3.1: 26 literals; flag word 0x0000003F = 26 zero bits, then six unused 1 bits.
    @Test func alphabetExample() throws {
        #expect(try xpressDecode(alphabet, capacity: 26) == Array("abcdefghijklmnopqrstuvwxyz".utf8))
        #expect(try xpressDecode(alphabet, capacity: 100) == Array("abcdefghijklmnopqrstuvwxyz".utf8))
        #expect(xpressError(alphabet, capacity: 25)?.inputOffset == 4 + 25)
    }

    /// [MS-XCA] §3.1: "abc" × 100 = three literals, then a match of distance 3, length 297: code 7, nibble
    /// 15, byte 255, 16-bit 0x0126 = 294 = 297 − 3.
    @Test func repeatedAbcExample() throws {
        let expected = Array(String(repeating: "abc", count: 100).utf8)
        #expect(try xpressDecode(abc, capacity: 300) == expected)
        #expect(try xpressDecode(abc, capacity: 1000) == expected)
        let error = xpressError(abc, capacity: 299)
        #expect(error?.inputOffset == 7)  // the match word
        #expect(error?.message.contains("exceed") == true)
    }

    @Test func encoderReproducesTheSpecExamples() {
        #expect(XpressLZ77Encoder.compress(Array("abcdefghijklmnopqrstuvwxyz".utf8)) == alphabet)
        #expect(XpressLZ77Encoder.compress(Array(String(repeating: "abc", count: 100).utf8)) == abc)
    }
}

@Suite struct XpressLZ77HandMadeStreamTests {
    /// "aaaaaa" = literal "a", match distance 1 length 5 (the spec's own example of an overlapping match).
    /// Flags 0b01 then thirty 1s = 0x7FFFFFFF; match word (0 << 3) | (5 − 3) = 0x0002.
    @Test func overlappingRun() throws {
        #expect(try xpressDecode(lz77Hex("ff ff ff 7f 61 02 00"), capacity: 6) == Array("aaaaaa".utf8))
    }

    /// Two extended matches share one nibble byte: the first takes its low half, the second its high half.
    /// "abcd", match d=4 len 12 (nibble 2), match d=4 len 20 (nibble 10): nibble byte 0xA2, after the first
    /// match word only. Flags: 0000 11 then 26 ones = 0x0FFFFFFF. Match word (3 << 3) | 7 = 0x001F.
    @Test func sharedNibble() throws {
        let stream = lz77Hex("ff ff ff 0f 61 62 63 64 1f 00 a2 1f 00")
        #expect(try xpressDecode(stream, capacity: 100) == Array(String(repeating: "abcd", count: 9).utf8))
        var builder = XpressLZ77Encoder.Builder()
        builder.literals(Array("abcd".utf8))
        builder.match(distance: 4, length: 12)
        builder.match(distance: 4, length: 20)
        #expect(builder.finish() == stream)
    }

    /// Length 30: code 7, nibble 15, byte 30 − 25 = 5. A third extended match opens a new nibble byte.
    @Test func byteExtensionAndThirdNibble() throws {
        // "xy", d=2 len 30 (nibble 15 + byte 5), d=2 len 10 (high nibble 0), d=2 len 12 (new byte, nibble 2).
        // Flags 00111 then 27 ones = 0x3FFFFFFF; match word (1 << 3) | 7 = 0x000F.
        let stream = lz77Hex("ff ff ff 3f 78 79 0f 00 0f 05 0f 00 0f 00 02")
        let expected = Array(String(repeating: "xy", count: 27).utf8)
        #expect(try xpressDecode(stream, capacity: 54) == expected)
        #expect(xpressError(stream, capacity: 53) != nil)
    }

    /// 16-bit field: value 22 is the smallest allowed (length 25); 21 must be rejected.
    @Test func smallestSixteenBitLength() throws {
        let ok = lz77Hex("ff ff ff 7f 61 07 00 0f ff 16 00")
        #expect(try xpressDecode(ok, capacity: 26) == [UInt8](repeating: 0x61, count: 26))
        let bad = lz77Hex("ff ff ff 7f 61 07 00 0f ff 15 00")
        let error = xpressError(bad, capacity: 100)
        #expect(error?.inputOffset == 9)
        #expect(error?.message.contains("invalid") == true)
    }

    /// 32-bit field: 16-bit 0, then 69,997 = 0x0001116D = length 70,000 − 3.
    @Test func thirtyTwoBitLength() throws {
        let stream = lz77Hex("ff ff ff 7f 61 07 00 0f ff 00 00 6d 11 01 00")
        #expect(try xpressDecode(stream, capacity: 70_001) == [UInt8](repeating: 0x61, count: 70_001))
        #expect(xpressError(stream, capacity: 70_000)?.inputOffset == 5)
        var builder = XpressLZ77Encoder.Builder()
        builder.literal(0x61)
        builder.match(distance: 1, length: 70_000)
        #expect(builder.finish() == stream)
    }

    /// A 32-bit field below 22 is as invalid as a 16-bit one.
    @Test func smallThirtyTwoBitLengthIsRejected() {
        let stream = lz77Hex("ff ff ff 7f 61 07 00 0f ff 00 00 05 00 00 00")
        #expect(xpressError(stream, capacity: 100)?.inputOffset == 9)
    }

    @Test func emptyInputIsAnEmptyStream() throws {
        #expect(try xpressDecode([], capacity: 0) == [])
        #expect(try xpressDecode([], capacity: 10) == [])
        #expect(try xpressDecode(lz77Hex("ff ff ff ff"), capacity: 0) == [])
    }

    /// The input may end at a literal position (flag 0 with no byte left), not only at a padded 1 flag.
    @Test func endsWhereALiteralWouldStart() throws {
        #expect(try xpressDecode(lz77Hex("00 00 00 00 78"), capacity: 5) == [0x78])
        #expect(try xpressDecode(lz77Hex("00 00 00 00"), capacity: 5) == [])
        var builder = XpressLZ77Encoder.Builder()
        builder.literals(Array("hello hello hello".utf8))
        #expect(try xpressDecode(builder.finish(padWithOnes: false), capacity: 64) == Array("hello hello hello".utf8))
    }

    /// Exactly 32 items fill a flag word: the stream then ends at a flag-word boundary, or (spec
    /// compressor) with one more all-ones flag word and nothing after it.
    @Test func endsAtAFlagWordBoundary() throws {
        let data = (0..<32).map { UInt8($0) }
        let bare = [0, 0, 0, 0] + data
        #expect(try xpressDecode(bare, capacity: 32) == data)
        let padded = XpressLZ77Encoder.compress(data)
        #expect(padded == bare + [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try xpressDecode(padded, capacity: 32) == data)
        // 64 literals: two flag words of zeros, the second one in the middle of the stream.
        let data64 = (0..<64).map { UInt8($0 * 3 % 256) }
        #expect(try xpressDecode([0, 0, 0, 0] + data64[..<32] + [0, 0, 0, 0] + data64[32...], capacity: 64) == data64)
    }

    /// Matches of every short code, literals between them, and a copy from far back (distance 8192).
    @Test func longestDistance() throws {
        var data = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        data += data[0..<40]
        var builder = XpressLZ77Encoder.Builder()
        builder.literals(data[0..<8192])
        builder.match(distance: 8192, length: 40)
        #expect(try xpressDecode(builder.finish(), capacity: data.count) == data)
    }
}

@Suite struct XpressLZ77ErrorTests {
    @Test func matchBeforeTheStartOfTheOutput() {
        // A match as the very first item.
        let first = xpressError(lz77Hex("ff ff ff ff 00 00"), capacity: 10)
        #expect(first?.inputOffset == 4)
        #expect(first?.message.contains("before the start") == true)
        // "ab" then distance 3 (offset field 2): word (2 << 3) | 0 = 0x0010.
        #expect(xpressError(lz77Hex("ff ff ff 3f 61 62 10 00"), capacity: 10)?.inputOffset == 6)
        // Distance 2 is fine there.
        #expect((try? xpressDecode(lz77Hex("ff ff ff 3f 61 62 08 00"), capacity: 10)) == Array("ababa".utf8))
    }

    @Test func outputOverflow() {
        // Literals: the first byte that does not fit is reported.
        #expect(xpressError(lz77Hex("00 00 00 00 61 62 63"), capacity: 2)?.inputOffset == 6)
        #expect(xpressError(lz77Hex("00 00 00 00 61 62 63"), capacity: 0)?.inputOffset == 4)
        // Match: "aaaaaa" needs 6.
        #expect(xpressError(lz77Hex("ff ff ff 7f 61 02 00"), capacity: 5)?.inputOffset == 5)
        // A 32-bit length near 4 GiB must throw, not allocate or write.
        let huge = xpressError(lz77Hex("ff ff ff 7f 61 07 00 0f ff 00 00 fc ff ff ff"), capacity: 1 << 16)
        #expect(huge?.inputOffset == 5)
    }

    @Test func zeroCapacityOutputWithoutAddress() {
        let literal = lz77Hex("00 00 00 00 61")
        let result: Result<Int, XpressLZ77Error> = literal.withUnsafeBytes { source in
            Result { () throws(XpressLZ77Error) -> Int in
                try XpressLZ77.decompress(source, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
        }
        #expect(throws: XpressLZ77Error.self) { try result.get() }
        let empty: Result<Int, XpressLZ77Error> = lz77Hex("ff ff ff ff").withUnsafeBytes { source in
            Result { () throws(XpressLZ77Error) -> Int in
                try XpressLZ77.decompress(source, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
        }
        #expect((try? empty.get()) == 0)
    }

    @Test(arguments: [1, 2, 3])
    func truncatedFlagWord(_ length: Int) {
        let first = xpressError(Array(lz77Hex("00 00 00 00")[..<length]), capacity: 10)
        #expect(first?.inputOffset == 0)
        #expect(first?.message.contains("flag word") == true)
        // After 32 literals, the second flag word is cut short.
        let later = [0, 0, 0, 0] + [UInt8](repeating: 0x41, count: 32) + [UInt8](repeating: 0, count: length)
        #expect(xpressError(later, capacity: 100)?.inputOffset == 36)
    }

    @Test func truncatedMatchWord() {
        let error = xpressError(lz77Hex("ff ff ff 7f 61 07"), capacity: 100)
        #expect(error?.inputOffset == 5)
        #expect(error?.message.contains("match word") == true)
    }

    /// Every prefix of a stream using all length forms either decodes a prefix of the data or throws the
    /// truncation error for the field it stops in.
    @Test func truncatedLengthFields() {
        let full = lz77Hex("ff ff ff 7f 61 07 00 0f ff 00 00 6d 11 01 00")
        let expectedOffsets = [7: 7, 8: 8, 9: 9, 10: 9, 11: 11, 12: 11, 13: 11, 14: 11]
        for (cut, offset) in expectedOffsets {
            let error = xpressError(Array(full[..<cut]), capacity: 100_000)
            #expect(error?.inputOffset == offset, "cut at \(cut)")
            #expect(error?.message.contains("truncated") == true, "cut at \(cut)")
        }
        // Cut right after the literal: the stream simply ends where the match word would start.
        #expect((try? xpressDecode(Array(full[..<5]), capacity: 10)) == [0x61])
    }
}

@Suite struct XpressLZ77RoundTripTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = LZ77TestRandom(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// Data with every kind of structure: runs of every length, short repeats, text, noise.
    static func mixedData(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = LZ77TestRandom(seed: seed)
        let words = ["heap", "alloc", "free", "realloc", " ", "0x7ff8", "\n", "ETW", "stack", "thread"].map { Array($0.utf8) }
        var data: [UInt8] = []
        data.reserveCapacity(count)
        while data.count < count {
            switch rng.next() % 5 {
            case 0:  // a run, sometimes very long
                let length = Int(rng.next() % (rng.next() % 8 == 0 ? 70_000 : 40)) + 1
                data += [UInt8](repeating: UInt8(truncatingIfNeeded: rng.next()), count: length)
            case 1:  // a copy of something recent
                if data.count > 10 {
                    let distance = Int(rng.next() % UInt64(min(data.count, 9000))) + 1
                    let length = Int(rng.next() % 600) + 3
                    for _ in 0..<length { data.append(data[data.count - distance]) }
                }
            case 2:  // words
                for _ in 0..<(rng.next() % 20) { data += words[Int(rng.next() % UInt64(words.count))] }
            case 3:  // noise
                for _ in 0..<(rng.next() % 50) { data.append(UInt8(truncatingIfNeeded: rng.next())) }
            default:  // a short pattern repeated (overlapping matches with distance 2…7)
                let period = Int(rng.next() % 6) + 2
                let pattern = (0..<period).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                for k in 0..<(Int(rng.next() % 300) + period) { data.append(pattern[k % period]) }
            }
        }
        return Array(data[..<count])
    }

    func roundTrip(_ data: [UInt8], _ compressed: [UInt8]) throws {
        #expect(try xpressDecode(compressed, capacity: data.count) == data)
        #expect(try xpressDecode(compressed, capacity: data.count + 17) == data)
        if !data.isEmpty {
            #expect(xpressError(compressed, capacity: data.count - 1) != nil)
        }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 31, 32, 33, 100, 1000, 8191, 8192, 8193, 65_536, 200_000])
    func randomData(_ count: Int) throws {
        let data = Self.randomBytes(count, seed: UInt64(count))
        try roundTrip(data, XpressLZ77Encoder.compress(data))
    }

    @Test(arguments: [1, 2, 3, 9, 10, 24, 25, 26, 279, 280, 65_538, 65_539, 65_540, 200_000])
    func runs(_ count: Int) throws {
        let data = [UInt8](repeating: 0x5A, count: count)
        let compressed = XpressLZ77Encoder.compress(data)
        try roundTrip(data, compressed)
        if count >= 1000 { #expect(compressed.count < 32) }
    }

    @Test(arguments: [10, 500, 5000, 50_000, 200_000])
    func mixed(_ count: Int) throws {
        for seed in 1...3 {
            let data = Self.mixedData(count, seed: UInt64(seed * 1000 + count))
            try roundTrip(data, XpressLZ77Encoder.compress(data))
            try roundTrip(data, XpressLZ77Encoder.compress(data, maxLength: 24, chainDepth: 1))
        }
    }

    @Test func text() throws {
        let paragraph = """
            Compressed ETW buffers hold an MS-XCA plain LZ77 stream after their header. The stream decodes to \
            exactly Offset minus 0x48 bytes of event records, each starting with a marker whose top byte is 0xC0.
            """
        var data: [UInt8] = []
        for k in 0..<400 { data += Array("\(k): \(paragraph)\n".utf8) }
        let compressed = XpressLZ77Encoder.compress(data)
        try roundTrip(data, compressed)
        #expect(compressed.count < data.count / 5)
    }

    /// Sizes below a few hundred bytes, every one, with a fast and a thorough encoder.
    @Test func everySmallSize() throws {
        let source = Self.mixedData(400, seed: 99)
        for count in 0...400 {
            let data = Array(source[..<count])
            #expect(try xpressDecode(XpressLZ77Encoder.compress(data), capacity: count) == data)
            #expect(try xpressDecode(XpressLZ77Encoder.compress(data, maxLength: 12, chainDepth: 1), capacity: count) == data)
        }
    }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct LZ77TestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Real compressed ETW buffers: perfview's SelfDescribingSingleEvent.etl (buffers 1 and 2 compressed).
@Suite struct XpressLZ77ETLBufferTests {
    struct Buffer {
        var fileOffset: Int
        var bufferSize: Int
        var offset: Int
        var flags: UInt16
    }

    static func load() throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures/etl/perfview-SelfDescribingSingleEvent", withExtension: "etl"))
        return Array(try Data(contentsOf: url))
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }

    static func buffers(_ file: [UInt8]) -> [Buffer] {
        var result: [Buffer] = []
        var position = 0
        while position + 0x48 <= file.count {
            let size = u32(file, position)
            guard size >= 0x48 else { break }
            result.append(Buffer(
                fileOffset: position, bufferSize: size, offset: u32(file, position + 0x30),
                flags: UInt16(file[position + 0x34]) | UInt16(file[position + 0x35]) << 8))
            position += size
        }
        return result
    }

    @Test func compressedBuffersDecodeToOffsetMinusHeader() throws {
        let file = try Self.load()
        #expect(file.count == 7403)
        let buffers = Self.buffers(file)
        #expect(buffers.map(\.fileOffset) == [0, 1024, 7177])
        #expect(buffers.map { $0.flags & 0x40 != 0 } == [false, true, true])

        var recordCount = 0
        for buffer in buffers where buffer.flags & 0x40 != 0 {
            let compressed = Array(file[(buffer.fileOffset + 0x48)..<(buffer.fileOffset + buffer.bufferSize)])
            let expectedSize = buffer.offset - 0x48
            let records = try xpressDecode(compressed, capacity: 65_536)
            #expect(records.count == expectedSize)
            // The exact size is enough too, and one byte less is not.
            #expect(try xpressDecode(compressed, capacity: expectedSize) == records)
            #expect(xpressError(compressed, capacity: expectedSize - 1) != nil)

            // Walk the records: each starts with a marker whose top byte is 0xC0, sizes are 8-byte aligned.
            var position = 0
            while position + 4 <= records.count {
                let marker = Self.u32(records, position)
                if marker == 0xFFFF_FFFF { break }
                #expect(marker >> 24 == 0xC0, "marker \(String(marker, radix: 16)) at \(position)")
                let headerType = (marker >> 16) & 0xFF
                // SYSTEM/COMPACT/PERFINFO headers keep the size at +4, the others at +0.
                let sizeField = [0x01, 0x02, 0x03, 0x04, 0x10, 0x11].contains(headerType) ? position + 4 : position
                let size = Int(records[sizeField]) | Int(records[sizeField + 1]) << 8
                #expect(size >= 0x10 && position + size <= records.count)
                guard size > 0 else { break }
                recordCount += 1
                position += (size + 7) & ~7
            }
            #expect(position >= records.count)
        }
        // The fixtures README counts 23 records in the file; 2 are in the uncompressed header buffer.
        #expect(recordCount == 21)
    }

    /// Re-encoding the decoded buffers with the test encoder and decoding again gives the same bytes.
    @Test func decodedBuffersRoundTripThroughTheTestEncoder() throws {
        let file = try Self.load()
        for buffer in Self.buffers(file) where buffer.flags & 0x40 != 0 {
            let compressed = Array(file[(buffer.fileOffset + 0x48)..<(buffer.fileOffset + buffer.bufferSize)])
            let records = try xpressDecode(compressed, capacity: buffer.offset - 0x48)
            #expect(try xpressDecode(XpressLZ77Encoder.compress(records), capacity: records.count) == records)
        }
    }
}

import Foundation
import Testing
@testable import HeapConv

/// heapconv's Huffman-only gzip encoder, checked by zlib's inflater (an independent decoder that also
/// checks the gzip trailer's CRC-32 and length) and against zlib's own Huffman-only output size.
@Suite struct HuffmanDeflateTests {
    static let block = HuffmanDeflater.blockSize

    /// `bytes` through ``HuffmanGzipSink``, written in pieces of `piece` bytes.
    static func compress(_ bytes: [UInt8], piece: Int = .max) throws -> [UInt8] {
        let sink = MemoryByteSink()
        let gzip = HuffmanGzipSink(sink)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(piece, bytes.count - start))
            try bytes[start..<end].withUnsafeBytes { try gzip.write($0) }
            start = end
        }
        try gzip.finish()
        return sink.bytes
    }

    static func zlibHuffmanOnly(_ bytes: [UInt8]) throws -> [UInt8] {
        let sink = MemoryByteSink()
        let gzip = try GzipSink(sink, name: "zlib", level: 1, strategy: .huffmanOnly)
        try bytes.withUnsafeBytes { try gzip.write($0) }
        try gzip.finish()
        return sink.bytes
    }

    static func roundTrips(_ bytes: [UInt8], piece: Int = .max) throws -> Bool {
        try HeapColHarness.gunzip(try compress(bytes, piece: piece)) == bytes
    }

    /// Deterministic pseudo-random bytes (xorshift), uniform or skewed towards small values.
    static func random(_ count: Int, seed: UInt64, skew: Bool = false) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return skew ? UInt8(truncatingIfNeeded: (state & 0xFF) * (state >> 8 & 0xFF) >> 8) : UInt8(truncatingIfNeeded: state)
        }
    }

    @Test func emptyInput() throws {
        let compressed = try Self.compress([])
        #expect(try HeapColHarness.gunzip(compressed) == [])
        // Header, the empty fixed-code final block (03 00), CRC and length of nothing.
        #expect(compressed == GzipMember.header(extraFlags: 4) + [0x03, 0x00] + [UInt8](repeating: 0, count: 8))
    }

    @Test(arguments: [1, 2, 3, 255, 256, 257])
    func smallInputs(count: Int) throws {
        #expect(try Self.roundTrips(Self.random(count, seed: UInt64(count), skew: true)))
        #expect(try Self.roundTrips([UInt8](repeating: 0x41, count: count)))
    }

    @Test func everyByteValue() throws {
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try Self.roundTrips(bytes))
    }

    @Test(arguments: [block - 1, block, block + 1, 3 * block + 17, 5 * block])
    func blockBoundaries(count: Int) throws {
        let bytes = Self.random(count, seed: 7, skew: true)
        #expect(try Self.roundTrips(bytes))
        #expect(try Self.roundTrips(bytes, piece: 1000))
        #expect(try Self.roundTrips(bytes, piece: Self.block - 3))
    }

    @Test func writesOfOneByteAtATime() throws {
        #expect(try Self.roundTrips(Self.random(Self.block + 500, seed: 3, skew: true), piece: 1))
    }

    /// Uniformly random bytes do not compress: blocks are stored, and cost 5 bytes each over the input.
    @Test func incompressibleBlocksAreStored() throws {
        let bytes = Self.random(4 * Self.block + 100, seed: 11)
        let compressed = try Self.compress(bytes)
        #expect(try HeapColHarness.gunzip(compressed) == bytes)
        #expect(compressed.count <= bytes.count + 5 * 5 + 18 + 1)
    }

    /// Byte frequencies growing like Fibonacci numbers give a Huffman tree as deep as there are symbols:
    /// the code must be cut to 15 bits and stay decodable.
    @Test func fibonacciFrequenciesNeedTheLengthLimit() throws {
        var bytes: [UInt8] = []
        var (a, b) = (1, 1)
        for symbol in 0..<19 {
            bytes += [UInt8](repeating: UInt8(symbol), count: a)
            (a, b) = (b, a + b)
        }
        #expect(bytes.count < Self.block)
        let frequencies = (0..<257).map { s in UInt32(bytes.lazy.filter { Int($0) == s }.count) }
        let code = HuffmanCode(frequencies: frequencies, limit: 15)
        #expect(code.lengths.max()! == 15)
        #expect(try Self.roundTrips(bytes))
        #expect(try Self.roundTrips(bytes.reversed()))
    }

    /// Random inputs: lengths across block boundaries, a byte distribution from uniform to a single value,
    /// written in pieces of random sizes; zlib must give back every byte. `DEFLATE_ITERATIONS` sets the
    /// number of inputs (default 60).
    @Test func randomInputsRoundTrip() throws {
        let iterations = ProcessInfo.processInfo.environment["DEFLATE_ITERATIONS"].flatMap(Int.init) ?? 60
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<iterations {
            let count = Int(next() % UInt64(3 * Self.block + 100))
            // Values below 2^bits, skewed towards 0 by a minimum of two draws: from one value to all 256.
            let bits = next() % 9
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: min(next() % (1 << bits), next() % (1 << bits))) }
            let piece = 1 + Int(next() % UInt64(2 * Self.block))
            let compressed = try Self.compress(bytes, piece: piece)
            #expect(try HeapColHarness.gunzip(compressed) == bytes, "\(count) bytes below 2^\(bits) in pieces of \(piece)")
        }
    }

    /// Sizes on data shaped like heapcol's (small skewed values) and on text: within a percent of zlib's
    /// Huffman-only coding, which decides its blocks differently.
    @Test func sizeAgainstZlib() throws {
        let skewed = Self.random(300_000, seed: 5, skew: true)
        var text: [UInt8] = []
        for i in 0..<8000 { text += Array("{\"event\":\"alloc\",\"address\":\"0x\(String(i * 48 + 0x1000, radix: 16))\",\"size\":\(i % 97)}\n".utf8) }
        for bytes in [skewed, text] {
            let ours = try Self.compress(bytes).count
            let zlib = try Self.zlibHuffmanOnly(bytes).count
            #expect(Double(ours) <= 1.01 * Double(zlib), "\(ours) bytes against zlib's \(zlib)")
            #expect(Double(ours) < 0.9 * Double(bytes.count))
        }
    }
}

/// The length-limited canonical codes the encoder builds, checked by their own definitions.
@Suite struct HuffmanCodeTests {
    /// Sum of 2^-length over the symbols: 1 for a complete prefix code.
    static func kraft(_ lengths: [UInt8]) -> Double {
        lengths.filter { $0 > 0 }.reduce(0) { $0 + 1 / Double(1 << Int($1)) }
    }

    /// The optimal unlimited Huffman cost, computed apart (the sum of every merged weight), and the
    /// tree's depth when ties are broken towards shallower trees.
    static func optimal(_ frequencies: [UInt32]) -> (cost: Int, depth: Int) {
        var nodes = frequencies.filter { $0 > 0 }.map { (weight: Int($0), depth: 0) }
        var cost = 0
        while nodes.count > 1 {
            nodes.sort { ($0.weight, $0.depth) > ($1.weight, $1.depth) }
            let (a, b) = (nodes.removeLast(), nodes.removeLast())
            cost += a.weight + b.weight
            nodes.append((a.weight + b.weight, max(a.depth, b.depth) + 1))
        }
        return (cost, nodes.first?.depth ?? 0)
    }

    /// The optimal cost under a length limit, by brute force over the lengths of the few symbols in
    /// the tests that use it: every assignment of lengths 1...limit meeting Kraft's inequality.
    static func bruteForceLimited(_ frequencies: [UInt32], limit: Int) -> Int {
        let weights = frequencies.filter { $0 > 0 }.map(Int.init)
        var best = Int.max
        func search(_ i: Int, _ kraft: Int, _ cost: Int) {
            guard kraft <= 1 << limit, cost < best else { return }
            if i == weights.count {
                best = cost
                return
            }
            for length in 1...limit { search(i + 1, kraft + (1 << (limit - length)), cost + weights[i] * length) }
        }
        search(0, 0, 0)
        return best
    }

    @Test(arguments: 0..<40)
    func completeWithinTheLimitAndOptimalWhenTheLimitDoesNotBite(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        let count = seed % 2 == 0 ? 257 : 19
        let frequencies: [UInt32] = (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            // Many absent symbols, the rest spread over a wide range.
            return state % 3 == 0 ? 0 : UInt32(truncatingIfNeeded: state >> 40) >> UInt32(state % 24)
        }
        let limit = count == 19 ? 7 : 15
        let code = HuffmanCode(frequencies: frequencies, limit: limit)
        #expect(code.lengths.max()! <= limit)
        #expect(Self.kraft(code.lengths) == 1)
        for symbol in frequencies.indices where frequencies[symbol] > 0 { #expect(code.lengths[symbol] > 0) }
        if frequencies.filter({ $0 > 0 }).count >= 2 {
            let optimal = Self.optimal(frequencies)
            if optimal.depth <= limit {
                #expect(code.cost(of: frequencies) == optimal.cost)
            } else {
                #expect(code.cost(of: frequencies) > optimal.cost)
            }
        }
    }

    /// Where Huffman's tree is too deep, the limited code is the cheapest one within the limit.
    @Test(arguments: 0..<12)
    func optimalUnderTheLimit(seed: Int) {
        var state = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
        // Seven symbols with wildly different weights, limited to 4 bits: Huffman would go to 6.
        var frequencies: [UInt32] = [1, 1, 2, 4, 8, 16, 32]
        for i in frequencies.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            frequencies[i] = frequencies[i] * 64 + UInt32(state % 64)
        }
        let code = HuffmanCode(frequencies: frequencies + [0, 0, 0, 0, 0, 0, 0, 0, 0], limit: 4)
        #expect(code.lengths.max()! <= 4)
        #expect(Self.kraft(code.lengths) == 1)
        #expect(code.cost(of: frequencies + [0, 0, 0, 0, 0, 0, 0, 0, 0]) == Self.bruteForceLimited(frequencies, limit: 4))
    }

    /// One symbol, or none, still makes a complete code of two one-bit codes.
    @Test func fewerThanTwoSymbols() {
        var one = [UInt32](repeating: 0, count: 19)
        one[5] = 40
        let code = HuffmanCode(frequencies: one, limit: 7)
        #expect(code.lengths[5] == 1)
        #expect(Self.kraft(code.lengths) == 1)
        #expect(Self.kraft(HuffmanCode(frequencies: [UInt32](repeating: 0, count: 19), limit: 7).lengths) == 1)
    }

    /// Codes are canonical (RFC 1951 §3.2.2): shorter codes first, then by symbol; sent bit-reversed.
    @Test func canonicalCodesInTheRFCExample() {
        // Frequencies whose Huffman lengths are the RFC's example (3, 3, 3, 3, 3, 2, 4, 4).
        let code = HuffmanCode(frequencies: [8, 8, 8, 8, 8, 16, 4, 4], limit: 15)
        #expect(code.lengths == [3, 3, 3, 3, 3, 2, 4, 4])
        let expected = ["010", "011", "100", "101", "110", "00", "1110", "1111"]
        for symbol in 0..<8 {
            let entry = code.entries[symbol]
            let length = Int(entry >> 16)
            let bits = (0..<length).map { (entry >> UInt32($0)) & 1 == 1 ? "1" : "0" }.joined()
            #expect(bits == expected[symbol], "symbol \(symbol)")
        }
    }
}

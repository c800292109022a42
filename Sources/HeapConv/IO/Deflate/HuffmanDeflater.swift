/// Deflate (RFC 1951) with Huffman coding of single bytes and no string matching — zlib's `Z_HUFFMAN_ONLY`
/// — written for speed: zlib spends about 100 instructions per byte on it (a symbol buffer, per-symbol
/// bookkeeping), this encoder about 30 (a histogram, a code per block, then one table lookup per byte and
/// an unaligned store per two).
///
/// Each block of up to ``blockSize`` bytes gets its own code (a dynamic Huffman block), or is stored
/// as it is when that is smaller. The coded bits collect in an output buffer that the owner empties after
/// every block with ``takeCompleted(_:)``; the bits of a last, incomplete byte stay until the next block or
/// ``finish()``.
final class HuffmanDeflater {
    /// Bytes per block: small enough for the code to follow changes in the data (a heapcol column differs
    /// from the next; 32 KiB blocks made the benchmark's file 1.2 % larger), large enough that the code's
    /// description (about 80 bytes) costs little. Below 65,536, the most a stored block holds.
    static let blockSize = 1 << 14

    /// Room for the largest block: a stored block of ``blockSize`` bytes (a coded block is only chosen when
    /// it is smaller), its header, and the 8 bytes the fast path stores past its last byte.
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize + 64, alignment: 8)
    /// Bytes of ``output`` completed.
    private var used = 0
    /// Bits not yet in a completed byte, least significant first; fewer than 8 between calls.
    private var bits: UInt64 = 0
    private var bitCount = 0
    /// Four interleaved byte histograms (consecutive bytes often repeat; separate counters keep the
    /// increments independent).
    private var histograms = [UInt32](repeating: 0, count: 4 * 256)

    deinit { output.deallocate() }

    /// Codes `data` (at most ``blockSize`` bytes) as one block; `final` marks the stream's last block.
    func encodeBlock(_ data: UnsafeRawBufferPointer, final: Bool) {
        precondition(data.count <= Self.blockSize)
        guard data.count > 0 else {
            // An empty block in the fixed code: its header and the end-of-block code, seven zero bits.
            put(final ? 0b011 : 0b010, 3)
            put(0, 7)
            return
        }
        let frequencies = histogram(data)
        let literals = HuffmanCode(frequencies: frequencies, limit: 15)
        let header = CodeDescription(literals)
        let dataBits = literals.cost(of: frequencies)
        let codedBits = 3 + header.bits + dataBits
        let storedBits = 3 + (8 - (bitCount + 3) % 8) % 8 + 32 + 8 * data.count
        guard codedBits < storedBits else {
            store(data, final: final)
            return
        }
        put(final ? 0b101 : 0b100, 3)
        header.write(to: self)
        writeCoded(data, entries: literals.entries, bits: dataBits - Int(literals.lengths[256]))
        put(literals.entries[256])
    }

    /// Pads the last byte with zero bits, after the final block.
    func finish() {
        if bitCount > 0 { put(0, 8 - bitCount) }
    }

    /// Appends whole bytes outside the deflate stream (the gzip header and trailer), at a byte boundary.
    func appendBytes(_ bytes: [UInt8]) {
        precondition(bitCount == 0, "bytes appended inside a deflate stream")
        for byte in bytes { put(UInt32(byte), 8) }
    }

    /// Hands the completed bytes to `body` and forgets them.
    func takeCompleted<E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        let completed = UnsafeRawBufferPointer(rebasing: output[0..<used])
        used = 0
        try body(completed)
    }

    // MARK: - Bits

    /// Appends the `count` low bits of `value` (at most 32).
    fileprivate func put(_ value: UInt32, _ count: Int) {
        bits |= UInt64(value) << UInt64(bitCount)
        bitCount += count
        while bitCount >= 8 {
            output[used] = UInt8(truncatingIfNeeded: bits)
            used += 1
            bits >>= 8
            bitCount -= 8
        }
    }

    /// Appends a code: an entry of ``HuffmanCode/entries``.
    fileprivate func put(_ entry: UInt32) {
        put(entry & 0xFFFF, Int(entry >> 16))
    }

    // MARK: - Blocks

    private func histogram(_ data: UnsafeRawBufferPointer) -> [UInt32] {
        histograms.withUnsafeMutableBufferPointer { counts in
            for i in counts.indices { counts[i] = 0 }
            var i = 0
            while i + 4 <= data.count {
                counts[Int(data[i])] &+= 1
                counts[256 + Int(data[i + 1])] &+= 1
                counts[512 + Int(data[i + 2])] &+= 1
                counts[768 + Int(data[i + 3])] &+= 1
                i += 4
            }
            while i < data.count {
                counts[Int(data[i])] &+= 1
                i += 1
            }
        }
        var frequencies = [UInt32](repeating: 0, count: 257)
        for byte in 0..<256 {
            frequencies[byte] = histograms[byte] + histograms[256 + byte] + histograms[512 + byte] + histograms[768 + byte]
        }
        frequencies[256] = 1  // the end-of-block code
        return frequencies
    }

    private func store(_ data: UnsafeRawBufferPointer, final: Bool) {
        put(final ? 1 : 0, 3)
        finish()
        put(UInt32(data.count), 16)
        put(UInt32(~data.count & 0xFFFF), 16)
        precondition(used + data.count <= output.count)
        UnsafeMutableRawBufferPointer(rebasing: output[used..<used + data.count]).copyMemory(from: data)
        used += data.count
    }

    /// Codes every byte of `data` with `entries`, which take `bits` bits in all.
    private func writeCoded(_ data: UnsafeRawBufferPointer, entries: [UInt32], bits dataBits: Int) {
        // The one bounds check: the loop stores 8 bytes at a time at its position, which ends
        // `(bitCount + dataBits) / 8` bytes further on.
        precondition(used + (bitCount + dataBits) / 8 + 8 <= output.count, "deflate block larger than counted")
        var position = output.baseAddress! + used
        var accumulator = bits
        var pending = UInt64(bitCount)
        entries.withUnsafeBufferPointer { table in
            @inline(__always)
            func add(_ byte: UInt8) {
                let entry = table[Int(byte)]
                accumulator |= UInt64(entry & 0xFFFF) &<< pending
                pending &+= UInt64(entry &>> 16)
            }
            /// Stores the whole bytes; called after at most two codes (15 bits each at most, beside fewer
            /// than 8 pending bits), so that the accumulator never overflows.
            @inline(__always)
            func flush() {
                position.storeBytes(of: accumulator.littleEndian, as: UInt64.self)
                let whole = pending &>> 3
                position += Int(truncatingIfNeeded: whole)
                accumulator &>>= whole &<< 3
                pending &= 7
            }
            guard var next = data.baseAddress else { return }
            let end = next + data.count
            while end - next >= 4 {
                let four = UInt32(littleEndian: next.loadUnaligned(as: UInt32.self))
                add(UInt8(truncatingIfNeeded: four))
                add(UInt8(truncatingIfNeeded: four &>> 8))
                flush()
                add(UInt8(truncatingIfNeeded: four &>> 16))
                add(UInt8(truncatingIfNeeded: four &>> 24))
                flush()
                next += 4
            }
            while next < end {
                add(next.load(as: UInt8.self))
                flush()
                next += 1
            }
        }
        used = position - output.baseAddress!
        bits = accumulator
        bitCount = Int(pending)
    }
}

/// The description of a block's code that opens a dynamic Huffman block (RFC 1951 §3.2.7): the code
/// lengths of the 257 literal and end-of-block symbols and of two distance codes (never used, but an
/// inflater wants at least one, and two of one bit make a complete code), run-length coded, and the code
/// that codes them.
private struct CodeDescription {
    /// Code-length symbols as sent: the symbol in the low 5 bits, its extra bits' count in the next 3,
    /// their value above.
    private var symbols: [UInt32] = []
    private let code: HuffmanCode
    /// Code-length code lengths sent (at least 4; trailing zeros in the sending order are left out).
    private let sentLengths: Int
    /// Bits of the whole description after the block's 3 header bits.
    let bits: Int

    init(_ literals: HuffmanCode) {
        // The 257 literal lengths, then the two distance codes' (1 and 1): one sequence, as runs may cross.
        var lengths = [Int](repeating: 1, count: literals.lengths.count + 2)
        for i in literals.lengths.indices { lengths[i] = Int(literals.lengths[i]) }
        var symbols: [UInt32] = []
        var extraBits = 0
        func send(_ symbol: Int, extra: Int = 0, bits: Int = 0) {
            symbols.append(UInt32(symbol | bits << 5 | extra << 8))
            extraBits += bits
        }
        var i = 0
        while i < lengths.count {
            let length = lengths[i]
            var run = 1
            while i + run < lengths.count && lengths[i + run] == length { run += 1 }
            i += run
            if length == 0 {
                while run >= 11 {
                    let n = min(run, 138)
                    send(18, extra: n - 11, bits: 7)
                    run -= n
                }
                if run >= 3 {
                    send(17, extra: run - 3, bits: 3)
                    run = 0
                }
            } else {
                send(length)
                run -= 1
                while run >= 3 {
                    let n = min(run, 6)
                    send(16, extra: n - 3, bits: 2)
                    run -= n
                }
            }
            for _ in 0..<run { send(length) }
        }
        var frequencies = [UInt32](repeating: 0, count: 19)
        for symbol in symbols { frequencies[Int(symbol & 31)] += 1 }
        code = HuffmanCode(frequencies: frequencies, limit: 7)
        var sent = 19
        while sent > 4 && code.lengths[Self.order[sent - 1]] == 0 { sent -= 1 }
        sentLengths = sent
        self.symbols = symbols
        bits = 5 + 5 + 4 + 3 * sent + code.cost(of: frequencies) + extraBits
    }

    /// Order in which the code-length code's lengths are sent (RFC 1951 §3.2.7).
    private static let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    func write(to deflater: HuffmanDeflater) {
        deflater.put(0, 5)  // HLIT: 257 literal/length codes
        deflater.put(1, 5)  // HDIST: 2 distance codes
        deflater.put(UInt32(sentLengths - 4), 4)
        for i in 0..<sentLengths { deflater.put(UInt32(code.lengths[Self.order[i]]), 3) }
        for symbol in symbols {
            deflater.put(code.entries[Int(symbol & 31)])
            deflater.put(symbol >> 8, Int(symbol >> 5 & 7))
        }
    }
}

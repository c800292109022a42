/// A small MS-XCA plain LZ77 compressor for tests, written from [MS-XCA] §2.3.
///
/// Greedy matching with a hash chain over 3-byte prefixes, distances up to 8192, unbounded lengths, so it
/// produces every length form (3-bit, shared nibble, byte, 16-bit, 32-bit), overlapping matches (a run
/// becomes one literal plus a distance-1 match) and a last flag word padded with 1 bits, the way the spec's
/// compressor ends a stream. It favours simplicity over ratio and speed.
enum XpressLZ77Encoder {
    static let maxDistance = 8192
    static let minLength = 3

    /// Compresses `data` into one MS-XCA plain LZ77 stream.
    static func compress(_ data: [UInt8]) -> [UInt8] {
        compress(data, maxLength: .max, chainDepth: 16)
    }

    /// Compresses with a cap on match lengths (to force particular length forms) and on the number of
    /// earlier positions tried per match (1 gives a fast, poorer compressor).
    static func compress(_ data: [UInt8], maxLength: Int, chainDepth: Int) -> [UInt8] {
        var builder = Builder()
        let hashBits = 15
        var head = [Int](repeating: -1, count: 1 << hashBits)
        var previous = [Int](repeating: -1, count: data.count)

        func hash(_ i: Int) -> Int {
            let v = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16
            return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
        }
        func insert(_ i: Int) {
            guard i + minLength <= data.count else { return }
            let h = hash(i)
            previous[i] = head[h]
            head[h] = i
        }

        var i = 0
        while i < data.count {
            var bestLength = 0
            var bestDistance = 0
            if i + minLength <= data.count {
                var candidate = head[hash(i)]
                var tries = 0
                let limit = min(data.count - i, maxLength)
                while candidate >= 0, i - candidate <= maxDistance, tries < chainDepth {
                    var n = 0
                    while n < limit, data[candidate + n] == data[i + n] { n += 1 }
                    if n > bestLength {
                        bestLength = n
                        bestDistance = i - candidate
                        if n == limit { break }
                    }
                    candidate = previous[candidate]
                    tries += 1
                }
            }
            if bestLength >= minLength {
                builder.match(distance: bestDistance, length: bestLength)
                for j in i..<(i + bestLength) { insert(j) }
                i += bestLength
            } else {
                builder.literal(data[i])
                insert(i)
                i += 1
            }
        }
        return builder.finish()
    }

    /// Writes a plain LZ77 stream item by item, for the encoder and for hand-made test streams.
    struct Builder {
        private(set) var bytes: [UInt8] = [0, 0, 0, 0]  // starts with the space for the first flag word
        private var flagPosition = 0
        private var flags: UInt32 = 0
        private var flagCount = 0
        private var nibblePosition: Int?

        mutating func literal(_ byte: UInt8) {
            bytes.append(byte)
            pushFlag(0)
        }

        mutating func literals(_ data: some Sequence<UInt8>) {
            for byte in data { literal(byte) }
        }

        /// A match of `length` (≥ 3) bytes starting `distance` (1…8192) bytes back.
        mutating func match(distance: Int, length: Int) {
            precondition((1...XpressLZ77Encoder.maxDistance).contains(distance) && length >= 3)
            precondition(length - 3 <= Int(UInt32.max))
            let code = min(length - 3, 7)
            appendLittleEndian(UInt32((distance - 1) << 3 | code), byteCount: 2)
            if code == 7 {
                var rest = length - 3 - 7
                let nibble = UInt8(min(rest, 15))
                if let at = nibblePosition {
                    bytes[at] |= nibble << 4  // second user of a shared nibble byte takes the high half
                    nibblePosition = nil
                } else {
                    nibblePosition = bytes.count
                    bytes.append(nibble)
                }
                if rest >= 15 {
                    rest -= 15
                    if rest < 255 {
                        bytes.append(UInt8(rest))
                    } else {
                        bytes.append(255)
                        let whole = length - 3  // the wide forms hold the whole length - 3
                        if whole < 1 << 16 {
                            appendLittleEndian(UInt32(whole), byteCount: 2)
                        } else {
                            appendLittleEndian(0, byteCount: 2)
                            appendLittleEndian(UInt32(whole), byteCount: 4)
                        }
                    }
                }
            }
            pushFlag(1)
        }

        /// Ends the stream: the unused bits of the last flag word are set to 1 (spec compressor behaviour),
        /// or left 0 with `padWithOnes: false` (a decoder must also stop there, at the end of the input).
        mutating func finish(padWithOnes: Bool = true) -> [UInt8] {
            let unused = 32 - flagCount
            var word = unused == 32 ? 0 : flags << UInt32(unused)
            if padWithOnes { word |= unused == 32 ? .max : (1 << UInt32(unused)) - 1 }
            write(word, at: flagPosition)
            return bytes
        }

        /// Appends raw bytes outside the item structure (for building damaged streams).
        mutating func appendRaw(_ raw: [UInt8]) {
            bytes += raw
        }

        private mutating func pushFlag(_ bit: UInt32) {
            flags = flags << 1 | bit
            flagCount += 1
            if flagCount == 32 {
                write(flags, at: flagPosition)
                flags = 0
                flagCount = 0
                flagPosition = bytes.count
                bytes += [0, 0, 0, 0]
            }
        }

        private mutating func write(_ value: UInt32, at position: Int) {
            for k in 0..<4 { bytes[position + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * k)) }
        }

        private mutating func appendLittleEndian(_ value: UInt32, byteCount: Int) {
            for k in 0..<byteCount { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * k))) }
        }
    }
}

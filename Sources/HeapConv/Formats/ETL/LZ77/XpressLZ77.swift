/// Why an MS-XCA plain LZ77 stream could not be decoded, with the offset into the compressed input.
///
/// `inputOffset` is where the offending item (flag word, match word or length field) starts in the
/// compressed input, so a caller can point at the exact byte of a damaged ETL buffer.
public struct XpressLZ77Error: Error, Equatable, Sendable {
    public var inputOffset: Int
    public var message: String
}

/// Decoder for the [MS-XCA] "Plain LZ77" format (LZXpress without Huffman), written from [MS-XCA] §2.4.
///
/// Compressed ETW buffers (buffer flag 0x40) hold one such stream after their 0x48-byte header.
///
/// Format summary (all little-endian):
/// * A 32-bit flag word announces the next 32 items, most significant bit first: 0 = literal byte,
///   1 = match. Flag words are interleaved with the items they describe.
/// * A match is a 16-bit word: low 3 bits length − 3, high 13 bits distance − 1 (distance 1…8192).
/// * Length code 7 extends the length: a 4-bit nibble (the low nibble of a fresh byte, whose high nibble
///   is kept for the next extended match), then if 15 a byte, then if 255 a 16-bit value holding the whole
///   length − 3, and if that is 0, a 32-bit value holding it instead.
/// * There is no end marker: the stream ends when the input is used up where a flag word, a literal or a
///   match word would start (encoders pad the last flag word with 1 bits).
public enum XpressLZ77 {
    /// Decompresses `input` into `output`, returning the number of bytes written. Stops when the input is
    /// exhausted (the normal end) or throws when a match refers before the start of the output, output would
    /// exceed `output.count`, or a length/flag word is truncated.
    ///
    /// Nothing is ever written outside `output`. `input` and `output` must not overlap. The caller knows
    /// the expected size (for ETL buffers `Offset − 0x48`) and should compare it with the result.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(XpressLZ77Error) -> Int {
        guard let source = input.baseAddress, input.count > 0 else { return 0 }
        guard let destination = output.baseAddress else {
            // An empty output buffer may have no address; decode against a 1-byte scratch area with a
            // capacity of 0, so any item that would produce a byte throws before writing.
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
            defer { scratch.deallocate() }
            return try decode(source, input.count, scratch, 0)
        }
        return try decode(source, input.count, destination, output.count)
    }

    /// The decoding loop. `src[0..<inCount]` and `dst[0..<outCapacity]` are the only memory touched.
    private static func decode(
        _ src: UnsafeRawPointer, _ inCount: Int,
        _ dst: UnsafeMutableRawPointer, _ outCapacity: Int
    ) throws(XpressLZ77Error) -> Int {
        var ip = 0  // next input byte; invariant 0 <= ip <= inCount
        var op = 0  // next output byte; invariant 0 <= op <= outCapacity
        var nibbleAt = -1  // input position of a half-used length nibble byte, or -1

        while true {
            // A flag word starts here.
            if ip == inCount { return op }
            guard inCount - ip >= 4 else {
                throw XpressLZ77Error(inputOffset: ip, message: "flag word truncated: \(inCount - ip) of 4 bytes left")
            }
            // Safe: ip + 4 <= inCount (checked above).
            var flags = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: ip, as: UInt32.self))
            ip += 4
            var flagsLeft = 32  // flags not yet consumed; the next one is bit 31 of `flags`

            while flagsLeft > 0 {
                // A run of literals: the leading 0 flags (bits shifted in from the right are 0, hence min).
                let run = min(flags.leadingZeroBitCount, flagsLeft)
                if run > 0 {
                    let n = min(run, inCount - ip)
                    guard n <= outCapacity - op else {
                        throw XpressLZ77Error(
                            inputOffset: ip + (outCapacity - op),
                            message: "literal would exceed the output size \(outCapacity)")
                    }
                    copyLiterals(src + ip, dst + op, n)
                    ip += n
                    op += n
                    if n < run { return op }  // the input ended where a literal would start: normal end
                    flagsLeft -= run
                    if flagsLeft == 0 { break }
                    flags <<= UInt32(run)  // run < 32 here, since flagsLeft was > run
                }

                // A match (flag 1).
                flags <<= 1
                flagsLeft -= 1
                if ip == inCount { return op }  // the input ended where a match word would start: normal end
                let itemStart = ip
                guard inCount - ip >= 2 else {
                    throw XpressLZ77Error(inputOffset: ip, message: "match word truncated: 1 of 2 bytes left")
                }
                // Safe: ip + 2 <= inCount (checked above).
                let word = Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: ip, as: UInt16.self)))
                ip += 2
                let distance = (word &>> 3) &+ 1
                var length = word & 7
                if length == 7 {
                    length = try extendedLength(src, inCount, &ip, &nibbleAt)
                } else {
                    length &+= 3
                }
                guard distance <= op else {
                    throw XpressLZ77Error(
                        inputOffset: itemStart,
                        message: "match distance \(distance) reaches before the start of the output (at \(op))")
                }
                guard length <= outCapacity - op else {
                    throw XpressLZ77Error(
                        inputOffset: itemStart,
                        message: "match of length \(length) at output \(op) would exceed the output size \(outCapacity)")
                }
                copyMatch(dst, at: op, distance: distance, length: length)
                op += length
            }
        }
    }

    /// Copies `n` literal bytes. Runs are usually 1–2 bytes, so short ones are copied with a pair of
    /// possibly overlapping loads/stores instead of a `memcpy` call.
    /// Precondition (checked by the caller): `n` bytes are left in both the input and the output.
    @inline(__always)
    private static func copyLiterals(_ from: UnsafeRawPointer, _ to: UnsafeMutableRawPointer, _ n: Int) {
        // Safe, every branch: each access lies in from[0..<n] or to[0..<n] (precondition); the two buffers
        // do not overlap, so the order of the accesses does not matter.
        switch n {
        case 1:
            copy(UInt8.self, from, to)
        case 2...3:
            copy(UInt16.self, from, to)
            copy(UInt16.self, from + (n - 2), to + (n - 2))
        case 4...8:
            copy(UInt32.self, from, to)
            copy(UInt32.self, from + (n - 4), to + (n - 4))
        case 9...16:
            copy(UInt64.self, from, to)
            copy(UInt64.self, from + (n - 8), to + (n - 8))
        default:
            to.copyMemory(from: from, byteCount: n)
        }
    }

    /// Copies one `T` (a fixed-width integer) from `from` to `to`, unaligned. The caller proves the bytes exist.
    @inline(__always)
    private static func copy<T: FixedWidthInteger>(_: T.Type, _ from: UnsafeRawPointer, _ to: UnsafeMutableRawPointer) {
        to.storeBytes(of: from.loadUnaligned(as: T.self), as: T.self)
    }

    /// Decodes a length whose 3-bit code was 7: nibble, then byte, then 16-bit, then 32-bit field.
    /// Returns the full match length (≥ 10). Advances `ip` past the fields read here. Inlined: passing
    /// `ip` by reference to a real call would keep it in memory for the whole decoding loop.
    @inline(__always)
    private static func extendedLength(
        _ src: UnsafeRawPointer, _ inCount: Int, _ ip: inout Int, _ nibbleAt: inout Int
    ) throws(XpressLZ77Error) -> Int {
        var length: Int
        if nibbleAt < 0 {
            guard ip < inCount else {
                throw XpressLZ77Error(inputOffset: ip, message: "length nibble byte truncated")
            }
            // Safe: ip < inCount (checked above).
            length = Int(src.load(fromByteOffset: ip, as: UInt8.self) & 0x0F)
            nibbleAt = ip
            ip += 1
        } else {
            // Safe: nibbleAt was a valid input position (< inCount) when it was recorded.
            length = Int(src.load(fromByteOffset: nibbleAt, as: UInt8.self) &>> 4)
            nibbleAt = -1
        }
        guard length == 15 else { return length + 7 + 3 }

        guard ip < inCount else {
            throw XpressLZ77Error(inputOffset: ip, message: "length byte truncated")
        }
        // Safe: ip < inCount (checked above).
        length = Int(src.load(fromByteOffset: ip, as: UInt8.self))
        ip += 1
        guard length == 255 else { return length + 15 + 7 + 3 }

        let wideStart = ip
        guard inCount - ip >= 2 else {
            throw XpressLZ77Error(inputOffset: ip, message: "16-bit length truncated: \(inCount - ip) of 2 bytes left")
        }
        // Safe: ip + 2 <= inCount (checked above).
        length = Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: ip, as: UInt16.self)))
        ip += 2
        if length == 0 {
            guard inCount - ip >= 4 else {
                throw XpressLZ77Error(inputOffset: ip, message: "32-bit length truncated: \(inCount - ip) of 4 bytes left")
            }
            // Safe: ip + 4 <= inCount (checked above).
            length = Int(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: ip, as: UInt32.self)))
            ip += 4
        }
        // The wide fields hold the whole length − 3; anything below 15 + 7 should have used a shorter form.
        guard length >= 15 + 7 else {
            throw XpressLZ77Error(inputOffset: wideStart, message: "invalid match length field \(length) (< 22)")
        }
        return length + 3  // at most 2^32 - 1 + 3: no overflow in a 64-bit Int
    }

    /// Copies a match of `length` bytes from `distance` bytes back to `dst + op`, exactly: nothing past
    /// `op + length` is written.
    ///
    /// Precondition (checked by the caller): 1 <= distance <= op, 3 <= length and op + length <= output
    /// capacity, so every byte read lies in `dst[op - distance..<op + length]` and every byte written in
    /// `dst[op..<op + length]`. Reads never go past the bytes written so far, so the LZ77 byte-by-byte
    /// semantics (a match may overlap itself) are kept.
    @inline(__always)
    private static func copyMatch(_ dst: UnsafeMutableRawPointer, at op: Int, distance: Int, length: Int) {
        let to = dst + op
        let from = UnsafeRawPointer(dst + (op - distance))
        if distance >= 8 && length >= 8 {
            // 8-byte steps. Step k reads from[k..<k+8] = to[k-distance..<k+8-distance], all below to[k]
            // since distance >= 8, i.e. bytes already final. The last step is aligned to the end (it
            // rewrites a few bytes with the same values), so no byte past `length` is touched.
            var k = 0
            while k &+ 8 < length {
                // Safe: k + 8 < length, so to[k..<k+8] and from[k..<k+8] are inside the match's ranges.
                copy(UInt64.self, from + k, to + k)
                k &+= 8
            }
            // Safe: length >= 8, so [length-8, length) is inside the match's ranges.
            copy(UInt64.self, from + (length - 8), to + (length - 8))
        } else if distance >= length {
            // Not overlapping and length < 8 (length >= 8 implies distance >= 8, handled above): two
            // possibly overlapping small copies, both reading bytes below `to`, i.e. already final.
            if length >= 4 {
                // Safe: 4 <= length, so [0, 4) and [length-4, length) are inside the match's ranges.
                copy(UInt32.self, from, to)
                copy(UInt32.self, from + (length - 4), to + (length - 4))
            } else {
                // Safe: length == 3, so [0, 2) and [1, 3) are inside the match's ranges.
                copy(UInt16.self, from, to)
                copy(UInt16.self, from + 1, to + 1)
            }
        } else if length <= 32 {
            // Overlapping match with a short period (distance < length, so distance <= 7), short: byte by
            // byte, exactly as the spec describes it; each byte read was written before.
            for k in 0..<length {
                // Safe: reads to[k-distance] with k-distance >= -distance >= -op, so inside the output and
                // already written; writes to[k] with k < length (precondition).
                copy(UInt8.self, UnsafeRawPointer(to + (k - distance)), to + k)
            }
        } else {
            // Overlapping match with a short period, long (runs of one byte or a short pattern): the output
            // is periodic with period `distance` from `from` on. Copy in chunks no longer than the gap
            // between source and destination; the gap doubles each time, since the source stays at `from`
            // and every chunk is a whole number of periods.
            var done = 0
            var gap = distance
            while done < length {
                let chunk = min(gap, length - done)
                // Safe: reads [op-distance, op-distance+chunk) and writes [op+done, op+done+chunk); chunk <=
                // gap = distance+done keeps them disjoint, and op+done+chunk <= op+length (precondition).
                (to + done).copyMemory(from: from, byteCount: chunk)
                done += chunk
                gap += chunk
            }
        }
    }
}

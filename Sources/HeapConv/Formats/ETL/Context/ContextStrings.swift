/// The strings of kernel context payloads (CONTEXT.md §2), read into UTF-8: ANSI strings (process image
/// names, PDB names) and UTF-16LE strings (command lines, thread names, image paths), both NUL-terminated.
///
/// UTF-16 strings are not aligned (a command line follows an ANSI name of any length), so code units are
/// read byte by byte. Invalid UTF-16 (a lone surrogate) and invalid UTF-8 in an ANSI string become U+FFFD:
/// the text formats always carry valid UTF-8.
enum ContextStrings {
    /// Where a string ends: `next` is the offset after its terminating NUL.
    struct Extent {
        var next: Int
    }

    /// Why a string cannot be read.
    struct Problem: Error {
        var message: String
    }

    /// Reads the ANSI string at `offset` of `payload` into `text`; returns the offset after its NUL.
    static func ansi(_ payload: ByteView, at offset: Int, into text: inout [UInt8], what: String) throws(Problem) -> Int {
        var end = offset
        while true {
            guard end < payload.count else {
                throw Problem(message: "\(what) at payload offset \(offset.hex) has no terminating NUL before the payload ends")
            }
            if payload.u8(end) == 0 { break }
            end += 1
        }
        let length = end - offset
        if length > 0, let bytes = payload.slice(offset, length), let base = bytes.base {
            let raw = UnsafeRawBufferPointer(start: base, count: length)
            if raw.allSatisfy({ $0 < 0x80 }) {
                text.append(contentsOf: raw)
            } else {
                // Decoding repairs invalid sequences with U+FFFD.
                text.append(contentsOf: String(decoding: raw, as: UTF8.self).utf8)
            }
        }
        return end + 1
    }

    /// Reads the UTF-16LE string at `offset` of `payload` into `text` as UTF-8; returns the offset after
    /// its 2-byte NUL.
    static func utf16(_ payload: ByteView, at offset: Int, into text: inout [UInt8], what: String) throws(Problem) -> Int {
        var position = offset
        var pendingHigh: UInt32?
        func scalar(_ value: UInt32) {
            let s = Unicode.Scalar(value) ?? "\u{FFFD}"
            if value < 0x80 {
                text.append(UInt8(value))
            } else {
                text.append(contentsOf: UTF8.encode(s)!)
            }
        }
        while true {
            guard position + 2 <= payload.count else {
                throw Problem(message: "\(what) at payload offset \(offset.hex) has no terminating NUL before the payload ends")
            }
            let unit = UInt32(payload.u8(position)) | UInt32(payload.u8(position + 1)) << 8
            position += 2
            if let high = pendingHigh {
                pendingHigh = nil
                if unit >= 0xDC00 && unit < 0xE000 {
                    scalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                    continue
                }
                scalar(0xFFFD)
            }
            if unit == 0 { break }
            if unit >= 0xD800 && unit < 0xDC00 {
                pendingHigh = unit
            } else {
                scalar(unit)  // a lone low surrogate becomes U+FFFD
            }
        }
        return position
    }
}

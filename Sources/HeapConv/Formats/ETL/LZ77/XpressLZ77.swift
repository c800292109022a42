/// PLACEHOLDER — replaced by the real MS-XCA plain LZ77 decoder from the `lz77` branch when it is merged.
/// It only fixes the API the `.etl` reader calls; every call throws.

/// Why a compressed stream could not be decoded, and where in the input.
public struct XpressLZ77Error: Error, Equatable, Sendable {
    public var inputOffset: Int
    public var message: String
}

/// MS-XCA plain LZ77 ("LZXpress") decompression.
public enum XpressLZ77 {
    /// Decompresses `input` into `output`; returns the number of bytes written.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(XpressLZ77Error) -> Int {
        throw XpressLZ77Error(inputOffset: 0, message: "not implemented (placeholder until the lz77 branch is merged)")
    }
}

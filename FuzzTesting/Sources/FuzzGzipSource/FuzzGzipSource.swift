import FuzzSupport
import HeapConv

/// libFuzzer entry point for gzip'd input (`.jsonl.gz`, `.csv.gz`, and `.heapcol` underneath): the first
/// byte picks the read size (see ``FuzzDrain/source(_:_:)``), the rest is the gzip stream. Reading ends at
/// the end of the stream or in a `ConversionError`, and never returns more than the caller's buffer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzipSource(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let (source, _) = FuzzDrain.source(data, size) else { return 0 }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
    defer { buffer.deallocate() }
    do {
        let gzip = try GzipSource(source, name: "fuzz.gz")
        var total = 0
        while true {
            let n = try gzip.read(into: buffer)
            precondition(n >= 0 && n <= buffer.count)
            if n == 0 { break }
            total += n
            // Decompression bombs are legitimate input; stop reading them early.
            if total > 64 << 20 { break }
        }
    } catch {
        FuzzDrain.check(error)
    }
    return 0
}

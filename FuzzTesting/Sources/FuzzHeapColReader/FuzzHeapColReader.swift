import FuzzSupport
import HeapConv

/// libFuzzer entry point for the `.heapcol` reader (header, row groups, columns, stack dictionary). The first
/// byte picks the read size (see ``FuzzDrain/source(_:_:)``) and, with its top bit, whether the rest is the
/// file itself (gzip'd) or the stream inside its gzip member: mutations of the file rarely pass gzip's CRC,
/// so most inputs go straight to the decoder. Everything runs on this thread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeapColReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let (source, count) = FuzzDrain.source(data, size) else { return 0 }
    do {
        var reader = data[0] & 0x80 != 0
            ? try HeapColReader(source: source, name: "fuzz.heapcol", readAhead: false)
            : try HeapColReader(uncompressed: source)
        FuzzDrain.run(&reader, inputSize: count)
    } catch {
        FuzzDrain.check(error)
    }
    return 0
}

import FuzzSupport
import HeapConv

/// libFuzzer entry point for the JSON Lines reader (scanner, key prediction, numbers, hex, escapes):
/// the first byte picks the read size (see ``FuzzDrain/source(_:_:)``), the rest is the file, parsed on this
/// thread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLinesReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let (source, count) = FuzzDrain.source(data, size) else { return 0 }
    var reader = JSONLinesReader(source: source, parallel: false)
    FuzzDrain.run(&reader, inputSize: count)
    return 0
}

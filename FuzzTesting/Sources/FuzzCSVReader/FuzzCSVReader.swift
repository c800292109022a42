import FuzzSupport
import HeapConv

/// libFuzzer entry point for the CSV reader (header, RFC 4180 cells, chunking at line breaks outside quotes):
/// the first byte picks the read size (see ``FuzzDrain/source(_:_:)``), the rest is the file, parsed on this
/// thread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let (source, count) = FuzzDrain.source(data, size) else { return 0 }
    var reader = CSVReader(source: source, parallel: false)
    FuzzDrain.run(&reader, inputSize: count)
    return 0
}

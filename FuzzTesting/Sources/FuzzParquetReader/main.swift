import FuzzSupport
import HeapConv

/// libFuzzer entry point for the Parquet reader (footer, Thrift, schema mapping, page headers, GZIP and
/// SNAPPY pages, levels, PLAIN, dictionary and delta values). The input is the file; a row group may
/// legitimately hold many rows in few bytes (RLE runs), so the batch bound is loose.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParquetReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        var reader = try ParquetReader(bytes: bytes, name: "fuzz.parquet")
        FuzzDrain.run(&reader, inputSize: size << 16)
    } catch {
        FuzzDrain.check(error)
    }
    return 0
}

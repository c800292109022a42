import FuzzSupport
import HeapConv

/// libFuzzer entry point for the `.etl` reader: the first byte chooses the mode (bit 0 `--keep-going`,
/// bit 1 `--file-order`), the rest is the file, read from memory on this thread (files under 4 MiB are
/// indexed by one thread). See ``FuzzDrain`` for what is checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzETLReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let mode = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do {
        var reader = try ETLReader(bytes: bytes, keepGoing: mode & 1 != 0, fileOrder: mode & 2 != 0)
        FuzzDrain.run(&reader, inputSize: size)
    } catch {
        FuzzDrain.check(error)
    }
    return 0
}

import HeapConv

/// libFuzzer entry point for the `.etl` reader: the first byte chooses the mode (bit 0 `--keep-going`,
/// bit 1 `--file-order`), the rest is the file. Reading must end in events or a `ConversionError` (typed
/// throws rule out anything else); AddressSanitizer catches any access outside the buffers, a trap any
/// failed bounds precondition.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzETLReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let mode = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do {
        var reader = try ETLReader(bytes: bytes, keepGoing: mode & 1 != 0, fileOrder: mode & 2 != 0)
        var batch = EventBatch()
        var batches = 0
        while try reader.read(into: &batch, limit: 64) {
            for event in batch.events { _ = batch.stack(of: event) }
            batch.removeAll()
            batches += 1
            precondition(batches <= size, "the reader does not stop")
        }
        _ = reader.facts()?.json
        _ = reader.skippedProblems
    } catch {
        precondition(!error.message.isEmpty)
    }
    return 0
}

import HeapConv

/// libFuzzer entry point: the first two bytes choose the output capacity (0…65535), the rest is the
/// compressed stream. The decoder must return a count within the capacity or throw `XpressLZ77Error`;
/// AddressSanitizer catches any access outside the input or the output.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXpressLZ77(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let capacity = Int(data[0]) | Int(data[1]) << 8
    // An exactly sized heap allocation, so ASan flags even a one-byte overrun.
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
    defer { output.deallocate() }
    let input = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    do {
        let count = try XpressLZ77.decompress(input, into: output)
        precondition(count >= 0 && count <= capacity, "decoder reported \(count) bytes for capacity \(capacity)")
    } catch {
        precondition(error.inputOffset >= 0 && error.inputOffset <= input.count, "error offset out of range")
    }
    return 0
}

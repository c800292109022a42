import HeapConv

/// What every reader target checks: reading ends in events or a `ConversionError` (typed throws rule out
/// anything else), in a number of batches bounded by the input's size, and every stack an event refers to
/// lies inside its batch. AddressSanitizer and the bounds preconditions catch the rest.
public enum FuzzDrain {
    /// Reads `reader` to its end in batches of at most `limit` events.
    public static func run(_ reader: inout some EventReader, inputSize: Int, limit: Int = 64) {
        var batch = EventBatch()
        var batches = 0
        do throws(ConversionError) {
            while try reader.read(into: &batch, limit: limit) {
                for event in batch.events {
                    if let stack = batch.stack(of: event) { precondition(stack.count < Int(UInt32.max)) }
                }
                batch.removeAll()
                batches += 1
                precondition(batches <= inputSize + 1, "the reader does not stop")
            }
            _ = reader.facts()?.json
            _ = reader.skippedProblems
        } catch {
            check(error)
        }
    }

    /// A reader's error must be a one-line message a user can act on.
    public static func check(_ error: ConversionError) {
        precondition(!error.message.isEmpty, "an error without a message")
        precondition(!error.description.contains("\n"), "an error message on more than one line")
    }

    /// The source for a text or compressed input: the first byte picks how many bytes each read returns
    /// (0: all at once; else 1 to 255), so chunk and buffer boundaries land anywhere.
    public static func source(_ data: UnsafePointer<UInt8>, _ size: Int) -> (MemoryByteSource, Int)? {
        guard size >= 1 else { return nil }
        let piece = Int(data[0])
        let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
        return (MemoryByteSource(bytes, chunkLimit: piece == 0 ? .max : piece), bytes.count)
    }
}

/// A sequential source of bytes: a file, standard input, or a decompressor over another source.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 only at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ConversionError) -> Int
}

/// A sequential destination for bytes: a file, standard output, or a compressor over another sink.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ConversionError)
    /// Writes whatever the sink still holds (a compressor's trailer included) and flushes it downstream.
    /// Called once, after the last ``write(_:)``.
    func finish() throws(ConversionError)
    /// Stops any thread still writing downstream, without finishing: called when the conversion failed,
    /// before its output file is closed and removed. Does nothing for sinks without threads.
    func abandon()
}

extension ByteSink {
    public func abandon() {}
}

/// Windows Event Trace Log (`.etl`), read only.
///
/// How the reader is laid out (one concern per folder):
///
/// * `Input/` — random access to the file with `pread(2)`; standard input and pipes are spooled to an
///   unlinked temporary file first.
/// * `Buffers/` — the 0x48-byte `WMI_BUFFER_HEADER`, its validation, and loading a buffer's bytes up to
///   `Offset`, decompressing MS-XCA plain LZ77 buffers (flag 0x40, `LZ77/`) into reused storage.
/// * `Records/` — record kinds from the 4-byte marker, the walk by marker and size (8-byte aligned, ending at
///   `Offset`, a 0xFFFFFFFF marker or fewer than 4 bytes), kernel header fields with PMC/PEBS words, and the
///   TRACE_LOGFILE_HEADER.
/// * `Heap/` — Heap provider payloads into ``HeapEvent``s, pointer size per record.
/// * `Clock/` — `unix_ns(StartTime) + floor((ticks − header ticks) × 1e9 / freq)` in integers.
/// * `Stacks/` — StackWalk records, the stack-key table, and the holding area that attaches fragments
///   (its documentation states the rule for when an event may leave).
/// * `Merge/` — one stream per CPU holding one buffer at a time, and their k-way merge into time order.
/// * `Reader/` — the first pass (``ETLIndex``: follow the buffer headers, then validate, count, collect key
///   definitions and note the buffers with heap events, on two threads for files of 4 MiB or more) and
///   ``ETLReader`` tying the second pass together.
/// * `Facts/` — what `info` prints.
///
/// Memory: one buffer per CPU with heap events (CPUs × buffer size), at most 32,768 events and 2 M frames
/// waiting for stacks, a stash of at most 4,096 early fragments; plus what the first pass keeps: a 24-byte
/// entry per buffer with heap events (0.04 % of the file with 64 KiB buffers) and the stack-key definitions
/// (24 bytes each, every distinct stack stored once), which grow with the trace but not with its events.
/// Measured: 16-22 MB peak for 1.3 GB traces.
public enum ETLFormat {
    public static let entry = FormatEntry(
        name: "etl", extensions: ["etl"], allowsGzip: false,
        summary: "Windows Event Trace Log (read)",
        emptyHint: "this trace has no Heap provider events (record with heap tracing enabled for the process)",
        options: [.keepGoing, .fileOrder],
        makeReader: { context throws(ConversionError) in try ETLReader(context) }, makeWriter: nil)
}

/// heapconv's gzip'd columnar format (`.heapcol`), read and written.
public enum HeapColFormat {
    public static let entry = FormatEntry(
        name: "heapcol", extensions: ["heapcol"], allowsGzip: false, writesGzip: true,
        summary: "heapconv's compact columnar binary, one gzip stream (Schemas/heapcol.md)",
        makeReader: nil, makeWriter: nil)
}

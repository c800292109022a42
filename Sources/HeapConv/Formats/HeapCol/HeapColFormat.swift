/// heapconv's gzip'd columnar format (`.heapcol`), read and written.
public enum HeapColFormat {
    public static let entry = FormatEntry(
        name: "heapcol", extensions: ["heapcol"], allowsGzip: false, writesGzip: true,
        summary: "compact columnar binary (read, write)",
        makeReader: nil, makeWriter: nil)
}

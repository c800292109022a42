/// Windows Event Trace Log (`.etl`), read only.
public enum ETLFormat {
    public static let entry = FormatEntry(
        name: "etl", extensions: ["etl"], allowsGzip: false,
        summary: "Windows Event Trace Log (read)",
        makeReader: { context throws(ConversionError) in try ETLReader(context) }, makeWriter: nil)
}

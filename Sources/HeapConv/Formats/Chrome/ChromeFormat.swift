/// Chrome trace JSON (`.json`, optionally `.gz`) for Perfetto UI and chrome://tracing, write only.
public enum ChromeFormat {
    public static let entry = FormatEntry(
        name: "chrome", extensions: ["json"], allowsGzip: true, writerIsHeavy: true,
        summary: "Chrome trace JSON for Perfetto (write)", options: [.lifetimes, .noInstants],
        makeReader: nil, makeWriter: { context in ChromeWriter(context: context) })
}

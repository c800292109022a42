/// pprof heap profiles (`.pb.gz`, `.pprof`): gzip'd `profile.proto`, written only (`Schemas/pprof.md`).
/// Perfetto UI (v53 and later) draws them as flame graphs; `go tool pprof` reads them.
public enum PprofFormat {
    public static let entry = FormatEntry(
        name: "pprof", extensions: ["pb.gz", "pprof"], allowsGzip: false, writesGzip: true,
        summary: "pprof heap profile: flame graphs of what allocated and what is in use (write)",
        makeReader: nil,
        makeWriter: { context in PprofWriter(output: context.output, inputName: context.inputName) })
}

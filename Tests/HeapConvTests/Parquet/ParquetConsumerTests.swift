import Foundation
import Testing
@testable import HeapConv

/// Parquet proved with its real consumers (`.ci/run` installs them from PyPI): pyarrow, DuckDB and polars
/// load heapconv's files with the documented types and every value equal to the JSON Lines
/// (`Tests/Tools/parquet_check.py`, written from `Schemas/parquet.md`); DuckDB's statistics and filters
/// agree with heapconv's; what DuckDB and pyarrow write from our JSON Lines reads back equal.
@Suite struct ParquetConsumerTests {
    static func python(_ code: String, in dir: URL) throws -> CLI.Result {
        try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", code], in: dir)
    }

    /// The sample events as JSON Lines in `dir/t.jsonl`.
    static func sample(in dir: URL) throws {
        let jsonl = try Codecs.jsonl(SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.contextRecords(),
                                     SampleEvents.workload(count: 3_000))
        try Data(jsonl).write(to: dir.appendingPathComponent("t.jsonl"))
    }

    @Test(ExternalTool.needed(.pyarrow, .duckdb, .polars))
    func pyarrowDuckDBAndPolarsReadEveryValue() throws {
        guard ExternalTool.require(.pyarrow, .duckdb, .polars) else { return }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.sample(in: dir)
        #expect(try CLI.run(["t.jsonl", "t.parquet"], in: dir).status == 0)
        // Many row groups and pages, for the statistics of each.
        let small = try Codecs.parquet(SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.contextRecords(),
                                       SampleEvents.workload(count: 3_000), rowGroupRows: 512, pageRows: 128)
        try Data(small).write(to: dir.appendingPathComponent("small.parquet"))
        for file in ["t.parquet", "small.parquet"] {
            let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                                ["python3", CLI.repositoryRoot.appendingPathComponent("Tests/Tools/parquet_check.py").path, "t.jsonl", file],
                                in: dir)
            #expect(r.status == 0 && r.stdout == "ok\n", "\(file): \(r.stdout)\(r.stderr)")
        }
    }

    /// DuckDB's count under a filter equals the events heapconv's filters keep; DuckDB skips row groups by
    /// the statistics, so wrong ones would show here as a wrong count.
    @Test(ExternalTool.needed(.duckdb))
    func duckDBFiltersAgreeWithHeapconvs() throws {
        guard ExternalTool.require(.duckdb) else { return }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let events = SampleEvents.workload(count: 20_000)
        try Data(try Codecs.parquet(events, rowGroupRows: 2048, pageRows: 512)).write(to: dir.appendingPathComponent("t.parquet"))
        let firstTime = events.events[0].context.timestamp
        let since = firstTime + 20_000_000  // 20 ms in
        let cases: [([String], String)] = [
            (["--heap", "0x2b0000"], "heap = \(0x2b0000)"),
            (["--event", "alloc,free"], "event IN ('alloc', 'free')"),
            (["--since", Timestamps.iso8601(since), "--event", "realloc"], "epoch_ns(ts) >= \(since) AND event = 'realloc'"),
        ]
        for (filter, sql) in cases {
            let heapconv = try CLI.run(["t.parquet", "-", "--to", "jsonl"] + filter, in: dir)
            let expected = heapconv.stdout.split(separator: "\n").count
            #expect(expected > 0, "\(filter)")
            let duck = try Self.python("import duckdb; print(duckdb.sql(\"SELECT count(*) FROM 't.parquet' WHERE \(sql)\").fetchall()[0][0])", in: dir)
            #expect(duck.stdout == "\(expected)\n", "\(filter): \(duck.stdout)\(duck.stderr)")
        }
        // Row groups skipped on a time filter: the statistics show which hold the window.
        let meta = try Self.python("""
            import duckdb
            rows = duckdb.sql("SELECT stats_min_value, stats_max_value FROM parquet_metadata('t.parquet') WHERE path_in_schema = 'address'").fetchall()
            print(len(rows), all(int(lo) <= int(hi) for lo, hi in rows))
            """, in: dir)
        #expect(meta.stdout == "\((20_000 + 2047) / 2048) True\n", "\(meta.stdout)\(meta.stderr)")
    }

    /// What DuckDB and pyarrow write from our JSON Lines, with the installed versions, reads back to it.
    @Test(ExternalTool.needed(.duckdb, .pyarrow))
    func filesDuckDBAndPyarrowWriteReadBack() throws {
        guard ExternalTool.require(.duckdb, .pyarrow) else { return }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.sample(in: dir)
        #expect(try CLI.run(["t.jsonl", "t.parquet"], in: dir).status == 0)
        let expected = try String(contentsOf: dir.appendingPathComponent("t.jsonl"), encoding: .utf8)
        let write = try Self.python("""
            import duckdb, pyarrow.parquet as pq
            duckdb.sql("COPY (SELECT * FROM read_parquet('t.parquet')) TO 'duckdb.parquet'")
            pq.write_table(pq.read_table('t.parquet'), 'pyarrow.parquet', compression='snappy')
            pq.write_table(pq.read_table('t.parquet'), 'pyarrow-v2.parquet', data_page_version='2.0', compression='gzip')
            """, in: dir)
        #expect(write.status == 0, "\(write.stderr)")
        for file in ["duckdb.parquet", "pyarrow.parquet", "pyarrow-v2.parquet"] {
            let r = try CLI.run([file, "-", "--to", "jsonl"], in: dir)
            #expect(r.status == 0, "\(file): \(r.stderr)")
            // DuckDB's timestamps stop short of Int64's extremes; compare the events it can hold.
            let lines = r.stdout.split(separator: "\n")
            let want = expected.split(separator: "\n")
            #expect(lines.count == want.count, "\(file)")
            for (got, line) in zip(lines, want) where got != line {
                #expect(file == "duckdb.parquet" && line.contains("\"ts\":-9223372036854775808"), "\(file): \(got) != \(line)")
            }
        }
    }

    /// A column of the wrong type and an unreadable codec are one-line errors naming the column.
    @Test(ExternalTool.needed(.pyarrow))
    func wrongTypesAndCodecsAreNamed() throws {
        guard ExternalTool.require(.pyarrow) else { return }
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        let write = try Self.python("""
            import pyarrow as pa, pyarrow.parquet as pq
            t = pa.table({"event": ["alloc"], "ts": pa.array([1], pa.int64()), "pid": ["7"]})
            pq.write_table(t, "string-pid.parquet")
            t = pa.table({"event": ["destroy"], "ts": pa.array([1], pa.int64()), "pid": pa.array([7], pa.uint32()),
                          "tid": pa.array([1], pa.uint32()), "heap": pa.array([16], pa.uint64())})
            pq.write_table(t, "zstd.parquet", compression="zstd")
            pq.write_table(t, "minimal.parquet")
            """, in: dir)
        #expect(write.status == 0, "\(write.stderr)")
        let typed = try CLI.run(["string-pid.parquet", "out.jsonl"], in: dir)
        #expect(typed.status == 65)
        #expect(typed.stderr == "heapconv: error: string-pid.parquet: column \"pid\" has type BYTE_ARRAY; heapconv expects INT32 or INT64\n")
        let zstd = try CLI.run(["zstd.parquet", "out.jsonl"], in: dir)
        #expect(zstd.status == 65 && zstd.stderr.contains("ZSTD"), "\(zstd.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.jsonl").path))
        let minimal = try CLI.run(["minimal.parquet", "-", "--to", "jsonl"], in: dir)
        #expect(minimal.stdout == "{\"event\":\"destroy\",\"ts\":1,\"pid\":7,\"tid\":1,\"heap\":\"0x10\"}\n", "\(minimal.stderr)")
    }
}

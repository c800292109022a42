import Foundation
import Testing

/// The README's "Loading the output" recipes, run as a user would paste them, on a trace whose sizes pass
/// 2^53 and whose addresses pass 2^63: every tool must see the exact values. Expected results are computed
/// by hand from the trace below.
@Suite struct LoadingRecipeTests {
    /// Three allocations: pid 7 with 2^60 bytes at 0xffff800000001000 and 5 bytes at 0x10, pid 8 with 3
    /// bytes at 0x20 (source "9"); a create and a free around them.
    static let trace = """
        {"event":"create","ts":1555526400000000000,"pid":7,"tid":1,"heap":"0x10000","flags":2}
        {"event":"alloc","ts":1555526400000001000,"pid":7,"tid":1,"cpu":0,"heap":"0x10000","address":"0xffff800000001000","size":1152921504606846976,"source":"lowfrag","stack":["0x7ff800001000","0xfffff80000000001"]}
        {"event":"alloc","ts":1555526400000002000,"pid":7,"tid":1,"cpu":1,"heap":"0x10000","address":"0x10","size":5,"source":"lowfrag"}
        {"event":"alloc","ts":1555526400000003000,"pid":8,"tid":2,"heap":"0x20000","address":"0x20","size":3,"source":"9"}
        {"event":"free","ts":1555526400000004000,"pid":7,"tid":1,"heap":"0x10000","address":"0x10","source":"mainpath"}

        """

    /// 2^60 + 5 bytes in pid 7; the highest address 0xffff800000001000.
    static let expected: [String: String] = [
        "duckdb": "[(7, 2, 1152921504606846981, 18446603336221200384), (8, 1, 3, 32)]\n",
        "pandas": "7 1152921504606846981\n8 3\n18446603336221200384\n",
        "polars": "[(7, 1152921504606846981, 18446603336221200384), (8, 3, 32)]\n",
        "jq": "{\"pid\":7,\"size\":5,\"address\":\"0x10\"}\n{\"pid\":8,\"size\":3,\"address\":\"0x20\"}\n",
        "parquet-duckdb": "[(7, 2, 1152921504606846981, 18446603336221200384), (8, 1, 3, 32)]\n",
        "parquet-pandas": "7 1152921504606846981\n8 3\n18446603336221200384\n",
        "parquet-polars": "[(7, 1152921504606846981, 18446603336221200384), (8, 3, 32)]\n",
        // out/a.parquet is the whole trace, out/b.parquet pid 8 only: 2^60 + 8 bytes in 3 allocations, 3 in 1.
        "parquet-folder": "[('a', 3, 1152921504606846984), ('b', 1, 3)]\n",
    ]

    /// The recipe called `name` in the README: the fenced block after `<!-- recipe: name -->`.
    static func recipe(_ name: String) throws -> (language: String, code: String) {
        let readme = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = "<!-- recipe: \(name) -->\n```"
        let start = try #require(readme.range(of: marker), "no recipe \(name) in the README").upperBound
        let rest = readme[start...]
        let newline = try #require(rest.firstIndex(of: "\n"))
        let end = try #require(rest.range(of: "\n```\n"))
        return (String(rest[..<newline]), String(rest[rest.index(after: newline)..<end.lowerBound]) + "\n")
    }

    func run(_ name: String) throws -> CLI.Result {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try Self.trace.write(to: dir.appendingPathComponent("trace.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["trace.jsonl", "trace.csv"], in: dir).status == 0)
        #expect(try CLI.run(["trace.jsonl", "trace.parquet"], in: dir).status == 0)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        #expect(try CLI.run(["trace.jsonl", "out/a.parquet"], in: dir).status == 0)
        #expect(try CLI.run(["trace.jsonl", "out/b.parquet", "--pid", "8"], in: dir).status == 0)
        let (language, code) = try Self.recipe(name)
        let program = language == "python" ? ["python3", "-c", code] : ["sh", "-c", code]
        return try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), program, in: dir)
    }

    @Test(ExternalTool.needed(.duckdb)) func duckdb() throws {
        guard ExternalTool.require(.duckdb) else { return }
        let r = try run("duckdb")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["duckdb"])
    }

    @Test(ExternalTool.needed(.pandas)) func pandas() throws {
        guard ExternalTool.require(.pandas) else { return }
        let r = try run("pandas")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["pandas"])
    }

    @Test(ExternalTool.needed(.polars)) func polars() throws {
        guard ExternalTool.require(.polars) else { return }
        let r = try run("polars")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["polars"])
    }

    @Test(ExternalTool.needed(.duckdb), arguments: ["parquet-duckdb", "parquet-folder"])
    func parquetWithDuckDB(_ name: String) throws {
        guard ExternalTool.require(.duckdb) else { return }
        let r = try run(name)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected[name])
    }

    @Test(ExternalTool.needed(.pandas, .pyarrow)) func parquetWithPandas() throws {
        guard ExternalTool.require(.pandas, .pyarrow) else { return }
        let r = try run("parquet-pandas")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["parquet-pandas"])
    }

    @Test(ExternalTool.needed(.polars)) func parquetWithPolars() throws {
        guard ExternalTool.require(.polars) else { return }
        let r = try run("parquet-polars")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["parquet-polars"])
    }

    @Test(ExternalTool.needed(.jq)) func jq() throws {
        guard ExternalTool.require(.jq) else { return }
        let r = try run("jq")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.expected["jq"])
    }
}

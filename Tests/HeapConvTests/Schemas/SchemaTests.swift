import Foundation
import Testing
@testable import HeapConv

/// Our own output validates against the normative descriptions in Schemas/.
@Suite struct SchemaTests {
    static let schemas = CLI.repositoryRoot.appendingPathComponent("Schemas")

    /// Writes sample JSON Lines into `directory`; returns the file.
    static func sampleJSONL(in directory: URL) throws -> URL {
        let bytes = try Codecs.jsonl(SampleEvents.everyKind(), SampleEvents.extremeTimes(), SampleEvents.workload(count: 2_000))
        let url = directory.appendingPathComponent("sample.jsonl")
        try Data(bytes).write(to: url)
        return url
    }

    @Test(ExternalTool.needed(.jsonschema))
    func jsonLinesOutputValidatesAgainstTheJSONSchema() throws {
        guard ExternalTool.require(.jsonschema) else { return }
        let directory = try CLI.temporaryDirectory()
        defer { CLI.remove(directory) }
        let file = try Self.sampleJSONL(in: directory)
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", CLI.repositoryRoot.appendingPathComponent("Tests/Tools/validate_jsonl.py").path,
                             Self.schemas.appendingPathComponent("heap-event.schema.json").path, file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("lines valid\n"))
    }

    @Test(ExternalTool.needed(.jsonschema))
    func theJSONSchemaRejectsWhatTheReaderRejects() throws {
        guard ExternalTool.require(.jsonschema) else { return }
        let bad = """
            {"event":"free","ts":1,"pid":1,"tid":1,"heap":"0x1","address":"0x2","source":"mainpath","size":3}
            {"event":"alloc","ts":1,"pid":1,"tid":1,"heap":"0x01","address":"0x2","size":3,"source":"mainpath"}
            {"event":"alloc","ts":1,"pid":1,"tid":1,"heap":"0x1","size":3,"source":"mainpath"}

            """
        let directory = try CLI.temporaryDirectory()
        defer { CLI.remove(directory) }
        let url = directory.appendingPathComponent("bad.jsonl")
        try bad.write(to: url, atomically: true, encoding: .utf8)
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", CLI.repositoryRoot.appendingPathComponent("Tests/Tools/validate_jsonl.py").path,
                             Self.schemas.appendingPathComponent("heap-event.schema.json").path, url.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("line 1:") && r.stdout.contains("line 2:") && r.stdout.contains("line 3:"))
    }

    @Test func csvOutputFollowsTheTableSchema() throws {
        let data = try Data(contentsOf: Self.schemas.appendingPathComponent("heap-events.tableschema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let fields = try #require(schema["fields"] as? [[String: Any]])
        #expect(fields.map { $0["name"] as? String ?? "" }.joined(separator: ",") == CSVWriter.header)
        let text = String(decoding: try Codecs.csv(SampleEvents.everyKind(), SampleEvents.workload(count: 500)), as: UTF8.self)
        var rows = text.components(separatedBy: "\r\n")
        #expect(rows.removeLast() == "")
        #expect(rows.removeFirst() == CSVWriter.header)
        for row in rows {
            let cells = row.components(separatedBy: ",")
            #expect(cells.count == fields.count)
            for (cell, field) in zip(cells, fields) where !cell.isEmpty {
                let constraints = field["constraints"] as? [String: Any] ?? [:]
                switch field["type"] as? String {
                case "integer":
                    let value = Decimal(string: cell)
                    #expect(value != nil && cell.allSatisfy { $0.isNumber || $0 == "-" }, "\(field["name"]!): \(cell)")
                    if let min = constraints["minimum"] as? NSNumber, let value { #expect(value >= min.decimalValue) }
                    if let max = constraints["maximum"] as? NSNumber, let value { #expect(value <= max.decimalValue, "\(field["name"]!): \(cell)") }
                default:
                    if let pattern = constraints["pattern"] as? String {
                        #expect(cell.wholeMatch(of: try Regex(pattern)) != nil, "\(field["name"]!): \(cell)")
                    } else if let allowed = constraints["enum"] as? [String] {
                        #expect(allowed.contains(cell))
                    }
                }
            }
        }
    }
}

import Foundation
import Testing
@testable import HeapConv

/// Strings of context records are valid UTF-8 in every output: readers refuse invalid UTF-8 (which JSON
/// Lines would otherwise copy into invalid JSON), and an empty name reads as no name in every format.
@Suite struct TextValidityTests {
    @Test func validation() {
        #expect(UTF8Validation.isValid(Array("notepad.exe é😀".utf8)))
        #expect(UTF8Validation.isValid([UInt8]()))
        for bad: [UInt8] in [[0x61, 0xFF, 0x62], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] {
            #expect(!UTF8Validation.isValid(bad), "\(bad)")
        }
    }

    @Test func jsonLinesAndCSVRefuseInvalidUTF8() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        var line = Array(#"{"event":"process","ts":1,"pid":7,"state":"dcstart","name":"a"#.utf8)
        line += [0xFF] + Array("b\"}\n".utf8)
        try Data(line).write(to: dir.appendingPathComponent("bad.jsonl"))
        let json = try CLI.run(["bad.jsonl", "out.csv"], in: dir)
        #expect(json.status == 65)
        #expect(json.stderr.hasPrefix("heapconv: error: bad.jsonl:1:"), "\(json.stderr)")
        #expect(json.stderr.contains("UTF-8"))
        let header = CSVWriter.header
        var row = Array((header + "\r\n").utf8)
        let cells = EventField.stored.map { field -> String in
            switch field {
            case .event: "thread"
            case .ts: "1"
            case .pid: "7"
            case .tid: "8"
            case .state: "start"
            case .name: "NAME"
            default: ""
            }
        }
        let text = cells.joined(separator: ",") + "\r\n"
        let parts = text.components(separatedBy: "NAME")
        row += Array(parts[0].utf8) + [0xC0, 0xAF] + Array(parts[1].utf8)
        try Data(row).write(to: dir.appendingPathComponent("bad.csv"))
        let csv = try CLI.run(["bad.csv", "out.jsonl"], in: dir)
        #expect(csv.status == 65)
        #expect(csv.stderr.contains("bad.csv:2:") && csv.stderr.contains("UTF-8"), "\(csv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.jsonl").path))
    }

    /// An empty name is no name in JSON Lines, heapcol and Parquet alike, so conversions between them agree.
    @Test func anEmptyNameIsNoName() throws {
        let dir = try CLI.temporaryDirectory()
        defer { CLI.remove(dir) }
        try #"{"event":"thread","ts":1,"pid":7,"tid":8,"state":"start","name":""}"#.appending("\n")
            .write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let expected = #"{"event":"thread","ts":1,"pid":7,"tid":8,"state":"start"}"# + "\n"
        for format in ["heapcol", "parquet", "csv"] {
            #expect(try CLI.run(["t.jsonl", "t." + format], in: dir).status == 0)
            #expect(try CLI.run(["t." + format, "-", "--to", "jsonl"], in: dir).stdout == expected, "\(format)")
        }
    }
}

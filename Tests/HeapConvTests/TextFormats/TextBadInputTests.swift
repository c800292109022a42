import Testing
@testable import HeapConv

/// Every way a text input can be wrong gives one error naming the line (and column where there is one).
@Suite struct TextBadInputTests {
    static let good = #"{"event":"alloc","ts":1,"pid":2,"tid":3,"heap":"0x4","address":"0x5","size":6,"source":"mainpath"}"#

    static let jsonCases: [(String, Int, Int?, String)] = [
        (#"["event"]"#, 2, 1, #"expected "{" at the start of an event object"#),
        (#"{"event":"alloc","ts":1"#, 2, 24, "expected \",\" or \"}\""),
        (#"{"event":"bogus","ts":1}"#, 2, 10, #"unknown event "bogus""#),
        (#"{"evnt":"alloc"}"#, 2, 2, #"unknown key "evnt""#),
        (#"{"event":"alloc","event":"free"}"#, 2, 18, #"duplicate key "event""#),
        (#"{"event":"alloc","ts":1.5}"#, 2, 23, #"expected an integer for "ts", found the number 1.5"#),
        (#"{"event":"alloc","ts":99999999999999999999}"#, 2, 23, #"expected an integer for "ts""#),
        (#"{"event":"alloc","pid":4294967296}"#, 2, 24, #"expected an integer from 0 to 4294967295 for "pid""#),
        (#"{"event":"alloc","size":-1}"#, 2, 25, #"expected an unsigned 64-bit integer for "size""#),
        (#"{"event":"alloc","size":18446744073709551616}"#, 2, 25, #"expected an unsigned 64-bit integer for "size""#),
        (#"{"event":"alloc","heap":"1a"}"#, 2, 25, #"expected a hex string like "0x1a0" for "heap", found a string "1a""#),
        (#"{"event":"alloc","heap":"0x10000000000000000"}"#, 2, 25, #"expected a hex string"#),
        (#"{"event":"alloc","source":"fast"}"#, 2, 27, #"expected a source name or number for "source", found "fast""#),
        (#"{"event":"alloc","stack":"0x1"}"#, 2, 26, #"expected an array of hex strings for "stack""#),
        (#"{"event":"alloc","stack":["0x1",]}"#, 2, 33, #"expected a hex string"#),
        (#"{"event":"alloc","pid":"17185"}"#, 2, 24, #"expected an integer from 0 to 4294967295 for "pid", found a string "17185""#),
        (#"{"event":"alloc","pid":true}"#, 2, 24, #"expected an integer from 0 to 4294967295 for "pid", found a boolean "true""#),
        (#"{"event":"alloc","size":{}}"#, 2, 25, #"expected an unsigned 64-bit integer for "size", found an object"#),
        (#"{"event":"alloc","ts":[1]}"#, 2, 23, #"expected an integer for "ts", found an array"#),
        (#"{"event":"alloc","ts":1,"pid":null,"tid":3,"heap":"0x4","address":"0x5","size":6,"source":"mainpath"}"#, 2, nil,
         #""pid" is null, expected an integer from 0 to 4294967295"#),
        (#"{"event":"alloc","ts":1,"pid":2,"tid":3,"heap":"0x4","size":6,"source":"mainpath"}"#, 2, nil, #"missing "address""#),
        (#"{"event":"free","ts":1,"pid":2,"tid":3,"heap":"0x4","address":"0x5","size":6,"source":"mainpath"}"#, 2, nil, #""size" does not apply to a free event"#),
        (#"{"ts":1}"#, 2, nil, #"missing "event""#),
        (#"{"event":"alloc"} x"#, 2, 19, "unexpected text after the event object"),
        (#"{"event":"process","ts":1,"pid":2,"state":"load"}"#, 2, nil, #"a process record cannot have the state "load""#),
        (#"{"event":"image","ts":1,"pid":2,"state":"load","address":"0x1","size":1,"pdb_name":"a.pdb","pdb_age":1}"#, 2, nil, #"missing "pdb_guid""#),
        (#"{"event":"image","ts":1,"pid":2,"state":"load","address":"0x1","size":1,"pdb_guid":"nope"}"#, 2, 84, #"expected a GUID"#),
        (#"{"event":"thread","ts":1,"pid":2,"state":"start"}"#, 2, nil, #"missing "tid""#),
        (#"{"event":"process","ts":1,"pid":2,"state":"start","heap":"0x1"}"#, 2, nil, #""heap" does not apply to a process event"#),
        (#"{"event":"process","ts":1,"pid":2,"state":"start","exit_status":1}"#, 2, nil, #""exit_status" does not apply"#),
        (#"{"event":"process","ts":1,"pid":2,"state":"end","exit_status":2147483648}"#, 2, 63, #"expected an integer from -2147483648 to 2147483647"#),
        (#"{"event":"process","ts":1,"pid":2,"state":"end","name":"a\qb"}"#, 2, 58, #"unknown escape sequence"#),
        (#"{"event":"process","ts":1,"pid":2,"state":"end","name":"a\u12"}"#, 2, 58, #"expected four hex digits after \u"#),
        (#"{"event":"alloc"#, 2, 10, "unterminated string"),
        (#"{"event" "alloc"}"#, 2, 10, #"expected ":" after a key"#),
        (#"{"event"  ,"alloc"}"#, 2, 11, #"expected ":" after a key"#),
        (#"{"event":"alloc","ts"}"#, 2, 22, #"expected ":" after a key"#),
    ]

    @Test(arguments: 0..<jsonCases.count)
    func jsonLinesErrorsNameLineAndColumn(_ index: Int) {
        let (line, number, column, message) = Self.jsonCases[index]
        let error = Codecs.readError(Self.good + "\n" + line + "\n")
        #expect(error?.kind == .malformedInput)
        #expect(error?.location == .line(number, column: column), "\(error?.description ?? "no error")")
        #expect(error?.message.contains(message) == true, "\(error?.description ?? "no error")")
    }

    static let header = "event,ts,pid,tid,heap,address,size,source,stack"
    static let csvCases: [(String, Int, Int?, String)] = [
        ("alloc,1,2,3,0x4,0x5,6,mainpath", 3, nil, "expected 9 fields as in the header, found 8"),
        ("alloc,1,2,3,0x4,0x5,x,mainpath,", 3, 21, #"expected an unsigned 64-bit integer in column "size", found "x""#),
        ("alloc,1,2,3,0x4,0x5,6,fast,", 3, 23, #"expected a source name or number in column "source", found "fast""#),
        ("alloc,1,2,3,0x4,0x5,6,mainpath,0x1;zz", 3, 32, #"expected hex frames joined by ";" in column "stack", found "zz""#),
        ("nope,1,2,3,0x4,0x5,6,mainpath,", 3, 1, #"unknown event "nope""#),
        ("free,1,2,3,0x4,0x5,6,mainpath,", 3, nil, #""size" does not apply to a free event"#),
        ("alloc,1,2,3,0x4,,6,mainpath,", 3, nil, #"missing "address""#),
        ("alloc,\"1\"x,2,3,0x4,0x5,6,mainpath,", 3, 10, "unexpected text after a closing quote"),
        ("alloc,1\"2,2,3,0x4,0x5,6,mainpath,", 3, 8, "quote inside an unquoted field"),
        ("alloc,\"1,2,3", 3, 7, "unterminated quoted field"),
    ]

    @Test(arguments: 0..<csvCases.count)
    func csvErrorsNameLineAndColumn(_ index: Int) {
        let (row, number, column, message) = Self.csvCases[index]
        let text = Self.header + "\nalloc,1,2,3,0x4,0x5,6,mainpath,\n" + row + "\n"
        let error = Codecs.readError(text, csv: true)
        #expect(error?.kind == .malformedInput)
        #expect(error?.location == .line(number, column: column), "\(error?.description ?? "no error")")
        #expect(error?.message.contains(message) == true, "\(error?.description ?? "no error")")
    }

    @Test func csvHeaderProblems() {
        #expect(Codecs.readError("", csv: true)?.message == "empty file: expected a header row")
        #expect(Codecs.readError("event,ts,pid,tid,heap,bogus\n", csv: true)?.message == #"unknown column "bogus" in the header row"#)
        #expect(Codecs.readError("event,ts,pid,tid,heap,ts\n", csv: true)?.message == #"duplicate column "ts""#)
        #expect(Codecs.readError("event,ts,tid\n", csv: true)?.message == #"the header row lacks the column "pid""#)
    }

    @Test func csvLineNumbersCountLineBreaksInsideQuotes() {
        let text = Self.header + "\nalloc,1,2,3,0x4,0x5,6,\"main\npath\",\nalloc,1,2,3,0x4,0x5,x,mainpath,\n"
        let error = Codecs.readError(text, csv: true)
        #expect(error?.location == .line(2, column: 23))
        #expect(error?.message == #"expected a source name or number in column "source", found "main?path""#)
        let later = Self.header + "\nalloc,1,2,3,0x4,0x5,6,\"mainpath\",\"\"\nalloc,1,2,3,0x4,0x5,x,mainpath,\n"
        #expect(Codecs.readError(later, csv: true)?.location == .line(3, column: 21))
    }

    /// Spreadsheet programs and Windows editors start UTF-8 files with EF BB BF; it is not part of the data.
    @Test func aByteOrderMarkAtTheStartIsSkipped() throws {
        let bom = "\u{FEFF}"
        let jsonl = Self.good + "\n"
        #expect(try Codecs.jsonl(Codecs.batch(try Codecs.readJSONL(Array((bom + jsonl).utf8)))) == Array(jsonl.utf8))
        let csv = Self.header + "\nalloc,1,2,3,0x4,0x5,6,mainpath,\n"
        #expect(try Codecs.jsonl(Codecs.batch(try Codecs.readCSV(Array((bom + csv).utf8)))) == Array(jsonl.utf8))
        // Columns on the first line still count from the first character after the mark.
        let bad = Codecs.readError(bom + #"{"event":"alloc","ts":1.5}"# + "\n")
        #expect(bad?.location == .line(1, column: 23))
        // Only at the start: elsewhere it is an error like any other stray byte.
        #expect(Codecs.readError(jsonl + bom + jsonl) != nil)
    }

    @Test func errorDescriptionsReadLikeDiagnostics() {
        let line = ConversionError(.malformedInput, file: "trace.csv", at: .line(12, column: 7), "expected an integer")
        #expect(line.description == "trace.csv:12:7: expected an integer")
        let offset = ConversionError(.malformedInput, file: "trace.etl", at: .offset(0x1a2b0), "record size 0x9000 runs past the buffer end 0x10000")
        #expect(offset.description == "trace.etl: offset 0x1a2b0: record size 0x9000 runs past the buffer end 0x10000")
        #expect(ConversionError(.io, file: "x", "write failed").description == "x: write failed")
        #expect(offset.exitStatus == 65)
    }

    @Test func overlongLinesAreAnErrorNotUnboundedMemory() {
        let source = MemoryByteSource(Array(repeating: UInt8(ascii: "x"), count: 3 << 20))
        let input = InputBuffer(source: source, capacity: 1 << 16, maximumRecordSize: 1 << 20)
        #expect(throws: ConversionError.self) { _ = try input.nextLine() }
    }
}

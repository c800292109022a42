import Testing
@testable import HeapConv

/// Expected text written by hand from the format description (README and Schemas), not from heapconv's output.
@Suite struct TextGoldenTests {
    static func ctx(_ ts: Int64, cpu: UInt32? = nil, heap: UInt64 = 0x1a000000000) -> EventContext {
        EventContext(timestamp: ts, processID: 17185, threadID: 4660, cpu: cpu, heap: heap)
    }

    static func batch() -> EventBatch {
        var b = EventBatch()
        b.append(.alloc(ctx(1555526400000010000, cpu: 1), address: 0x1a000001000, size: 64, source: .mainPath),
                 stack: [0x7ff800001000, 0x7ff800001001, 0x7ff800001002])
        b.append(.realloc(ctx(1555526400000030000), address: 0x1a000002000, size: 128, oldAddress: 0x1a000001000, oldSize: 64, source: .mainPath))
        b.append(.free(ctx(1555526400000040000), address: 0x1a000002000, source: .other(9)))
        b.append(.create(ctx(-5, heap: 0), HeapCreateFields(flags: 2, reserveSize: 3, commitSize: 4, allocatedSize: 5)))
        b.append(.expand(ctx(6), HeapExpandFields(committedSize: 1, address: 0xABC, freeSpace: 2, committedSpace: 3, reservedSpace: 4, noOfUCRs: 5)))
        b.append(.contract(ctx(7), HeapContractFields(decommitSize: 1, decommitAddress: 0x10, freeSpace: 2, committedSpace: 3, reservedSpace: 4, noOfUCRs: 5, allocatedSpace: 6)))
        b.append(.snapshot(ctx(8), HeapSnapshotFields(freeSpace: 1, committedSpace: 2, reservedSpace: 3, flags: 4, processID: 5, largeUCRSpace: 6, freeListLength: 7, ucrLength: 8)))
        b.append(.other(ctx(9), opcode: 43), stack: [UInt64]())
        b.append(.destroy(ctx(10, heap: UInt64.max)))
        return b
    }

    static let jsonl = """
        {"event":"alloc","ts":1555526400000010000,"pid":17185,"tid":4660,"cpu":1,"heap":"0x1a000000000","address":"0x1a000001000","size":64,"source":"mainpath","stack":["0x7ff800001000","0x7ff800001001","0x7ff800001002"]}
        {"event":"realloc","ts":1555526400000030000,"pid":17185,"tid":4660,"heap":"0x1a000000000","address":"0x1a000002000","size":128,"old_address":"0x1a000001000","old_size":64,"source":"mainpath"}
        {"event":"free","ts":1555526400000040000,"pid":17185,"tid":4660,"heap":"0x1a000000000","address":"0x1a000002000","source":"9"}
        {"event":"create","ts":-5,"pid":17185,"tid":4660,"heap":"0x0","flags":2,"reserve_size":3,"commit_size":4,"allocated_size":5}
        {"event":"expand","ts":6,"pid":17185,"tid":4660,"heap":"0x1a000000000","address":"0xabc","committed_size":1,"free_space":2,"committed_space":3,"reserved_space":4,"no_of_ucrs":5}
        {"event":"contract","ts":7,"pid":17185,"tid":4660,"heap":"0x1a000000000","address":"0x10","decommit_size":1,"free_space":2,"committed_space":3,"reserved_space":4,"allocated_space":6,"no_of_ucrs":5}
        {"event":"snapshot","ts":8,"pid":17185,"tid":4660,"heap":"0x1a000000000","flags":4,"free_space":1,"committed_space":2,"reserved_space":3,"large_ucr_space":6,"free_list_length":7,"ucr_length":8,"process_id":5}
        {"event":"other","ts":9,"pid":17185,"tid":4660,"heap":"0x1a000000000","opcode":43,"stack":[]}
        {"event":"destroy","ts":10,"pid":17185,"tid":4660,"heap":"0xffffffffffffffff"}

        """

    static let csvHeader = "event,ts,pid,tid,cpu,state,heap,address,size,old_address,old_size,source,flags,opcode,reserve_size,commit_size,allocated_size,committed_size,decommit_size,free_space,committed_space,reserved_space,large_ucr_space,allocated_space,no_of_ucrs,free_list_length,ucr_length,process_id,parent_pid,session,exit_status,name,command_line,checksum,timestamp,pdb_name,pdb_guid,pdb_age,pdb_kind,stack"

    @Test func jsonLinesMatchesTheHandWrittenLines() throws {
        let bytes = try Codecs.jsonl(Self.batch())
        #expect(String(decoding: bytes, as: UTF8.self) == Self.jsonl)
    }

    @Test func jsonLinesReaderReadsTheHandWrittenLines() throws {
        #expect(try Codecs.readJSONL(Array(Self.jsonl.utf8)) == Codecs.flatten(Self.batch()))
    }

    @Test func csvMatchesTheHandWrittenRows() throws {
        let text = String(decoding: try Codecs.csv(Self.batch()), as: UTF8.self)
        let rows = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        #expect(rows[0] == Self.csvHeader)
        #expect(rows[1] == "alloc,1555526400000010000,17185,4660,1,,0x1a000000000,0x1a000001000,64,,,mainpath,,,,,,,,,,,,,,,,,,,,,,,,,,,,0x7ff800001000;0x7ff800001001;0x7ff800001002")
        #expect(rows[3] == "free,1555526400000040000,17185,4660,,,0x1a000000000,0x1a000002000,,,,9,,,,,,,,,,,,,,,,,,,,,,,,,,,,")
        #expect(rows[8] == "other,9,17185,4660,,,0x1a000000000,,,,,,,43,,,,,,,,,,,,,,,,,,,,,,,,,,[]")
        #expect(rows.count == 11 && rows[10] == "")
        for row in rows.dropLast() { #expect(row.filter { $0 == "," }.count == 39) }
    }

    @Test func emptyInputWritesOnlyTheHeader() throws {
        #expect(String(decoding: try Codecs.csv(), as: UTF8.self) == Self.csvHeader + "\r\n")
        #expect(try Codecs.jsonl().isEmpty)
    }

    @Test func jsonLinesAcceptsAnyKeyOrderWhiteSpaceAndBlankLines() throws {
        let text = """

              { "source" : "lowfrag" ,"size":1, "address": "0X1F", "heap":"0x2","tid":3,"pid":4,"ts":5,"event":"alloc", "cpu": null }\r
            {"event":"free","ts":6,"pid":4,"tid":3,"heap":"0x2","address":31,"source":2}
            """
        let events = try Codecs.readJSONL(Array(text.utf8))
        #expect(events.count == 2)
        #expect(events[0].event == .alloc(EventContext(timestamp: 5, processID: 4, threadID: 3, heap: 2), address: 0x1f, size: 1, source: .lowFragmentation))
        #expect(events[1].event == .free(EventContext(timestamp: 6, processID: 4, threadID: 3, heap: 2), address: 31, source: .lowFragmentation))
    }

    @Test func csvAcceptsAnyColumnOrderQuotesAndLineBreaks() throws {
        let text = "heap,\"event\",ts,pid,tid,address,size,source,stack\n\"0x2\",alloc,5,4,3,0x1f,\"1\",lowfrag,\"0x1;0x2\"\r\n0x2,free,6,4,3,0x1f,,2,\n0x2,destroy,7,4,3,,,,"
        let events = try Codecs.readCSV(Array(text.utf8))
        #expect(events.count == 3)
        #expect(events[0].event == .alloc(EventContext(timestamp: 5, processID: 4, threadID: 3, heap: 2), address: 0x1f, size: 1, source: .lowFragmentation))
        #expect(events[0].stack == [1, 2])
        #expect(events[1].stack == nil)
        #expect(events[2].event == .destroy(EventContext(timestamp: 7, processID: 4, threadID: 3, heap: 2)))
    }
}

/// The facts `heapconv info` and writers' metadata show about an `.etl` file.
///
/// Header facts and record counts come from the first pass and are complete as soon as the reader exists;
/// the `stacks` and `ordering` counters of the second pass appear once reading has begun, and `complete`
/// says whether every event was read.
enum ETLFacts {
    /// `read` is `nil` before reading begins (first-pass facts only), else whether every event was read.
    static func make(summary: ETLSummary, tables: DecodeTables, state: DecodeState, holding: StackHoldingArea,
                     fileOrder: Bool, read: Bool?) -> InfoValue {
        let header = summary.header
        let stats = summary.statistics
        let clock = summary.clock
        var facts: [(String, InfoValue)] = [
            ("format", .string("etl")),
            ("os_version", .string(header.osVersion)),
            ("trace_format_version", .string(header.formatVersion)),
            ("pointer_size", .uint(UInt64(header.pointerSize))),
            ("number_of_processors", .uint(UInt64(header.numberOfProcessors))),
            ("cpu_speed_mhz", .uint(UInt64(header.cpuSpeedInMHz))),
            ("clock", .object([("type", .string(clock.source.name)),
                               ("frequency_hz", .int(clock.frequency))])),
            ("start_time", .string(Timestamps.iso8601(clock.startUnixNanoseconds))),
        ]
        if let end = Timestamps.unixNanoseconds(fileTime: header.endTime), header.endTime != 0 {
            facts.append(("end_time", .string(Timestamps.iso8601(end))))
        }
        if let last = stats.lastTicks, let time = clock.unixNanoseconds(ticks: last) {
            facts.append(("last_record_time", .string(Timestamps.iso8601(time))))
        }
        if !header.loggerName.isEmpty { facts.append(("logger_name", .string(header.loggerName))) }
        if !header.logFileName.isEmpty { facts.append(("log_file_name", .string(header.logFileName))) }
        facts += [
            ("log_file_mode", .string(header.logFileMode.hex)),
            ("file_size", .uint(stats.fileSize)),
            ("buffer_size", .uint(UInt64(header.bufferSize))),
            ("buffers", .uint(stats.buffers)),
            ("compressed_buffers", .uint(stats.compressedBuffers)),
            ("buffers_written", .uint(UInt64(header.buffersWritten))),
            ("cpus", .uint(UInt64(stats.processorCount))),
            ("records", .uint(stats.records)),
        ]
        var kinds: [(String, InfoValue)] = []
        for kind in RecordKind.allCases where stats.recordsByKind[Int(kind.rawValue)] > 0 {
            kinds.append((kind.name, .uint(stats.recordsByKind[Int(kind.rawValue)])))
        }
        facts.append(("records_by_header_kind", .object(kinds)))
        var groups: [(String, InfoValue)] = []
        for group in 0..<256 where stats.recordsByGroup[group] > 0 {
            groups.append((HookGroup.name(UInt8(group)), .uint(stats.recordsByGroup[group])))
        }
        for provider in stats.providers {
            groups.append((provider.guid.string, .uint(provider.count)))
        }
        let messages = stats.recordsByKind[Int(RecordKind.message.rawValue)]
        if messages > 0 { groups.append(("WPP", .uint(messages))) }
        let wnodes = stats.recordsByKind[Int(RecordKind.wnode.rawValue)]
        if wnodes > 0 { groups.append(("WNODE", .uint(wnodes))) }
        facts.append(("records_by_group", .object(groups)))
        var stackWalk: [(String, InfoValue)] = []
        for opcode in 0..<256 where stats.stackWalkByOpcode[opcode] > 0 {
            stackWalk.append((StackWalk.name(UInt8(opcode)), .uint(stats.stackWalkByOpcode[opcode])))
        }
        if !stackWalk.isEmpty { facts.append(("stackwalk_records", .object(stackWalk))) }
        facts.append(("heap_events", .uint(stats.heapRecords)))
        facts.append(("context_records", .uint(stats.contextRecords)))
        var heapKinds: [(String, InfoValue)] = []
        for opcode in 0..<256 where stats.heapByOpcode[opcode] > 0 {
            heapKinds.append((HeapOpcode.name(UInt8(opcode)), .uint(stats.heapByOpcode[opcode])))
        }
        facts.append(("heap_events_by_opcode", .object(heapKinds)))
        facts += [
            ("events_lost", .uint(UInt64(header.eventsLost))),
            ("buffers_lost", .uint(UInt64(header.buffersLost))),
            ("buffers_flagged_events_lost", .uint(stats.buffersFlaggedEventsLost)),
        ]
        var stacks: [(String, InfoValue)] = [
            ("key_definitions", .uint(UInt64(tables.stackKeys.definitionCount))),
            ("distinct_key_stacks", .uint(UInt64(tables.stackKeys.stacks.count))),
        ]
        var ordering: [(String, InfoValue)] = [
            ("order", .string(fileOrder ? "file" : "time")),
            ("cpu_stream_inversions", .uint(stats.cpuStreamInversions)),
            ("reorder_window_records", .uint(holding.reorderWindow)),
        ]
        if read != nil {
            stacks += [
                ("fragments_attached", .uint(holding.attachedFragments)),
                ("fragments_unmatched", .uint(holding.unmatchedFragments)),
                ("fragments_of_other_threads", .uint(state.foreignFragments)),
                ("unresolved_keys", .uint(state.unresolvedKeys)),
                ("events_released_without_waiting", .uint(holding.forcedReleases)),
            ]
            ordering.append(("late_events", .uint(holding.lateEvents)))
        }
        facts.append(("stacks", .object(stacks)))
        facts.append(("ordering", .object(ordering)))
        if summary.keepGoing {
            facts.append(("skipped", .object([
                ("buffers", .uint(stats.skippedBuffers)),
                ("records", .uint(stats.skippedRecords + state.skippedRecords)),
                ("bytes", .uint(stats.skippedBytes)),
                ("problems", .uint(UInt64(state.problems.problems.count) + state.problems.unlisted)),
            ])))
        }
        if let read { facts.append(("complete", .bool(read))) }
        return .object(facts)
    }
}

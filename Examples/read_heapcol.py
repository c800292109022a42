#!/usr/bin/env python3
"""Print the events and context records of a .heapcol file (version 1.0 or 1.1) as JSON Lines, the way
`heapconv FILE - --to jsonl` does.

Written from Schemas/heapcol.md alone (section numbers below refer to it), with the Python standard
library only. Checks everything the specification asks a reader to check; on a damaged file it prints
one line `read_heapcol.py: FILE: offset 0x...: message` on standard error and exits with status 1.

Usage: python3 read_heapcol.py FILE.heapcol > events.jsonl
"""

import gzip
import sys
import zlib

MAGIC = b"HEAPCOL\x00"                     # §3.1
MAJOR = 1
MAX_BODY = 1 << 28                         # §3.3
MAX_EVENTS = 65536                         # §5.1
MAX_STACK_ENTRIES = 1 << 20                # §6.8
MAX_STACK_FRAMES = 1 << 23
U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
KINDS = ["create", "alloc", "realloc", "free", "destroy", "expand", "contract", "snapshot", "other"]  # §5.2
SOURCES = {1: '"lookaside"', 2: '"lowfrag"', 3: '"mainpath"', 4: '"slowpath"', 5: '"invalid"', 6: '"segmentheap"'}
COLUMNS = ["kind", "time", "pid_dict", "pid", "tid_dict", "tid", "cpu", "heap_dict", "heap", "address",
           "size", "old_address", "old_size", "source", "flags", "details", "stack_dict", "stack"]  # §5.3
ALLOC, REALLOC, FREE, EXPAND, CONTRACT, CREATE, SNAPSHOT, OTHER = 1, 2, 3, 5, 6, 0, 7, 8
PROCESS, THREAD, IMAGE = 9, 10, 11                                     # §5.4: context record kinds
CONTEXT_KINDS = {PROCESS: "process", THREAD: "thread", IMAGE: "image"}
A_KIND = {PROCESS: "a process", THREAD: "a thread", IMAGE: "an image"}     # for messages
STATES = ["start", "end", "dcstart", "dcend", "defunct", "load", "unload"]
KIND_STATES = {PROCESS: (0, 1, 2, 3, 4), THREAD: (0, 1, 2, 3), IMAGE: (5, 6, 2, 3)}
KIND_MASKS = {PROCESS: 0x3F, THREAD: 0x11, IMAGE: 0x1D1}               # bits each kind lists
MAX_STRING = 1 << 20                                                   # §5.4: string byte count
ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


class Damaged(Exception):
    def __init__(self, offset, message):
        super().__init__(message)
        self.offset = offset


def varint(data, pos, end, offset):
    """§2.2: the varint at data[pos:end] and the position after it."""
    value = 0
    for i in range(10):
        if pos >= end:
            raise Damaged(offset + pos, "varint runs past the end")
        byte = data[pos]
        pos += 1
        if i == 9 and byte > 1:
            raise Damaged(offset + pos - 1, "varint does not fit in 64 bits")
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return value, pos
    raise Damaged(offset + pos, "varint longer than 10 bytes")


def unzigzag(z):
    """§2.3, as a Python integer (signed)."""
    return (z >> 1) ^ -(z & 1)


def sequence(data, pos, end, offset, name):
    """§4: the integers of one column, which must fill data[pos:end] exactly."""
    def bad(at, message):
        return Damaged(offset + at, 'column "%s": %s' % (name, message))
    if pos >= end:
        raise bad(pos, "no layout byte")
    layout = data[pos]
    pos += 1
    count, pos = varint(data, pos, end, offset)
    if (layout == 0 and count > end - pos) or count > 3 * MAX_STACK_ENTRIES + MAX_STACK_FRAMES:
        raise bad(pos, "count %d does not fit the column" % count)
    values = []
    if layout == 0:
        for _ in range(count):
            value, pos = varint(data, pos, end, offset)
            values.append(value)
    elif layout == 1:
        total = 0
        while total < count:
            value, pos = varint(data, pos, end, offset)
            run, pos = varint(data, pos, end, offset)
            if run < 1 or total + run > count:
                raise bad(pos, "run of %d does not fit the count %d" % (run, count))
            values.extend([value] * run)
            total += run
    elif layout == 2:
        if pos >= end:
            raise bad(pos, "no packed width")
        width = data[pos]
        pos += 1
        if not 1 <= width <= 64:
            raise bad(pos - 1, "packed width %d" % width)
        size = (count * width + 7) // 8
        if end - pos != size:
            raise bad(pos, "packed data of %d bytes where %d are needed" % (end - pos, size))
        mask = (1 << width) - 1
        acc = 0
        bits = 0
        for byte in data[pos:end]:
            acc |= byte << bits
            bits += 8
            while bits >= width and len(values) < count:
                values.append(acc & mask)
                acc >>= width
                bits -= width
        if acc != 0:
            raise bad(end - 1, "nonzero padding bits")
        pos = end
    else:
        raise bad(pos - 1, "unknown layout %d" % layout)
    if pos != end:
        raise bad(pos, "%d bytes left over" % (end - pos))
    return values


def hexa(value):
    return '"0x%x"' % value


def json_string(raw):
    """§10: a string's UTF-8 bytes as a JSON string: `"`, `\\` and control characters escaped (`\\b \\f \\n
    \\r \\t`, else `\\u00xx`), every other byte as it is. Works on bytes: every byte of a multi-byte UTF-8
    sequence is 0x80 or above, so escaping bytes below 0x20 and `"` and `\\` escapes exactly the characters."""
    out = ['"']
    start = 0
    for i, byte in enumerate(raw):
        if byte < 0x20 or byte == 0x22 or byte == 0x5C:
            out.append(raw[start:i].decode("utf-8"))
            out.append(ESCAPES.get(byte) or "\\u%04x" % byte)
            start = i + 1
    out.append(raw[start:].decode("utf-8"))
    out.append('"')
    return "".join(out)


def guid(raw):
    """§10: 16 bytes of a GUID as Windows stores it, as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`."""
    return '"%08x-%04x-%04x-%s-%s"' % (int.from_bytes(raw[0:4], "little"), int.from_bytes(raw[4:6], "little"),
                                      int.from_bytes(raw[6:8], "little"), raw[8:10].hex(), raw[10:16].hex())


class Reader:
    def __init__(self, stream, out):
        self.stream = stream
        self.out = out
        self.offset = 0            # decompressed offset of the next byte to read
        self.frames = []           # §6.8: the stack dictionary, one list of frames per entry
        self.frame_count = 0
        self.row_groups = 0
        self.events = 0
        self.per_kind = [0] * 9
        self.minor = 0
        self.context = {PROCESS: 0, THREAD: 0, IMAGE: 0}   # §7: context records decoded, per kind
        self.pending = None        # §5.4: the records of the last context block, not yet placed

    def read(self, n):
        """Exactly n bytes, or fewer at the end of the stream."""
        parts = []
        left = n
        while left > 0:
            chunk = self.stream.read(left)
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def run(self):
        header = self.read(10)                                         # §3.1
        if len(header) < 10:
            raise Damaged(self.offset, "stream ends inside the header")
        if header[:8] != MAGIC:
            raise Damaged(0, "not a heapcol file (wrong magic)")
        if header[8] != MAJOR:
            raise Damaged(8, "unsupported major version %d" % header[8])
        self.minor = header[9]                                         # §3.2: any minor version
        while True:                                                    # §3.3
            start = self.offset
            head = self.read(5)
            if len(head) == 0:
                raise Damaged(self.offset, "stream ends before the footer (truncated)")
            if len(head) < 5:
                raise Damaged(self.offset, "stream ends inside a block header (truncated)")
            tag = head[0]
            length = int.from_bytes(head[1:5], "little")
            if length > MAX_BODY:
                raise Damaged(start + 1, "block length %d above 2^28" % length)
            rest = self.read(length + 4)
            if len(rest) < length + 4:
                raise Damaged(self.offset, "stream ends inside the block at 0x%x (truncated)" % start)
            body = rest[:length]
            crc = int.from_bytes(rest[length:], "little")
            if zlib.crc32(head + body) != crc:
                raise Damaged(start, "CRC-32 mismatch in the block at 0x%x" % start)
            if tag != 0x52 and self.pending is not None:
                self.place_pending(start)
            if tag == 0x52:
                self.row_group(body, start + 5)
            elif tag == 0x43:
                self.context_block(body, start + 5)
            elif tag == 0x46:
                self.footer(body, start + 5)
                if self.read(1):
                    raise Damaged(self.offset - 1, "data after the footer")
                return
            # any other tag: a later minor version's block, skipped

    def place_pending(self, start):
        """§5.4: the last context block is followed by something other than a row group: its records all
        have position 0 and come here, or it is an error."""
        records = self.pending
        self.pending = None
        for position, at, _line in records:
            if position:
                raise Damaged(at, "context record at position %d, but the block at 0x%x after its context "
                                  "block is not a row group" % (position, start))
        self.out.write("".join(line for _, _, line in records).encode("utf-8"))

    def footer(self, body, offset):                                    # §7
        counted = [self.row_groups, self.events] + self.per_kind
        records = sum(self.context.values())
        if self.minor >= 1:
            counted += [records, self.context[PROCESS], self.context[THREAD], self.context[IMAGE]]
        elif records:
            # Context blocks are a 1.1 addition: a 1.0 footer has no count for them, so it counts none.
            raise Damaged(offset, "a heapcol 1.0 footer counts no context records, but the file holds %d" % records)
        values = []
        pos = 0
        for _ in counted:   # 11 values in 1.0, 15 in 1.1; any after them (a later minor version's) ignored
            value, pos = varint(body, pos, len(body), offset)
            values.append(value)
        if values != counted:
            raise Damaged(offset, "footer counts %s differ from the file's %s" % (values, counted))

    def context_block(self, body, offset):                             # §5.4
        end = len(body)
        count, pos = varint(body, 0, end, offset)
        if count < 1:
            raise Damaged(offset, "context block of 0 records")
        records = []
        t = 0
        last = 0

        def u8(name):
            nonlocal pos
            if pos >= end:
                raise Damaged(offset + pos, "context record: %s runs past the end of the block" % name)
            pos += 1
            return body[pos - 1]

        def number(name, maximum=U64):
            nonlocal pos
            at = pos
            value, pos = varint(body, pos, end, offset)
            if value > maximum:
                raise Damaged(offset + at, "context record: %s %d above %d" % (name, value, maximum))
            return value

        def string(name):
            nonlocal pos
            at = pos
            size, pos = varint(body, pos, end, offset)
            if size > MAX_STRING:
                raise Damaged(offset + at, "context record: %s of %d bytes, above 1 MiB" % (name, size))
            if size > end - pos:
                raise Damaged(offset + at, "context record: %s runs past the end of the block" % name)
            raw = body[pos:pos + size]
            pos += size
            try:
                return json_string(raw)
            except UnicodeDecodeError as error:
                raise Damaged(offset + at, "context record: %s is not UTF-8 (byte %d)" % (name, error.start))

        for _ in range(count):
            at = pos
            position = number("position", MAX_EVENTS)
            if position < last:
                raise Damaged(offset + at, "context record positions decrease (%d after %d)" % (position, last))
            last = position
            kind = u8("kind")
            if kind not in CONTEXT_KINDS:
                raise Damaged(offset + pos - 1, "context record: unknown kind %d" % kind)
            t = (t + unzigzag(number("time"))) & U64                   # §6.2, from 0 in every block
            ts = t - (1 << 64) if t >= 1 << 63 else t
            pid = number("pid", U32)
            state = u8("state")
            if state not in KIND_STATES[kind]:
                raise Damaged(offset + pos - 1, "context record: state %d for %s" % (state, A_KIND[kind]))
            parts = ['{"event":"%s","ts":%d,"pid":%d' % (CONTEXT_KINDS[kind], ts, pid)]
            if kind == THREAD:
                parts.append(',"tid":%d' % number("tid", U32))
            elif kind == IMAGE:
                fields = ',"address":%s,"size":%d' % (hexa(number("address")), number("size"))
            mask_at = pos
            mask = number("mask")
            if mask & ~KIND_MASKS[kind]:
                raise Damaged(offset + mask_at, "context record: mask 0x%x has unknown bits for %s"
                              % (mask, A_KIND[kind]))
            if mask & 1:
                parts.append(',"cpu":%d' % number("cpu", U32))
            parts.append(',"state":"%s"' % STATES[state])
            if kind == PROCESS:
                if mask & 2:
                    parts.append(',"parent_pid":%d' % number("parent_pid", U32))
                if mask & 4:
                    parts.append(',"session":%d' % number("session", U32))
                if mask & 8:
                    status = unzigzag(number("exit_status", U32))      # a signed 32-bit value
                    parts.append(',"exit_status":%d' % status)
                if mask & 16:
                    parts.append(',"name":%s' % string("name"))
                if mask & 32:
                    parts.append(',"command_line":%s' % string("command_line"))
            elif kind == THREAD:
                if mask & 16:
                    parts.append(',"name":%s' % string("name"))
            else:
                parts.append(fields)
                if mask & 16:
                    parts.append(',"name":%s' % string("name"))
                if mask & 64:
                    parts.append(',"checksum":%d' % number("checksum", U32))
                if mask & 128:
                    parts.append(',"timestamp":%d' % number("timestamp", U32))
                if mask & 256:
                    if end - pos < 16:
                        raise Damaged(offset + pos, "context record: pdb GUID runs past the end of the block")
                    pdb_guid = guid(body[pos:pos + 16])
                    pos += 16
                    age = number("pdb_age", U32)
                    pdb_kind = u8("pdb_kind")
                    if pdb_kind > 1:
                        raise Damaged(offset + pos - 1, "context record: unknown pdb_kind %d" % pdb_kind)
                    parts.append(',"pdb_name":%s,"pdb_guid":%s,"pdb_age":%d' % (string("pdb_name"), pdb_guid, age))
                    if pdb_kind == 1:
                        parts.append(',"pdb_kind":"il"')
            parts.append("}\n")
            records.append((position, offset + at, "".join(parts)))
            self.context[kind] += 1
        if pos != end:
            raise Damaged(offset + pos, "%d bytes left over after the context block's last record" % (end - pos))
        self.pending = records

    def row_group(self, body, offset):                                 # §5
        end = len(body)
        n, pos = varint(body, 0, end, offset)
        if not 1 <= n <= MAX_EVENTS:
            raise Damaged(offset, "row group of %d events" % n)
        flags, pos = varint(body, pos, end, offset)
        if flags & ~1:
            raise Damaged(offset, "unknown row-group flags 0x%x" % flags)
        cols = {}
        where = {}
        last = -1
        while pos < end:
            at = pos
            cid, pos = varint(body, pos, end, offset)
            size, pos = varint(body, pos, end, offset)
            if size > end - pos:
                raise Damaged(offset + at, "column runs past the end of the row group")
            if cid <= last:
                raise Damaged(offset + at, "column ids do not increase")
            last = cid
            if cid < len(COLUMNS):
                where[cid] = offset + at
                cols[cid] = sequence(body, pos, pos + size, offset, COLUMNS[cid])
            pos += size
        for cid, name in enumerate(COLUMNS):
            if cid not in cols:
                raise Damaged(offset, 'column "%s" missing' % name)

        def bad(cid, message):
            return Damaged(where[cid], 'column "%s": %s' % (COLUMNS[cid], message))

        kinds = cols[0]
        count = [0] * 9
        for k in kinds:
            if k > 8:
                raise bad(0, "kind code %d" % k)
            count[k] += 1
        expected = {
            0: n, 1: n, 3: n, 5: n, 6: n, 8: n, 17: n,
            9: 1 + count[ALLOC] + count[REALLOC] + count[FREE] + count[EXPAND] + count[CONTRACT],
            10: count[ALLOC] + count[REALLOC],
            11: 1 + count[REALLOC],
            12: count[REALLOC],
            13: count[ALLOC] + count[REALLOC] + count[FREE],
            14: count[CREATE] + count[SNAPSHOT],
        }
        for cid, want in expected.items():
            if len(cols[cid]) != want:
                raise bad(cid, "%d integers where %d are needed" % (len(cols[cid]), want))
        for cid in (2, 4, 7):
            if len(cols[cid]) > n:
                raise bad(cid, "dictionary larger than the row group")
        for cid in (2, 4):
            if any(v > U32 for v in cols[cid]):
                raise bad(cid, "value above 2^32 - 1")

        # §6.8: the stack dictionary.
        if flags & 1:
            self.frames = []
            self.frame_count = 0
        adds = cols[16]
        i = 0

        def take():
            nonlocal i
            if i >= len(adds):
                raise bad(16, "a stack entry runs past the column")
            i += 1
            return adds[i - 1]

        while i < len(adds):
            e = len(self.frames)
            base = take()
            tail = []
            if base:
                if base > e:
                    raise bad(16, "base %d before the first entry" % base)
                base_frames = self.frames[e - base]
                shared = take()
                if shared > len(base_frames):
                    raise bad(16, "%d shared frames from a base of %d" % (shared, len(base_frames)))
                tail = base_frames[len(base_frames) - shared:] if shared else []
            f = take()
            if f > len(adds) - i:
                raise bad(16, "stack of %d frames runs past the column" % f)
            frames = []
            prev = 0
            for j in range(f):
                prev = (prev + unzigzag(adds[i + j])) & U64
                frames.append(prev)
            i += f
            self.frames.append(frames + tail)
            self.frame_count += f + len(tail)
            if len(self.frames) > MAX_STACK_ENTRIES or self.frame_count > MAX_STACK_FRAMES:
                raise bad(16, "stack dictionary above its limits")

        pid_dict, tid_dict, heap_dict = cols[2], cols[4], cols[7]
        addresses, sizes, old_addresses, old_sizes = cols[9], cols[10], cols[11], cols[12]
        sources, flag_values, details = cols[13], cols[14], cols[15]
        shift, old_shift = addresses[0], old_addresses[0]
        if shift > 63:
            raise bad(9, "shift %d above 63" % shift)
        if old_shift > 63:
            raise bad(11, "shift %d above 63" % old_shift)
        prev = list(heap_dict)                                         # §6.5
        cursor = {"a": 1, "s": 0, "o": 1, "src": 0, "f": 0, "d": 0}

        def detail(maximum=U64):
            if cursor["d"] >= len(details):
                raise bad(15, "runs out of integers")
            value = details[cursor["d"]]
            cursor["d"] += 1
            if value > maximum:
                raise bad(15, "value %d above its maximum %d" % (value, maximum))
            return value

        def mask(allowed):
            value = detail()
            if value & ~allowed:
                raise bad(15, "mask 0x%x has unknown bits" % value)
            return value

        records = self.pending or []                                   # §5.4: this row group's context records
        self.pending = None
        for position, at, _line in records:
            if position > n:
                raise Damaged(at, "context record at position %d, past the %d events of the row group at 0x%x"
                              % (position, n, offset - 5))
        r = 0
        lines = []
        t = 0
        for i in range(n):
            while r < len(records) and records[r][0] <= i:
                lines.append(records[r][2])
                r += 1
            t = (t + unzigzag(cols[1][i])) & U64                       # §6.2
            ts = t - (1 << 64) if t >= 1 << 63 else t
            for cid, dictionary in ((3, pid_dict), (5, tid_dict), (8, heap_dict)):
                if cols[cid][i] >= len(dictionary):
                    raise bad(cid, "index %d outside the dictionary" % cols[cid][i])
            cpu = cols[6][i]
            if cpu > 1 << 32:
                raise bad(6, "value %d above 2^32" % cpu)
            stack = cols[17][i]
            if stack > len(self.frames):
                raise bad(17, "entry %d outside the stack dictionary" % stack)
            h = cols[8][i]
            kind = kinds[i]
            parts = ['{"event":"%s","ts":%d,"pid":%d,"tid":%d' % (KINDS[kind], ts, pid_dict[cols[3][i]], tid_dict[cols[5][i]])]
            if cpu:
                parts.append(',"cpu":%d' % (cpu - 1))
            parts.append(',"heap":%s' % hexa(heap_dict[h]))

            def field(name, value):
                parts.append(',"%s":%d' % (name, value))

            def source():
                value = sources[cursor["src"]]
                cursor["src"] += 1
                if value > U32:
                    raise bad(13, "value above 2^32 - 1")
                parts.append(',"source":%s' % SOURCES.get(value, '"%d"' % value))

            def address():
                z = addresses[cursor["a"]]
                cursor["a"] += 1
                value = (prev[h] + (unzigzag(z) << shift)) & U64
                prev[h] = value
                parts.append(',"address":%s' % hexa(value))
                return value

            def flags_field():
                value = flag_values[cursor["f"]]
                cursor["f"] += 1
                if value > U32:
                    raise bad(14, "value above 2^32 - 1")
                field("flags", value)

            if kind == ALLOC:
                address()
                field("size", sizes[cursor["s"]])
                cursor["s"] += 1
                source()
            elif kind == REALLOC:
                new = address()
                field("size", sizes[cursor["s"]])
                cursor["s"] += 1
                old = (new + (unzigzag(old_addresses[cursor["o"]]) << old_shift)) & U64
                parts.append(',"old_address":%s' % hexa(old))
                field("old_size", old_sizes[cursor["o"] - 1])
                cursor["o"] += 1
                source()
            elif kind == FREE:
                address()
                source()
            elif kind == CREATE:
                flags_field()
                m = mask(7)
                for bit, name in ((1, "reserve_size"), (2, "commit_size"), (4, "allocated_size")):
                    if m & bit:
                        field(name, detail())
            elif kind in (EXPAND, CONTRACT):
                address()
                m = mask(1)
                names = ("committed_size" if kind == EXPAND else "decommit_size", "free_space",
                         "committed_space", "reserved_space")
                for name in names:
                    field(name, detail())
                if m & 1:
                    field("allocated_space", detail())
                field("no_of_ucrs", detail(U32))
            elif kind == SNAPSHOT:
                flags_field()
                m = mask(1)
                for name in ("free_space", "committed_space", "reserved_space", "large_ucr_space"):
                    field(name, detail())
                if m & 1:
                    field("allocated_space", detail())
                for name in ("free_list_length", "ucr_length", "process_id"):
                    field(name, detail(U32))
            elif kind == OTHER:
                field("opcode", detail(255))
            # destroy (4): no fields
            if stack:
                parts.append(',"stack":[' + ",".join(hexa(f) for f in self.frames[stack - 1]) + "]")
            parts.append("}\n")
            lines.append("".join(parts))
            self.per_kind[kind] += 1
        if cursor["d"] != len(details):
            raise bad(15, "%d integers left over" % (len(details) - cursor["d"]))
        lines.extend(line for _, _, line in records[r:])
        # Only a row group that decoded whole is printed (§3.4).
        self.out.write("".join(lines).encode("utf-8"))
        self.row_groups += 1
        self.events += n


USAGE = """usage: read_heapcol.py FILE.heapcol > events.jsonl

Prints the events and context records (processes, threads, images) of a .heapcol file, version 1.0 or
1.1, as JSON Lines, byte for byte what `heapconv FILE - --to jsonl` prints. Python standard library
only; written from Schemas/heapcol.md. Exit status 0 on success, 1 on a damaged file (one line on
standard error with the byte offset), 2 on a usage error.
"""


def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if len(argv) != 2:
        sys.stderr.write(USAGE.splitlines()[0] + "\n")
        return 2
    name = argv[1]
    try:
        with gzip.open(name, "rb") as stream:
            Reader(stream, sys.stdout.buffer).run()
    except Damaged as error:
        sys.stdout.flush()
        sys.stderr.write("read_heapcol.py: %s: offset 0x%x: %s\n" % (name, error.offset, error))
        return 1
    except (OSError, EOFError, zlib.error) as error:
        sys.stdout.flush()
        sys.stderr.write("read_heapcol.py: %s: gzip: %s\n" % (name, error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

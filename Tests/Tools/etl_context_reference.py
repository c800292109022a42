#!/usr/bin/env python3
"""Reference decoder for the kernel *context* events of Windows .etl files (golden source for tests).

Written independently, from the specifications only:
  /work/shared/etl/FORMAT.md  - container: buffers, MS-XCA plain LZ77 compressed buffers, record headers,
                                walking rules, TRACE_LOGFILE_HEADER and the clock (timestamp -> UTC)
  /work/shared/etl/CONTEXT.md - Process, Thread, Image, ImageID/DbgID payload layouts (all versions, 32/64-bit)
  [MS-XCA] 2.4.4 "Plain LZ77 Decompression" (Microsoft open specification) - the decompressor.
Python 3 standard library only; no code of the implementation under test was read.

usage:  etl_context_reference.py FILE.etl              -> one JSON object per context record, file order
        etl_context_reference.py --summary FILE.etl    -> one JSON object: counts and distinct figures

Output line forms (keys in this order; optional keys are left out as described at each emitter):
  {"event":"process","ts","pid","state","parent_pid","session","exit_status","name","command_line"}
  {"event":"thread","ts","pid","tid","state","name"}
  {"event":"image","ts","pid","state","address","size","name","checksum","timestamp",
   "pdb_name","pdb_guid","pdb_age","pdb_kind"}
  {"error":"...","offset":N}   (instead of a record that is too short / has an unterminated string)
"offset" of an error = file offset of the buffer + offset of the record inside the buffer; for a compressed
buffer the latter is a position in the *decompressed* buffer (the record has no position in the file).
"""
import json
import os
import struct
import sys

U16 = struct.Struct('<H').unpack_from
U32 = struct.Struct('<I').unpack_from
I32 = struct.Struct('<i').unpack_from
U64 = struct.Struct('<Q').unpack_from
I64 = struct.Struct('<q').unpack_from

BUFFER_HEADER = 0x48            # WMI_BUFFER_HEADER size (FORMAT §1.1)
BUFFER_FLAG_COMPRESSED = 0x40   # BufferFlag bit (FORMAT §1.1)
FILETIME_UNIX_EPOCH = 116444736000000000   # 1970-01-01 in 100 ns units since 1601 (FORMAT §4)

# Header type (marker byte 2) -> (name, fixed header size, offset of the u16 record Size, pointer size).
# FORMAT §2. Only SYSTEM/COMPACT/PERFINFO/FULL_HEADER carry context events; the rest are walked by size.
HEADER_KINDS = {
    0x01: ('SYSTEM32', 0x20, 4, 4),   0x02: ('SYSTEM64', 0x20, 4, 8),
    0x03: ('COMPACT32', 0x18, 4, 4),  0x04: ('COMPACT64', 0x18, 4, 8),
    0x10: ('PERFINFO32', 0x10, 4, 4), 0x11: ('PERFINFO64', 0x10, 4, 8),
    0x12: ('EVENT_HEADER32', 0x50, 0, 4), 0x13: ('EVENT_HEADER64', 0x50, 0, 8),
    0x0A: ('FULL_HEADER32', 0x30, 0, 4), 0x14: ('FULL_HEADER64', 0x30, 0, 8),
    0x0B: ('INSTANCE32', 0x48, 0, 4), 0x15: ('INSTANCE64', 0x48, 0, 8),
}
KERNEL_KINDS = {0x01, 0x02, 0x03, 0x04, 0x10, 0x11}   # Group/opcode at bytes 7/6
HAS_IDS = {0x01, 0x02, 0x03, 0x04}                    # ThreadId @8, ProcessId @0xC (not PERFINFO)
FULL_KINDS = {0x0A, 0x14}

# KernelTraceControl ImageID task GUID b3e675d7-2554-4f18-830b-2762732560de, as stored (Data1-3 little-endian).
IMAGEID_GUID = bytes.fromhex('d775e6b3' '5425' '184f' '830b2762732560de')
OP_IMAGEID, OP_NONE, OP_RSDS, OP_ILRSDS, OP_FILEVERSION = 0x00, 0x20, 0x24, 0x25, 0x40

PROCESS_STATES = {1: 'start', 2: 'end', 3: 'dcstart', 4: 'dcend', 39: 'defunct'}   # group 0x03
THREAD_STATES = {1: 'start', 2: 'end', 3: 'dcstart', 4: 'dcend'}                   # group 0x05
IMAGE_STATES = {2: 'unload', 3: 'dcstart', 4: 'dcend'}                              # group 0x14
# (Image Load is group 0x03 opcode 10 = hook 0x030A, CONTEXT §1.)


class Malformed(Exception):
    """A context record that cannot be decoded: reported as an {"error"} line."""


# ---------------------------------------------------------------------------------------------------------
# MS-XCA plain LZ77 ([MS-XCA] 2.4.4), as used for compressed ETL buffers (FORMAT §1.2)
# ---------------------------------------------------------------------------------------------------------
def lz77_decompress(src, out_len):
    """Decompress an MS-XCA plain-LZ77 stream into exactly out_len bytes (ValueError if impossible).

    Stream: 32-bit little-endian flag words, consumed from the most significant bit; flag 0 = one literal
    byte, flag 1 = a 16-bit match word (distance = (w >> 3) + 1, length code = w & 7). Length code 7 is
    extended by a nibble (two matches share one byte: low nibble first, high nibble by the next such match),
    nibble 15 by a byte, byte 255 by a u16, u16 0 by a u32 (the last two hold the whole length - 3).
    Semantics follow the spec's byte-at-a-time loop; runs of literals and non-overlapping matches are copied
    with slices only for speed (an overlapping match repeats its period, which is what byte-wise copy does).
    """
    out = bytearray()
    n = len(src)
    ip = 0
    flags = 0
    nflags = 0           # flag bits of `flags` not yet consumed
    half = -1            # input position of the byte whose high nibble is still pending (-1: none)
    while len(out) < out_len:
        if nflags == 0:
            if ip + 4 > n:
                raise ValueError('lz77: truncated flag word')
            flags = U32(src, ip)[0]
            ip += 4
            nflags = 32
        # Number of consecutive 0 (literal) flags starting at the next flag bit.
        run = nflags - (flags & ((1 << nflags) - 1)).bit_length()
        if run:
            k = min(run, out_len - len(out))
            if ip + k > n:
                raise ValueError('lz77: truncated literals')
            out += src[ip:ip + k]
            ip += k
            nflags -= k
            continue
        nflags -= 1                       # a match flag
        if ip == n:                       # spec: end of input at a match flag = end of stream
            break
        if ip + 2 > n:
            raise ValueError('lz77: truncated match')
        word = src[ip] | (src[ip + 1] << 8)
        ip += 2
        dist = (word >> 3) + 1
        length = word & 7
        if length == 7:
            if half < 0:
                if ip >= n:
                    raise ValueError('lz77: truncated length nibble')
                length = src[ip] & 0x0F
                half = ip
                ip += 1
            else:
                length = src[half] >> 4
                half = -1
            if length == 15:
                if ip >= n:
                    raise ValueError('lz77: truncated length byte')
                length = src[ip]
                ip += 1
                if length == 255:
                    if ip + 2 > n:
                        raise ValueError('lz77: truncated length u16')
                    length = U16(src, ip)[0]
                    ip += 2
                    if length == 0:
                        if ip + 4 > n:
                            raise ValueError('lz77: truncated length u32')
                        length = U32(src, ip)[0]
                        ip += 4
                    if length < 15 + 7:
                        raise ValueError('lz77: invalid long length')
                    length -= 15 + 7
                length += 15
            length += 7
        length += 3
        start = len(out) - dist
        if start < 0:
            raise ValueError('lz77: match before start of output')
        if len(out) + length > out_len:
            raise ValueError('lz77: match overruns the expected size')
        if dist >= length:
            out += out[start:start + length]
        else:
            out += (out[start:] * (length // dist + 1))[:length]
    if len(out) != out_len:
        raise ValueError('lz77: produced %d bytes, expected %d' % (len(out), out_len))
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------
# Strings (CONTEXT §2): ANSI and unaligned UTF-16LE, NUL-terminated inside the payload
# ---------------------------------------------------------------------------------------------------------
def ansi_at(p, off):
    """(text, offset after the NUL). Bytes decoded as UTF-8 with replacement."""
    end = p.find(b'\x00', off)
    if end < 0:
        raise Malformed('unterminated ANSI string at payload offset %d' % off)
    return p[off:end].decode('utf-8', 'replace'), end + 1


def wstr_at(p, off):
    """(text, offset after the NUL). UTF-16LE code units read byte-wise from any (odd) offset; lone
    surrogates become U+FFFD (Python's utf-16-le decoder with 'replace')."""
    i = off
    while True:
        i = p.find(b'\x00\x00', i)
        if i < 0:
            raise Malformed('unterminated UTF-16 string at payload offset %d' % off)
        if (i - off) % 2 == 0:            # a whole NUL code unit, not the tail/head of two units
            return p[off:i].decode('utf-16-le', 'replace'), i + 2
        i += 1


def need(p, n, what):
    if len(p) < n:
        raise Malformed('%s payload too short: %d < %d bytes' % (what, len(p), n))


def ptr(p, off, P):
    return U64(p, off)[0] if P == 8 else U32(p, off)[0]


def guid_text(b):
    """Windows GUID text: Data1 u32 LE, Data2/Data3 u16 LE, Data4 as stored; lower case 8-4-4-4-12."""
    d1, d2, d3 = struct.unpack_from('<IHH', b, 0)
    return '%08x-%04x-%04x-%s-%s' % (d1, d2, d3, b[8:10].hex(), b[10:16].hex())


# ---------------------------------------------------------------------------------------------------------
# Payload decoders (CONTEXT §3-§6). P = pointer size of the record's header type; v = Version & 0xFF.
# ---------------------------------------------------------------------------------------------------------
def decode_process(p, v, P):
    """-> dict(key, pid, parent, session|None, exit|None, name, cmdline|None). CONTEXT §3."""
    if v == 0:        # P ProcessId, P ParentId, SID, ImageFileName
        need(p, 2 * P + 4, 'Process v0')
        key, pid, parent, session, exit_status, sid = None, ptr(p, 0, P), ptr(p, P, P), None, None, 2 * P
    else:             # v1: P PageDirectoryBase | v2+: P UniqueProcessKey; then pid, parent, session, exit
        sid = {1: P + 16, 2: P + 16, 3: 2 * P + 16}.get(v, 2 * P + 20)   # v3 +DirTableBase, v4+ +Flags
        need(p, sid + 4, 'Process v%d' % v)
        key = ptr(p, 0, P) if v >= 2 else None
        pid, parent, session = U32(p, P)[0], U32(p, P + 4)[0], U32(p, P + 8)[0]
        exit_status = I32(p, P + 12)[0]
    # UserSID: u32 0 -> 4 bytes; else TOKEN_USER (2P bytes) + SID (8 + 4 * SubAuthorityCount).
    if U32(p, sid)[0] == 0:
        off = sid + 4
    else:
        need(p, sid + 2 * P + 8, 'Process v%d SID' % v)
        off = sid + 2 * P + 8 + 4 * p[sid + 2 * P + 1]
        need(p, off, 'Process v%d SID' % v)
    name, off = ansi_at(p, off)
    cmdline = wstr_at(p, off)[0] if v >= 2 else None
    # (v4+ PackageFullName/ApplicationId and v5 ExitTime follow; not needed, not validated.)
    return dict(key=key, pid=pid, parent=parent, session=session, exit=exit_status,
                name=name, cmdline=cmdline)


def decode_thread(p, v, P, opcode):
    """-> (pid, tid, name|None). CONTEXT §4."""
    if v == 0:                                   # u32 TThreadId, u32 ProcessId (swapped order)
        need(p, 8, 'Thread v0')
        return U32(p, 4)[0], U32(p, 0)[0], None
    if v == 1:                                   # Start/DCStart: pid, tid, 6 pointers, i8 WaitMode
        fixed = 8 + 6 * P + 1 if opcode in (1, 3) else 8
    elif v == 2:
        fixed = 8 + 7 * P + 4                    # ... TebBase, u32 SubProcessTag: 40/68
    else:
        fixed = 8 + 7 * P + 8                    # + priorities/flags: 44/72, then optional ThreadName
    need(p, fixed, 'Thread v%d' % v)
    name = None
    if v >= 3 and len(p) >= fixed + 2:
        name = wstr_at(p, fixed)[0]
    return U32(p, 0)[0], U32(p, 4)[0], name


def decode_image(p, v, P):
    """-> (base, size, pid|None, checksum, timedatestamp, filename). CONTEXT §5."""
    if v == 0:                                   # P BaseAddress, u32 ModuleSize, WSTR
        need(p, P + 4, 'Image v0')
        return ptr(p, 0, P), U32(p, P)[0], None, 0, 0, wstr_at(p, P + 4)[0]
    if v == 1:                                   # P ImageBase, P ImageSize, u32 ProcessId, WSTR
        need(p, 2 * P + 4, 'Image v1')
        return ptr(p, 0, P), ptr(p, P, P), U32(p, 2 * P)[0], 0, 0, wstr_at(p, 2 * P + 4)[0]
    # v2/v3: base, size, pid, checksum, TimeDateStamp, u32 reserved, P DefaultBase, 4 x u32, WSTR FileName
    need(p, 3 * P + 32, 'Image v%d' % v)
    return (ptr(p, 0, P), ptr(p, P, P), U32(p, 2 * P)[0], U32(p, 2 * P + 4)[0], U32(p, 2 * P + 8)[0],
            wstr_at(p, 3 * P + 32)[0])


# ---------------------------------------------------------------------------------------------------------
# Container walk (FORMAT §1-§2)
# ---------------------------------------------------------------------------------------------------------
def iter_records(data, errors):
    """Yield (offset for error lines, buffer bytes, record position in the buffer, record Size, header type)
    for every record: buffers in file order, records in buffer order. Header type is None for MESSAGE (WPP).
    Container faults (bad LZ77 stream, unknown marker, record past Offset) are appended to `errors` as
    error dicts; the rest of that buffer is skipped."""
    fpos = 0
    while len(data) - fpos >= BUFFER_HEADER:            # stop when < 0x48 bytes remain
        bsize = U32(data, fpos)[0]
        if bsize == 0:
            break
        offset = U32(data, fpos + 0x30)[0]              # end of valid data, header included
        raw = data[fpos:fpos + bsize]
        if U16(data, fpos + 0x34)[0] & BUFFER_FLAG_COMPRESSED:
            # Bytes [0x48, BufferSize) decompress to exactly Offset - 0x48 bytes of records.
            try:
                buf = raw[:BUFFER_HEADER] + lz77_decompress(raw[BUFFER_HEADER:], max(offset - BUFFER_HEADER, 0))
            except ValueError as e:
                errors.append({'error': str(e), 'offset': fpos})
                fpos += bsize
                continue
        else:
            buf = raw
        end = min(offset, len(buf))
        pos = BUFFER_HEADER
        while pos + 4 <= end:                            # records are 8-aligned from the buffer start
            if U32(buf, pos)[0] == 0xFFFFFFFF:           # unused space marker
                break
            htype, mflags = buf[pos + 2], buf[pos + 3]
            if mflags & 0xC0 == 0xC0:
                kind = HEADER_KINDS.get(htype)
                size_at = kind[2] if kind else 0         # TIMED/ERROR/WNODE and unknown: size at +0
            elif mflags & 0x80:                          # MESSAGE (WPP): size at +0
                htype, size_at = None, 0
            else:
                errors.append({'error': 'unknown record marker 0x%08x' % U32(buf, pos)[0], 'offset': fpos + pos})
                break
            if pos + size_at + 2 > end:
                break
            size = U16(buf, pos + size_at)[0]
            if size == 0:                                # would loop forever
                break
            if pos + size > end:
                errors.append({'error': 'record overruns buffer data', 'offset': fpos + pos})
                break
            yield fpos + pos, buf, pos, size, htype
            pos += (size + 7) & ~7
        fpos += bsize


def decode_file(path):
    """Decode every context record. Returns (items in file order, summary dict).
    Items are finished output dicts, except images, which are (dict, join key, TimeDateStamp) until the
    ImageID/DbgID join tables of the whole file are known."""
    data = open(path, 'rb').read()
    items = []
    container_errors = []
    imageid_tds = {}      # (raw ts, pid, base) -> ImageID TimeDateStamp     (first record wins)
    dbgid = {}            # (raw ts, pid, base) -> (guid, age, pdb name, il)  (first record wins)
    counts = {'process': dict.fromkeys(PROCESS_STATES.values(), 0),
              'thread': dict.fromkeys(THREAD_STATES.values(), 0),
              'image': dict.fromkeys(['load', 'unload', 'dcstart', 'dcend'], 0),
              'ImageID': 0, 'DbgID_RSDS': 0, 'DbgID_ILRSDS': 0, 'ImageID_None': 0, 'FileVersion': 0}
    kinds, versions = {}, {}   # "image/dcstart" -> {"PERFINFO64": n, ...} / {"3": n, ...}
    processes, threads, images = set(), set(), set()
    clock = None          # (ts_hdr, StartTime FILETIME, frequency)

    for roff, buf, pos, size, htype in iter_records(data, container_errors):
        while container_errors:                          # keep container faults in file order
            items.append(container_errors.pop(0))
        if htype in KERNEL_KINDS:
            name, hsize, _, P = HEADER_KINDS[htype]
            if size < hsize:
                continue
            opcode, group = buf[pos + 6], buf[pos + 7]
            ver = U16(buf, pos)[0]
            ts = I64(buf, pos + (8 if hsize == 0x10 else 0x10))[0]
            if group == 0 and opcode == 0 and clock is None and htype in (0x01, 0x02):
                clock = read_clock(buf, pos, size, ver, P, ts)
                continue
            if group == 3 and opcode in PROCESS_STATES:
                what, state = 'process', PROCESS_STATES[opcode]
            elif group == 3 and opcode == 10:
                what, state = 'image', 'load'
            elif group == 0x14 and opcode in IMAGE_STATES:
                what, state = 'image', IMAGE_STATES[opcode]
            elif group == 5 and opcode in THREAD_STATES:
                what, state = 'thread', THREAD_STATES[opcode]
            else:
                continue
            # Payload follows the fixed header and the PEBS (0x8000) / PMC (0x0700) extensions, 8 B each.
            start = pos + hsize + 8 * ((ver >> 8) & 7) + (8 if ver & 0x8000 else 0)
            if start > pos + size:
                items.append({'error': '%s header extensions overrun the record' % what, 'offset': roff})
                continue
            p = buf[start:pos + size]
            v = ver & 0xFF
            try:
                if what == 'process':
                    r = decode_process(p, v, P)
                    o = {'event': 'process', 'ts': ts, 'pid': r['pid'], 'state': state,
                         'parent_pid': r['parent']}
                    if r['session'] is not None:
                        o['session'] = r['session']
                    if state in ('end', 'defunct') and r['exit'] is not None:
                        o['exit_status'] = r['exit']
                    if r['name']:
                        o['name'] = r['name']
                    if r['cmdline']:
                        o['command_line'] = r['cmdline']
                    processes.add((r['pid'], r['key']))
                    items.append(o)
                elif what == 'thread':
                    pid, tid, tname = decode_thread(p, v, P, opcode)
                    o = {'event': 'thread', 'ts': ts, 'pid': pid, 'tid': tid, 'state': state}
                    if tname:
                        o['name'] = tname
                    threads.add((tid, pid))
                    items.append(o)
                else:
                    base, isize, pid, checksum, tds, fname = decode_image(p, v, P)
                    if pid is None and htype in HAS_IDS:  # Image v0 has no ProcessId: header's, if any
                        pid = U32(buf, pos + 0x0C)[0]
                    o = {'event': 'image', 'ts': ts}
                    if pid is not None:
                        o['pid'] = pid
                    o.update(state=state, address='0x%x' % base, size=isize)
                    if fname:
                        o['name'] = fname
                    if checksum:
                        o['checksum'] = checksum
                    images.add((pid, base, isize, fname))
                    items.append((o, (ts, pid, base), tds))
            except Malformed as e:
                items.append({'error': str(e), 'offset': roff})
                continue
            counts[what][state] += 1
            k = kinds.setdefault('%s/%s' % (what, state), {})     # header kinds / versions (CONTEXT §0)
            k[name] = k.get(name, 0) + 1
            k = versions.setdefault('%s/%s' % (what, state), {})
            k[str(v)] = k.get(str(v), 0) + 1

        elif htype in FULL_KINDS:
            # KernelTraceControl ImageID group: FULL_HEADER with the task GUID at +0x18 (CONTEXT §1, §6).
            if size < 0x30 or buf[pos + 0x18:pos + 0x28] != IMAGEID_GUID:
                continue
            P = HEADER_KINDS[htype][3]
            opcode = buf[pos + 4]
            ts = I64(buf, pos + 0x10)[0]
            p = buf[pos + 0x30:pos + size]
            try:
                if opcode == OP_IMAGEID:        # P base, P size, u32 pid, u32 TimeDateStamp, WSTR name
                    need(p, 2 * P + 8, 'ImageID')
                    imageid_tds.setdefault((ts, U32(p, 2 * P)[0], ptr(p, 0, P)), U32(p, 2 * P + 4)[0])
                    counts['ImageID'] += 1
                elif opcode in (OP_RSDS, OP_ILRSDS):   # P base, u32 pid, GUID, u32 Age, ANSI PdbFileName
                    label = 'DbgID_RSDS' if opcode == OP_RSDS else 'DbgID_ILRSDS'
                    need(p, P + 24, label)
                    pdb = ansi_at(p, P + 24)[0]
                    dbgid.setdefault((ts, U32(p, P)[0], ptr(p, 0, P)),
                                     (guid_text(p[P + 4:P + 20]), U32(p, P + 20)[0], pdb, opcode == OP_ILRSDS))
                    counts[label] += 1
                elif opcode == OP_NONE:         # P base, u32 pid
                    need(p, P + 4, 'ImageID/None')
                    counts['ImageID_None'] += 1
                elif opcode == OP_FILEVERSION:
                    counts['FileVersion'] += 1
            except Malformed as e:
                items.append({'error': str(e), 'offset': roff})
    items.extend(container_errors)

    # Second step: clock for ts, and the ImageID/DbgID join for images (by key, never by record order).
    out = []
    for it in items:
        if isinstance(it, tuple):
            o, key, tds = it
            tds = tds or imageid_tds.get(key, 0)
            if tds:
                o['timestamp'] = tds
            d = dbgid.get(key)
            if d:
                o['pdb_name'] = d[2]
                o['pdb_guid'] = d[0]
                o['pdb_age'] = d[1]
                if d[3]:
                    o['pdb_kind'] = 'il'
            it = o
        if 'ts' in it:
            it['ts'] = to_unix_ns(it['ts'], clock)
        out.append(it)

    order = ['%s/%s' % (w, st) for w in ('process', 'thread', 'image') for st in counts[w]]
    summary = {'file': os.path.basename(path), 'records': counts,
               'header_kinds': {k: dict(sorted(kinds[k].items())) for k in order if k in kinds},
               'versions': {k: dict(sorted(versions[k].items())) for k in order if k in versions},
               'distinct': {'processes': len(processes), 'threads': len(threads), 'images': len(images),
                            'DbgID_RSDS_records': counts['DbgID_RSDS']},
               'errors': sum(1 for o in out if 'error' in o)}
    return out, summary


# ---------------------------------------------------------------------------------------------------------
# Clock (FORMAT §3-§4)
# ---------------------------------------------------------------------------------------------------------
def read_clock(buf, pos, size, ver, P, ts_hdr):
    """From the EventTrace header record (group 0, opcode 0): TRACE_LOGFILE_HEADER pointer-size dependent
    fields. Returns (ts_hdr, StartTime, frequency in ticks per second)."""
    start = pos + 0x20 + 8 * ((ver >> 8) & 7) + (8 if ver & 0x8000 else 0)
    p = buf[start:pos + size]
    d = 2 * (P - 4)                                  # LoggerName/LogFileName pointers before the time fields
    if len(p) < 0x10C + d:
        raise SystemExit('TRACE_LOGFILE_HEADER too short')
    cpu_mhz = U32(p, 0x34)[0]
    perf_freq = I64(p, 0xF8 + d)[0]
    start_time = I64(p, 0x100 + d)[0]
    clock_type = U32(p, 0x108 + d)[0]
    if clock_type == 2:                              # SystemTime: 100 ns units
        freq = 10000000
    elif clock_type == 3:                            # CPU cycles
        freq = cpu_mhz * 1000000
    else:                                            # 1 QPC (and 0 "raw": no other frequency is given)
        freq = perf_freq
    if freq <= 0:
        raise SystemExit('clock frequency is 0')
    return ts_hdr, start_time, freq


def to_unix_ns(ts, clock):
    """FILETIME(ev) = StartTime + (ts - ts_hdr) * 10^7 / freq (integer, floor), then to Unix nanoseconds."""
    if clock is None:
        raise SystemExit('no EventTrace header record (group 0, opcode 0): cannot convert timestamps')
    ts_hdr, start_time, freq = clock
    filetime = start_time + (ts - ts_hdr) * 10000000 // freq
    return (filetime - FILETIME_UNIX_EPOCH) * 100


# ---------------------------------------------------------------------------------------------------------
def dumps(o):
    # Compact JSON, keys in insertion order, non-ASCII raw (UTF-8 on output). Python's escaping is exactly
    # the required one: \" \\ \b \f \n \r \t, other characters < 0x20 as \u00xx (lower-case hex).
    return json.dumps(o, ensure_ascii=False, separators=(',', ':'))


def main(argv):
    args = [a for a in argv if a != '--summary']
    if len(args) != 1 or args[0].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    records, summary = decode_file(args[0])
    if '--summary' in argv:
        text = dumps(summary) + '\n'
    else:
        text = ''.join(dumps(o) + '\n' for o in records)
    sys.stdout.buffer.write(text.encode('utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

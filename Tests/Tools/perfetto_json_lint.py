#!/usr/bin/env python3
# Copied unchanged (apart from this note) from the team's shared tools (/work/shared/tools/perfetto_json_lint.py)
# so that ChromeLintTests run in any clone of the repository; refresh it from there when it changes.
"""Predicts what Perfetto's trace processor does with a Chrome Trace Event Format JSON file.

An emulation, not Perfetto itself: the rules of its JSON importer transcribed from google/perfetto @ ec5d16b
(2026-08-22): src/trace_processor/importers/json/json_trace_tokenizer.cc (sniffing, ts/pid/tid/id/id2
parsing), json_trace_parser.cc (per-phase handling), importers/common/track_compressor.cc (legacy async
track grouping). It prints the tracks Perfetto would create, the import-log errors it would record, the
phases it would drop silently, and how many rows each async track group would take in the UI.

usage: perfetto_json_lint.py [--json] TRACE.json[.gz]
exit: 0 clean, 1 predicted import-log errors / data loss, 2 unreadable / not sniffed as JSON
"""
import collections, gzip, json, math, sys

def load(path):
    raw = open(path, 'rb').read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    return raw

def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    as_json = '--json' in sys.argv
    if len(args) != 1:
        print(__doc__); sys.exit(2)
    raw = load(args[0])
    rep = {'consumer': 'EMULATION of perfetto json importer rules (perfetto@ec5d16b)', 'file': args[0]}
    errors = collections.Counter(); examples = collections.defaultdict(list)
    notes = []
    def err(stat, why, ev=None):
        errors[stat + ': ' + why] += 1
        if len(examples[stat + ': ' + why]) < 3 and ev is not None:
            examples[stat + ': ' + why].append(json.dumps(ev)[:200])

    # Sniff (JsonImporter::Sniff): whitespace-stripped head must start with {" or [{"
    head = bytes(c for c in raw[:128 * 1024] if c not in b' \t\r\n\f\v')
    if not (head.startswith(b'{"') or head.startswith(b'[{"')):
        rep['fatal'] = 'not detected as JSON by perfetto (head must be {" or [{" after whitespace; an empty bare array [] is NOT sniffed)'
        return finish(rep, errors, examples, notes, as_json, 2)
    try:
        doc = json.loads(raw.decode('utf-8'))
    except Exception as e:
        rep['fatal'] = 'strict JSON parse failed: %s (perfetto tolerates only a trailing comma / missing end in the traceEvents array; anything else is a fatal "Failure parsing JSON")' % e
        return finish(rep, errors, examples, notes, as_json, 2)
    if isinstance(doc, dict):
        events = doc.get('traceEvents', [])
        if 'displayTimeUnit' in doc:
            notes.append('displayTimeUnit=%r is IGNORED by perfetto (stat json_display_time_unit); catapult accepts only "ms"/"ns" and throws on anything else' % doc['displayTimeUnit'])
        if not isinstance(events, list):
            rep['fatal'] = 'traceEvents is not an array'; return finish(rep, errors, examples, notes, as_json, 2)
    else:
        events = doc

    def u32(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)): return None
        v = int(v)
        return v if 0 <= v <= 0xffffffff else 0
    def to_ns(v):
        if isinstance(v, bool): return None
        if isinstance(v, int): return v * 1000
        if isinstance(v, float): return int(v) * 1000 if v == math.trunc(v) else round(v * 1000)
        if isinstance(v, str):
            try: return to_ns(json.loads(v))
            except Exception: return None
        return None

    phases = collections.Counter(); ignored = collections.Counter()
    slices = collections.Counter(); counter_tracks = collections.Counter()
    proc_names = {}; thread_names = {}
    async_groups = {}   # (scope, upid|None, root_name) -> [begins]
    cookie_root = {}
    precision = 0
    be_stack = collections.Counter()
    timeline = []
    for ev in events:
        if not isinstance(ev, dict):
            rep['fatal'] = 'non-object inside traceEvents (fatal tokenizer error)'; return finish(rep, errors, examples, notes, as_json, 2)
        if not ev:
            continue  # {} is skipped silently
        ph = ev.get('ph')
        ph = ph[0] if isinstance(ph, str) and ph else None
        if ph is None:
            err('json_tokenizer_failure', 'event without "ph"', ev); continue
        phases[ph] += 1
        ts = to_ns(ev.get('ts'))
        if ts is None:
            if ph != 'M':
                err('json_tokenizer_failure', 'missing/invalid ts', ev); continue
            ts = 0
        if isinstance(ev.get('ts'), float) and ev['ts'] != math.trunc(ev['ts']) and abs(ev['ts']) * 1000 > 2 ** 53:
            precision += 1
        pid_v, tid_v = ev.get('pid'), ev.get('tid')
        pid_exists = isinstance(pid_v, (int, float, str)) and not isinstance(pid_v, bool)
        tid_exists = isinstance(tid_v, (int, float, str)) and not isinstance(tid_v, bool)
        pid = pid_v if isinstance(pid_v, str) else (u32(pid_v) or 0)
        tid = tid_v if isinstance(tid_v, str) else (u32(tid_v) or 0)
        if tid == 0 and pid != 0 and not isinstance(tid_v, str):
            tid = pid
        name = ev.get('name') if isinstance(ev.get('name'), str) and ev.get('name') else None
        cat = ev.get('cat') if isinstance(ev.get('cat'), str) and ev.get('cat') else None
        idv = ev.get('id'); id2 = ev.get('id2') if isinstance(ev.get('id2'), dict) else None
        if isinstance(idv, bool) or not isinstance(idv, (str, int)): idv = None
        cookie = None
        if idv is not None: cookie = ('global', cat, idv)
        elif id2 and 'global' in id2: cookie = ('global', cat, id2['global'])
        elif id2 and 'local' in id2: cookie = ('process', cat, id2['local'])
        args = ev.get('args') if isinstance(ev.get('args'), dict) else None

        if ph in 'BEX':
            if ph == 'X' and ev.get('dur') is None:
                err('json_parser_failure', 'X without dur', ev); continue
            if ph == 'B': be_stack[(pid, tid)] += 1
            elif ph == 'E':
                if be_stack[(pid, tid)] == 0:
                    ignored['E without open B (dropped silently)'] += 1; continue
                be_stack[(pid, tid)] -= 1
            slices['thread track slices (B/E/X)'] += 1 if ph != 'E' else 0
        elif ph in 'ben':
            if not pid_exists or cookie is None:
                err('json_parser_failure', 'async b/e/n without pid or id/id2', ev); continue
            scope = cookie[0]
            key = (scope, pid if scope == 'process' else None, cookie)
            root = cookie_root.setdefault(key, name or '[No name]')  # first name seen for a cookie wins
            grp = (scope, pid if scope == 'process' else None, root)
            timeline.append((ts, 0 if ph == 'e' else 1, ph, grp, key))
            if ph != 'e': slices['async slices (%s-scoped: %s)' % (scope, 'legacy_async_process_slice' if scope == 'process' else 'legacy_async_global_slice')] += 1
        elif ph == 'C':
            if not args:
                err('json_parser_failure', 'C without non-empty args', ev); continue
            prefix = (name or '') + (' id: %s' % idv if isinstance(idv, str) and idv else '') + ' '
            for k, v in args.items():
                ok = isinstance(v, (int, float)) and not isinstance(v, bool)
                if isinstance(v, str):
                    try: float(v); ok = True
                    except ValueError: ok = False
                if not ok:
                    err('json_parser_failure', 'C arg value not a number', ev); continue
                counter_tracks[(pid, prefix + k)] += 1
        elif ph in 'iIR':
            s = ev.get('s')
            if s == 'g': slices['instants on global "legacy chrome global instants" track'] += 1
            elif s == 'p':
                if not pid_exists: err('json_parser_failure', 'process instant without pid', ev); continue
                slices['instants on per-process instant track'] += 1
            elif s in (None, 't'):
                if not tid_exists: err('json_parser_failure', 'thread instant without "tid" key', ev); continue
                slices['instants as 0-dur slices on thread track'] += 1
            else:
                err('json_parser_failure', 'instant with unknown scope s', ev)
        elif ph == 'M':
            if name in ('process_name', 'thread_name') and args and isinstance(args.get('name'), str) and args['name']:
                (proc_names if name == 'process_name' else thread_names)[(pid, tid)] = args['name']
            elif name in ('process_name', 'thread_name'):
                err('json_parser_failure', 'name metadata without args.name', ev)
            elif name not in ('process_sort_index', 'thread_sort_index'):
                ignored['M:' + str(name)] += 1
        elif ph in 'stf':
            if cookie is None and ev.get('id') is None: err('flow_invalid_id', 'flow without id', ev)
        elif ph == 'T':
            notes.append('ph "T" is a perfetto-specific THREAD STATE event (needs dur) - not catapult\'s legacy async step')
        elif ph == 'P':
            pass
        else:
            ignored[ph] += 1   # S F p N O D v V c ( ) etc.: no case in the parser switch -> silently dropped

    # legacy async: unmatched ends / concurrency (= track_compressor tracks = UI rows)
    timeline.sort(key=lambda x: (x[0], x[1]))
    open_per_cookie = collections.Counter(); open_per_group = collections.Counter(); depth = collections.Counter()
    unmatched_end = 0
    for ts, _, ph, grp, key in timeline:
        if ph == 'b':
            open_per_cookie[key] += 1; open_per_group[grp] += 1
            depth[grp] = max(depth[grp], open_per_group[grp])
        elif ph == 'e':
            if open_per_cookie[key] == 0: unmatched_end += 1; continue
            open_per_cookie[key] -= 1; open_per_group[grp] -= 1
        else:
            depth[grp] = max(depth[grp], open_per_group[grp] + 1)
    unmatched_begin = sum(open_per_cookie.values())
    if unmatched_end:
        errors['async e without open b on that id (slice dropped)'] += unmatched_end
    if unmatched_begin:
        notes.append('%d async b never ended: perfetto shows them with dur=-1 ("did not end"); catapult warns and closes them at the last event of that id' % unmatched_begin)
    if precision:
        notes.append('%d fractional ts values above 2^53 ns: sub-us precision is lost; rebase ts to trace start' % precision)

    rep['phases'] = dict(phases)
    rep['predicted'] = dict(slices)
    rep['counter_tracks'] = len(counter_tracks)
    rep['counter_values'] = sum(counter_tracks.values())
    rep['counter_track_names'] = sorted('%s: %s' % (p, n) for (p, n) in counter_tracks)[:30]
    rep['async_track_groups'] = [{'scope': g[0], 'pid': g[1], 'name': g[2], 'max_concurrent (=rows in UI)': d} for g, d in sorted(depth.items(), key=lambda x: -x[1])][:30]
    rep['process_names'] = len(proc_names); rep['thread_names'] = len(thread_names)
    rep['silently_ignored'] = dict(ignored)
    return finish(rep, errors, examples, notes, as_json, 1 if errors else 0)

def finish(rep, errors, examples, notes, as_json, code):
    rep['import_log_errors'] = {k: {'count': v, 'examples': examples.get(k, [])} for k, v in errors.items()}
    rep['notes'] = notes
    if as_json:
        print(json.dumps(rep, indent=1))
    else:
        print('consumer : ' + rep['consumer'])
        if 'fatal' in rep:
            print('RESULT   : PERFETTO WOULD FAIL: ' + rep['fatal'])
        else:
            print('phases   : ' + ', '.join('%s=%d' % kv for kv in sorted(rep['phases'].items())))
            for k, v in sorted(rep['predicted'].items()): print('  %s: %d' % (k, v))
            print('  counter tracks: %d (%d values)' % (rep['counter_tracks'], rep['counter_values']))
            for n in rep['counter_track_names'][:10]: print('     pid ' + n)
            for g in rep['async_track_groups'][:10]:
                print('  async group %s pid=%s "%s": max %d concurrent -> %d rows in the UI' % (g['scope'], g['pid'], g['name'], g['max_concurrent (=rows in UI)'], g['max_concurrent (=rows in UI)']))
            print('  process names: %d, thread names: %d' % (rep['process_names'], rep['thread_names']))
            if rep['silently_ignored']: print('  silently ignored: ' + ', '.join('%s=%d' % kv for kv in rep['silently_ignored'].items()))
            for k, v in rep['import_log_errors'].items():
                print('  ERROR %s x%d' % (k, v['count']))
                for e in v['examples']: print('     - ' + e)
            print('RESULT   : ' + ('PREDICTED ERRORS' if errors else 'PREDICTED CLEAN'))
        for n in notes: print('  note: ' + n)
    sys.exit(code)

if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""heapconv's speed and memory benchmark: whole processes, the way users run them.

Generates a synthetic heap trace of N events (several CPUs, stacks on part of the events, optionally
compressed buffers; a second one with a named process and the images its frames fall in) with the `heapconv-synth` generator of this folder's package, derives the same events as
JSON Lines, CSV and heapcol, then times every conversion that matters with the release binary, each a few
times, and prints the median: events/s, input and output MB/s, peak resident memory, output bytes per
event, and how many times the I/O floor (reading the input with cat, writing a file of the output's size)
it takes.

    Benchmarks/bench.py                       # 5 M events, 3 runs each
    Benchmarks/bench.py --events 1000000 --runs 5
    Benchmarks/bench.py --memory               # peak memory at 1 M and 10 M events (.etl -> JSON Lines, pprof, leaks, info)
    Benchmarks/bench.py --markdown >> Benchmarks/RESULTS.md
    Benchmarks/bench.py --instructions         # instructions per event (callgrind), 200 k events
    Benchmarks/bench.py --against OLD/heapconv # alternate an older build with this one, run by run

Not part of CI: it takes minutes and wants a quiet machine.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "Benchmarks")
WORK = os.path.join(HERE, "work")


def sh(args, **kw):
    subprocess.run(args, check=True, **kw)


def build():
    sh(["swift", "build", "-c", "release", "--product", "heapconv"], cwd=ROOT)
    sh(["swift", "build", "-c", "release", "--product", "heapconv-synth"], cwd=HERE)
    heapconv = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    synth = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=HERE,
                           capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(heapconv, "heapconv"), os.path.join(synth, "heapconv-synth")


def settle(target):
    """Removes the previous run's output and flushes dirty pages, so that no run pays for the writeback of
    the one before it (on this machine that alone varied a 1 GB write from 0.3 s to 1 s)."""
    if target and os.path.exists(target):
        os.remove(target)
    os.sync()


def measure(args, stdout=subprocess.DEVNULL, target=None):
    """Runs a command; returns (seconds, peak resident KiB) of that process alone."""
    settle(target)
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=stdout)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(args)}")
    return seconds, usage.ru_maxrss


def median_run(args, runs, stdout=subprocess.DEVNULL, target=None):
    results = [measure(args, stdout, target) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def io_floor(path, out_bytes, runs):
    """Seconds to read `path` with cat and to write `out_bytes` to a file."""
    read = statistics.median(measure(["cat", path], subprocess.DEVNULL)[0] for _ in range(runs))
    target = os.path.join(WORK, "floor.tmp")
    blocks = max(1, out_bytes // (1 << 20))
    write = statistics.median(
        measure(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={blocks}", "status=none"], target=target)[0]
        for _ in range(runs))
    os.remove(target)
    return read, write


def generate(synth, heapconv, events, compressed):
    os.makedirs(WORK, exist_ok=True)
    etl = os.path.join(WORK, f"trace-{events}.etl")
    if not os.path.exists(etl):
        sh([synth, "--events", str(events), "--cpus", "4", "--stack-every", "3", etl])
    files = {"etl": etl}
    if compressed:
        etlz = os.path.join(WORK, f"trace-{events}-compressed.etl")
        if not os.path.exists(etlz):
            sh([synth, "--events", str(events), "--cpus", "4", "--stack-every", "3", "--compressed", etlz])
        files["etl-compressed"] = etlz
    images = os.path.join(WORK, f"trace-{events}-images.etl")
    if not os.path.exists(images):
        sh([synth, "--events", str(events), "--cpus", "4", "--stack-every", "3", "--images", images])
    files["etl-images"] = images
    for fmt, ext in (("jsonl", "jsonl"), ("csv", "csv"), ("heapcol", "heapcol"), ("parquet", "parquet")):
        path = os.path.join(WORK, f"trace-{events}.{ext}")
        if not os.path.exists(path):
            sh([heapconv, "--quiet", etl, path])
        files[fmt] = path
    return files


def count_instructions(heapconv, synth, n):
    """Instructions per event of each conversion under callgrind: the work of every thread, which does not
    change with the machine's load the way wall-clock time does on a shared 2-core VM."""
    files = generate(synth, heapconv, n, False)
    out = lambda ext: os.path.join(WORK, "out." + ext)
    cases = [
        ("info .etl", ["info", files["etl"]]),
        ("info --facts .etl", ["info", "--facts", files["etl"]]),
        (".etl -> .jsonl", [files["etl"], out("jsonl")]),
        (".etl -> .csv", [files["etl"], out("csv")]),
        (".etl -> chrome .json", [files["etl"], out("json")]),
        (".etl -> .heapcol", [files["etl"], out("heapcol")]),
        (".jsonl -> .csv", [files["jsonl"], out("csv")]),
        (".csv -> .jsonl", [files["csv"], out("jsonl")]),
        (".heapcol -> .jsonl", [files["heapcol"], out("jsonl")]),
    ]
    print(f"{n:,} events, instructions per event (callgrind, all threads)")
    for name, args in cases:
        command = [heapconv] + (args if args[0] == "info" else ["--quiet"] + args)
        result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + command,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        collected = [line for line in result.stderr.splitlines() if "Collected :" in line]
        total = int(collected[-1].split(":")[-1].strip())
        print(f"{name:30} {total / n:8.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compressed", action="store_true", help="also time a trace with compressed buffers")
    parser.add_argument("--memory", action="store_true", help="peak memory of .etl -> JSON Lines at 1 M and 10 M events")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for RESULTS.md")
    parser.add_argument("--against", metavar="BINARY",
                        help="time another heapconv build the same way, alternating run by run, and print both")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per event under callgrind (all threads; steady where wall clock is not)")
    args = parser.parse_args()

    heapconv, synth = build()
    if args.memory:
        rows = []
        for n in (1_000_000, 10_000_000):
            files = generate(synth, heapconv, n, False)
            target = os.path.join(WORK, "out.jsonl")
            seconds, kib = median_run([heapconv, "--quiet", files["etl"], target], 1, target=target)
            rows.append((n, seconds, kib))
            # Analyses grow with the live blocks (a tenth of the events in this workload), not the events.
            profile = os.path.join(WORK, "out.pb.gz")
            for name, command, target in (("pprof", [heapconv, "--quiet", files["etl"], profile], profile),
                                          ("leaks", [heapconv, "leaks", files["etl"]], None),
                                          ("info", [heapconv, "info", files["etl"]], None)):
                seconds, kib = median_run(command, 1, target=target)
                print(f"{n:>11,} events  {name:15} {seconds:7.2f} s  peak {kib / 1024:7.1f} MiB")
        for n, seconds, kib in rows:
            print(f"{n:>11,} events  .etl -> .jsonl  {seconds:7.2f} s  peak {kib / 1024:7.1f} MiB")
        print(f"peak memory ratio 10 M / 1 M (.etl -> .jsonl): {rows[1][2] / rows[0][2]:.3f}")
        return

    if args.instructions:
        count_instructions(heapconv, synth, args.events if args.events != 5_000_000 else 200_000)
        return

    n = args.events
    files = generate(synth, heapconv, n, args.compressed)
    out = lambda ext: os.path.join(WORK, "out." + ext)
    cases = [
        ("info .etl", [heapconv, "info", "--json", files["etl"]], files["etl"], None),
        ("info --facts .etl", [heapconv, "info", "--facts", "--json", files["etl"]], files["etl"], None),
        (".etl -> .jsonl", [heapconv, "--quiet", files["etl"], out("jsonl")], files["etl"], out("jsonl")),
        (".etl -> .csv", [heapconv, "--quiet", files["etl"], out("csv")], files["etl"], out("csv")),
        (".etl -> chrome .json", [heapconv, "--quiet", files["etl"], out("json")], files["etl"], out("json")),
        (".etl -> .heapcol", [heapconv, "--quiet", files["etl"], out("heapcol")], files["etl"], out("heapcol")),
        (".etl -> .jsonl (file order)", [heapconv, "--quiet", "--file-order", files["etl"], out("jsonl")], files["etl"], out("jsonl")),
        (".etl -> .parquet", [heapconv, "--quiet", files["etl"], out("parquet")], files["etl"], out("parquet")),
        (".parquet -> .jsonl", [heapconv, "--quiet", files["parquet"], out("jsonl")], files["parquet"], out("jsonl")),
        (".etl -> pprof", [heapconv, "--quiet", files["etl"], out("pb.gz")], files["etl"], out("pb.gz")),
        ("leaks .etl", [heapconv, "leaks", files["etl"]], files["etl"], None),
        (".etl (images) -> .jsonl --frames", [heapconv, "--quiet", "--frames", files["etl-images"], out("jsonl")],
         files["etl-images"], out("jsonl")),
        (".etl (images) -> chrome .json", [heapconv, "--quiet", files["etl-images"], out("json")], files["etl-images"], out("json")),
        (".etl (images) -> pprof", [heapconv, "--quiet", files["etl-images"], out("pb.gz")], files["etl-images"], out("pb.gz")),
        (".jsonl -> .heapcol", [heapconv, "--quiet", files["jsonl"], out("heapcol")], files["jsonl"], out("heapcol")),
        (".jsonl -> .csv", [heapconv, "--quiet", files["jsonl"], out("csv")], files["jsonl"], out("csv")),
        (".csv -> .jsonl", [heapconv, "--quiet", files["csv"], out("jsonl")], files["csv"], out("jsonl")),
        (".heapcol -> .jsonl", [heapconv, "--quiet", files["heapcol"], out("jsonl")], files["heapcol"], out("jsonl")),
        (".jsonl -> .jsonl.gz", [heapconv, "--quiet", files["jsonl"], out("jsonl.gz")], files["jsonl"], out("jsonl.gz")),
    ]
    if "etl-compressed" in files:
        cases.insert(2, (".etl (compressed) -> .jsonl", [heapconv, "--quiet", files["etl-compressed"], out("jsonl")],
                         files["etl-compressed"], out("jsonl")))

    if args.against:
        print(f"{n:,} events, {args.runs} runs each alternating, median; speed-up = {args.against} / this build")
        for name, command, source, target in cases:
            sh(["cat", source], stdout=subprocess.DEVNULL)
            times = {"old": [], "new": []}
            if subprocess.run([args.against] + command[1:], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0:
                new = median_run(command, args.runs, target=target)[0]
                print(f"| {name} | (not in the older build) | {new:.2f} s ({n / new / 1e6:.2f} M/s) | |")
                continue
            for _ in range(args.runs):
                for key, binary in (("old", args.against), ("new", heapconv)):
                    times[key].append(measure([binary] + command[1:], target=target)[0])
            old, new = statistics.median(times["old"]), statistics.median(times["new"])
            print(f"| {name} | {old:.2f} s ({n / old / 1e6:.2f} M/s) | {new:.2f} s ({n / new / 1e6:.2f} M/s) | {old / new:.2f}× |")
        return

    rows = []
    for name, command, source, target in cases:
        sh(["cat", source], stdout=subprocess.DEVNULL)  # warm the page cache
        seconds, kib = median_run(command, args.runs, target=target)
        in_bytes = os.path.getsize(source)
        out_bytes = os.path.getsize(target) if target else 0
        read_floor, write_floor = io_floor(source, out_bytes, args.runs)
        floor = max(read_floor, write_floor if target else 0)
        rows.append((name, n / seconds, in_bytes / seconds / 1e6, out_bytes / seconds / 1e6, kib / 1024,
                     out_bytes / n if target else 0, seconds / floor if floor > 0 else 0, seconds))
        print(f"{name:30} {n / seconds / 1e6:6.2f} M ev/s  {seconds:6.2f} s", file=sys.stderr)

    # `info`'s target is stated in records (heap events plus stack and other records) per second.
    facts = subprocess.run([heapconv, "info", "--facts", "--json", files["etl"]], capture_output=True, text=True, check=True)
    records = int(re.search(r'"records":(\d+)', facts.stdout).group(1))
    record_rates = [f"{r[0]}: {records * r[1] / n / 1e6:.1f} M records/s" for r in rows if r[0].startswith("info")]
    head = ["conversion", "events/s", "in MB/s", "out MB/s", "peak MiB", "out B/event", "× I/O floor", "median s"]
    if args.markdown:
        print(f"\n{n:,} events, {args.runs} runs each, median; {time.strftime('%Y-%m-%d')}\n")
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print(f"| {r[0]} | {r[1] / 1e6:.2f} M | {r[2]:.0f} | {r[3]:.0f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:.2f} |")
        print(f"\n{records:,} records; " + "; ".join(record_rates))
    else:
        print(f"{n:,} events, {args.runs} runs each, median")
        print(f"{head[0]:30} {head[1]:>10} {head[2]:>8} {head[3]:>9} {head[4]:>9} {head[5]:>12} {head[6]:>12}")
        for r in rows:
            print(f"{r[0]:30} {r[1] / 1e6:9.2f}M {r[2]:8.0f} {r[3]:9.0f} {r[4]:9.1f} {r[5]:12.1f} {r[6]:12.1f}")
        print(f"{records:,} records; " + "; ".join(record_rates))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Builds every libFuzzer target (AddressSanitizer, coverage-instrumented) and runs each for SECONDS seconds,
# then prints one line per target: inputs run, inputs per second, coverage counters, crashes.
#
#   FuzzTesting/run.sh [SECONDS] [TARGET...]     # default 60 seconds, every target
#   FuzzTesting/run.sh 900 FuzzETLReader         # one target, 15 minutes
#   JOBS=2 FuzzTesting/run.sh 600                # two targets at a time (one per core)
#
# Corpora grow in FuzzTesting/corpus/TARGET (ignored by git), seeded from FuzzTesting/seeds and the .etl
# fixtures; a crashing input is saved in FuzzTesting/crashes/TARGET/ and the run of that target stops.
# Keep every crasher as a regression input in the tests (see README.md).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzETLReader FuzzXpressLZ77 FuzzHeapColReader FuzzCSVReader FuzzJSONLinesReader FuzzGzipSource FuzzParquetReader)
jobs=${JOBS:-1}

swift build -c release --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp >&2

seeds_of() {
    case "$1" in
        FuzzETLReader) echo etl ;;
        FuzzXpressLZ77) echo lz77 ;;
        FuzzHeapColReader) echo heapcol ;;
        FuzzCSVReader) echo csv ;;
        FuzzJSONLinesReader) echo jsonl ;;
        FuzzGzipSource) echo gzip ;;
        FuzzParquetReader) echo parquet ;;
        *) echo "unknown target $1" >&2; exit 64 ;;
    esac
}

prepare() {
    local target=$1 corpus=corpus/$1
    mkdir -p "$corpus" "crashes/$target"
    if [ "$(seeds_of "$target")" = etl ]; then
        # Each fixture in three modes: strict, --keep-going, --keep-going --file-order.
        for f in ../Tests/HeapConvTests/Fixtures/etl/*.etl; do
            for m in 0 1 3; do [ -e "$corpus/$m-$(basename "$f")" ] || (printf "\\x0$m"; cat "$f") > "$corpus/$m-$(basename "$f")"; done
        done
    else
        cp -n seeds/"$(seeds_of "$target")"/* "$corpus"/
    fi
}

run_one() {
    local target=$1 log=corpus/$1.log
    prepare "$target"
    local status=0
    .build/release/"$target" "corpus/$target" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="crashes/$target/" > "$log" 2>&1 || status=$?
    local runs rate cov crashes
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || echo "cov: ? ft: ?")
    crashes=$(find "crashes/$target" -type f | wc -l)
    printf '%-20s %10s inputs %7s/s  %-22s crashes: %s%s\n' "$target" "${runs:-0}" "${rate:-0}" "$cov" "$crashes" \
        "$([ "$status" -ne 0 ] && echo "  (exit $status, see FuzzTesting/$log)")"
}

printf '%-20s %17s %9s  %-22s\n' target runs rate coverage
pids=()
for target in "${targets[@]}"; do
    run_one "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait

#!/usr/bin/env python3
"""Checks a Parquet file heapconv wrote against the JSON Lines of the same events, with the real consumers.

Usage: parquet_check.py EVENTS.jsonl EVENTS.parquet

Written from Schemas/parquet.md, independently of heapconv's code: the JSON Lines are parsed with the
json module (exact integers), hex strings become unsigned integers, and every value is compared with
what pyarrow, DuckDB and polars read, after checking the types each of them reports. DuckDB's
parquet_metadata() statistics are checked per row group (min/max as unsigned for unsigned columns,
null counts). Prints "ok" and exits 0, or prints the first differences and exits 1.
"""
import json
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = ["event", "ts", "pid", "tid", "cpu", "state", "heap", "address", "size", "old_address", "old_size",
           "source", "flags", "opcode", "reserve_size", "commit_size", "allocated_size", "committed_size",
           "decommit_size", "free_space", "committed_space", "reserved_space", "large_ucr_space", "allocated_space",
           "no_of_ucrs", "free_list_length", "ucr_length", "process_id", "parent_pid", "session", "exit_status",
           "name", "command_line", "checksum", "timestamp", "pdb_name", "pdb_guid", "pdb_age", "pdb_kind", "stack"]
TEXT = {"event", "state", "source", "name", "command_line", "pdb_name", "pdb_guid", "pdb_kind"}
HEX = {"heap", "address", "old_address"}
U32 = {"pid", "tid", "cpu", "flags", "opcode", "no_of_ucrs", "free_list_length", "ucr_length", "process_id",
       "parent_pid", "session", "checksum", "timestamp", "pdb_age"}
I32 = {"exit_status"}

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)
        if len(problems) > 20:
            finish()


def finish():
    for p in problems[:20]:
        print(p)
    print("ok" if not problems else f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


def expected_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            row = {}
            for column in COLUMNS:
                value = record.get(column)
                if value is not None and column in HEX:
                    value = int(value, 16)
                if value is not None and column == "stack":
                    value = [int(frame, 16) for frame in value]
                row[column] = value
            rows.append(row)
    return rows


def compare(tool, rows, got):
    expect(len(got) == len(rows), f"{tool}: {len(got)} rows, expected {len(rows)}")
    for i, (want, have) in enumerate(zip(rows, got)):
        for column in COLUMNS:
            if want[column] != have[column]:
                expect(False, f"{tool}: row {i + 1} column {column}: {have[column]!r}, expected {want[column]!r}")


def check_pyarrow(path, rows):
    table = pq.read_table(path)
    schema = table.schema
    expect(schema.names == COLUMNS, f"pyarrow: columns {schema.names}")
    for column in COLUMNS:
        t = schema.field(column).type
        if column in TEXT:
            ok = t == pa.string()
        elif column == "ts":
            ok = t == pa.timestamp("ns", tz="UTC")
        elif column in U32:
            ok = t == pa.uint32()
        elif column in I32:
            ok = t == pa.int32()
        elif column == "stack":
            ok = pa.types.is_list(t) and t.value_type == pa.uint64()
        else:
            ok = t == pa.uint64()
        expect(ok, f"pyarrow: column {column} has type {t}")
    for column in ["event", "ts", "pid"]:
        expect(not schema.field(column).nullable, f"pyarrow: column {column} is nullable")
    table = table.set_column(COLUMNS.index("ts"), "ts", table.column("ts").cast(pa.int64()))
    compare("pyarrow", rows, table.to_pylist())


def check_duckdb(path, rows):
    types = dict((name, kind) for name, kind, *_ in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall())
    for column in COLUMNS:
        t = types.get(column)
        if column in TEXT:
            ok = t == "VARCHAR"
        elif column == "ts":
            ok = t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ_NS", "TIMESTAMP_NS WITH TIME ZONE")
        elif column in U32:
            ok = t == "UINTEGER"
        elif column in I32:
            ok = t == "INTEGER"
        elif column == "stack":
            ok = t == "UBIGINT[]"
        else:
            ok = t == "UBIGINT"
        expect(ok, f"duckdb: column {column} has type {t}")
    # The timestamp as nanoseconds: DuckDB's own TIMESTAMP_NS range is narrower than Int64, so compare
    # the rows whose time it can represent and count the others.
    select = ", ".join(f'"{c}"' if c != "ts" else "epoch_ns(ts) AS ts" for c in COLUMNS)
    inside = [r for r in rows if -9223286400000000000 < r["ts"] < 9223372036854775807]
    got = duckdb.sql(f"SELECT {select} FROM '{path}' WHERE epoch_ns(ts) > -9223286400000000000 "
                     f"AND epoch_ns(ts) < 9223372036854775807").fetchall()
    compare("duckdb", inside, [dict(zip(COLUMNS, r)) for r in got])
    # Statistics per row group, against the rows of that group.
    groups = pq.ParquetFile(path).metadata
    starts = [0]
    for g in range(groups.num_row_groups):
        starts.append(starts[-1] + groups.row_group(g).num_rows)
    meta = duckdb.sql(f"SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count "
                      f"FROM parquet_metadata('{path}')").fetchall()
    for group, column, low, high, nulls in meta:
        if column not in ("pid", "address", "size", "heap", "tid"):
            continue
        values = [r[column] for r in rows[starts[group]:starts[group + 1]]]
        present = [v for v in values if v is not None]
        expect(nulls == len(values) - len(present), f"duckdb: row group {group} {column} null count {nulls}")
        if present:
            expect((int(low), int(high)) == (min(present), max(present)),
                   f"duckdb: row group {group} {column} min/max {low}/{high}, expected {min(present)}/{max(present)}")


def check_polars(path, rows):
    df = pl.read_parquet(path)
    for column in COLUMNS:
        t = df.schema[column]
        if column in TEXT:
            ok = t == pl.String
        elif column == "ts":
            ok = t == pl.Datetime("ns", "UTC")
        elif column in U32:
            ok = t == pl.UInt32
        elif column in I32:
            ok = t == pl.Int32
        elif column == "stack":
            ok = t == pl.List(pl.UInt64)
        else:
            ok = t == pl.UInt64
        expect(ok, f"polars: column {column} has type {t}")
    df = df.with_columns(pl.col("ts").dt.epoch("ns").alias("ts"))
    compare("polars", rows, df.rows(named=True))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    rows = expected_rows(sys.argv[1])
    check_pyarrow(sys.argv[2], rows)
    check_duckdb(sys.argv[2], rows)
    check_polars(sys.argv[2], rows)
    finish()

#!/usr/bin/env python3
"""Validate every line of a JSON Lines file against a JSON Schema (2020-12).

Usage: validate_jsonl.py SCHEMA FILE. Prints one line per invalid line and exits 1 if any; needs the
`jsonschema` package (pip install jsonschema).
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
with open(sys.argv[2]) as f:
    for number, line in enumerate(f, 1):
        for error in validator.iter_errors(json.loads(line)):
            print(f"line {number}: {error.message}")
            bad += 1
print(f"{number if bad == 0 else bad} {'lines valid' if bad == 0 else 'errors'}")
sys.exit(1 if bad else 0)

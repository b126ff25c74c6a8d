#!/usr/bin/env python3
"""Compare what ptap saw with what a sample says it fired.

    events.py c-samples EXPECT PTAP_JSON [PROBE_GLOB]
        EXPECT: a C sample's --expect file, one JSON array per firing,
        ["provider:name", arg1, ...].  PTAP_JSON: `ptap trace --json`.
        Both are compared as multisets of [probe, args...] (thread order is
        not fixed); only ptap events whose probe matches PROBE_GLOB count.

    events.py python-calls EXPECT PTAP_JSON
        EXPECT: a Python sample's per-function rows {"function", "filename",
        "line", "calls"}; rows marked "before_ready" are skipped.  Counts
        python:function__entry events per (function, filename, line) and
        checks every expected row exactly.

Exit status 0 when equal; otherwise the differences are printed.
"""
import collections
import fnmatch
import json
import sys


def load_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [json.loads(line) for line in f if line.strip()]


def key(row):
    return json.dumps(row, sort_keys=True)


def report(missing, extra):
    for what, items in (("missing from ptap", missing), ("extra in ptap", extra)):
        if items:
            print(f"{sum(items.values())} {what}:")
            for k, n in list(items.items())[:12]:
                print(f"  {n} x {k}")


def c_samples(expect_path, ptap_path, glob="*"):
    want = collections.Counter(key(r) for r in load_lines(expect_path))
    got = collections.Counter()
    for ev in load_lines(ptap_path):
        if fnmatch.fnmatchcase(ev["probe"], glob):
            got[key([ev["probe"]] + ev["args"])] += 1
    print(f"expected {sum(want.values())} firings, ptap saw {sum(got.values())}")
    if want == got:
        return 0
    report(want - got, got - want)
    return 1


def python_calls(expect_path, ptap_path):
    rows = [r for r in load_lines(expect_path) if not r.get("before_ready")]
    got = collections.Counter()
    for ev in load_lines(ptap_path):
        if ev["probe"] == "python:function__entry":
            filename, function, line = ev["args"][:3]
            got[(function, filename, line)] += 1
    bad = 0
    for r in rows:
        k = (r["function"], r["filename"], r["line"])
        if got[k] != r["calls"]:
            print(f"{r['function']} {r['filename']}:{r['line']}: expected {r['calls']}, ptap saw {got[k]}")
            bad += 1
    print(f"{len(rows)} functions checked, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "c-samples":
        sys.exit(c_samples(*sys.argv[2:]))
    if mode == "python-calls":
        sys.exit(python_calls(*sys.argv[2:]))
    sys.exit(f"unknown mode {mode}")

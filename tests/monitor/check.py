#!/usr/bin/env python3
"""Compare `ptap monitor` output with what samples/python/monitor.py fired.

    check.py window EXPECT OUTPUT
        EXPECT: monitor.py's --expect file, one JSON array per marker
        firing from ["python:audit","ptap.begin"] to ["python:audit",
        "ptap.end"].  OUTPUT: `ptap monitor` text or --json.  ptap's events
        of the same window (the first ptap.begin to the next ptap.end) are
        turned into the same arrays and must be equal, in order.
    check.py summary EXPECT OUTPUT
        OUTPUT: `ptap monitor --summary --json` of a run that saw exactly
        the window (attached before ptap.begin, detached after ptap.end
        and before exit).  The total must be the window's figures (imports
        found, failed, collections per generation, objects collected and
        their average), and the interval rows must add up to it.
    check.py totals EXPECT
        Print the window's figures as the text total row shows them:
        "IMPORTS FAILED COLLECTIONS GEN0 GEN1 GEN2 COLLECTED AVERAGE".

Exit status 0 when equal; otherwise the differences are printed.
"""
import json
import re
import sys

# "  0.027149 python3.11(12543)    gc start       generation 0"
TEXT = re.compile(r"^\s*\S+ (\S+)\s+(gc start|gc done|import done|import failed|import|audit)"
                  r"\s+(.*)$")


def load_expect(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def from_json(o):
    kind = o["event"]
    if kind == "gc_start":
        return ["python:gc__start", o["generation"]]
    if kind == "gc_done":
        return ["python:gc__done", o["collected"]]
    if kind == "import_start":
        return ["python:import__find__load__start", o["module"]]
    if kind == "import_done":
        return ["python:import__find__load__done", o["module"], 1 if o["found"] else 0]
    return ["python:audit", o["name"]]


def from_text(m):
    what, detail = m.group(2), m.group(3)
    if what == "gc start":
        return ["python:gc__start", int(detail.split()[-1])]
    if what == "gc done":
        return ["python:gc__done", int(detail.split()[-1])]
    if what == "import":
        return ["python:import__find__load__start", detail]
    if what in ("import done", "import failed"):
        return ["python:import__find__load__done", detail, 1 if what == "import done" else 0]
    return ["python:audit", detail]


def load_output(path):
    rows = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("{"):
                o = json.loads(line)
                if "event" in o:
                    rows.append(from_json(o))
                continue
            m = TEXT.match(line)
            if m:
                rows.append(from_text(m))
    return rows


def window(rows):
    try:
        start = rows.index(["python:audit", "ptap.begin"])
        end = rows.index(["python:audit", "ptap.end"], start)
    except ValueError:
        return []
    return rows[start:end + 1]


def figures(expect):
    f = {"imports": 0, "import_failures": 0, "collections": 0, "generations": [0, 0, 0],
         "collected": 0, "audits": 0}
    for r in expect:
        if r[0] == "python:import__find__load__done":
            f["imports" if r[2] else "import_failures"] += 1
        elif r[0] == "python:gc__start":
            f["generations"][r[1]] += 1
        elif r[0] == "python:gc__done":
            f["collections"] += 1
            f["collected"] += r[1]
        elif r[0] == "python:audit":
            f["audits"] += 1
    f["average"] = f["collected"] / f["collections"] if f["collections"] else None
    return f


def mode_window(expect, output):
    got = window(load_output(output))
    bad = 0
    for i in range(max(len(got), len(expect))):
        g = got[i] if i < len(got) else None
        w = expect[i] if i < len(expect) else None
        if g != w:
            print(f"event {i}: ptap {g}, expected {w}")
            bad += 1
            if bad > 10:
                break
    print(f"{len(expect)} events expected, ptap showed {len(got)} in the window, {bad} wrong")
    return bad


def mode_summary(expect, output):
    want = figures(expect)
    with open(output, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    totals = [r for r in rows if r.get("summary") == "total"]
    intervals = [r for r in rows if r.get("summary") == "interval"]
    bad = 0
    if len(totals) != 1:
        print(f"{len(totals)} total rows")
        return 1
    total = totals[0]
    for k, v in want.items():
        # audit events also come just before and after the window (the
        # fifos and the expectations file are opened): at least the window's
        if k == "audits" and total[k] >= v:
            continue
        if total[k] != v:
            print(f"total {k}: ptap {total[k]}, expected {v}")
            bad += 1
    for k in ("imports", "import_failures", "collections", "collected", "audits"):
        s = sum(r[k] for r in intervals)
        if s != total[k]:
            print(f"intervals' {k} add up to {s}, total says {total[k]}")
            bad += 1
    gens = [sum(r["generations"][g] for r in intervals) for g in range(3)]
    if gens != total["generations"]:
        print(f"intervals' generations add up to {gens}, total says {total['generations']}")
        bad += 1
    print(f"total checked, {len(intervals)} interval rows add up, {bad} wrong")
    return bad


def mode_totals(expect):
    f = figures(expect)
    avg = "-" if f["average"] is None else "%.1f" % f["average"]
    print(f["imports"], f["import_failures"], f["collections"], *f["generations"],
          f["collected"], avg, f["audits"])
    return 0


def main():
    mode = sys.argv[1]
    expect = load_expect(sys.argv[2])
    if mode == "window":
        return mode_window(expect, sys.argv[3])
    if mode == "summary":
        return mode_summary(expect, sys.argv[3])
    if mode == "totals":
        return mode_totals(expect)
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(1 if main() else 0)

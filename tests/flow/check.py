#!/usr/bin/env python3
"""Compare `ptap flow` output with what samples/python/flow.py says it fires.

    check.py MODE EXPECT OUTPUT [ARGS...]

EXPECT is flow.py's --expect file: one object per event of flow.py's own
functions, {"tid_index", "kind", "function", "line"}, in order per thread.
OUTPUT is `ptap flow --json` (one object per line) or its text output (the
format is guessed per line).  Only events whose filename is flow.py's count
(ARGS may name it; default: any file ending in /flow.py), and <module> is
left out, as in the expectation.

Modes:
  tree     every thread's events equal the expectation in order, and each
           event's depth equals the depth of the thread's first event plus
           the nesting the expectation implies (entry at d then d+1, return
           back to d); threads are numbered by their first event.
  function NAME [MAX_DEPTH]
           what --function NAME [--max-depth N] must print: for each call of
           NAME not nested in another, its events from entry to matching
           return, depth counted from it (0), minus those MAX_DEPTH deep or
           deeper.  ptap's output must hold exactly these, with nothing from
           any other file.
  labels PID
           text output: the main thread is "EXE(PID)", others "PID:TID".
  calls    print each event as its CALLS column would read at depth d
           ("  " * d + "=> function in file:line"), for exact comparisons;
           EXPECT is not read (give "-").

Prints what differs; exit status 0 when equal.
"""
import json
import re
import sys

TEXT = re.compile(r"^ *(\d+) (\S+)( +)(=>|<=) (.*) in (.*):(-?\d+)$")
LABEL_WIDTH = 20      # ui/flow.c pads the WHO column to this


def parse_output(path):
    """(who, tid, depth, kind, function, filename, line) per event line."""
    events = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("{"):
                o = json.loads(line)
                events.append({"who": None, "tid": o["tid"], "pid": o["pid"],
                               "depth": o["depth"], "kind": o["kind"],
                               "function": o["function"], "filename": o["filename"],
                               "line": o["line"]})
                continue
            m = TEXT.match(line)
            if not m:
                continue            # the header
            who, pad = m.group(2), len(m.group(3))
            indent = pad - (max(0, LABEL_WIDTH - len(who)) + 1)
            if indent < 0 or indent % 2:
                raise SystemExit(f"bad indentation in: {line!r}")
            events.append({"who": who, "tid": who, "pid": None, "depth": indent // 2,
                           "kind": "entry" if m.group(4) == "=>" else "return",
                           "function": m.group(5), "filename": m.group(6),
                           "line": int(m.group(7))})
    return events


def load_expect(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ours(events, filename):
    def match(fn):
        return fn == filename if filename else (fn or "").endswith("/flow.py")
    return [e for e in events if match(e["filename"]) and e["function"] != "<module>"]


def by_thread(events):
    threads = {}
    for e in events:
        threads.setdefault(e["tid"], []).append(e)
    return list(threads.values())       # in order of first event


def nesting(rows):
    """The relative depth of each expected event."""
    depth, out = 0, []
    for r in rows:
        if r["kind"] == "entry":
            out.append(depth)
            depth += 1
        else:
            depth -= 1
            out.append(depth)
    return out


def show(e):
    return f'{e["kind"]} {e["function"]}:{e["line"]} depth {e["depth"]}'


def compare(got, want, label):
    bad = 0
    for i in range(max(len(got), len(want))):
        g = show(got[i]) if i < len(got) else "(nothing)"
        w = show(want[i]) if i < len(want) else "(nothing)"
        if g != w:
            print(f"{label} event {i}: got {g}, expected {w}")
            bad += 1
            if bad > 10:
                break
    return bad


def mode_tree(expect, events):
    threads = by_thread(events)
    plan = {}
    for r in expect:
        plan.setdefault(r["tid_index"], []).append(r)
    bad = 0
    if len(threads) != len(plan):
        print(f"{len(threads)} threads ran flow.py functions, expected {len(plan)}")
        bad += 1
    for index, rows in sorted(plan.items()):
        got = threads[index] if index < len(threads) else []
        base = got[0]["depth"] if got else 0
        want = [dict(r, depth=base + d) for r, d in zip(rows, nesting(rows))]
        bad += compare(got, want, f"thread {index}")
    print(f"{len(events)} events in {len(threads)} threads checked, {bad} wrong")
    return bad


def mode_function(expect, events, name, max_depth):
    want_all = []
    plan = {}
    for r in expect:
        plan.setdefault(r["tid_index"], []).append(r)
    for index, rows in sorted(plan.items()):
        depth, window = 0, None
        for r, d in zip(rows, nesting(rows)):
            if window is None and r["kind"] == "entry" and r["function"] == name:
                window = d
            if window is None:
                continue
            rel = d - window
            if r["kind"] == "return" and d == window:
                window = None
            if max_depth is None or rel < max_depth:
                want_all.append(dict(r, depth=rel, thread=index))
    bad = 0
    if len(ours(events, None)) != len(events):
        others = [e for e in events if e not in ours(events, None)]
        print(f"{len(others)} events from elsewhere, e.g. {show(others[0])} in {others[0]['filename']}")
        bad += 1
    # threads in order of their first event; the expectation's threads run one after another
    got = [e for t in by_thread(ours(events, None)) for e in t]
    bad += compare(got, want_all, f"--function {name}")
    print(f"{len(got)} events checked against {len(want_all)} expected, {bad} wrong")
    return bad


def mode_labels(events, pid):
    bad, seen = 0, set()
    for e in events:
        who = e["who"]
        if who is None or who in seen:
            continue
        seen.add(who)
        if not (who == f"python3.11({pid})" or re.fullmatch(rf"{pid}:\d+", who)):
            print(f"label {who!r} is neither python3.11({pid}) nor {pid}:TID")
            bad += 1
    if f"python3.11({pid})" not in seen or not any(":" in w for w in seen):
        print(f"labels seen: {sorted(seen)}")
        bad += 1
    return bad


def main():
    mode, expect_path, output = sys.argv[1:4]
    args = sys.argv[4:]
    events = parse_output(output)
    if mode == "tree":
        expect = load_expect(expect_path)
        return mode_tree(expect, ours(events, args[0] if args else None))
    if mode == "function":
        expect = load_expect(expect_path)
        return mode_function(expect, events, args[0], int(args[1]) if len(args) > 1 else None)
    if mode == "labels":
        return mode_labels(events, args[0])
    if mode == "calls":
        for e in events:
            arrow = "=>" if e["kind"] == "entry" else "<="
            print(f'{"  " * e["depth"]}{arrow} {e["function"]} in {e["filename"]}:{e["line"]}')
        return 0
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(1 if main() else 0)

#!/usr/bin/env python3
"""Read and check what `ptap top` prints, for tests/top/*.t.

    tables.py text|json|screen FILE CHECK [ARGS]

FILE is ptap top's batch output (text or --json), or a screen captured
with `tmux capture-pane -p` (one table).  CHECKs:

    count                  print "TABLES FINAL": tables, and final ones
    expect EXPECT [--last] [--pid PID]
                           the calls of every function in EXPECT (a
                           sample's expectation lines) summed over all
                           tables, or taken from the last table only,
                           equal the expected calls; prints the differences
    order                  every table lists its rows in the documented
                           order: calls desc, pid, filename, line, function
    events                 (json) each table's events equal the sum of its
                           rows' calls, when every matched row is shown
    times EXPECT [TOLERANCE]
                           the last table's calls of every function in
                           EXPECT (timing.py's lines) are exact, its own
                           and total times within TOLERANCE (0.15) of the
                           expected ones (in milliseconds)
    rows [N]               print the last table's first N rows as
                           "pid basename line function calls"
    sites PID              (FILE: ptap list --json of PID) print every probe
                           site's byte and every semaphore's value

Exit status 0 when the check holds, 1 otherwise (with the reason).
Screen rows may show shortened file names (".../dir/file.py"): they are
matched by their ending.
"""
import json
import os
import re
import struct
import sys


def unescape(s):
    return re.sub(r"\\(\\|x([0-9a-f]{2}))",
                  lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(2), 16)), s)


def parse_text(path):
    """Tables as dicts {final, rows: [(pid, filename, line, function, calls,
    own_ms, total_ms)]}, times None when not kept (--no-times)."""
    tables = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# "):
                tables.append({"final": line.startswith("# final "), "head": line, "rows": []})
            elif not line.strip() or line.split()[:2] == ["PID", "FILENAME"]:
                continue
            else:
                pid, filename, ln, function, calls, own, total = line.split()
                tables[-1]["rows"].append((int(pid), unescape(filename), int(ln),
                                           unescape(function), int(calls), ms(own), ms(total)))
    return tables


def ms(field):
    return None if field == "-" else float(field)


def parse_json(path):
    tables = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            for key in ("time", "interval", "rows", "events"):
                if key not in o:
                    raise SystemExit("a table without %r: %s" % (key, line[:200]))
            o["rows"] = [(r["pid"], r["filename"], r["line"], r["function"], r["calls"],
                          None if r["own_ns"] is None else r["own_ns"] / 1e6,
                          None if r["total_ns"] is None else r["total_ns"] / 1e6)
                         for r in o["rows"]]
            tables.append(o)
    return tables


def parse_screen(path):
    """The table of a captured screen: rows between the column titles and
    the first line that is not a row."""
    rows, inside, timed = [], False, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields[:5] == ["PID", "FILENAME", "LINE", "FUNCTION", "CALLS"]:
                inside = True
                timed = fields[5:7] == ["OWN", "TOTAL"]
                continue
            if not inside:
                continue
            if len(fields) < 5 or not fields[0].isdigit():
                break
            if re.fullmatch(r"[0-9]+\.[0-9]", fields[-1]):
                fields.pop()            # the % column, when there is room for it
            own = total = None
            if timed:
                total, own = fields.pop(), fields.pop()
            rows.append((int(fields[0]), " ".join(fields[1:-3]), int(fields[-3]), fields[-2],
                         int(fields[-1]), own, total))
    return [{"final": False, "rows": rows}]


def same_file(shown, real):
    """A screen may shorten a file name to .../tail."""
    if shown.startswith("..."):
        return real.endswith(shown[3:])
    return shown == real


def order_key(r):
    pid, filename, ln, function, calls = r[:5]
    return (-calls, pid, filename.encode("utf-8", "surrogateescape"), ln,
            function.encode("utf-8", "surrogateescape"))


def check_expect(tables, args):
    with open(args[0], encoding="utf-8") as f:
        expected = [json.loads(x) for x in f if x.strip()]
    last = "--last" in args
    pid = int(args[args.index("--pid") + 1]) if "--pid" in args else None
    use = tables[-1:] if last else tables
    bad = []
    for e in expected:
        got = 0
        for t in use:
            for r in t["rows"]:
                if (r[2] == e["line"] and r[3] == e["function"] and same_file(r[1], e["filename"])
                        and (pid is None or r[0] == pid)):
                    got += r[4]
        if got != e["calls"]:
            bad.append("%s:%d %s: got %d, expected %d" % (os.path.basename(e["filename"]),
                                                          e["line"], e["function"], got,
                                                          e["calls"]))
    for b in bad:
        print(b)
    if not bad:
        print("%d functions exact over %d table%s" % (len(expected), len(use),
                                                      "" if len(use) == 1 else "s"))
    return not bad


def check_times(tables, args):
    """Calls exact, own and total within a tolerance, from the last table."""
    with open(args[0], encoding="utf-8") as f:
        expected = [json.loads(x) for x in f if x.strip()]
    tol = float(args[1]) if len(args) > 1 else 0.15
    rows = {(r[1], r[2], r[3]): r for r in tables[-1]["rows"]}
    bad = []
    for e in expected:
        r = rows.get((e["filename"], e["line"], e["function"]))
        name = "%s:%d" % (e["function"], e["line"])
        if r is None:
            bad.append("%s: no row" % name)
            continue
        if r[4] != e["calls"]:
            bad.append("%s: %d calls, expected %d" % (name, r[4], e["calls"]))
        for what, got, want in (("own", r[5], e["own_ms"]), ("total", r[6], e["total_ms"])):
            if want is None:
                continue
            if got is None or abs(got - want) > tol * want:
                bad.append("%s: %s %s ms, expected %.3f" % (name, what, got, want))
    for b in bad:
        print(b)
    if not bad:
        print("%d functions: calls exact, times within %g%%" % (len(expected), tol * 100))
    return not bad


def check_order(tables):
    for i, t in enumerate(tables):
        keys = [order_key(r) for r in t["rows"]]
        if keys != sorted(keys):
            print("table %d is not in order" % (i + 1))
            return False
    print("%d tables in order" % len(tables))
    return True


def check_events(tables):
    for i, t in enumerate(tables):
        if t["matched"] == len(t["rows"]) and t["mode"] == "interval":
            s = sum(r[4] for r in t["rows"])
            if s != t["events"]:
                print("table %d: rows sum to %d, events %d" % (i + 1, s, t["events"]))
                return False
    print("events agree in %d tables" % len(tables))
    return True


def sites(path, pid):
    with open(path) as f:
        probes = json.load(f)
    out = set()
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        def read(addr, n):
            mem.seek(addr)
            return mem.read(n)
        for p in probes:
            if p.get("runtime_address"):
                a = int(p["runtime_address"], 16)
                out.add("site %#x %s %s:%s" % (a, read(a, 1).hex(), p["provider"], p["name"]))
            if p.get("runtime_semaphore"):
                s = int(p["runtime_semaphore"], 16)
                out.add("sem %#x %d" % (s, struct.unpack("<H", read(s, 2))[0]))
    for line in sorted(out):
        print(line)
    return bool(out)


def main():
    kind, path, check = sys.argv[1:4]
    args = sys.argv[4:]
    if check == "sites":
        return sites(path, int(args[0]))
    tables = {"text": parse_text, "json": parse_json, "screen": parse_screen}[kind](path)
    if check == "count":
        print(len(tables), sum(1 for t in tables if t["final"]))
        return True
    if not tables:
        print("no table")
        return False
    if check == "expect":
        return check_expect(tables, args)
    if check == "order":
        return check_order(tables)
    if check == "times":
        return check_times(tables, args)
    if check == "events":
        return check_events(tables)
    if check == "rows":
        n = int(args[0]) if args else None
        for r in tables[-1]["rows"][:n]:
            print(r[0], os.path.basename(r[1]), r[2], r[3], r[4])
        return True
    raise SystemExit("unknown check " + check)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

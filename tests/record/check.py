#!/usr/bin/env python3
"""Read what `ptap record` writes, in each format, and check it.

    check.py FORMAT FILE CHECK [ARGS]

FORMAT is flamegraph, folded, speedscope, chrome, or top (ptap top
--json --cumulative: its last table).  Every format is turned into the
same figures per frame (function, file, line): calls, own time and total
time in ms, a recursion counted once per thread (see frames()).  CHECKs:

    valid                 the file parses and is well formed for its
                          format (speedscope: the schema's rules and
                          balanced, ordered events per profile; chrome:
                          complete events; SVG: XML with its frames)
    times EXPECT [TOL]    every function of EXPECT (timing.py's lines):
                          calls exact (not for folded, which has none),
                          own and total within TOL (0.15) of the expected
    frames EXPECT         print "function line calls" for every function of
                          EXPECT, sorted (to compare formats with each
                          other)
    png PNG               (no FILE check) PNG is a screenshot that is not
                          blank: many colours, most of them warm
    dom DOM NAME...       DOM (chromium --dump-dom) has frames named NAME

Exit status 0 when the check holds, 1 otherwise (with the reason).
"""
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
UNITS = ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")


class Figures:
    """calls, own and total (ms) per frame key (function, file, line)."""

    def __init__(self):
        self.calls, self.own, self.total = {}, {}, {}

    def add(self, key, calls=0, own=0.0, total=0.0):
        self.calls[key] = self.calls.get(key, 0) + calls
        self.own[key] = self.own.get(key, 0.0) + own
        self.total[key] = self.total.get(key, 0.0) + total


def from_intervals(fig, spans):
    """spans: (start, end, key) of one thread, in ms.  Nested by time."""
    spans.sort(key=lambda s: (s[0], -s[1]))     # stable: ties keep their order
    stack = []                  # [start, end, key, children's time]

    def close():
        start, end, key, inner = stack.pop()
        outer = all(s[2] != key for s in stack)
        fig.add(key, 1, end - start - inner, (end - start) if outer else 0.0)
        if stack:
            stack[-1][3] += end - start

    for start, end, key in spans:
        while stack and stack[-1][1] <= start:
            close()
        stack.append([start, end, key, 0.0])
    while stack:
        close()


def parse_chrome(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    threads = {}
    for e in doc["traceEvents"]:
        if e["ph"] == "M":
            continue
        if e["ph"] != "X":
            raise ValueError("not a complete event: %r" % e)
        key = (e["name"], e["args"]["file"], e["args"]["line"])
        # whole ns, so that a frame that ends as the next one starts
        # does not seem to hold it
        start = round(e["ts"] * 1000)
        threads.setdefault((e["pid"], e["tid"]), []).append(
            (start / 1e6, (start + round(e["dur"] * 1000)) / 1e6, key))
    fig = Figures()
    for spans in threads.values():
        from_intervals(fig, spans)
    return fig, doc


def check_speedscope(doc):
    """The schema's rules (required keys, types, enums), then what the
    importer needs: each profile's events in time order, balanced."""
    assert doc.get("$schema") == SCHEMA, "$schema"
    frames = doc["shared"]["frames"]
    assert isinstance(frames, list)
    for fr in frames:
        assert isinstance(fr["name"], str)
        assert isinstance(fr.get("file", ""), str)
        assert isinstance(fr.get("line", 0), (int, float))
    assert isinstance(doc["profiles"], list) and doc["profiles"]
    for key in ("name", "exporter"):
        assert isinstance(doc.get(key, ""), str)
    assert isinstance(doc.get("activeProfileIndex", 0), int)
    for p in doc["profiles"]:
        assert p["type"] == "evented", p["type"]
        assert isinstance(p["name"], str)
        assert p["unit"] in UNITS
        assert isinstance(p["startValue"], (int, float)) and isinstance(p["endValue"], (int, float))
        stack, last = [], p["startValue"]
        for ev in p["events"]:
            assert ev["type"] in ("O", "C"), ev
            assert isinstance(ev["frame"], int) and 0 <= ev["frame"] < len(frames), ev
            assert isinstance(ev["at"], (int, float)) and ev["at"] >= last, (ev, last)
            last = ev["at"]
            if ev["type"] == "O":
                stack.append(ev["frame"])
            else:
                assert stack and stack[-1] == ev["frame"], ("closing", ev, stack[-1:])
                stack.pop()
        assert not stack, "frames left open in %s" % p["name"]
        assert last <= p["endValue"], (last, p["endValue"])


def parse_speedscope(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check_speedscope(doc)
    frames = doc["shared"]["frames"]
    scale = {"nanoseconds": 1e-6, "microseconds": 1e-3, "milliseconds": 1.0, "seconds": 1e3}
    fig = Figures()
    for p in doc["profiles"]:
        k, spans, stack = scale[p["unit"]], [], []
        for ev in p["events"]:
            if ev["type"] == "O":
                stack.append(ev["at"])
            else:
                fr = frames[ev["frame"]]
                spans.append((stack.pop() * k, ev["at"] * k, (fr["name"], fr["file"], fr["line"])))
        from_intervals(fig, spans)
    return fig, doc


FRAME = re.compile(r"^(.*) \((.*):(-?[0-9]+)\)$")


def frame_key(label):
    m = FRAME.match(label)
    if not m:
        raise ValueError("not 'function (file:line)': %r" % label)
    return (m.group(1), m.group(2), int(m.group(3)))


def parse_folded(path):
    fig = Figures()
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            stack, _, us = line.rstrip("\n").rpartition(" ")
            ms = int(us) / 1e3
            keys = [frame_key(x) for x in stack.split(";")]
            fig.add(keys[-1], 0, ms, 0.0)
            for key in set(keys):
                fig.add(key, 0, 0.0, ms)
    return fig, None


TITLE = re.compile(r"^(.*): total ([0-9.]+) ms \([0-9.]+%\), own ([0-9.]+) ms, ([0-9]+) calls?$")


def parse_flamegraph(path):
    """Nodes from the SVG's groups; a node's parent is the one a level down
    whose span holds it."""
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()
    nodes = []
    for g in root.iter(ns + "g"):
        if g.get("class") != "f":
            continue
        m = TITLE.match(g.find(ns + "title").text)
        label = m.group(1)
        key = None if label == "all" else frame_key(label)
        nodes.append({"l": int(g.get("data-l")), "t": int(g.get("data-t")),
                      "d": int(g.get("data-d")), "key": key, "own": float(m.group(3)),
                      "total": float(m.group(2)), "calls": int(m.group(4)),
                      "name": g.get("data-n")})
    by_depth = {}
    for n in nodes:
        by_depth.setdefault(n["d"], []).append(n)
    fig = Figures()
    for n in nodes:
        if n["key"] is None:
            continue
        chain, cur = [], n
        while cur["d"] > 1:
            cur = next(p for p in by_depth[cur["d"] - 1]
                       if p["l"] <= cur["l"] and cur["l"] + cur["t"] <= p["l"] + p["t"])
            chain.append(cur["key"])
        fig.add(n["key"], n["calls"], n["own"], 0.0 if n["key"] in chain else n["total"])
    return fig, nodes


def parse_top(path):
    with open(path, encoding="utf-8") as f:
        last = [json.loads(x) for x in f if x.strip()][-1]
    fig = Figures()
    for r in last["rows"]:
        fig.add((r["function"], r["filename"], r["line"]), r["calls"], r["own_ns"] / 1e6,
                r["total_ns"] / 1e6)
    return fig, last


PARSERS = {"chrome": parse_chrome, "speedscope": parse_speedscope, "folded": parse_folded,
           "flamegraph": parse_flamegraph, "top": parse_top}


def check_times(fmt, fig, args):
    with open(args[0], encoding="utf-8") as f:
        expected = [json.loads(x) for x in f if x.strip()]
    tol = float(args[1]) if len(args) > 1 else 0.15
    bad = []
    for e in expected:
        key = (e["function"], e["filename"], e["line"])
        name = "%s:%d" % (e["function"], e["line"])
        if key not in fig.own:
            bad.append("%s: not found" % name)
            continue
        if fmt != "folded" and fig.calls[key] != e["calls"]:
            bad.append("%s: %d calls, expected %d" % (name, fig.calls[key], e["calls"]))
        for what, got, want in (("own", fig.own[key], e["own_ms"]),
                                ("total", fig.total[key], e["total_ms"])):
            if want is not None and abs(got - want) > tol * want:
                bad.append("%s: %s %.3f ms, expected %.3f" % (name, what, got, want))
    for b in bad:
        print(b)
    if not bad:
        print("%d functions: %stimes within %g%%" % (
            len(expected), "" if fmt == "folded" else "calls exact, ", tol * 100))
    return not bad


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "8-bit RGB(A) only"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = png_pixels(path)
    colours, warm = set(), 0
    for y in range(0, h, 2):
        row = rows[y]
        for x in range(0, w, 2):
            r, g, b = row[x * bpp:x * bpp + 3]
            colours.add((r, g, b))
            if r >= 200 and b <= 80 and g < 235:
                warm += 1
    print("%dx%d, %d colours, %d warm pixels (of %d sampled)" % (w, h, len(colours), warm,
                                                                 (w // 2) * (h // 2)))
    return len(colours) > 20 and warm > 1000


def check_dom(path, names):
    with open(path, encoding="utf-8") as f:
        dom = f.read()
    found = set(re.findall(r'<g class="f"[^>]* data-n="([^"]*)"', dom))
    missing = [n for n in names if n not in found]
    print("%d frames in the DOM%s" % (len(found), "; missing: " + " ".join(missing) if missing else ""))
    return not missing


def main():
    fmt, path, check = sys.argv[1:4]
    args = sys.argv[4:]
    if check == "png":
        return check_png(args[0])
    if check == "dom":
        return check_dom(args[0], args[1:])
    try:
        fig, doc = PARSERS[fmt](path)
    except (ValueError, KeyError, AssertionError, StopIteration, ET.ParseError,
            json.JSONDecodeError) as e:
        print("%s: not a valid %s file: %r" % (path, fmt, e))
        return False
    if check == "valid":
        print("valid %s: %d frames" % (fmt, len(fig.own)))
        return bool(fig.own)
    if check == "times":
        return check_times(fmt, fig, args)
    if check == "frames":
        with open(args[0], encoding="utf-8") as f:
            want = [json.loads(x) for x in f if x.strip()]
        for key in sorted((e["function"], e["filename"], e["line"]) for e in want):
            print(key[0], key[2], fig.calls.get(key, 0) if fmt != "folded" else "-")
        return True
    raise SystemExit("unknown check " + check)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

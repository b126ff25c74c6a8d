#!/usr/bin/env python3
"""Check the native stacks of `ptap trace --stack --json` / `ptap monitor
--stack --json` against independent oracles.

    check.py symbols OUTPUT
        Every frame against readelf: a named frame's function must be a
        symbol of its module (its .symtab, .dynsym, or the .symtab of its
        build-id debug file under /usr/lib/debug) that contains the looked-up
        address (the probe site for frame 0, the return address - 1 for
        callers), once the module's load bias is known; the bias must be the
        same for every frame of a module within an event, 0 for an ET_EXEC
        file and page-aligned for an ET_DYN one.  Frame 0 must be the site
        of the event's probe as `readelf -n` gives it, plus that bias.
    check.py chain OUTPUT PROBE PATTERN...
        Every event of PROBE ("provider:name"; monitor output: its event
        name, e.g. gc_start) has frames whose functions match the PATTERNs
        in order from frame 0 (fnmatch globs; "a|b" for either; "?" alone
        for an unnamed frame); a pattern "..." skips any frames up to the
        next pattern, which must then appear.
    check.py operands OUTPUT
        operands.c: each probe fires from its own fire_* function, called
        by fire_sequence (which sample_run or worker_main called).
    check.py window OUTPUT
        monitor output: keep the events from the audit event ptap.begin
        to ptap.end (printed as JSON lines, for chain and pcs).
    check.py pcs OUTPUT MODULE
        Print the pcs of the frames in MODULE of each event, one event per
        line (to compare two runs of the same non-PIE code).
    check.py depth OUTPUT N
        No event has more than N frames, and at least one has exactly N.

Exit status 0 when everything holds; otherwise what does not is printed.
"""
import fnmatch
import functools
import json
import os
import re
import subprocess
import sys

DEBUG_DIR = "/usr/lib/debug"


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def probe_of(ev):
    return ev.get("probe") or ev.get("event")


@functools.lru_cache(maxsize=None)
def elf_type(path):
    out = subprocess.run(["readelf", "-hW", path], capture_output=True, text=True).stdout
    m = re.search(r"Type:\s+(\S+)", out)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=None)
def debug_file(path):
    out = subprocess.run(["readelf", "-nW", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if not m:
        return None
    bid = m.group(1)
    f = f"{DEBUG_DIR}/.build-id/{bid[:2]}/{bid[2:]}.debug"
    return f if os.path.exists(f) else None


@functools.lru_cache(maxsize=None)
def symbols(path):
    """name -> [(value, size)] from the file and its debug file."""
    table = {}
    files = [path] + ([debug_file(path)] if debug_file(path) else [])
    for f in files:
        out = subprocess.run(["readelf", "-sW", f], capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) < 8 or not p[0][:-1].isdigit() or p[6] == "UND":
                continue
            name = p[7].split("@")[0]
            table.setdefault(name, set()).add((int(p[1], 16), int(p[2], 0)))
    return table


@functools.lru_cache(maxsize=None)
def sites(path):
    """provider:name -> set of link-time site addresses, from readelf -n."""
    out = subprocess.run(["readelf", "-nW", path], capture_output=True, text=True).stdout
    res, prov, name = {}, None, None
    for line in out.splitlines():
        # with -W a note's header and its "Provider:" share a line
        m = re.search(r"Provider: (\S+)", line)
        if m:
            prov = m.group(1)
        m = re.search(r"Name: (\S+)", line)
        if m:
            name = m.group(1)
        m = re.search(r"Location: (0x[0-9a-f]+)", line)
        if m:
            res.setdefault(f"{prov}:{name}", set()).add(int(m.group(1), 16))
    return res


def frame_biases(fr, index):
    """The load biases under which fr's function contains its address."""
    pc = int(fr["pc"], 16)
    lookup = pc if index == 0 else pc - 1
    out = set()
    for value, size in symbols(fr["module"]).get(fr["function"], ()):
        bias = pc - fr["offset"] - value
        if size == 0 or value <= lookup - bias < value + size:
            out.add(bias)
    return out


def mode_symbols(events):
    bad = checked = 0
    for n, ev in enumerate(events):
        per_module = {}
        for i, fr in enumerate(ev.get("stack", [])):
            mod = fr["module"]
            if not fr["function"] or not mod or not mod.startswith("/"):
                continue
            b = frame_biases(fr, i)
            checked += 1
            if not b:
                print(f"event {n} frame {i}: {fr['function']}+{fr['offset']} at {fr['pc']} "
                      f"is not within that symbol of {mod}")
                bad += 1
                continue
            per_module[mod] = per_module.get(mod, b) & b
        for mod, b in per_module.items():
            kind = elf_type(mod)
            ok = [x for x in b if (x == 0 if kind == "EXEC" else x % 4096 == 0)]
            if not ok:
                print(f"event {n}: no load bias of {mod} fits every frame ({sorted(b)})")
                bad += 1
                continue
            f0 = ev["stack"][0]
            if f0["module"] == mod and "probe" in ev:
                site = int(f0["pc"], 16) - ok[0]
                if site not in sites(mod).get(ev["probe"], set()):
                    print(f"event {n}: frame 0 at {f0['pc']} is not a site of {ev['probe']} "
                          f"in {mod} (bias {ok[0]:#x})")
                    bad += 1
        if bad > 10:
            break
    print(f"{checked} named frames of {len(events)} events checked, {bad} wrong")
    return bad


def matches(pattern, fr):
    name = fr["function"]
    if pattern == "?":
        return name is None
    return name is not None and any(fnmatch.fnmatchcase(name, p) for p in pattern.split("|"))


def chain_ok(patterns, frames):
    i = 0
    skip = False
    for p in patterns:
        if p == "...":
            skip = True
            continue
        while skip and i < len(frames) and not matches(p, frames[i]):
            i += 1
        if i >= len(frames) or not matches(p, frames[i]):
            return False
        i += 1
        skip = False
    return True


def names(frames):
    return " ".join(f["function"] or "??" for f in frames)


def mode_chain(events, probe, patterns):
    evs = [e for e in events if probe_of(e) == probe]
    bad = 0
    for e in evs:
        if not chain_ok(patterns, e.get("stack", [])):
            print(f"{probe}: {names(e.get('stack', []))}")
            bad += 1
            if bad > 5:
                break
    if not evs:
        print(f"no {probe} event")
        return 1
    print(f"{len(evs)} {probe} stacks checked, {bad} wrong")
    return bad


OPERANDS = {
    "loop": "fire_loop", "noargs": "fire_noargs", "signed_regs": "fire_signed",
    "unsigned_regs": "fire_unsigned", "narrow_regs": "fire_narrow", "consts": "fire_consts",
    "consts2": "fire_consts", "strings": "fire_string", "long_string": "fire_long_string",
    "pointers": "fire_pointers", "struct_fields": "fire_struct", "stack_fields": "fire_stack",
    "indexed": "fire_indexed", "globals": "fire_counter", "floats": "fire_floats",
    "xmm_regs": "fire_xmm", "twelve": "fire_twelve", "twelve_o0": "fire_twelve_o0",
    "twin": "fire_twin_a|fire_twin_b",
}


def mode_operands(events):
    bad = 0
    for e in events:
        name = e["probe"].split(":", 1)[1]
        want = [OPERANDS.get(name, "(unknown probe)"), "fire_sequence", "sample_run|worker_main"]
        if not chain_ok(want, e["stack"]):
            print(f"{e['probe']}: {names(e['stack'])}")
            bad += 1
            if bad > 5:
                break
    print(f"{len(events)} stacks checked, {bad} wrong")
    return bad


def mode_window(events):
    out, on = [], False
    for e in events:
        if e.get("event") == "audit" and e.get("name") == "ptap.begin":
            on = True
        if on:
            out.append(e)
        if e.get("event") == "audit" and e.get("name") == "ptap.end":
            break
    for e in out:
        print(json.dumps(e, separators=(",", ":")))
    return 0 if out else 1


def mode_pcs(events, module):
    for e in events:
        print(" ".join(f["pc"] for f in e.get("stack", []) if f["module"] == module))
    return 0


def mode_depth(events, n):
    most = max((len(e.get("stack", [])) for e in events), default=0)
    print(f"deepest stack: {most} frames")
    return 0 if most == n else 1


def main():
    mode, path = sys.argv[1], sys.argv[2]
    events = load(path)
    if mode == "symbols":
        return mode_symbols(events)
    if mode == "chain":
        return mode_chain(events, sys.argv[3], sys.argv[4:])
    if mode == "operands":
        return mode_operands(events)
    if mode == "window":
        return mode_window(events)
    if mode == "pcs":
        return mode_pcs(events, sys.argv[3])
    if mode == "depth":
        return mode_depth(events, int(sys.argv[3]))
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(1 if main() else 0)

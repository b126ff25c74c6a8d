#!/usr/bin/python3
"""Test oracle for `ptap list`: what binutils and /proc say, in one form.

    readelf_notes.py notes FILE         the stapsdt notes as readelf -n shows them
    readelf_notes.py json < LIST.json   the same fields from `ptap list --json`
    readelf_notes.py runtime PID < LIST.json
                                        check every runtime address in ptap's
                                        JSON against /proc/PID/maps

`notes` and `json` print one line per probe location, in note order:
    provider:name ADDRESS SEMAPHORE|none ARG ARG ...
so that the two can be compared with diff.  `notes` applies the prelink
correction itself (readelf prints the note's raw fields) from the address
of .stapsdt.base in `readelf -S`.

`runtime` recomputes each address independently of ptap: the PT_LOAD
segments from `readelf -l` turn a link-time address into a file offset,
and the mapping of the same device and inode in /proc/PID/maps that covers
that offset gives start - map_offset + file_offset.  It prints one line
per mismatch and "checked N addresses"; exit status 1 on any mismatch.
"""
import json
import os
import re
import subprocess
import sys


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          env=dict(os.environ, LC_ALL="C")).stdout


def stapsdt_base(path):
    for line in run("readelf", "-S", "-W", path).splitlines():
        m = re.search(r"\]\s+\.stapsdt\.base\s+\S+\s+([0-9a-f]+)", line)
        if m:
            return int(m.group(1), 16)
    return None


def notes(path):
    base_addr = stapsdt_base(path)
    out, cur = [], None
    for line in run("readelf", "-n", path).splitlines():
        s = line.strip()
        if "NT_STAPSDT" in s:
            cur = {}
            out.append(cur)
        elif cur is None:
            continue
        elif s.startswith("Provider: "):
            cur["provider"] = s[len("Provider: "):]
        elif s.startswith("Name: "):
            cur["name"] = s[len("Name: "):]
        elif s.startswith("Location: "):
            m = re.match(r"Location: (0x[0-9a-f]+), Base: (0x[0-9a-f]+), "
                         r"Semaphore: (0x[0-9a-f]+)", s)
            pc, base, sem = (int(x, 16) for x in m.groups())
            if base_addr is not None and base != 0:
                delta = base_addr - base
                pc = (pc + delta) % 2**64
                if sem:
                    sem = (sem + delta) % 2**64
            cur["pc"], cur["sem"] = pc, sem
        elif line.startswith("    Arguments:"):
            cur["args"] = line[len("    Arguments:"):].split()
            cur = None
    for n in out:
        print(f"{n['provider']}:{n['name']} {n['pc']:#x} "
              f"{'none' if not n['sem'] else hex(n['sem'])} {' '.join(n['args'])}".rstrip())


def from_json():
    for p in json.load(sys.stdin):
        sem = int(p["semaphore"], 16) if p["semaphore"] is not None else 0
        args = " ".join(a["spec"] for a in p["args"])
        print(f"{p['provider']}:{p['name']} {int(p['address'], 16):#x} "
              f"{'none' if not sem else hex(sem)} {args}".rstrip())


def segments(path):
    segs = []
    for line in run("readelf", "-l", "-W", path).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            off, vaddr, _, filesz, memsz = (int(x, 16) for x in f[1:6])
            segs.append((vaddr, memsz, off, filesz))
    return segs


def to_offset(segs, v):
    for vaddr, memsz, off, filesz in segs:
        if vaddr <= v < vaddr + min(memsz, filesz):
            return v - vaddr + off
    return None


def maps_of(pid):
    rows = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split(maxsplit=5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            major, minor = (int(x, 16) for x in fields[3].split(":"))
            rows.append((start, end, int(fields[2], 16), os.makedev(major, minor),
                         int(fields[4])))
    return rows


def runtime(pid):
    maps = maps_of(pid)
    checked = bad = 0
    cache = {}
    for p in json.load(sys.stdin):
        path = p["module"]
        if path not in cache:
            real = f"/proc/{pid}/root{path}"
            st = os.stat(real)
            cache[path] = (segments(real), st.st_dev, st.st_ino)
        segs, dev, ino = cache[path]
        pairs = [("runtime_address", int(p["address"], 16))]
        if p["semaphore"] is not None:
            pairs.append(("runtime_semaphore", int(p["semaphore"], 16)))
        for key, v in pairs:
            off = to_offset(segs, v)
            want = None
            for start, end, moff, mdev, mino in maps:
                if (mdev, mino) == (dev, ino) and off is not None and \
                        moff <= off < moff + (end - start):
                    want = start - moff + off
                    break
            got = int(p[key], 16) if p.get(key) is not None else None
            checked += 1
            if got != want:
                bad += 1
                print(f"{path} {p['provider']}:{p['name']} {key}: ptap "
                      f"{hex(got) if got is not None else None}, maps say "
                      f"{hex(want) if want is not None else None}")
    print(f"checked {checked} addresses")
    return 1 if bad or not checked else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "notes":
        notes(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "json":
        from_json()
    elif len(sys.argv) == 3 and sys.argv[1] == "runtime":
        return runtime(int(sys.argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Print what a process holds at every stapsdt site and semaphore.

    ptap list -p PID --json | snapshot.py PID

One line per probe site ("site ADDR BYTE provider:name module") and per
distinct semaphore ("sem ADDR VALUE"), read from /proc/PID/mem.  Taken
before and after tracing, two snapshots must be identical: every int3
gone, every semaphore back to its value.
"""
import json
import struct
import sys


def main():
    pid = int(sys.argv[1])
    probes = json.load(sys.stdin)
    lines = set()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        def read(addr, n):
            mem.seek(addr)
            return mem.read(n)
        for p in probes:
            if p.get("runtime_address"):
                a = int(p["runtime_address"], 16)
                lines.add(f"site {a:#x} {read(a, 1).hex()} {p['provider']}:{p['name']} {p['module']}")
            if p.get("runtime_semaphore"):
                s = int(p["runtime_semaphore"], 16)
                lines.add(f"sem {s:#x} {struct.unpack('<H', read(s, 2))[0]}")
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()

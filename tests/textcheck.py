#!/usr/bin/env python3
"""Check that a process's code is byte-identical to its files.

    textcheck.py PID

For every executable mapping of a regular file, compare the process's
memory with the file's bytes at the mapping's offset (through
/proc/PID/root, checked to be the mapped inode).  Prints one line per
mismatching byte ("mismatch ADDR mem=XX file=YY PATH") and "clean N" with
the number of bytes compared.  A leftover int3 anywhere (probe site, hook)
shows up here.  Exit status 0 when clean.
"""
import os
import sys


def main():
    pid = int(sys.argv[1])
    root = f"/proc/{pid}/root"
    compared = bad = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            parts = line.split(maxsplit=5)
            if len(parts) < 6 or "x" not in parts[1] or not parts[5].startswith("/"):
                continue
            path = parts[5].rstrip("\n")
            if path.endswith(" (deleted)"):
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            offset = int(parts[2], 16)
            inode = int(parts[4])
            try:
                fd = os.open(root + path, os.O_RDONLY)
            except OSError:
                continue
            try:
                if os.fstat(fd).st_ino != inode:
                    continue
                size = end - start
                file_bytes = os.pread(fd, size, offset)
                mem.seek(start)
                mem_bytes = mem.read(len(file_bytes))
            finally:
                os.close(fd)
            compared += len(mem_bytes)
            if mem_bytes != file_bytes:
                for i, (a, b) in enumerate(zip(mem_bytes, file_bytes)):
                    if a != b:
                        bad += 1
                        if bad <= 20:
                            print(f"mismatch {start + i:#x} mem={a:02x} file={b:02x} {path}")
    print(f"clean {compared}" if not bad else f"{bad} bytes differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

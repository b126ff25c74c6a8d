#!/usr/bin/python3.11
"""latecomer: a Python that waits until a tracer has armed it, then calls.

    /usr/bin/python3.11 latecomer.py [--calls N] [--ready FIFO]
                                     [--expect FILE] [--linger FIFO]

For the whole-system mode, which finds a process by scanning /proc: this
one is started after the tracer and nobody tells it when it is traced.
It finds the runtime address of its own python:function__entry semaphore
(the stapsdt note of its executable, the PT_LOAD that holds it, and the
mapping of that file in /proc/self/maps), writes "ready PID" into the
--ready fifo, and polls the 2-byte counter until it is raised.  A tracer
raises that semaphore after arming function__entry's site (and after the
line semaphore CPython 3.11 also needs, whose note comes first), so from
then on every call is seen.  Then it calls counted() exactly N times
(default 777), writes the expectation, and lingers if asked.

The polling loop makes no Python-level call (ctypes reads the counter,
time.sleep is a builtin), so nothing but counted() runs in this file
after the semaphore is up.
"""
import ctypes
import os
import struct
import time

import ptap_sample


def stapsdt_semaphore(path, provider, name):
    """Link-time address of provider:name's semaphore in the ELF file path
    (prelink-corrected), and the file's PT_LOAD segments."""
    with open(path, "rb") as f:
        data = f.read()
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    secs = []
    for i in range(shnum):
        sh = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        secs.append(sh)
    stroff = secs[shstrndx][4]

    def secname(sh):
        end = data.index(b"\0", stroff + sh[0])
        return data[stroff + sh[0]:end].decode()

    base_addr = None
    notes = []
    for sh in secs:
        n = secname(sh)
        if n == ".stapsdt.base":
            base_addr = sh[3]
        elif n == ".note.stapsdt":
            notes.append(sh)
    segs = []
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, _filesz, p_memsz, _align = \
            struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((p_vaddr, p_memsz, p_offset))
    for sh in notes:
        off, end = sh[4], sh[4] + sh[5]
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            desc = off + 12 + ((namesz + 3) & ~3)
            off = desc + ((descsz + 3) & ~3)
            if ntype != 3:
                continue
            _pc, base, sem = struct.unpack_from("<QQQ", data, desc)
            strings = data[desc + 24:desc + descsz].split(b"\0")
            if strings[0].decode() == provider and strings[1].decode() == name:
                if base_addr is not None and base and sem:
                    sem += base_addr - base
                return sem, segs
    raise SystemExit("latecomer: no %s:%s note in %s" % (provider, name, path))


def runtime_address(path, vaddr, segs):
    """Where the link-time address vaddr of path is in this process."""
    for seg_vaddr, memsz, offset in segs:
        if seg_vaddr <= vaddr < seg_vaddr + memsz:
            file_off = vaddr - seg_vaddr + offset
            break
    else:
        raise SystemExit("latecomer: address %#x in no PT_LOAD" % vaddr)
    st = os.stat(path)
    with open("/proc/self/maps") as maps:
        for line in maps:
            f = line.split()
            if len(f) < 6 or int(f[4]) != st.st_ino:
                continue
            start, stop = (int(x, 16) for x in f[0].split("-"))
            moff = int(f[2], 16)
            if moff <= file_off < moff + (stop - start):
                return start - moff + file_off
    raise SystemExit("latecomer: offset %#x of %s is not mapped" % (file_off, path))


def counted(i):
    return i


if __name__ == "__main__":
    p = ptap_sample.parser("wait until traced, then make an exact number of calls")
    p.add_argument("--calls", type=int, default=777)
    args = p.parse_args()
    exe = os.path.realpath("/proc/self/exe")
    sem_vaddr, segs = stapsdt_semaphore(exe, "python", "function__entry")
    sem = ctypes.c_uint16.from_address(runtime_address(exe, sem_vaddr, segs))
    ptap_sample.ready_go(args)
    while sem.value == 0:
        time.sleep(0.005)
    for i in range(args.calls):
        counted(i)
    ptap_sample.write_expect(args, [ptap_sample.call_row(counted, args.calls, pid=os.getpid())])
    ptap_sample.linger(args)

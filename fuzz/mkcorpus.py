#!/usr/bin/env python3
"""Regenerate the seed corpora in fuzz/corpus/<harness>/.

    fuzz/mkcorpus.py            (from the top of the tree, after `make samples`)

The seeds are small and committed; this script only says where they came
from and rebuilds them when the sources change.  Sources, when present:
Debian's python3.11, libpython3.11, python3.11d, postgres, libstdc++ and
ptap's samples (real notes and argument strings); fuzz/seeds/tiny.c compiled
without libc (a whole ELF file of about 2 KB) and prefixes of it; the
hostile files of tests/reliability/hostile_elf.py; /proc/PID/maps of a
python3.11 with a deleted file and a path with spaces mapped.
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
ELF_SOURCES = [
    "/usr/bin/python3.11",
    "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
    "/usr/bin/python3.11d",
    "/usr/local/bin/postgres",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
] + [os.path.join(ROOT, "build", "samples", n) for n in
     ("operands-nopie", "operands-pie", "semaphores-pie", "libprobes.so", "embed")]


def put(harness, data, name=None):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def stapsdt_descriptors(path):
    """The descriptors of every stapsdt note of an ELF file, as bytes."""
    with open(path, "rb") as f:
        img = f.read()
    if img[:4] != b"\x7fELF":
        return []
    is64, end = img[4] == 2, "<" if img[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", img, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", img, 0x3a)
        fmt = end + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(end + "I", img, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", img, 0x2e)
        fmt = end + "IIIIIIIIII"
    shdrs = [struct.unpack_from(fmt, img, shoff + i * shentsize) for i in range(shnum)]
    names_off = shdrs[shstrndx][4]
    out = []
    for sh in shdrs:
        name = img[names_off + sh[0]:img.index(b"\0", names_off + sh[0])]
        if name != b".note.stapsdt":
            continue
        sec = img[sh[4]:sh[4] + sh[5]]
        pos = 0
        while pos + 12 <= len(sec):
            namesz, descsz, ntype = struct.unpack_from(end + "III", sec, pos)
            pos += 12
            name_end = pos + ((namesz + 3) & ~3)
            desc = sec[name_end:name_end + descsz]
            pos = name_end + ((descsz + 3) & ~3)
            if ntype == 3:
                out.append(desc)
    return out


def desc_strings(desc, is64=True):
    parts = desc[24 if is64 else 12:].split(b"\0")
    return parts[0], parts[1], parts[2] if len(parts) > 2 else b""


def note_and_argspec_seeds():
    seen_specs, per_file = set(), {}
    for path in ELF_SOURCES:
        if not os.path.exists(path):
            print("mkcorpus: no %s, skipped" % path, file=sys.stderr)
            continue
        for d in stapsdt_descriptors(path):
            _, name, args = desc_strings(d)
            seen_specs.add(args)
            # a few notes per file and per probe name is plenty
            key = (path, name)
            if key not in per_file and len([k for k in per_file if k[0] == path]) < 6:
                per_file[key] = d
    for d in per_file.values():
        put("note", d)
    # other classes and byte orders, and broken ones
    put("note", struct.pack("<III", 0x8048010, 0x804a000, 0) + b"app\0tick\0\0")
    put("note", struct.pack(">III", 0x400123, 0x408000, 0x410002) + b"p\0n\0-4@$5\0")
    put("note", struct.pack(">QQQ", 0x10000644, 0x10010000, 0x1002000a) + b"libc\0setjmp\08@3\0")
    put("note", struct.pack("<QQQ", 0x426fc1, 0x8c99c0, 0xa7ed4e) + b"python\0gc__start\0-4@112(%rsp)")
    put("note", struct.pack("<QQQ", 1, 2, 3) + b"\0name\0\0")
    put("note", struct.pack("<QQ", 1, 2))
    for spec in sorted(seen_specs):
        if spec:
            put("argspec", spec)
    for spec in (b"8@%xmm0", b"-4@-12+4(%rbp)", b"8@24+mp_(%rip)", b"4@(%rbx,%rcx)",
                 b"-8@garr(,%rdi,8)", b"$5", b"%rax", b"1@%ah", b"-8@$-9223372036854775808",
                 b"8@$0x1f", b"4f@%eax", b"-2@-28(%r15)", b"-4@[sp, 96]", b"8@%rdi " * 13):
        put("argspec", spec)


def tiny_elf_seeds():
    src = os.path.join(ROOT, "fuzz", "seeds", "tiny.c")
    with tempfile.TemporaryDirectory() as tmp:
        builds = {
            "tiny-nopie": ["-no-pie", "-fno-pie"],
            "tiny-pie": ["-static-pie", "-fPIE"],
        }
        for name, flags in builds.items():
            out = os.path.join(tmp, name)
            subprocess.run(["cc", "-Os", "-nostdlib", *flags, "-Wl,-z,noseparate-code",
                            "-Wl,--build-id=none", "-o", out, src], check=True)
            with open(out, "rb") as f:
                img = f.read()
            put("elf", img, name)
            if name == "tiny-nopie":
                for cut in (16, 64, 200, len(img) // 2, len(img) - 100):
                    put("elf", img[:cut], "%s-cut%d" % (name, cut))
                subprocess.run(["strip", "-o", out + "-stripped", out], check=True)
                with open(out + "-stripped", "rb") as f:
                    put("elf", f.read(), name + "-stripped")
    sys.path.insert(0, os.path.join(ROOT, "tests", "reliability"))
    try:
        import hostile_elf
    except ImportError:
        print("mkcorpus: no tests/reliability/hostile_elf.py, skipped", file=sys.stderr)
        return
    for name, img, _, _ in hostile_elf.variants():
        if len(img) <= 16384:
            put("elf", img, "hostile-" + name)


def maps_seeds():
    code = r"""
import mmap, os, sys, tempfile
d = tempfile.mkdtemp()
p1 = os.path.join(d, "with space.bin"); p2 = os.path.join(d, "gone")
for p in (p1, p2):
    with open(p, "wb") as f: f.write(b"x" * 8192)
m1 = mmap.mmap(os.open(p1, os.O_RDONLY), 8192, prot=mmap.PROT_READ)
m2 = mmap.mmap(os.open(p2, os.O_RDONLY), 4096, prot=mmap.PROT_READ, offset=4096)
os.unlink(p2)
sys.stdout.write(open("/proc/self/maps").read())
os.unlink(p1); os.rmdir(d)
"""
    text = subprocess.run(["/usr/bin/python3.11", "-c", code], check=True,
                          capture_output=True).stdout
    lines = text.splitlines(keepends=True)
    keep = [l for l in lines if b"python3.11" in l or b"(deleted)" in l or b"space" in l
            or b"[" in l][:24]
    put("maps", b"".join(keep), "python3.11")
    put("maps", b"00400000-00423000 r--p 00000000 fe:01 1835131    /usr/bin/python3.11\n", "one")
    put("maps", b"7ffd5e1b4000-7ffd5e1b6000 r-xp 00000000 00:00 0                          [vdso]\n"
                b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n", "pseudo")
    put("maps", b"7f0000000000-7f0000001000 rw-s 00001000 00:05 42 /dev/shm/a\\012b (deleted)\n",
        "shared-deleted")


# argeval (see fuzz/argeval.c): a 5 + 12 + 8 * 41 byte header, the argument
# string, '\n', then the bytes placed at the start of the arena's first
# readable page.
def argeval_seed(bound, mode, fill, renders, regs, syms, bias, args, page,
                 cache=0, cache_mask=0, unicode_type=0):
    def word(v):
        return struct.pack("<Q", v & (2**64 - 1))
    head = bytes([(bound & 63) | (mode << 6), fill, cache]) + struct.pack("<H", cache_mask)
    head += bytes(renders + [0] * (12 - len(renders)))
    gpr = [0] * 27
    for i, v in regs.items():
        gpr[i] = v
    head += b"".join(word(v) for v in gpr)
    head += b"".join(word(v) for v in (syms + [0] * (12 - len(syms))))
    head += word(bias) + word(unicode_type)
    return head + args + b"\n" + page


# struct user_regs_struct word numbers, and enum render values
R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI = range(15)
RSP = 19
DEFAULT, STR, HEX, S8, S16, S32, S64, U8, U16, U32, U64, F32, F64 = range(13)
PAGE1 = 0x1000          # a word under 2^14 means arena + word; page 1 is readable
GUARD = 0x3000          # the PROT_NONE page after the two readable ones


def argeval_seeds():
    put("argeval", argeval_seed(64, 0, 0, [STR, STR, DEFAULT],
                                {RBP: PAGE1, R12: PAGE1 + 6, RAX: 42},
                                [], 0, b"8@%rbp 8@%r12 -4@%eax", b"fib.py\0fib\0"), "python-entry")
    put("argeval", argeval_seed(8, 0, ord("A"), [STR],
                                {RBX: GUARD - 5}, [], 0, b"8@%rbx", b""), "no-nul")
    put("argeval", argeval_seed(8, 0, 0, [STR, STR, HEX],
                                {RDI: 0, RSI: 0x7fff00000000 | (1 << 62), RDX: GUARD},
                                [], 0, b"8@%rdi 8@%rsi 8@%rdx", b""), "bad-pointers")
    put("argeval", argeval_seed(8, 1, 0, [DEFAULT, DEFAULT, STR, F64],
                                {RSP: PAGE1, RAX: 1},
                                [PAGE1 + 16, 0, 0, 0], 0,
                                b"-4@112(%rsp) -8@(%rsp,%rax,8) 8@gvar(%rip) 8f@8(%rsp)",
                                b"\x01\x02\x03\x04\x05\x06\x07\x08" * 8), "memory-procfs")
    put("argeval", argeval_seed(1, 2, 0, [STR, U8, S16],
                                {RDI: PAGE1}, [], 0, b"8@%rdi 1@%ah -2@%xmm1 $5 4f@%eax",
                                b"x\0"), "peek")
    put("argeval", argeval_seed(63, 0, 0, [STR],
                                {RDI: GUARD - 1}, [], 0, b"8@(%rdi)", b""), "pointer-in-memory")
    # CPython 3.11 compact ASCII strs (ob_type at 8, length at 16, state at
    # 32, text at 48), whose type is the word the cache is told about
    pytype = 0x40000000deadbeef
    def pystr(text):
        hdr = bytearray(48)
        hdr[8:16] = struct.pack("<Q", pytype)
        hdr[16:24] = struct.pack("<Q", len(text))
        hdr[32:36] = struct.pack("<I", 1 << 5 | 1 << 6)
        return bytes(hdr) + text + b"\0"
    page = pystr(b"fib.py").ljust(64, b"\0") + pystr(b"fib")
    put("argeval", argeval_seed(64, 0, 0, [STR, STR, DEFAULT], {RBP: PAGE1 + 48, R12: PAGE1 + 64 + 48},
                                [], 0, b"8@%rbp 8@%r12 -4@%eax", page, cache=2, cache_mask=3,
                                unicode_type=pytype), "cache")


def sitecheck_seeds():
    """The site check: whole ELF files (the elf harness's seeds and the
    sitecheck samples); for the code harness, the bytes at python3.11's
    markers and code_dealloc, small hand-made sites, and a piece of a real
    .eh_frame."""
    src = os.path.join(CORPUS, "elf")
    for name in sorted(os.listdir(src)) if os.path.isdir(src) else []:
        with open(os.path.join(src, name), "rb") as f:
            put("sitecheck", f.read(), name)
    for v in ("nopie", "pie"):
        path = os.path.join(ROOT, "build", "samples", "sitecheck-" + v)
        if os.path.exists(path):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "s")
                subprocess.run(["strip", "-o", out, path], check=True)
                with open(out, "rb") as f:
                    put("sitecheck", f.read(), "sample-sitecheck-%s-stripped" % v)
    py = "/usr/bin/python3.11"
    if os.path.exists(py):
        segs = []
        for line in subprocess.run(["readelf", "-lW", py], capture_output=True,
                                   text=True).stdout.splitlines():
            f = line.split()
            if f and f[0] == "LOAD":
                segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
        with open(py, "rb") as f:
            data = f.read()
        for a in (0x423ee0, 0x426fc1, 0x42705b, 0x42ec0f, 0x4c779b, 0x4c77ce, 0x534a20):
            for o, va, sz in segs:
                if va <= a < va + sz:
                    put("code", data[a - va + o:a - va + o + 48], "python-%x" % a)
    put("code", bytes([0xc3, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0]), "ret-padding")
    put("code", bytes([0x90, 0xe8, 1, 2, 3, 4, 0xc3]), "nop-call")
    put("code", bytes([0x90, 0x74, 0x10, 0x90, 0x90, 0x90, 0xc3]), "nop-jcc")
    put("code", bytes([0x90, 0x48, 0x8d, 0x05, 1, 0, 0, 0, 0xc3]), "nop-riplea")
    lib = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
    if os.path.exists(lib):
        for line in subprocess.run(["readelf", "-SW", lib], capture_output=True,
                                   text=True).stdout.splitlines():
            if " .eh_frame " in line:
                f = line.split("]")[1].split()
                with open(lib, "rb") as fh:
                    fh.seek(int(f[3], 16))
                    put("code", fh.read(4000), "ehframe-libstdcxx")


def main():
    note_and_argspec_seeds()
    tiny_elf_seeds()
    maps_seeds()
    argeval_seeds()
    sitecheck_seeds()
    for h in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, h))
        size = sum(os.path.getsize(os.path.join(CORPUS, h, f)) for f in files)
        print("%-8s %4d files %7d bytes" % (h, len(files), size))


if __name__ == "__main__":
    main()

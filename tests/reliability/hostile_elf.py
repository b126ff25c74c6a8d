#!/usr/bin/env python3
"""Hostile ELF files for `ptap list` (tests/reliability/hostile_elf.t) and
for the fuzzers' seed corpus (fuzz/mkcorpus.py).

    hostile_elf.py DIR     write DIR/NAME for every variant, and DIR/MANIFEST:
                           one line per file, "NAME<TAB>STATUS<TAB>REGEX",
                           the exit status `ptap list` must give and an
                           extended regex its stdout + stderr must match.

Every file starts from one small, well-formed ELF (`good`): two PT_LOADs
(code r-x at 0x400000, data rw- at 0x401000), .stapsdt.base, .probes,
.note.stapsdt with three probes, .symtab naming gvar.  Each variant breaks
one thing the way a damaged or malicious file would: notes cut short or
claiming sizes that overflow, strings without their NUL, addresses outside
every segment, semaphores pointing into code, section and program headers
out of the file, argument specs no compiler writes, other classes, byte
orders and machines.  Nothing is ever executed; the files only get read.
"""
import os
import struct
import sys

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE, SHT_NOBITS = 1, 2, 3, 7, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
U64 = 2**64 - 1

CODE, DATA, BASE, SEM, GVAR = 0x400000, 0x401000, 0x400800, 0x401000, 0x401004


class Elf:
    """An ELF image built from explicit parts; any header field may be forced."""

    def __init__(self, is64=True, msb=False, etype=ET_EXEC, machine=62):
        self.is64, self.msb, self.etype, self.machine = is64, msb, etype, machine
        self.end = ">" if msb else "<"
        self.segs = []      # (flags, vaddr, offset, filesz, memsz)
        self.secs = []      # dicts: name type flags addr data link info align entsize [offset size]
        self.ehdr = {}      # forced e_* fields
        self.ident = {}     # forced e_ident bytes: index -> value

    def seg(self, flags, vaddr, offset, filesz, memsz=None):
        self.segs.append((flags, vaddr, offset, filesz, filesz if memsz is None else memsz))

    def sec(self, name, stype, data=b"", flags=0, addr=0, link=0, info=0, align=1, entsize=0):
        self.secs.append(dict(name=name, type=stype, data=data, flags=flags, addr=addr, link=link,
                              info=info, align=align, entsize=entsize))
        return len(self.secs)           # its index (0 is the null section)

    def get(self, name):
        return next(s for s in self.secs if s["name"] == name)

    def index(self, name):
        return 1 + next(i for i, s in enumerate(self.secs) if s["name"] == name)

    def word(self, v):
        return struct.pack(self.end + ("Q" if self.is64 else "I"), v & (U64 if self.is64 else 0xffffffff))

    def image(self):
        e = self.end
        ehsize, phentsize, shentsize = (64, 56, 64) if self.is64 else (52, 32, 40)
        shstr = b"\0"
        names = []
        for s in self.secs:
            names.append(len(shstr))
            shstr += s["name"].encode() + b"\0"
        phoff = ehsize
        pos = phoff + phentsize * len(self.segs)
        body = bytearray()
        offsets = []
        for s in self.secs + [dict(data=shstr, align=1)]:
            align = max(s["align"], 1)
            pos = (pos + align - 1) // align * align
            offsets.append(pos)
            pos += len(s["data"])
        shoff = (pos + 7) // 8 * 8
        img = bytearray(shoff + shentsize * (len(self.secs) + 2))
        # section contents
        for s, off in zip(self.secs + [dict(data=shstr)], offsets):
            img[off:off + len(s["data"])] = s["data"]
        # program headers
        for i, (flags, vaddr, offset, filesz, memsz) in enumerate(self.segs):
            if self.is64:
                ph = struct.pack(e + "IIQQQQQQ", PT_LOAD, flags, offset, vaddr, vaddr, filesz, memsz, 0x1000)
            else:
                ph = struct.pack(e + "IIIIIIII", PT_LOAD, offset, vaddr, vaddr, filesz, memsz, flags, 0x1000)
            img[phoff + i * phentsize:phoff + (i + 1) * phentsize] = ph
        # section headers: null, ours, .shstrtab
        rows = [dict(name=0, type=0, flags=0, addr=0, offset=0, size=0, link=0, info=0, align=0, entsize=0)]
        for s, off, n in zip(self.secs, offsets, names):
            rows.append(dict(name=s.get("name_off", n), type=s["type"], flags=s["flags"], addr=s["addr"],
                             offset=s.get("offset", off), size=s.get("size", len(s["data"])),
                             link=s["link"], info=s["info"], align=s["align"], entsize=s["entsize"]))
        rows.append(dict(name=names and len(shstr) - len(b".shstrtab\0") or 0, type=SHT_STRTAB, flags=0,
                         addr=0, offset=offsets[-1], size=len(shstr), link=0, info=0, align=1, entsize=0))
        for i, r in enumerate(rows):
            if self.is64:
                sh = struct.pack(e + "IIQQQQIIQQ", r["name"], r["type"], r["flags"] & U64, r["addr"] & U64,
                                 r["offset"] & U64, r["size"] & U64, r["link"], r["info"], r["align"],
                                 r["entsize"])
            else:
                m = 0xffffffff
                sh = struct.pack(e + "IIIIIIIIII", r["name"], r["type"], r["flags"] & m, r["addr"] & m,
                                 r["offset"] & m, r["size"] & m, r["link"], r["info"], r["align"],
                                 r["entsize"])
            img[shoff + i * shentsize:shoff + (i + 1) * shentsize] = sh
        f = dict(type=self.etype, machine=self.machine, version=1, entry=CODE + 0x100, phoff=phoff,
                 shoff=shoff, flags=0, ehsize=ehsize, phentsize=phentsize, phnum=len(self.segs),
                 shentsize=shentsize, shnum=len(rows), shstrndx=len(rows) - 1)
        f.update(self.ehdr)
        ident = bytearray(b"\x7fELF" + bytes([2 if self.is64 else 1, 2 if self.msb else 1, 1]) + bytes(9))
        for k, v in self.ident.items():
            ident[k] = v
        if self.is64:
            eh = struct.pack(e + "HHIQQQIHHHHHH", f["type"], f["machine"], f["version"], f["entry"],
                             f["phoff"], f["shoff"], f["flags"], f["ehsize"], f["phentsize"], f["phnum"],
                             f["shentsize"], f["shnum"], f["shstrndx"])
        else:
            eh = struct.pack(e + "HHIIIIIHHHHHH", f["type"], f["machine"], f["version"], f["entry"],
                             f["phoff"], f["shoff"], f["flags"], f["ehsize"], f["phentsize"], f["phnum"],
                             f["shentsize"], f["shnum"], f["shstrndx"])
        img[0:len(ident) + len(eh)] = bytes(ident) + eh
        return bytes(img)


def note(elf, desc, owner=b"stapsdt\0", ntype=3, namesz=None, descsz=None):
    e = elf.end
    pad = lambda b: b + bytes(-len(b) % 4)
    return (struct.pack(e + "III", len(owner) if namesz is None else namesz,
                        len(desc) if descsz is None else descsz, ntype) + pad(owner) + pad(desc))


def desc(elf, pc, sem=0, provider=b"h", name=b"plain", args=b"", base=BASE):
    return elf.word(pc) + elf.word(base) + elf.word(sem) + provider + b"\0" + name + b"\0" + args + b"\0"


def base_elf(is64=True, msb=False, etype=ET_EXEC, machine=62, probes=None, symtab=True):
    """The good file; probes is a list of note bytes builders (elf -> bytes)."""
    elf = Elf(is64, msb, etype, machine)
    elf.seg(PF_R | PF_X, CODE, 0, 0x1000)
    elf.seg(PF_R | PF_W, DATA, 0x1000, 0x100)
    elf.sec(".text", SHT_PROGBITS, b"\x90" * 48, SHF_ALLOC | SHF_EXECINSTR, CODE + 0x100, align=16)
    elf.sec(".stapsdt.base", SHT_PROGBITS, b"\0", SHF_ALLOC, BASE)
    probes_ndx = elf.sec(".probes", SHT_PROGBITS, bytes(8), SHF_ALLOC | SHF_WRITE, SEM, align=2)
    if probes is None:
        probes = [lambda el: note(el, desc(el, CODE + 0x100, 0, b"h", b"plain", b"-4@%edi 8@%rsi")),
                  lambda el: note(el, desc(el, CODE + 0x110, SEM, b"h", b"gated", b"8@gvar(%rip) -8@8(%rbp)")),
                  lambda el: note(el, desc(el, CODE + 0x120, 0, b"h", b"noargs", b""))]
    elf.sec(".note.stapsdt", SHT_NOTE, b"".join(p(elf) for p in probes), align=4)
    if symtab:
        strtab = b"\0gvar\0"
        if is64:
            sym = bytes(24) + struct.pack(elf.end + "IBBHQQ", 1, 0x11, 0, probes_ndx, GVAR, 4)
        else:
            sym = bytes(16) + struct.pack(elf.end + "IIIBBH", 1, GVAR, 4, 0x11, 0, probes_ndx)
        strtab_ndx = len(elf.secs) + 2
        elf.sec(".symtab", SHT_SYMTAB, sym, link=strtab_ndx, info=1, align=8, entsize=24 if is64 else 16)
        elf.sec(".strtab", SHT_STRTAB, strtab)
    return elf


def one(args=b"", pc=CODE + 0x100, sem=0, provider=b"h", name=b"x", **kw):
    """A file whose only probe has these fields."""
    return base_elf(probes=[lambda el: note(el, desc(el, pc, sem, provider, name, args), **kw)])


def raw_note(body):
    """A file whose note section is body, as given."""
    return base_elf(probes=[lambda el: body(el)])


def forced(elf, **fields):
    elf.ehdr.update(fields)
    return elf


def section(elf, name, **fields):
    elf.get(name).update(fields)
    return elf


ANY = "."                      # any output at all
LISTED = r"probes?"            # the file was listed


def variants():
    """(name, image, status, regex) for every hostile file."""
    v = []

    def add(name, elf_or_bytes, status, regex):
        img = elf_or_bytes if isinstance(elf_or_bytes, bytes) else elf_or_bytes.image()
        v.append((name, img, status, regex))

    good = base_elf()
    add("good", good, 0, r"3 probes")
    img = good.image()

    # truncated files: inside the header, the program headers, the notes, the section headers
    note_off = img.find(b"stapsdt\0") - 12
    cuts = dict(magic=4, ident=20, header=63, phdrs=64 + 30, note=note_off + 20,
                notes=note_off + 70, shdrs=len(img) - 200, last=len(img) - 1)
    for where, cut in cuts.items():
        add("cut-" + where, img[:cut], 1, r"ptap: list: .*damaged ELF file")

    # notes that do not fit
    add("note-desc-past-section", raw_note(lambda el: note(el, desc(el, CODE), descsz=400)), 0,
        r"runs past the section|not a complete note")
    add("note-descsz-4g", raw_note(lambda el: note(el, desc(el, CODE + 0x100, name=b"first"))
                                   + note(el, bytes(40), descsz=0xfffffff0)), 0,
        r"not a complete note")
    add("note-namesz-4g", raw_note(lambda el: note(el, bytes(40), namesz=0xffffffff)), 0,
        r"not a complete note|runs past")
    add("note-header-cut", raw_note(lambda el: note(el, desc(el, CODE + 0x100, name=b"whole"))
                                    + b"\x08\0\0"), 0, r"3 bytes at offset 0x38 are not a complete note")
    add("section-size-wraps", section(base_elf(), ".note.stapsdt", size=U64 - 0x10), 0,
        r"lies outside the file")
    add("section-offset-past-eof", section(base_elf(), ".note.stapsdt", offset=0x7fff0000), 0,
        r"lies outside the file")
    add("section-size-1p", section(base_elf(), ".note.stapsdt", size=1 << 50), 0,
        r"lies outside the file")
    add("section-empty", section(base_elf(), ".note.stapsdt", size=0), 0, r"no stapsdt probes")
    # libelf reads the notes of an 8-aligned note section with 8-byte padding
    # (as readelf does): the probes come out garbled, but nothing breaks
    add("section-align-8", section(base_elf(), ".note.stapsdt", align=8), 0, ANY)
    add("section-nobits", section(base_elf(), ".note.stapsdt", type=SHT_NOBITS), 0, r"no stapsdt probes")

    # descriptors: short, strings without NUL, empty names, wrong type
    add("desc-too-short", raw_note(lambda el: note(el, el.word(CODE) + el.word(BASE))), 0,
        r"too short for its three addresses")
    add("desc-provider-no-nul", raw_note(lambda el: note(el, el.word(CODE) * 3 + b"provider")), 0,
        r"provider string runs past")
    add("desc-name-no-nul", raw_note(lambda el: note(el, el.word(CODE) * 3 + b"p\0name")), 0,
        r"name string runs past")
    add("desc-args-no-nul", raw_note(lambda el: note(el, el.word(CODE) * 3 + b"p\0n\0-4@%edi")), 0,
        r"argument string runs past")
    add("desc-empty-provider", one(provider=b""), 0, r"empty provider")
    add("desc-empty-name", one(name=b""), 0, r"empty probe name")
    add("desc-all-ff", raw_note(lambda el: note(el, b"\xff" * 64)), 0, r"runs past")
    add("note-type-1", raw_note(lambda el: note(el, desc(el, CODE + 0x100), ntype=1)), 0, r"type 1")
    add("note-other-owner", raw_note(lambda el: note(el, desc(el, CODE + 0x100), owner=b"GNU\0")), 0,
        r"no stapsdt probes")
    add("many-bad-notes", raw_note(lambda el: note(el, el.word(0) * 3 + b"\0n\0\0") * 300), 0,
        r"more warnings not shown")
    add("names-hostile", one(provider=b"p\x1b[2J\"\\\t", name=b"n\xff\xfe\x01" + b"x" * 5000,
                             args=b"8@%rdi"), 0, ANY)

    # addresses outside every segment, semaphores into code
    add("site-outside", one(pc=0xdead0000), 0, r"site 0xdead0000 is outside every executable segment")
    add("site-in-data", one(pc=DATA + 0x10), 0, r"outside every executable segment")
    add("site-max", one(pc=U64), 0, r"outside every executable segment")
    add("sem-in-code", one(sem=CODE + 0x100), 0,
        r"semaphore 0x400100 is outside every writable segment")
    add("sem-last-byte", one(sem=DATA + 0xff), 0, r"outside every writable segment")
    add("sem-max", one(sem=U64), 0, r"outside every writable segment")
    add("sem-outside", one(sem=0x7fffffff0000), 0, r"outside every writable segment")
    prelink = base_elf(probes=[lambda el: note(el, desc(el, CODE + 0x100, SEM, base=1))])
    section(prelink, ".stapsdt.base", addr=U64 - 0xff)
    add("prelink-wraps", prelink, 0, r"outside every")
    wrap = base_elf(probes=[lambda el: note(el, desc(el, U64 - 0x7ff)),
                            lambda el: note(el, desc(el, 0x400, name=b"low"))])
    wrap.segs[0] = (PF_R | PF_X, U64 - 0xfff, 0, 0x2000, 0x2000)
    add("segment-wraps", wrap, 0, r"outside every executable segment")
    bss = one(pc=CODE + 0xf00)
    bss.segs[0] = (PF_R | PF_X, CODE, 0, 0x800, 0x1000)
    add("site-past-filesz", bss, 0, r"outside every executable segment")
    add("no-segments", forced(base_elf(), phnum=0), 0, r"outside every executable segment")

    # argument specs
    add("args-hostile", one(args=b"99@%rax -4@%nosuch 8@$99999999999999999999999 8@(%rip) "
                              b"-8@gvar+9223372036854775807(%rip) 8@%%% 8@((((( 4f@$1 "
                              b"8@-9223372036854775808(%rsp) 8@" + b"s" * 200 + b"(%rip) 16@%xmm0 @"),
        0, r"arg1: invalid: size 99 is not 1, 2, 4 or 8")
    add("args-thirteen", one(args=b" ".join([b"8@%rax"] * 13)), 0, r"more than 12 arguments")
    add("args-no-symbol", one(args=b"8@nosuch(%rip)"), 0, r"symbol 'nosuch' not in")
    add("args-long", one(args=b"8@%rax" + b" " * 3000 + b"-" * 3000), 0, r"invalid")

    # symbol tables
    add("strtab-outside", section(base_elf(probes=[lambda el: note(el, desc(el, CODE + 0x100, args=b"8@gvar(%rip)"))]),
                                  ".strtab", offset=0x7fff0000), 0, r"symbol 'gvar' not in")
    add("symtab-link-bad", section(base_elf(probes=[lambda el: note(el, desc(el, CODE + 0x100, args=b"8@gvar(%rip)"))]),
                                   ".symtab", link=999), 0, r"symbol 'gvar' not in")
    add("symtab-huge", section(base_elf(probes=[lambda el: note(el, desc(el, CODE + 0x100, args=b"8@gvar(%rip)"))]),
                               ".symtab", size=1 << 40), 0, r"symbol 'gvar' not in")
    add("symtab-entsize-0", section(base_elf(probes=[lambda el: note(el, desc(el, CODE + 0x100, args=b"8@gvar(%rip)"))]),
                                    ".symtab", entsize=0, size=7), 0, r"symbol 'gvar' not in")

    # headers
    add("shstrndx-bad", forced(base_elf(), shstrndx=999), 1, r"damaged")
    add("shstrndx-0", forced(base_elf(), shstrndx=0), 0, r"no stapsdt probes")
    add("shoff-past-eof", forced(base_elf(), shoff=0x7ffffff00000), 1, r"damaged")
    add("shnum-huge", forced(base_elf(), shnum=0xffff), 1, r"damaged")
    add("phoff-past-eof", forced(base_elf(), phoff=0x7ffffff00000), 1, r"damaged")
    add("phnum-huge", forced(base_elf(), phnum=0xffff), 0, r"outside every executable segment")
    add("phentsize-odd", forced(base_elf(), phentsize=3), 0, LISTED)
    add("shentsize-odd", forced(base_elf(), shentsize=3), 0, LISTED)
    names_out = base_elf()
    for s in names_out.secs:
        s["name_off"] = 0x7fffff00
    add("section-names-outside", names_out, 0, r"no stapsdt probes")
    bad_class = base_elf()
    bad_class.ident[4] = 7
    add("class-7", bad_class, 1, r"damaged ELF file")
    bad_data = base_elf()
    bad_data.ident[5] = 9
    add("byte-order-9", bad_data, 1, r"damaged ELF file")

    # other classes, byte orders, machines, types
    add("elf32", base_elf(is64=False), 0, r"32-bit")
    add("elf64-big-endian", base_elf(msb=True), 0, r"big-endian")
    add("elf32-big-endian", base_elf(is64=False, msb=True), 0, r"cannot be traced")
    add("aarch64", base_elf(machine=183), 0, r"aarch64")
    add("core", base_elf(etype=ET_CORE), 0, r"3 probes")
    add("rel", base_elf(etype=ET_REL), 0, r"3 probes")

    add("empty", b"", 1, r"not an ELF file")
    add("magic-only", b"\x7fELF", 1, r"damaged ELF file")
    return v


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "MANIFEST"), "w") as man:
        for name, img, status, regex in variants():
            with open(os.path.join(out, name), "wb") as f:
                f.write(img)
            man.write("%s\t%d\t%s\n" % (name, status, regex))


if __name__ == "__main__":
    main()

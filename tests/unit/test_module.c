/*
 * elf_module_open (elf/module.c) on ELF files written at test time.
 *
 * A small ELF writer below lays out: the ELF header, the program headers,
 * each section's bytes, the section-name table and the section headers,
 * in either class and byte order.  The fixtures cover what a real
 * toolchain produces (a PIE with .note.stapsdt, .stapsdt.base, .probes,
 * .symtab and .dynsym) and what a hostile one could: sections past the
 * end of the file, notes whose sizes overflow, truncated files, random
 * byte flips.  Real binaries on this machine (Debian's python3.11, ld.so)
 * are checked against readelf's view of them when they are installed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "elf/module.h"
#include "tap.h"

/* ---- a growable byte buffer in either byte order ---------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void buf_int(struct buf *b, uint64_t v, int n, bool msb)
{
	uint8_t bytes[8];

	for (int i = 0; i < n; i++)
		bytes[msb ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
	buf_put(b, bytes, (size_t)n);
}

static void buf_zero(struct buf *b, size_t n)
{
	static const uint8_t zeros[64];

	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);

		buf_put(b, zeros, k);
		n -= k;
	}
}

static void buf_align(struct buf *b, size_t a)
{
	if (a > 1 && b->len % a)
		buf_zero(b, a - b->len % a);
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s) + 1);
}

static void set_int(uint8_t *p, uint64_t v, int n, bool msb)
{
	for (int i = 0; i < n; i++)
		p[msb ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/* ---- the ELF writer --------------------------------------------------- */

struct fx_sec {
	const char *name;
	uint32_t type;
	uint64_t flags, addr, align, entsize;
	uint32_t link;             /* a section index */
	struct buf data;
	bool fake;                 /* claim fake_offset/fake_size instead */
	uint64_t fake_offset, fake_size;
	uint64_t size;             /* for SHT_NOBITS-like claims without data */
};

struct fx {
	bool is64, msb;
	uint16_t machine, type;
	struct elf_segment segs[8];
	size_t nsegs;
	struct fx_sec secs[16];    /* secs[i] is section i + 1 */
	size_t nsecs;
	bool no_sections;          /* e_shnum = 0, e_shoff = 0 */
	bool shdrs_first;          /* section headers before the sections' bytes */
	size_t min_size;           /* pad the file to at least this */
};

static void fx_init(struct fx *f, bool is64, bool msb, uint16_t machine, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	f->is64 = is64;
	f->msb = msb;
	f->machine = machine;
	f->type = type;
}

static void fx_seg(struct fx *f, uint32_t flags, uint64_t vaddr, uint64_t offset, uint64_t filesz,
		   uint64_t memsz)
{
	f->segs[f->nsegs++] = (struct elf_segment){ vaddr, memsz, offset, filesz, flags };
}

/* Add a section; returns its index. */
static uint32_t fx_sec(struct fx *f, const char *name, uint32_t type, uint64_t flags, uint64_t addr)
{
	struct fx_sec *s = &f->secs[f->nsecs++];

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->type = type;
	s->flags = flags;
	s->addr = addr;
	s->align = type == SHT_NOTE ? 4 : 8;
	return (uint32_t)f->nsecs;
}

static struct fx_sec *fx_get(struct fx *f, uint32_t ndx)
{
	return &f->secs[ndx - 1];
}

static void fx_free(struct fx *f)
{
	for (size_t i = 0; i < f->nsecs; i++)
		free(f->secs[i].data.p);
}

static void fx_image(const struct fx *f, struct buf *out)
{
	bool w = f->is64, msb = f->msb;
	int A = w ? 8 : 4;
	size_t ehsize = w ? 64 : 52, phent = w ? 56 : 32, shent = w ? 64 : 40;
	uint64_t offs[17] = { 0 };
	struct buf shstr = { 0 };
	uint32_t names[17] = { 0 };
	size_t shoff = 0, shstr_off = 0, nsh;

	memset(out, 0, sizeof(*out));
	buf_zero(out, ehsize);
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct elf_segment *s = &f->segs[i];

		buf_int(out, PT_LOAD, 4, msb);
		if (w)
			buf_int(out, s->flags, 4, msb);
		buf_int(out, s->offset, A, msb);
		buf_int(out, s->vaddr, A, msb);
		buf_int(out, s->vaddr, A, msb);
		buf_int(out, s->filesz, A, msb);
		buf_int(out, s->memsz, A, msb);
		if (!w)
			buf_int(out, s->flags, 4, msb);
		buf_int(out, 0x1000, A, msb);
	}
	nsh = f->nsecs + 2;
	buf_str(&shstr, "");
	for (size_t i = 0; i < f->nsecs; i++) {
		names[i] = (uint32_t)shstr.len;
		buf_str(&shstr, f->secs[i].name);
	}
	names[f->nsecs] = (uint32_t)shstr.len;
	buf_str(&shstr, ".shstrtab");
	if (f->shdrs_first) {
		buf_align(out, 8);
		shoff = out->len;
		buf_zero(out, nsh * shent);
		shstr_off = out->len;
		buf_put(out, shstr.p, shstr.len);
	}
	for (size_t i = 0; i < f->nsecs; i++) {
		buf_align(out, f->secs[i].align);
		offs[i] = out->len;
		buf_put(out, f->secs[i].data.p, f->secs[i].data.len);
	}
	if (!f->shdrs_first) {
		shstr_off = out->len;
		buf_put(out, shstr.p, shstr.len);
		buf_align(out, 8);
		shoff = out->len;
		buf_zero(out, nsh * shent);
	}
	if (!f->no_sections) {
		struct buf sh = { 0 };

		/* Section 0, the sections, then .shstrtab. */
		buf_zero(&sh, shent);
		for (size_t i = 0; i <= f->nsecs; i++) {
			bool last = i == f->nsecs;
			const struct fx_sec *s = last ? NULL : &f->secs[i];
			uint64_t off = last ? shstr_off : s->fake ? s->fake_offset : offs[i];
			uint64_t size = last ? shstr.len : s->fake ? s->fake_size :
					s->size ? s->size : s->data.len;

			buf_int(&sh, names[i], 4, msb);
			buf_int(&sh, last ? SHT_STRTAB : s->type, 4, msb);
			buf_int(&sh, last ? 0 : s->flags, A, msb);
			buf_int(&sh, last ? 0 : s->addr, A, msb);
			buf_int(&sh, off, A, msb);
			buf_int(&sh, size, A, msb);
			buf_int(&sh, last ? 0 : s->link, 4, msb);
			buf_int(&sh, last ? 0 : (s->type == SHT_SYMTAB || s->type == SHT_DYNSYM), 4, msb);
			buf_int(&sh, last ? 1 : s->align, A, msb);
			buf_int(&sh, last ? 0 : s->entsize, A, msb);
		}
		memcpy(out->p + shoff, sh.p, sh.len);
		free(sh.p);
	}
	if (out->len < f->min_size)
		buf_zero(out, f->min_size - out->len);

	/* The ELF header, now that the offsets are known. */
	{
		uint8_t *h = out->p;

		memcpy(h, ELFMAG, SELFMAG);
		h[EI_CLASS] = w ? ELFCLASS64 : ELFCLASS32;
		h[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
		h[EI_VERSION] = EV_CURRENT;
		set_int(h + 16, f->type, 2, msb);
		set_int(h + 18, f->machine, 2, msb);
		set_int(h + 20, EV_CURRENT, 4, msb);
		set_int(h + 24, 0, A, msb);                            /* e_entry */
		set_int(h + 24 + A, f->nsegs ? ehsize : 0, A, msb);    /* e_phoff */
		set_int(h + 24 + 2 * A, f->no_sections ? 0 : shoff, A, msb);
		set_int(h + 24 + 3 * A, 0, 4, msb);                    /* e_flags */
		set_int(h + 28 + 3 * A, ehsize, 2, msb);
		set_int(h + 30 + 3 * A, phent, 2, msb);
		set_int(h + 32 + 3 * A, f->nsegs, 2, msb);
		set_int(h + 34 + 3 * A, shent, 2, msb);
		set_int(h + 36 + 3 * A, f->no_sections ? 0 : nsh, 2, msb);
		set_int(h + 38 + 3 * A, f->no_sections ? 0 : nsh - 1, 2, msb);
	}
	free(shstr.p);
}

/* Offsets into a 64-bit image, for patching hostile values in. */
#define EH64_SHOFF 40
#define EH64_SHNUM 60
#define EH64_SHSTRNDX 62

/* ---- notes and symbols ------------------------------------------------ */

static void note_raw(struct buf *b, bool msb, const char *owner, uint32_t type, const void *desc,
		     size_t dsz)
{
	buf_int(b, strlen(owner) + 1, 4, msb);
	buf_int(b, dsz, 4, msb);
	buf_int(b, type, 4, msb);
	buf_str(b, owner);
	buf_align(b, 4);
	buf_put(b, desc, dsz);
	buf_align(b, 4);
}

static void note_sdt(struct buf *b, bool is64, bool msb, uint64_t pc, uint64_t base, uint64_t sem,
		     const char *prov, const char *name, const char *args)
{
	struct buf d = { 0 };
	int A = is64 ? 8 : 4;

	buf_int(&d, pc, A, msb);
	buf_int(&d, base, A, msb);
	buf_int(&d, sem, A, msb);
	buf_str(&d, prov);
	buf_str(&d, name);
	buf_str(&d, args);
	note_raw(b, msb, "stapsdt", 3, d.p, d.len);
	free(d.p);
}

static void sym_add(struct buf *tab, struct buf *str, bool is64, bool msb, const char *name,
		    uint64_t value, int bind, int type, uint16_t shndx)
{
	uint32_t name_off = 0;

	if (tab->len == 0) {
		/* Entry 0 is the null symbol; the string table starts with "". */
		buf_zero(tab, is64 ? 24 : 16);
		buf_str(str, "");
	}
	if (name) {
		name_off = (uint32_t)str->len;
		buf_str(str, name);
	}
	buf_int(tab, name_off, 4, msb);
	if (is64) {
		buf_int(tab, (uint64_t)((bind << 4) | type), 1, msb);
		buf_int(tab, 0, 1, msb);
		buf_int(tab, shndx, 2, msb);
		buf_int(tab, value, 8, msb);
		buf_int(tab, 8, 8, msb);
	} else {
		buf_int(tab, value, 4, msb);
		buf_int(tab, 8, 4, msb);
		buf_int(tab, (uint64_t)((bind << 4) | type), 1, msb);
		buf_int(tab, 0, 1, msb);
		buf_int(tab, shndx, 2, msb);
	}
}

/* ---- files ------------------------------------------------------------ */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static const char *write_file(const char *name, const void *p, size_t n)
{
	const char *path = tmp_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	return path;
}

static const char *write_fx(const char *name, const struct fx *f)
{
	struct buf img;
	const char *path;

	fx_image(f, &img);
	path = write_file(name, img.p, img.len);
	free(img.p);
	return path;
}

static const struct sdt_probe *find_probe(const struct elf_module *m, const char *name, int nth)
{
	for (size_t i = 0; i < m->nprobes; i++) {
		if (strcmp(m->probes[i].name, name) == 0 && nth-- == 0)
			return &m->probes[i];
	}
	return NULL;
}

static bool has_warning(const struct elf_module *m, const char *needle)
{
	for (size_t i = 0; i < m->nwarnings; i++) {
		if (strstr(m->warnings[i], needle))
			return true;
	}
	return false;
}

/* ---- the main fixture: a 64-bit PIE with every kind of note ---------- */

#define BASE 0x2100

/*
 * Segments:  R 0x0-0x1000, RX 0x1000-0x2000, R 0x2000-0x2800 and a data
 * segment at 0x3e00 whose file offset is 0x2e00 (address != offset),
 * with 0x200 bytes in the file and 0x400 in memory.
 */
static void fx_pie(struct fx *f, bool is64, bool msb, uint16_t machine, bool prelinked,
		   bool with_base)
{
	uint32_t notes, symtab, strtab, dynsym, dynstr, probes;
	struct buf *n;
	uint64_t shift = prelinked ? 0x1000 : 0;   /* notes recorded 0x1000 lower */
	uint64_t nb = BASE - shift;
	struct buf d = { 0 };
	char many[256] = "";

	fx_init(f, is64, msb, machine, ET_DYN);
	fx_seg(f, PF_R, 0, 0, 0x1000, 0x1000);
	fx_seg(f, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 0x1000);
	fx_seg(f, PF_R, 0x2000, 0x2000, 0x800, 0x800);
	fx_seg(f, PF_R | PF_W, 0x3e00, 0x2e00, 0x200, 0x400);
	f->min_size = 0x3000;

	if (with_base) {
		uint32_t b = fx_sec(f, ".stapsdt.base", SHT_PROGBITS, SHF_ALLOC, BASE);

		buf_zero(&fx_get(f, b)->data, 1);
		fx_get(f, b)->align = 1;
	}
	probes = fx_sec(f, ".probes", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x3e10);
	buf_zero(&fx_get(f, probes)->data, 8);
	notes = fx_sec(f, ".note.stapsdt", SHT_NOTE, 0, 0);
	n = &fx_get(f, notes)->data;

	/* 1 */ note_sdt(n, is64, msb, 0x1010 - shift, nb, 0, "p", "plain", "");
	/* 2 */ note_sdt(n, is64, msb, 0x1020 - shift, nb, 0x3e10 - shift, "p", "withsem",
			 "-4@%eax 8@-8(%rbp)");
	/* 3 */ note_sdt(n, is64, msb, 0x1030 - shift, nb, 0x3e12 - shift, "p", "sym",
			 "-4@gvar(%rip) 8@missing(%rip) 8@8+gvar(%rip) 4@%eax 8@lvar-4(%rip) "
			 "8@_dl_debug_state(%rip) 4@dupe(%rip) 4@tvar(%rip)");
	/* 4 */ note_sdt(n, is64, msb, 0x2050 - shift, nb, 0, "p", "badsite", "");
	/* 5 */ note_sdt(n, is64, msb, 0x1040 - shift, nb, 0x2060 - shift, "p", "badsem", "");
	/* 6 */ note_sdt(n, is64, msb, 0x1050 - shift, nb, 0x4100 - shift, "p", "bsssem", "");
	/* 7: empty provider */
	buf_int(&d, 0x1060, is64 ? 8 : 4, msb);
	buf_int(&d, nb, is64 ? 8 : 4, msb);
	buf_int(&d, 0, is64 ? 8 : 4, msb);
	buf_str(&d, "");
	buf_str(&d, "noprovider");
	buf_str(&d, "");
	note_raw(n, msb, "stapsdt", 3, d.p, d.len);
	/* not ours: another owner in the same section */
	note_raw(n, msb, "GNU", 3, "\1\2\3\4", 4);
	/* 8: an old stapsdt format */
	note_raw(n, msb, "stapsdt", 1, d.p, d.len);
	/* 9 */
	for (int i = 0; i < 13; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s-4@$%d", i ? " " : "", i);
	note_sdt(n, is64, msb, 0x1070 - shift, nb, 0, "p", "toomany", many);
	/* 10 */ note_sdt(n, is64, msb, 0x1080 - shift, nb, 0, "p", "badarg", "3@%eax -4@%ebx");
	/* 11: strings cut off (the descriptor ends inside the name) */
	note_raw(n, msb, "stapsdt", 3, d.p, (is64 ? 24 : 12) + 3);
	/* 12 */ note_sdt(n, is64, msb, 0x1ffe - shift, nb, 0x3ffe - shift, "p", "last", "8@%rdi");
	/* 13 */ note_sdt(n, is64, msb, 0x1090 - shift, nb, 0x3fff - shift, "p", "semedge", "");
	/* 14 */ note_sdt(n, is64, msb, 0x10a0 - shift, nb, 0, "p", "plain", "-8@%rsi");
	/* 15 */ note_sdt(n, is64, msb, 0x5000 - shift, nb, 0x5000 - shift, "p", "badboth", "");
	free(d.p);

	symtab = fx_sec(f, ".symtab", SHT_SYMTAB, 0, 0);
	strtab = fx_sec(f, ".strtab", SHT_STRTAB, 0, 0);
	dynsym = fx_sec(f, ".dynsym", SHT_DYNSYM, SHF_ALLOC, 0x400);
	dynstr = fx_sec(f, ".dynstr", SHT_STRTAB, SHF_ALLOC, 0x600);
	fx_get(f, symtab)->link = strtab;
	fx_get(f, dynsym)->link = dynstr;
	fx_get(f, symtab)->entsize = fx_get(f, dynsym)->entsize = is64 ? 24 : 16;
	{
		struct buf *st = &fx_get(f, symtab)->data, *ss = &fx_get(f, strtab)->data;
		struct buf *dt = &fx_get(f, dynsym)->data, *ds = &fx_get(f, dynstr)->data;

		sym_add(st, ss, is64, msb, "file.c", 0, STB_LOCAL, STT_FILE, SHN_ABS);
		sym_add(st, ss, is64, msb, "lvar", 0x3e90, STB_LOCAL, STT_OBJECT, (uint16_t)probes);
		sym_add(st, ss, is64, msb, "dupe", 0x111, STB_LOCAL, STT_OBJECT, (uint16_t)probes);
		sym_add(st, ss, is64, msb, "missing", 0, STB_GLOBAL, STT_OBJECT, SHN_UNDEF);
		sym_add(st, ss, is64, msb, "tvar", 0x10, STB_GLOBAL, STT_TLS, (uint16_t)probes);
		sym_add(st, ss, is64, msb, "gvar", 0x3e80, STB_GLOBAL, STT_OBJECT, (uint16_t)probes);
		sym_add(st, ss, is64, msb, "dupe", 0x222, STB_GLOBAL, STT_OBJECT, (uint16_t)probes);
		sym_add(dt, ds, is64, msb, "gvar", 0x3e80, STB_GLOBAL, STT_OBJECT, (uint16_t)probes);
		sym_add(dt, ds, is64, msb, "_dl_debug_state", 0x1100, STB_GLOBAL, STT_FUNC, 1);
	}
}

static void check_pie(const struct elf_module *m, const char *what, bool is64, bool msb, bool with_base)
{
	/* another machine's operands are kept in their slots, not decoded */
	const bool x86 = m->machine == arch_elf_machine;
	const int reg = x86 ? ARGSPEC_REG : ARGSPEC_INVALID;
	const struct sdt_probe *p;
	char buf[160];

	is_int(m->elf_class, is64 ? ELFCLASS64 : ELFCLASS32, "%s: class", what);
	ok(m->big_endian == msb, "%s: byte order", what);
	is_int(m->type, ET_DYN, "%s: ET_DYN", what);
	is_int(m->nsegs, 4, "%s: 4 PT_LOADs", what);
	ok(m->nsegs == 4 && m->segs[3].vaddr == 0x3e00 && m->segs[3].offset == 0x2e00 &&
	   m->segs[3].filesz == 0x200 && m->segs[3].memsz == 0x400 &&
	   m->segs[3].flags == (PF_R | PF_W) && m->segs[1].flags == (PF_R | PF_X),
	   "%s: segment fields", what);
	ok(m->have_base == with_base, "%s: .stapsdt.base %s", what, with_base ? "found" : "absent");
	is_u64(m->base_addr, with_base ? BASE : 0, "%s: its address", what);
	is_u64(m->dl_debug_state, 0x1100, "%s: _dl_debug_state from .dynsym", what);
	is_int(m->nprobes, 12, "%s: 12 good notes become probes", what);
	is_int(m->nwarnings, 3, "%s: 3 bad notes become warnings", what);
	for (size_t i = 0; i < m->nwarnings; i++)
		printf("#   warning: %s\n", m->warnings[i]);
	ok(has_warning(m, "stapsdt note 7 ") && has_warning(m, "empty provider"),
	   "%s: note 7 has an empty provider", what);
	ok(has_warning(m, "stapsdt note 8 ") && has_warning(m, "type 1"),
	   "%s: note 8 is of an old type (the GNU note is not counted)", what);
	ok(has_warning(m, "stapsdt note 11 ") && has_warning(m, "name string runs past"),
	   "%s: note 11 is cut short", what);

	p = find_probe(m, "plain", 0);
	ok(p && strcmp(p->provider, "p") == 0 && p->pc == 0x1010 && p->pc_offset == 0x1010 &&
	   p->semaphore == 0 && !p->problem && p->nargs == 0 && strcmp(p->args, "") == 0,
	   "%s: p:plain, no semaphore, no arguments", what);
	p = find_probe(m, "plain", 1);
	ok(p && p->pc == 0x10a0 && p->nargs == 1 && (int)p->argv[0].kind == reg,
	   "%s: a second p:plain note is its own probe with its own arguments", what);
	p = find_probe(m, "withsem", 0);
	ok(p && p->pc == 0x1020 && p->semaphore == 0x3e10 && p->sem_offset == 0x2e10 && !p->problem,
	   "%s: p:withsem's semaphore is at file offset 0x2e10", what);
	ok(p && p->nargs == 2 && (int)p->argv[0].kind == reg &&
	   (x86 ? p->argv[1].kind == ARGSPEC_MEM && p->argv[1].imm == -8
		: p->argv[1].kind == ARGSPEC_INVALID),
	   "%s: p:withsem's two arguments", what);

	p = find_probe(m, "sym", 0);
	ok(p && p->nargs == 8 && !p->problem, "%s: p:sym has 8 arguments and is armable", what);
	if (p && p->nargs == 8 && !x86) {
		char want[96];

		snprintf(want, sizeof(want), "%s operand, not decoded (ptap reads x86-64)",
			 arch_machine_name(m->machine));
		for (int i = 0; i < 8; i++)
			ok(p->argv[i].kind == ARGSPEC_INVALID && !strcmp(p->argv[i].error, want) &&
			   !p->sym_value[i], "%s: argument %d is kept, not decoded", what, i + 1);
	}
	if (p && p->nargs == 8 && x86) {
		is_u64(p->sym_value[0], 0x3e80, "%s: gvar(%%rip) is gvar's value", what);
		is_int(p->argv[1].kind, ARGSPEC_INVALID, "%s: an undefined symbol makes its argument invalid", what);
		is_str(p->argv[1].error, "symbol 'missing' not in .symtab or .dynsym", "%s: and says so", what);
		is_u64(p->sym_value[1], 0, "%s: with no value", what);
		is_u64(p->sym_value[2], 0x3e88, "%s: 8+gvar(%%rip) adds the offset", what);
		ok(p->argv[3].kind == ARGSPEC_REG && p->sym_value[3] == 0, "%s: a register has no symbol value", what);
		is_u64(p->sym_value[4], 0x3e8c, "%s: a local symbol, minus 4", what);
		is_u64(p->sym_value[5], 0x1100, "%s: a symbol found only in .dynsym", what);
		is_u64(p->sym_value[6], 0x222, "%s: a global definition wins over a local one", what);
		is_int(p->argv[7].kind, ARGSPEC_INVALID, "%s: a TLS symbol is not an address", what);
		argspec_describe(&p->argv[0], buf, sizeof(buf));
		is_str(buf, "signed 32-bit, symbol gvar(%rip)", "%s: described", what);
	}
	p = find_probe(m, "badsite", 0);
	is_str(p ? p->problem : NULL, "site 0x2050 is outside every executable segment",
	       "%s: a site in a read-only segment", what);
	p = find_probe(m, "badsem", 0);
	is_str(p ? p->problem : NULL, "semaphore 0x2060 is outside every writable segment",
	       "%s: a semaphore in a read-only segment", what);
	p = find_probe(m, "bsssem", 0);
	is_str(p ? p->problem : NULL, "semaphore 0x4100 is outside every writable segment",
	       "%s: a semaphore in .bss has no file offset", what);
	p = find_probe(m, "toomany", 0);
	is_str(p ? p->problem : NULL, "more than 12 arguments", "%s: 13 arguments", what);
	ok(p && p->nargs == 12 &&
	   (x86 ? p->argv[11].kind == ARGSPEC_CONST && p->argv[11].imm == 11
		: p->argv[11].kind == ARGSPEC_INVALID),
	   "%s: the first 12 are kept", what);
	p = find_probe(m, "badarg", 0);
	ok(p && !p->problem && p->nargs == 2 && p->argv[0].kind == ARGSPEC_INVALID &&
	   (int)p->argv[1].kind == reg, "%s: a bad argument is not a problem; the next keeps its slot", what);
	p = find_probe(m, "last", 0);
	ok(p && !p->problem && p->pc_offset == 0x1ffe && p->sem_offset == 0x2ffe,
	   "%s: a semaphore ending on the last file byte of the segment is fine", what);
	p = find_probe(m, "semedge", 0);
	is_str(p ? p->problem : NULL, "semaphore 0x3fff is outside every writable segment",
	       "%s: a semaphore whose second byte is past the file image", what);
	p = find_probe(m, "badboth", 0);
	is_str(p ? p->problem : NULL,
	       "site 0x5000 is outside every executable segment; "
	       "semaphore 0x5000 is outside every writable segment",
	       "%s: two problems are both reported", what);
}

static void test_pie(void)
{
	struct elf_module *m = NULL;
	const char *path, *why = "unset";
	struct stat st;
	struct fx f;
	uint64_t v = 0;
	int fd, rc;

	fx_pie(&f, true, false, EM_X86_64, false, true);
	path = write_fx("pie64", &f);
	fx_free(&f);
	rc = elf_module_open(path, -1, &m);
	is_int(rc, 0, "64-bit PIE fixture opens");
	if (rc)
		return;
	stat(path, &st);
	ok(m->dev == st.st_dev && m->ino == st.st_ino, "device and inode are the file's");
	is_str(m->path, path, "path is kept");
	is_int(m->machine, EM_X86_64, "machine");
	check_pie(m, "pie64", true, false, true);
	ok(elf_module_traceable(m, &why) && why == NULL, "an x86-64 ELF64 is traceable");
	elf_module_free(m);

	/* Through an fd: same result, and the fd stays open (it is the caller's). */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	lseek(fd, 17, SEEK_SET);
	rc = elf_module_open("by-fd", fd, &m);
	is_int(rc, 0, "the same file opens through an fd");
	if (!rc) {
		is_str(m->path, "by-fd", "path only names it");
		is_int(m->nprobes, 12, "with the same probes");
		elf_module_free(m);
	}
	ok(fcntl(fd, F_GETFD) >= 0, "the caller's fd is left open");
	is_int(lseek(fd, 0, SEEK_CUR), 17, "and its file position untouched");
	close(fd);

	is_int(elf_module_symbol(path, -1, "gvar", &v), 0, "elf_module_symbol finds gvar");
	is_u64(v, 0x3e80, "its value");
	is_int(elf_module_symbol(path, -1, "lvar", &v), 0, "a local symbol");
	is_u64(v, 0x3e90, "its value");
	is_int(elf_module_symbol(path, -1, "_dl_debug_state", &v), 0, "a .dynsym-only symbol");
	is_u64(v, 0x1100, "its value");
	is_int(elf_module_symbol(path, -1, "missing", &v), -ENOENT, "an undefined symbol is not found");
	is_int(elf_module_symbol(path, -1, "nosuch", &v), -ENOENT, "nor is an absent one");
	is_int(elf_module_symbol(path, -1, "", &v), -ENOENT, "nor the empty name");
	is_int(elf_module_symbol(tmp_path("nosuchfile"), -1, "gvar", &v), -ENOENT,
	       "a missing file gives open's error");
}

static void test_prelinked(void)
{
	struct elf_module *m = NULL;
	const struct sdt_probe *p;
	struct fx f;
	int rc;

	/* Every note records addresses 0x1000 below where the file now is. */
	fx_pie(&f, true, false, EM_X86_64, true, true);
	rc = elf_module_open(write_fx("prelinked", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "prelinked fixture opens");
	if (rc)
		return;
	check_pie(m, "prelinked", true, false, true);
	p = find_probe(m, "plain", 0);
	ok(p && p->pc == 0x1010, "pc is corrected by .stapsdt.base - base");
	elf_module_free(m);

	/* Without .stapsdt.base, no correction can be made or is made. */
	fx_pie(&f, true, false, EM_X86_64, true, false);
	rc = elf_module_open(write_fx("nobase", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "a file without .stapsdt.base opens");
	if (rc)
		return;
	ok(!m->have_base, "no base");
	p = find_probe(m, "withsem", 0);
	ok(p && p->pc == 0x20 && p->semaphore == 0x2e10, "addresses are taken as recorded");
	ok(p && p->problem && strstr(p->problem, "site 0x20 is outside every executable segment"),
	   "and then fall outside the segments");
	elf_module_free(m);
}

static void test_other_formats(void)
{
	struct elf_module *m = NULL;
	const char *why = NULL;
	struct fx f;
	int rc;

	/* The same PIE as ELF32 x86-64 (x32), big-endian ppc64, and aarch64. */
	fx_pie(&f, false, false, EM_X86_64, false, true);
	rc = elf_module_open(write_fx("x32", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "ELF32 fixture opens");
	if (!rc) {
		check_pie(m, "elf32", false, false, true);
		ok(!elf_module_traceable(m, &why) && why && strstr(why, "x32"), "x32 is not traceable");
		is_str(why, "it is a 32-bit x86-64 binary (x32); ptap traces 64-bit programs only",
		       "and the reason says why");
		elf_module_free(m);
	}

	fx_pie(&f, true, true, EM_PPC64, false, true);
	rc = elf_module_open(write_fx("ppc64", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "big-endian ELF64 fixture opens");
	if (!rc) {
		check_pie(m, "ppc64", true, true, true);
		ok(!elf_module_traceable(m, &why), "ppc64 is not traceable");
		is_str(why, "it is a ppc64 binary; ptap traces x86-64 only for now", "reason");
		elf_module_free(m);
	}

	fx_pie(&f, false, true, EM_PPC, false, true);
	rc = elf_module_open(write_fx("ppc32", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "big-endian ELF32 fixture opens");
	if (!rc) {
		check_pie(m, "ppc32", false, true, true);
		elf_module_free(m);
	}

	fx_pie(&f, true, false, EM_AARCH64, false, true);
	rc = elf_module_open(write_fx("aarch64", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "aarch64 fixture opens");
	if (!rc) {
		ok(!elf_module_traceable(m, &why), "aarch64 is not traceable");
		is_str(why, "it is an aarch64 binary; ptap traces x86-64 only for now", "reason");
		elf_module_free(m);
	}

	fx_pie(&f, true, true, EM_X86_64, false, true);
	rc = elf_module_open(write_fx("bex86", &f), -1, &m);
	fx_free(&f);
	if (!rc) {
		ok(!elf_module_traceable(m, &why) && strstr(why, "big-endian"),
		   "a big-endian x86-64 file is not traceable");
		elf_module_free(m);
	} else {
		ok(rc == -EINVAL || rc == -ENOEXEC, "a big-endian x86-64 file is refused");
	}
}

/* A 32-bit i386 executable: ET_EXEC, link-time addresses near 0x8048000. */
static void test_exec32(void)
{
	struct elf_module *m = NULL;
	const char *why = NULL;
	uint32_t notes, b;
	struct fx f;
	int rc;

	fx_init(&f, false, false, EM_386, ET_EXEC);
	fx_seg(&f, PF_R | PF_X, 0x8048000, 0, 0x1000, 0x1000);
	fx_seg(&f, PF_R | PF_W, 0x804a000, 0x1000, 0x100, 0x200);
	f.min_size = 0x1100;
	b = fx_sec(&f, ".stapsdt.base", SHT_PROGBITS, SHF_ALLOC, 0x8048f00);
	buf_zero(&fx_get(&f, b)->data, 1);
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	note_sdt(&fx_get(&f, notes)->data, false, false, 0x8048010, 0x8048f00, 0x804a010, "app", "tick",
		 "-4@$1 4@8(%ebp)");
	rc = elf_module_open(write_fx("exec32", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "i386 executable opens");
	if (rc)
		return;
	ok(m->elf_class == ELFCLASS32 && m->machine == EM_386 && m->type == ET_EXEC && !m->big_endian,
	   "class, machine, type");
	is_int(m->nprobes, 1, "one probe");
	if (m->nprobes == 1) {
		const struct sdt_probe *p = &m->probes[0];

		ok(p->pc == 0x8048010 && p->pc_offset == 0x10 && p->semaphore == 0x804a010 &&
		   p->sem_offset == 0x1010 && !p->problem, "addresses and offsets");
		ok(p->nargs == 2 && p->argv[0].kind == ARGSPEC_INVALID && p->argv[1].kind == ARGSPEC_INVALID &&
		   !strcmp(p->argv[0].error, "i386 operand, not decoded (ptap reads x86-64)"),
		   "arguments kept in their slots, not decoded (another machine's operands)");
	}
	ok(!elf_module_traceable(m, &why), "i386 is not traceable");
	is_str(why, "it is an i386 binary; ptap traces x86-64 only for now", "reason");
	elf_module_free(m);
}

static void test_no_notes(void)
{
	struct elf_module *m = NULL;
	struct fx f;
	int rc;

	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x100, 0x100);
	fx_sec(&f, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x40);
	buf_zero(&fx_get(&f, 1)->data, 16);
	rc = elf_module_open(write_fx("nonotes", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "an ELF without notes opens");
	if (!rc) {
		ok(m->nprobes == 0 && m->nwarnings == 0 && !m->have_base && m->dl_debug_state == 0 &&
		   m->nsegs == 1, "with no probes, no warnings, no base");
		elf_module_free(m);
	}

	fx_init(&f, true, false, EM_X86_64, ET_EXEC);
	fx_seg(&f, PF_R | PF_X, 0x400000, 0, 0x100, 0x100);
	f.no_sections = true;
	rc = elf_module_open(write_fx("nosections", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "an ELF without section headers (sstrip) opens");
	if (!rc) {
		ok(m->nprobes == 0 && m->nwarnings == 0 && m->nsegs == 1, "with no probes");
		elf_module_free(m);
	}

	fx_init(&f, true, false, EM_X86_64, ET_REL);
	fx_sec(&f, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0);
	rc = elf_module_open(write_fx("noprogram", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "an ELF without program headers opens");
	if (!rc) {
		ok(m->nsegs == 0 && m->nprobes == 0, "with no segments");
		elf_module_free(m);
	}
}

static void test_not_elf(void)
{
	struct elf_module *m = (struct elf_module *)1;
	int rc;

	is_int(elf_module_open(write_file("text", "#!/bin/sh\necho hi\n", 18), -1, &m), -ENOEXEC,
	       "a shell script is not ELF");
	ok(m == NULL, "and *out is NULL");
	is_int(elf_module_open(write_file("empty", "", 0), -1, &m), -ENOEXEC, "an empty file is not ELF");
	is_int(elf_module_open(write_file("magic3", "\177EL", 3), -1, &m), -ENOEXEC, "3 bytes of magic");
	rc = elf_module_open(write_file("magic4", "\177ELF", 4), -1, &m);
	ok(rc == -ENOEXEC || rc == -EINVAL, "4 bytes of magic: -ENOEXEC or -EINVAL (got %d)", rc);
	rc = elf_module_open(write_file("badclass", "\177ELF\x09\x01\x01\0\0\0\0\0\0\0\0\0"
				       "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
				       40), -1, &m);
	ok(rc == -ENOEXEC || rc == -EINVAL, "an unknown ELF class: -ENOEXEC or -EINVAL (got %d)", rc);
	is_int(elf_module_open(tmp_path("nosuch"), -1, &m), -ENOENT, "a missing file: -ENOENT");
	is_int(elf_module_open(tmpdir, -1, &m), -EISDIR, "a directory: -EISDIR");
	is_int(elf_module_open("/dev/null", -1, &m), -ENOEXEC, "a device is not an ELF file");
	is_int(elf_module_open(NULL, -1, &m), -EINVAL, "no path and no fd: -EINVAL");
	is_int(elf_module_open("x", 9999, &m), -EBADF, "a bad fd: -EBADF");
}

/* ---- hostile files ---------------------------------------------------- */

/* What every successful load must satisfy, however bad the file. */
static bool module_sane(const struct elf_module *m)
{
	for (size_t i = 0; i < m->nprobes; i++) {
		const struct sdt_probe *p = &m->probes[i];

		if (!p->provider[0] || !p->name[0] || p->nargs < 0 || p->nargs > ARGSPEC_MAX_ARGS)
			return false;
		if (p->nargs && (!p->argv || !p->sym_value))
			return false;
		for (int a = 0; a < p->nargs; a++) {
			if (p->argv[a].kind == ARGSPEC_INVALID && !p->argv[a].error[0])
				return false;
		}
	}
	for (size_t i = 0; i < m->nwarnings; i++) {
		if (!m->warnings[i] || !m->warnings[i][0])
			return false;
	}
	return true;
}

static void test_sections_outside(void)
{
	struct elf_module *m = NULL;
	uint32_t bad, good;
	struct fx f;
	int rc;

	/* Two .note.stapsdt sections: one claims bytes past the end of the
	 * file, one is fine.  The good one must still load. */
	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	f.min_size = 0x1000;
	bad = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	fx_get(&f, bad)->fake = true;
	fx_get(&f, bad)->fake_offset = 0x100000;
	fx_get(&f, bad)->fake_size = 0x100;
	good = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	note_sdt(&fx_get(&f, good)->data, true, false, 0x10, 0, 0, "p", "ok", "");
	bad = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	fx_get(&f, bad)->fake = true;
	fx_get(&f, bad)->fake_offset = 0x100;
	fx_get(&f, bad)->fake_size = UINT64_MAX - 0x80;   /* offset + size wraps */
	bad = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	fx_get(&f, bad)->fake = true;
	fx_get(&f, bad)->fake_offset = 0x100;
	fx_get(&f, bad)->fake_size = 1ULL << 50;          /* would be a 1 PiB allocation */
	rc = elf_module_open(write_fx("outside", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "notes outside the file: the module still opens");
	if (!rc) {
		is_int(m->nprobes, 1, "the good section's probe is loaded");
		is_int(m->nwarnings, 3, "each bad section is a warning");
		ok(has_warning(m, "section [1] .note.stapsdt (offset 0x100000, 256 bytes) lies outside the file"),
		   "naming the section and its claim");
		elf_module_free(m);
	}
}

static void test_bad_note_sizes(void)
{
	struct elf_module *m = NULL;
	uint32_t notes;
	struct buf *n;
	struct fx f;
	int rc;

	/* A good note, then one whose descsz is 4 GiB - 16. */
	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	f.min_size = 0x1000;
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	n = &fx_get(&f, notes)->data;
	note_sdt(n, true, false, 0x10, 0, 0, "p", "first", "");
	buf_int(n, 8, 4, false);
	buf_int(n, 0xfffffff0u, 4, false);
	buf_int(n, 3, 4, false);
	buf_str(n, "stapsdt");
	buf_zero(n, 40);
	rc = elf_module_open(write_fx("hugedesc", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "a note with a 4 GiB descriptor: the module still opens");
	if (!rc) {
		ok(m->nprobes == 1 && strcmp(m->probes[0].name, "first") == 0, "the note before it is loaded");
		ok(m->nwarnings == 1 && strstr(m->warnings[0], "not a complete note"),
		   "and the rest of the section is a warning");
		elf_module_free(m);
	}

	/* namesz huge. */
	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	n = &fx_get(&f, notes)->data;
	buf_int(n, 0xffffffffu, 4, false);
	buf_int(n, 0, 4, false);
	buf_int(n, 3, 4, false);
	buf_zero(n, 20);
	rc = elf_module_open(write_fx("hugename", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "a note with a 4 GiB name: the module still opens");
	if (!rc) {
		ok(m->nprobes == 0 && m->nwarnings == 1, "with one warning and no probes");
		elf_module_free(m);
	}
}

/*
 * libelf keeps one error for the whole process.  A cut-off note at the end
 * of the section, or a symbol table libelf refuses while a SYMBOL argument
 * is looked up, leaves it set; neither is a failure to read the section,
 * which once gave a second, false warning: "cannot be read: no error".
 */
static void test_stale_libelf_error(void)
{
	struct elf_module *m = NULL;
	uint32_t notes, symtab, strtab;
	struct buf *n;
	struct fx f;
	int rc;

	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	f.min_size = 0x1000;
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	n = &fx_get(&f, notes)->data;
	note_sdt(n, true, false, 0x10, 0, 0, "p", "whole", "");
	buf_int(n, 8, 3, false);           /* 3 bytes of a next note header */
	rc = elf_module_open(write_fx("cutnote", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "a note cut off after a good one: the module opens");
	if (!rc) {
		is_int(m->nwarnings, 1, "one warning");
		ok(m->nwarnings && strstr(m->warnings[0], "3 bytes at offset 0x38 are not a complete note"),
		   "the cut-off note's, not a failure to read the section");
		elf_module_free(m);
	}

	/* A symbol table of 7 bytes with entries of size 0. */
	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	f.min_size = 0x1000;
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	note_sdt(&fx_get(&f, notes)->data, true, false, 0x10, 0, 0, "p", "sym", "8@gvar(%rip)");
	symtab = fx_sec(&f, ".symtab", SHT_SYMTAB, 0, 0);
	strtab = fx_sec(&f, ".strtab", SHT_STRTAB, 0, 0);
	buf_zero(&fx_get(&f, symtab)->data, 7);
	fx_get(&f, symtab)->link = strtab;
	buf_str(&fx_get(&f, strtab)->data, "");
	buf_str(&fx_get(&f, strtab)->data, "gvar");
	rc = elf_module_open(write_fx("badsymtab", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "a symbol table libelf refuses: the module opens");
	if (!rc) {
		is_int(m->nwarnings, 0, "no warning about the note section");
		ok(m->nprobes == 1 && m->probes[0].argv[0].kind == ARGSPEC_INVALID,
		   "the symbol argument reads as invalid");
		elf_module_free(m);
	}
}

/* A section of many notes: warnings and probes are capped, not unbounded. */
static void test_caps(void)
{
	struct elf_module *m = NULL;
	static const uint8_t empty_provider[24 + 4] = { [24] = 0, [25] = 'n', [26] = 0, [27] = 0 };
	uint32_t notes;
	struct buf *n;
	struct fx f;
	int rc;

	fx_init(&f, true, false, EM_X86_64, ET_DYN);
	fx_seg(&f, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	notes = fx_sec(&f, ".note.stapsdt", SHT_NOTE, 0, 0);
	n = &fx_get(&f, notes)->data;
	for (int i = 0; i < 150; i++)
		note_raw(n, false, "stapsdt", 3, empty_provider, sizeof(empty_provider));
	for (int i = 0; i < 65536 + 3; i++)
		note_sdt(n, true, false, 0x10, 0, 0, "p", "x", "");
	rc = elf_module_open(write_fx("many", &f), -1, &m);
	fx_free(&f);
	is_int(rc, 0, "150 bad and 65539 good notes: the module opens");
	if (!rc) {
		is_int(m->nprobes, 65536, "probes stop at 65536");
		is_int(m->nwarnings, 102, "100 warnings, then two summaries");
		is_str(m->warnings[99], "stapsdt note 100 (section [1], offset 0x1290): empty provider; skipped",
		       "the 100th warning is the 100th note's");
		is_str(m->warnings[100], "3 stapsdt notes beyond the first 65536 were ignored",
		       "a summary of the probes left out");
		is_str(m->warnings[101], "50 more warnings not shown", "and of the warnings left out");
		elf_module_free(m);
	}
}

static void test_bad_headers(void)
{
	struct elf_module *m = NULL;
	struct buf img;
	struct fx f;
	uint64_t shoff;
	int rc;

	fx_pie(&f, true, false, EM_X86_64, false, true);
	fx_image(&f, &img);
	fx_free(&f);
	shoff = 0;
	for (int i = 0; i < 8; i++)
		shoff |= (uint64_t)img.p[EH64_SHOFF + i] << (8 * i);

	/* e_shstrndx names a section that lies outside the file. */
	{
		struct buf c = { 0 };
		uint16_t strndx = (uint16_t)(img.p[EH64_SHSTRNDX] | img.p[EH64_SHSTRNDX + 1] << 8);

		buf_put(&c, img.p, img.len);
		set_int(c.p + shoff + 64 * strndx + 24, 0x7fff0000, 8, false);
		rc = elf_module_open(write_file("badshstr", c.p, c.len), -1, &m);
		is_int(rc, -EINVAL, "section names outside the file: -EINVAL");
		free(c.p);
	}
	/* Extended section count (e_shnum 0, count in section 0's sh_size), huge. */
	{
		struct buf c = { 0 };

		buf_put(&c, img.p, img.len);
		set_int(c.p + EH64_SHNUM, 0, 2, false);
		set_int(c.p + shoff + 32, 1ULL << 40, 8, false);
		rc = elf_module_open(write_file("hugeshnum", c.p, c.len), -1, &m);
		ok(rc == -EINVAL || rc == -ENOEXEC, "a 2^40 section count: refused (got %d)", rc);
		if (!rc)
			elf_module_free(m);
		free(c.p);
	}
	/* Section headers past the end of the file. */
	{
		struct buf c = { 0 };

		buf_put(&c, img.p, img.len);
		set_int(c.p + EH64_SHOFF, 0x7ffffff00000ULL, 8, false);
		rc = elf_module_open(write_file("farshdr", c.p, c.len), -1, &m);
		ok(rc == -EINVAL || rc == -ENOEXEC, "section headers past EOF: refused (got %d)", rc);
		if (!rc)
			elf_module_free(m);
		free(c.p);
	}
	/* Program headers past the end of the file. */
	{
		struct buf c = { 0 };

		buf_put(&c, img.p, img.len);
		set_int(c.p + 32, 0x7ffffff00000ULL, 8, false);
		rc = elf_module_open(write_file("farphdr", c.p, c.len), -1, &m);
		ok(rc == -EINVAL || rc == -ENOEXEC, "program headers past EOF: refused (got %d)", rc);
		if (!rc)
			elf_module_free(m);
		free(c.p);
	}
	/* A symbol table whose string table lies outside the file: symbols
	 * are not found, nothing else changes. */
	{
		struct buf c = { 0 };
		size_t nsh = (size_t)(img.p[EH64_SHNUM] | img.p[EH64_SHNUM + 1] << 8);

		buf_put(&c, img.p, img.len);
		for (size_t i = 1; i < nsh; i++) {
			uint8_t *sh = c.p + shoff + 64 * i;

			if (sh[4] == SHT_STRTAB && i != nsh - 1)
				set_int(sh + 24, 0x7fff0000, 8, false);
		}
		rc = elf_module_open(write_file("badstrtab", c.p, c.len), -1, &m);
		is_int(rc, 0, "string tables of the symbol tables outside the file: still opens");
		if (!rc) {
			const struct sdt_probe *p = find_probe(m, "sym", 0);

			ok(p && p->nargs == 8 && p->argv[0].kind == ARGSPEC_INVALID && !p->problem,
			   "symbol arguments then read as invalid, the probe stays armable");
			is_u64(m->dl_debug_state, 0, "and _dl_debug_state is not found");
			elf_module_free(m);
		}
		free(c.p);
	}
	free(img.p);
}

/* Every prefix of a good file opens or fails cleanly. */
static void test_truncations(void)
{
	const char *path = tmp_path("truncated");
	size_t opened = 0, refused = 0, odd = 0, insane = 0;
	struct buf img;
	struct fx f;
	int fd;

	/* Headers first, so that most prefixes keep them and lose sections. */
	fx_pie(&f, true, false, EM_X86_64, false, true);
	f.min_size = 0;
	f.shdrs_first = true;
	fx_image(&f, &img);
	fx_free(&f);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (size_t len = 0; len <= img.len; len++) {
		struct elf_module *m = NULL;
		int rc;

		if (ftruncate(fd, 0) || pwrite(fd, img.p, len, 0) != (ssize_t)len)
			break;
		rc = elf_module_open(path, -1, &m);
		if (rc == 0) {
			opened++;
			insane += !module_sane(m);
			elf_module_free(m);
		} else if (rc == -ENOEXEC || rc == -EINVAL) {
			refused++;
		} else {
			odd++;
		}
	}
	close(fd);
	ok(opened + refused == img.len + 1 && odd == 0,
	   "all %zu prefixes open (%zu) or are refused with -ENOEXEC/-EINVAL (%zu)", img.len + 1,
	   opened, refused);
	is_int(insane, 0, "every module loaded from a prefix is consistent");
	ok(opened > img.len / 2, "most prefixes open: they lose sections, not headers");
	free(img.p);
}

/* Random byte changes, from a fixed seed so that a failure reproduces. */
static void test_mutations(void)
{
	const char *path = tmp_path("mutated");
	size_t opened = 0, refused = 0, odd = 0, insane = 0, rounds = 4000;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, shoff = 0;
	struct buf img, c = { 0 };
	struct fx f;
	int fd;

	fx_pie(&f, true, false, EM_X86_64, false, true);
	fx_image(&f, &img);
	fx_free(&f);
	for (int i = 0; i < 8; i++)
		shoff |= (uint64_t)img.p[EH64_SHOFF + i] << (8 * i);
	buf_put(&c, img.p, img.len);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (size_t r = 0; r < rounds; r++) {
		struct elf_module *m = NULL;
		int flips, rc;

		memcpy(c.p, img.p, img.len);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		flips = 1 + (int)((seed >> 60) & 7);
		for (int i = 0; i < flips; i++) {
			size_t at;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Half the rounds aim at the headers, where damage matters most. */
			if (r % 2 && shoff < img.len)
				at = (size_t)(r % 4 == 1 ? (seed >> 33) % 64 : shoff + (seed >> 33) % (img.len - shoff));
			else
				at = (size_t)(seed >> 33) % img.len;
			c.p[at] = (seed >> 8) & 1 ? (uint8_t)(seed >> 16) : c.p[at] ^ (uint8_t)(1u << ((seed >> 16) & 7));
		}
		if (ftruncate(fd, 0) || pwrite(fd, c.p, c.len, 0) != (ssize_t)c.len)
			break;
		rc = elf_module_open(path, -1, &m);
		if (rc == 0) {
			opened++;
			insane += !module_sane(m);
			elf_module_free(m);
		} else if (rc == -ENOEXEC || rc == -EINVAL) {
			refused++;
		} else {
			odd++;
		}
	}
	close(fd);
	ok(opened + refused == rounds && odd == 0, "%zu mutated files open (%zu) or are refused (%zu)",
	   rounds, opened, refused);
	is_int(insane, 0, "every module loaded from a mutated file is consistent");
	free(img.p);
	free(c.p);
}

/* ---- real binaries against readelf ------------------------------------ */

struct rnote {
	char provider[64], name[64], args[512];
	uint64_t pc, sem;
};

/* The stapsdt notes as readelf -n prints them, or -1 if readelf is missing. */
static int readelf_notes(const char *path, struct rnote *out, int max)
{
	char cmd[600], line[1024];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -nW '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long pc, base, sem;
		char *s;

		/* With -W, "Provider:" shares the line of the note's header. */
		line[strcspn(line, "\n")] = '\0';
		if ((s = strstr(line, "Provider: "))) {
			if (++n >= max)
				break;
			memset(&out[n], 0, sizeof(out[n]));
			snprintf(out[n].provider, sizeof(out[n].provider), "%s", s + 10);
		} else if (n < 0) {
			continue;
		} else if ((s = strstr(line, "Name: "))) {
			snprintf(out[n].name, sizeof(out[n].name), "%s", s + 6);
		} else if ((s = strstr(line, "Location: ")) &&
			   sscanf(s, "Location: %llx, Base: %llx, Semaphore: %llx", &pc, &base, &sem) == 3) {
			out[n].pc = pc;
			out[n].sem = sem;
		} else if ((s = strstr(line, "Arguments:"))) {
			snprintf(out[n].args, sizeof(out[n].args), "%s", s + 10 + strspn(s + 10, " "));
		}
	}
	if (pclose(p) != 0 && n < 0)
		return -1;
	return n + 1;
}

static void test_real(const char *path, bool want_probes)
{
	static struct rnote notes[1024];
	struct elf_module *m = NULL;
	size_t mismatched = 0, problems = 0, invalid = 0, not_nop = 0;
	int n, rc, fd;

	if (access(path, R_OK) != 0) {
		ok(1, "# SKIP %s is not installed", path);
		return;
	}
	n = readelf_notes(path, notes, 1024);
	if (n < 0) {
		ok(1, "# SKIP readelf is not installed");
		return;
	}
	rc = elf_module_open(path, -1, &m);
	is_int(rc, 0, "%s opens", path);
	if (rc)
		return;
	if (want_probes)
		ok(n > 0, "%s: readelf shows %d stapsdt notes", path, n);
	is_int(m->nprobes, n, "%s: as many probes as readelf shows notes", path);
	is_int(m->nwarnings, 0, "%s: no warnings", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < m->nprobes && i < (size_t)n; i++) {
		const struct sdt_probe *p = &m->probes[i];
		uint8_t byte = 0;

		if (strcmp(p->provider, notes[i].provider) || strcmp(p->name, notes[i].name) ||
		    strcmp(p->args, notes[i].args) || p->pc != notes[i].pc || p->semaphore != notes[i].sem) {
			if (!mismatched++)
				printf("#   probe %zu: %s:%s %s pc 0x%llx vs readelf %s:%s %s pc 0x%llx\n", i,
				       p->provider, p->name, p->args, (unsigned long long)p->pc,
				       notes[i].provider, notes[i].name, notes[i].args,
				       (unsigned long long)notes[i].pc);
		}
		if (p->problem) {
			if (!problems++)
				printf("#   %s:%s: %s\n", p->provider, p->name, p->problem);
			continue;
		}
		for (int a = 0; a < p->nargs; a++) {
			if (p->argv[a].kind == ARGSPEC_INVALID && !invalid++)
				printf("#   %s:%s argument %d: %s\n", p->provider, p->name, a + 1, p->argv[a].error);
		}
		if (pread(fd, &byte, 1, (off_t)p->pc_offset) != 1 || byte != arch_site_insn)
			not_nop++;
	}
	close(fd);
	is_int(mismatched, 0, "%s: provider, name, pc, semaphore and arguments match readelf", path);
	is_int(problems, 0, "%s: every probe is armable", path);
	is_int(invalid, 0, "%s: every argument parses", path);
	is_int(not_nop, 0, "%s: the byte at every site's file offset is a nop", path);
	ok(module_sane(m), "%s: consistent", path);
	elf_module_free(m);
}

static void test_ld_so(void)
{
	static const char ld[] = "/lib64/ld-linux-x86-64.so.2";
	struct elf_module *m = NULL;
	uint64_t off = 0;
	uint8_t code[8];
	int fd;

	if (elf_module_open(ld, -1, &m) != 0) {
		ok(1, "# SKIP %s does not open", ld);
		return;
	}
	ok(m->dl_debug_state != 0, "ld.so defines _dl_debug_state (0x%llx)",
	   (unsigned long long)m->dl_debug_state);
	ok(m->nsegs > 0 && m->type == ET_DYN, "ld.so is ET_DYN with segments");
	fd = open(ld, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct elf_segment *s = &m->segs[i];

		if ((s->flags & PF_X) && m->dl_debug_state >= s->vaddr &&
		    m->dl_debug_state - s->vaddr < s->filesz)
			off = m->dl_debug_state - s->vaddr + s->offset;
	}
	ok(off && pread(fd, code, sizeof(code), (off_t)off) == (ssize_t)sizeof(code) &&
	   arch_return_site(code, sizeof(code)) >= 0,
	   "_dl_debug_state is a bare return a trap can stand in for");
	close(fd);
	elf_module_free(m);
}

static void cleanup(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.')
			unlink(tmp_path(e->d_name));
	}
	closedir(d);
	rmdir(tmpdir);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/ptap-test-module.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_pie();
	test_prelinked();
	test_other_formats();
	test_exec32();
	test_no_notes();
	test_not_elf();
	test_sections_outside();
	test_bad_note_sizes();
	test_stale_libelf_error();
	test_bad_headers();
	test_caps();
	test_truncations();
	test_mutations();
	test_real("/usr/bin/python3.11", true);
	test_real("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", true);
	test_real("/usr/bin/python3.11d", true);
	test_real("/usr/local/bin/postgres", true);
	test_real("/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", true);
	test_ld_so();
	cleanup();
	return done_testing();
}

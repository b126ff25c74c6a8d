/*
 * One ELF file's stapsdt probes, read with libelf.
 *
 *   $ readelf -n /usr/bin/python3.11
 *   Displaying notes found in: .note.stapsdt
 *     Owner      Data size   Description
 *     stapsdt    0x00000036  NT_STAPSDT (SystemTap probe descriptors)
 *       Provider: python
 *       Name: gc__start
 *       Location: 0x426fc1, Base: 0x8c99c0, Semaphore: 0xa7ed4e
 *       Arguments: -4@112(%rsp)
 *   $ readelf -S /usr/bin/python3.11 | grep -A1 -E 'stapsdt|probes'
 *     [17] .stapsdt.base  PROGBITS  00000000008c99c0  004c99c0 ...
 *     [27] .probes        PROGBITS  0000000000a7ed40  0067dd40 ...
 *     [29] .note.stapsdt  NOTE      0000000000000000  0067dd58 ...
 *
 * elf_module_open() makes two passes over the section headers: the first
 * finds .stapsdt.base and the symbol tables, because every note needs the
 * base for its prelink correction and may name symbols; the second walks
 * the notes of each .note.stapsdt section with gelf_getnote() and turns
 * each good descriptor into a struct sdt_probe whose addresses are
 * resolved to file offsets through the PT_LOAD segments (elf/addr.c).
 *
 * The file may come from any process ptap attaches to, so it is treated
 * as hostile.  libelf validates headers and note framing, and we check
 * again every length we use ourselves.  A bad note becomes a warning
 * naming its number, a probe we cannot arm keeps a "problem" sentence, an
 * argument we cannot read becomes ARGSPEC_INVALID in its slot: the rest of
 * the file still loads.  The file is read with ELF_C_READ (pread on
 * demand) rather than mapped, so that a target truncating its own binary
 * under us cannot kill ptap with SIGBUS.
 */
#define _GNU_SOURCE
#include "elf/module.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "common/util.h"
#include "elf/addr.h"
#include "elf/file.h"
#include "elf/sdt_note.h"

#define STAPSDT_SECTION ".note.stapsdt"
#define STAPSDT_BASE_SECTION ".stapsdt.base"

/* A hostile note section can hold millions of tiny notes; stop long
 * before that costs gigabytes.  Real programs have tens to hundreds. */
#define MAX_PROBES 65536
#define MAX_WARNINGS 100

/* What a module load keeps while walking the notes. */
struct loader {
	struct elf_module *m;
	struct elf_file *f;
	size_t probes_cap;
	size_t warnings_cap;
	size_t notes_seen;         /* stapsdt notes, good or bad: numbers warnings */
	size_t notes_dropped;      /* beyond MAX_PROBES */
	size_t warnings_dropped;   /* beyond MAX_WARNINGS */
};

/* The same for section number ndx (a string table named by sh_link or e_shstrndx). */
static bool section_ndx_in_file(const struct elf_file *f, size_t ndx)
{
	Elf_Scn *scn = elf_getscn(f->elf, ndx);
	GElf_Shdr sh;

	return ndx != SHN_UNDEF && scn && gelf_getshdr(scn, &sh) && elf_section_in_file(f, &sh);
}

/*
 * Remember the symbol tables whose entries and names can be read; 0, or
 * -EINVAL if a section header is unreadable.
 */
static int find_symtabs(struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		if (!elf_section_in_file(f, &sh) || !section_ndx_in_file(f, sh.sh_link))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !f->symtab)
			f->symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !f->dynsym)
			f->dynsym = scn;
	}
	return 0;
}

/*
 * A defined symbol named name in one symbol table.  Global and weak
 * definitions win over local ones; between two locals of the same name
 * (statics of two source files) the first is taken, as there is nothing
 * in the operand to tell them apart.
 */
static int symtab_find(Elf *elf, Elf_Scn *scn, const char *name, uint64_t *value)
{
	GElf_Shdr sh;
	Elf_Data *data;
	size_t entsize, count;
	bool have_local = false;
	uint64_t local_value = 0;

	if (!scn || !gelf_getshdr(scn, &sh))
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !entsize)
		return -ENOENT;
	count = MIN(data->d_size / entsize, (size_t)INT32_MAX);
	for (size_t i = 1; i < count; i++) {
		GElf_Sym sym;
		const char *s;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
		    type == STT_TLS || sym.st_name == 0)
			continue;
		/* elf_strptr checks the offset and that the string ends in its section. */
		s = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!s || strcmp(s, name) != 0)
			continue;
		if (GELF_ST_BIND(sym.st_info) != STB_LOCAL) {
			*value = sym.st_value;
			return 0;
		}
		if (!have_local) {
			have_local = true;
			local_value = sym.st_value;
		}
	}
	if (!have_local)
		return -ENOENT;
	*value = local_value;
	return 0;
}

static int file_symbol(struct elf_file *f, const char *name, uint64_t *value)
{
	if (symtab_find(f->elf, f->symtab, name, value) == 0)
		return 0;
	return symtab_find(f->elf, f->dynsym, name, value);
}

static PRINTF_LIKE(2, 3) void add_warning(struct loader *ld, const char *fmt, ...)
{
	struct elf_module *m = ld->m;
	va_list ap;
	char *s;

	if (m->nwarnings >= MAX_WARNINGS) {
		ld->warnings_dropped++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("(warning lost: out of memory)");
	va_end(ap);
	VEC_RESERVE(m->warnings, ld->warnings_cap, m->nwarnings + 1);
	m->warnings[m->nwarnings++] = s;
}

/* Problems accumulate, joined by "; ", so that a probe with a bad site
 * and a bad semaphore reports both. */
static PRINTF_LIKE(2, 3) void add_problem(struct sdt_probe *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("(problem lost: out of memory)");
	va_end(ap);
	if (p->problem) {
		char *joined = xasprintf("%s; %s", p->problem, s);

		free(p->problem);
		free(s);
		s = joined;
	}
	p->problem = s;
}

/* The summaries of what was left out go past the cap, as the last entries. */
static void finish_warnings(struct loader *ld)
{
	struct elf_module *m = ld->m;

	if (ld->notes_dropped) {
		VEC_RESERVE(m->warnings, ld->warnings_cap, m->nwarnings + 1);
		m->warnings[m->nwarnings++] = xasprintf("%zu stapsdt notes beyond the first %d "
							"were ignored", ld->notes_dropped, MAX_PROBES);
	}
	if (ld->warnings_dropped) {
		VEC_RESERVE(m->warnings, ld->warnings_cap, m->nwarnings + 1);
		m->warnings[m->nwarnings++] = xasprintf("%zu more warnings not shown",
							ld->warnings_dropped);
	}
}

static void resolve_site(struct elf_module *m, struct sdt_probe *p)
{
	uint64_t end_off;

	if (addr_to_offset(m->segs, m->nsegs, p->pc, PF_X, &p->pc_offset))
		add_problem(p, "site 0x%" PRIx64 " is outside every executable segment", p->pc);
	if (!p->semaphore)
		return;
	/* The counter is 2 bytes: both must be in the file image of a
	 * writable segment, or the tracer's read-modify-write could fault
	 * half-way or land in the next mapping. */
	if (addr_to_offset(m->segs, m->nsegs, p->semaphore, PF_W, &p->sem_offset) ||
	    p->semaphore == UINT64_MAX ||
	    addr_to_offset(m->segs, m->nsegs, p->semaphore + 1, PF_W, &end_off) ||
	    end_off != p->sem_offset + 1)
		add_problem(p, "semaphore 0x%" PRIx64 " is outside every writable segment",
			    p->semaphore);
}

static void parse_args(struct elf_file *f, struct sdt_probe *p, uint16_t machine)
{
	struct argspec specs[ARGSPEC_MAX_ARGS];
	int n;

	n = argspec_parse_all(p->args, specs, ARGSPEC_MAX_ARGS);
	if (n == -E2BIG) {
		add_problem(p, "more than %d arguments", ARGSPEC_MAX_ARGS);
		n = ARGSPEC_MAX_ARGS;
	}
	if (n <= 0)
		return;
	p->nargs = n;
	p->argv = xcalloc((size_t)n, sizeof(*p->argv));
	p->sym_value = xcalloc((size_t)n, sizeof(*p->sym_value));
	memcpy(p->argv, specs, (size_t)n * sizeof(*p->argv));
	for (int i = 0; i < n; i++) {
		struct argspec *a = &p->argv[i];
		uint64_t v;

		/* another machine's operands read as x86-64 would be nonsense:
		 * keep the argument's slot, say what it is */
		if (machine != arch_elf_machine) {
			a->kind = ARGSPEC_INVALID;
			snprintf(a->error, sizeof(a->error), "%s operand, not decoded (ptap reads x86-64)",
				 arch_machine_name(machine));
			continue;
		}
		if (a->kind != ARGSPEC_SYMBOL)
			continue;
		if (file_symbol(f, a->symbol, &v)) {
			/* The probe stays armable: only this argument reads as an error. */
			a->kind = ARGSPEC_INVALID;
			snprintf(a->error, sizeof(a->error), "symbol '%.60s' not in .symtab or .dynsym",
				 a->symbol);
			continue;
		}
		/* Modulo 2^64 like the address arithmetic it stands for. */
		p->sym_value[i] = v + (uint64_t)a->imm;
	}
}

static void add_probe(struct loader *ld, const struct sdt_note *n)
{
	struct elf_module *m = ld->m;
	struct sdt_probe *p;

	VEC_RESERVE(m->probes, ld->probes_cap, m->nprobes + 1);
	p = &m->probes[m->nprobes++];
	memset(p, 0, sizeof(*p));
	p->provider = xstrdup(n->provider);
	p->name = xstrdup(n->name);
	p->args = xstrdup(n->args);
	p->pc = addr_prelink(n->pc, n->base, m->have_base, m->base_addr);
	p->semaphore = addr_prelink(n->semaphore, n->base, m->have_base, m->base_addr);
	resolve_site(m, p);
	parse_args(ld->f, p, ld->m->machine);
}

/* One note of a .note.stapsdt section. */
static void read_note(struct loader *ld, size_t shndx, size_t offset, const GElf_Nhdr *nh,
		      const uint8_t *name, const uint8_t *desc)
{
	static const char owner[] = SDT_NOTE_NAME;
	struct elf_module *m = ld->m;
	bool is64 = m->elf_class == ELFCLASS64;
	struct sdt_note n;
	const char *why;

	/* Other owners may share the section in theory; they are not ours. */
	if (nh->n_namesz != sizeof(owner) || memcmp(name, owner, sizeof(owner)) != 0)
		return;
	ld->notes_seen++;
	if (nh->n_type != SDT_NOTE_TYPE) {
		add_warning(ld, "stapsdt note %zu (section [%zu], offset 0x%zx): type %u, "
			    "not %d (an older format ptap does not read); skipped",
			    ld->notes_seen, shndx, offset, (unsigned)nh->n_type, SDT_NOTE_TYPE);
		return;
	}
	if (sdt_note_parse(desc, nh->n_descsz, is64, m->big_endian, &n)) {
		why = sdt_note_diagnose(desc, nh->n_descsz, is64);
		add_warning(ld, "stapsdt note %zu (section [%zu], offset 0x%zx): %s; skipped",
			    ld->notes_seen, shndx, offset, why ? why : "malformed");
		return;
	}
	if (m->nprobes >= MAX_PROBES) {
		ld->notes_dropped++;
		return;
	}
	add_probe(ld, &n);
}

static void read_note_section(struct loader *ld, Elf_Scn *scn, const GElf_Shdr *sh)
{
	size_t shndx = elf_ndxscn(scn);
	Elf_Data *data = NULL;

	if (!elf_section_in_file(ld->f, sh)) {
		add_warning(ld, "section [%zu] " STAPSDT_SECTION " (offset 0x%" PRIx64 ", %" PRIu64
			    " bytes) lies outside the file", shndx, (uint64_t)sh->sh_offset,
			    (uint64_t)sh->sh_size);
		return;
	}
	for (;;) {
		size_t offset = 0, next, name_off, desc_off;
		GElf_Nhdr nh;
		int err;

		/* libelf keeps one error, and everything it is asked while the
		 * notes are read (symbols, a cut-off note) may set it: clear it
		 * right before, and read it (elf_errno also clears it) right
		 * after, the one call the warning is about. */
		elf_errno();
		data = elf_getdata(scn, data);
		if (!data) {
			err = elf_errno();
			if (err)
				add_warning(ld, "section [%zu] " STAPSDT_SECTION " cannot be read: %s",
					    shndx, elf_errmsg(err));
			break;
		}
		if (!data->d_buf || data->d_size == 0)
			continue;
		while (offset < data->d_size &&
		       (next = gelf_getnote(data, offset, &nh, &name_off, &desc_off)) > 0) {
			/* gelf_getnote checked these; a second look costs nothing. */
			if (name_off > data->d_size || nh.n_namesz > data->d_size - name_off ||
			    desc_off > data->d_size || nh.n_descsz > data->d_size - desc_off ||
			    next <= offset) {
				add_warning(ld, "section [%zu] " STAPSDT_SECTION
					    ": note at offset 0x%zx runs past the section", shndx, offset);
				return;
			}
			read_note(ld, shndx, offset, &nh, (const uint8_t *)data->d_buf + name_off,
				  (const uint8_t *)data->d_buf + desc_off);
			offset = next;
		}
		if (offset < data->d_size)
			add_warning(ld, "section [%zu] " STAPSDT_SECTION ": %zu bytes at offset 0x%zx "
				    "are not a complete note", shndx, data->d_size - offset, offset);
	}
}

/* Pass 1: .stapsdt.base.  Pass 2: the notes, which need the base. */
static int read_sections(struct loader *ld)
{
	struct elf_module *m = ld->m;
	Elf *elf = ld->f->elf;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	if (shstrndx == SHN_UNDEF)
		return 0;   /* no section names: nothing of ours can be found */
	if (!section_ndx_in_file(ld->f, shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !m->have_base && strcmp(name, STAPSDT_BASE_SECTION) == 0) {
			m->have_base = true;
			m->base_addr = sh.sh_addr;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, STAPSDT_SECTION) == 0)
			read_note_section(ld, scn, &sh);
	}
	return 0;
}

static int read_header(struct elf_module *m, Elf *elf)
{
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		return -EINVAL;
	m->elf_class = eh.e_ident[EI_CLASS];
	m->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	m->machine = eh.e_machine;
	m->type = eh.e_type;
	if (m->elf_class != ELFCLASS32 && m->elf_class != ELFCLASS64)
		return -ENOEXEC;
	return 0;
}

int elf_module_open(const char *path, int fd, struct elf_module **out)
{
	struct elf_file f;
	struct loader ld = { 0 };
	struct elf_module *m;
	struct stat st;
	size_t segs_cap = 0;
	int err;

	*out = NULL;
	err = elf_file_open(path, fd, &f, &st);
	if (err)
		return err;
	m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path ? path : "");
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	ld.m = m;
	ld.f = &f;

	err = read_header(m, f.elf);
	if (!err)
		err = elf_file_segments(&f, false, &m->segs, &m->nsegs, &segs_cap);
	if (!err)
		err = find_symtabs(&f);
	if (!err)
		err = read_sections(&ld);
	if (err)
		goto fail;
	if (file_symbol(&f, "_dl_debug_state", &m->dl_debug_state))
		m->dl_debug_state = 0;
	finish_warnings(&ld);
	elf_file_close(&f);
	*out = m;
	return 0;
fail:
	elf_file_close(&f);
	elf_module_free(m);
	return err;
}

static void probe_free(struct sdt_probe *p)
{
	free(p->provider);
	free(p->name);
	free(p->args);
	free(p->argv);
	free(p->sym_value);
	free(p->problem);
}

void elf_module_free(struct elf_module *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nprobes; i++)
		probe_free(&m->probes[i]);
	for (size_t i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->probes);
	free(m->warnings);
	free(m->segs);
	free(m->path);
	free(m);
}

bool elf_module_traceable(const struct elf_module *m, const char **why)
{
	/* Per thread, valid until the next call from the same thread. */
	static __thread char sentence[128];
	const char *machine = arch_machine_name(m->machine);

	if (m->machine != arch_elf_machine) {
		snprintf(sentence, sizeof(sentence), "it is %s %s binary; ptap traces %s only for now",
			 strchr("aeiox", machine[0]) ? "an" : "a", machine,
			 arch_machine_name(arch_elf_machine));
	} else if (m->elf_class != ELFCLASS64) {
		snprintf(sentence, sizeof(sentence),
			 "it is a 32-bit %s binary (x32); ptap traces 64-bit programs only", machine);
	} else if (m->big_endian) {
		snprintf(sentence, sizeof(sentence),
			 "it claims to be a big-endian %s binary, which no %s system runs",
			 machine, machine);
	} else {
		if (why)
			*why = NULL;
		return true;
	}
	if (why)
		*why = sentence;
	return false;
}

int elf_module_symbol(const char *path, int fd, const char *name, uint64_t *value)
{
	struct elf_file f;
	struct stat st;
	int err;

	err = elf_file_open(path, fd, &f, &st);
	if (err)
		return err;
	err = find_symtabs(&f);
	if (!err)
		err = file_symbol(&f, name, value);
	elf_file_close(&f);
	return err;
}

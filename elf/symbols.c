/*
 * Function symbols of an ELF file, for naming native stack frames.
 *
 *   $ readelf -n /usr/bin/python3.11 | grep 'Build ID'
 *       Build ID: c561f3aa7232f2bd6ac6d56bd475f1c154a00486
 *   $ ls /usr/lib/debug/.build-id/c5/
 *   61f3aa7232f2bd6ac6d56bd475f1c154a00486.debug
 *   $ readelf -sW /usr/lib/debug/.build-id/c5/61f3...debug | grep gc_collect_main
 *   34679: 00000000004e0080  5873 FUNC  LOCAL  DEFAULT  14 gc_collect_main.lto_priv.0
 *
 * A stripped binary keeps .dynsym (what other objects may link against)
 * and drops .symtab, and with it every static function; a separate debug
 * file has the full .symtab at the same link-time addresses, its other
 * sections NOBITS.  So: the file's .dynsym, plus the .symtab of the debug
 * file if one is found and proven to belong to this very build (same
 * build-id, or the CRC32 that .gnu_debuglink records), else the file's
 * own .symtab.  The symbols go into one array sorted by address; where
 * several names share an address (aliases: write, __write, __libc_write)
 * one wins, preferring a function over an untyped label, a global over a
 * weak over a local, and fewer leading underscores: the name a reader
 * would look for.
 *
 * As in elf/module.c, files are read with ELF_C_READ (pread, not mmap),
 * so a file truncated under us gives errors, never SIGBUS, and every
 * size taken from the file is checked before use.
 */
#define _GNU_SOURCE
#include "elf/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/file.h"

/* Far above any real program (libxul has about a million). */
#define MAX_SYMBOLS (8u << 20)

static Elf_Scn *section_of_type(const struct elf_file *f, uint32_t type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(f->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type && elf_section_in_file(f, &sh))
			return scn;
	return NULL;
}

/* .gnu_debuglink: the debug file's base name and the CRC32 of its bytes. */
static char *debuglink(const struct elf_file *f, uint32_t *crc)
{
	Elf_Scn *scn = elf_section_named(f, ".gnu_debuglink");
	GElf_Shdr sh;
	Elf_Data *d = elf_section_data(f, scn, &sh);
	const char *s;
	size_t len, at;

	if (!d || !d->d_buf)
		return NULL;
	s = d->d_buf;
	len = strnlen(s, d->d_size);
	at = (len + 4) & ~(size_t)3;     /* the name, its NUL, padding to 4 */
	if (!len || len == d->d_size || at + 4 > d->d_size || memchr(s, '/', len))
		return NULL;
	memcpy(crc, s + at, 4);          /* written in the file's byte order, */
	return xstrndup(s, len);         /* which is ours (elf_module_traceable) */
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c;
	size_t i;
	int k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			for (c = (uint32_t)i, k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static bool file_crc_is(int fd, uint32_t want)
{
	uint8_t buf[65536];
	uint32_t crc = 0;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32_update(crc, buf, (size_t)n);
		off += n;
	}
	return n == 0 && crc == want;
}

/* Open candidate and keep it if it is the debug file of the build with
 * this build-id; when either file has no build-id, if its CRC is the one
 * .gnu_debuglink records. */
static bool debug_candidate(const char *candidate, const uint8_t *id, size_t id_len, bool use_crc,
			    uint32_t crc, struct elf_file *out)
{
	uint8_t other[ELF_BUILD_ID_MAX];
	size_t other_len;

	if (elf_file_open(candidate, -1, out, NULL))
		return false;
	other_len = elf_file_build_id(out, other);
	if (id_len && other_len) {
		if (other_len == id_len && !memcmp(other, id, id_len))
			return true;
	} else if (use_crc && file_crc_is(out->own_fd, crc)) {
		return true;       /* one of the two has no build-id: the CRC decides */
	}
	elf_file_close(out);
	return false;
}

/* Find and open the separate debug file of f; its path, or NULL. */
static char *debug_file_find(const struct elf_file *f, const char *path, const char *debug_dir,
			     struct elf_file *out)
{
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t id_len = elf_file_build_id(f, id), i;
	uint32_t crc = 0;
	char *link, *dir, *cand[4] = { NULL, NULL, NULL, NULL };
	char hex[2 * ELF_BUILD_ID_MAX + 1];
	char *found = NULL;
	const char *slash;

	if (debug_dir && *debug_dir && id_len >= 2) {
		for (i = 0; i < id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		cand[0] = xasprintf("%s/.build-id/%.2s/%s.debug", debug_dir, hex, hex + 2);
	}
	link = debuglink(f, &crc);
	slash = path ? strrchr(path, '/') : NULL;
	if (link && slash) {
		dir = xstrndup(path, (size_t)(slash - path));
		cand[1] = xasprintf("%s/%s", dir, link);
		cand[2] = xasprintf("%s/.debug/%s", dir, link);
		if (debug_dir && *debug_dir)
			cand[3] = xasprintf("%s%s/%s", debug_dir, dir, link);
		free(dir);
	}
	for (i = 0; i < ARRAY_SIZE(cand) && !found; i++) {
		/* the file itself can sit where its link points: never take it
		 * (its .symtab, if any, is read anyway) */
		if (cand[i] && (!path || strcmp(cand[i], path)) &&
		    debug_candidate(cand[i], id, id_len, link != NULL, crc, out)) {
			found = cand[i];
			cand[i] = NULL;
		}
	}
	for (i = 0; i < ARRAY_SIZE(cand); i++)
		free(cand[i]);
	free(link);
	return found;
}

static uint32_t names_add(struct symtab *st, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t at;

	if (st->names_len + len > UINT32_MAX)
		return UINT32_MAX;
	VEC_RESERVE(st->names, st->names_cap, st->names_len + len);
	at = (uint32_t)st->names_len;
	memcpy(st->names + at, s, len);
	st->names_len += len;
	return at;
}

static uint8_t symbol_rank(const GElf_Sym *sym, const char *name)
{
	int type = GELF_ST_TYPE(sym->st_info), bind = GELF_ST_BIND(sym->st_info);
	int rank = 0, under = 0;

	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		rank += 64;
	rank += bind == STB_GLOBAL ? 32 : bind == STB_WEAK ? 16 : 0;
	while (name[under] == '_' && under < 3)
		under++;
	return (uint8_t)(rank + 3 - under);
}

/* Whether section ndx of f holds code (an untyped label there is a
 * function entry point, say in hand-written assembly). */
static bool section_is_code(const struct elf_file *f, size_t ndx)
{
	Elf_Scn *scn = elf_getscn(f->elf, ndx);
	GElf_Shdr sh;

	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

/* Add the functions of one symbol table. */
static void add_table(struct symtab *st, size_t *cap, const struct elf_file *f, Elf_Scn *scn)
{
	GElf_Shdr sh;
	Elf_Data *d = elf_section_data(f, scn, &sh);
	size_t entsize = gelf_fsize(f->elf, ELF_T_SYM, 1, EV_CURRENT), count, i;
	GElf_Sym sym;
	const char *name;
	int type;

	if (!d || !entsize)
		return;
	count = MIN(d->d_size / entsize, (size_t)INT_MAX);
	for (i = 1; i < count && st->nsyms < MAX_SYMBOLS; i++) {
		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE || !sym.st_value ||
		    !sym.st_name)
			continue;
		if (type != STT_FUNC && type != STT_GNU_IFUNC &&
		    !(type == STT_NOTYPE && section_is_code(f, sym.st_shndx)))
			continue;
		name = elf_strptr(f->elf, sh.sh_link, sym.st_name);
		if (!name || !*name || (name[0] == '.' && name[1] == 'L') || name[0] == '$')
			continue;
		VEC_RESERVE(st->syms, *cap, st->nsyms + 1);
		st->syms[st->nsyms] = (struct symbol){
			.addr = sym.st_value, .size = sym.st_size,
			.name = names_add(st, name), .rank = symbol_rank(&sym, name),
		};
		if (st->syms[st->nsyms].name != UINT32_MAX)
			st->nsyms++;
	}
}

static int symbol_cmp(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;    /* stable: first seen */
}

/* Sort, then keep one symbol per address: the best-ranked name, with the
 * largest size any of them gives. */
static void sort_unique(struct symtab *st)
{
	size_t i, out = 0;

	if (!st->nsyms)
		return;
	qsort(st->syms, st->nsyms, sizeof(*st->syms), symbol_cmp);
	for (i = 1; i < st->nsyms; i++) {
		if (st->syms[i].addr == st->syms[out].addr) {
			st->syms[out].size = MAX(st->syms[out].size, st->syms[i].size);
			continue;
		}
		st->syms[++out] = st->syms[i];
	}
	st->nsyms = out + 1;
}

int symtab_load(const char *path, int fd, const char *debug_dir, struct symtab **out)
{
	struct elf_file f, dbg = { .own_fd = -1 };
	struct symtab *st;
	size_t cap = 0, segs_cap = 0;
	Elf_Scn *full;
	int err;

	err = elf_file_open(path, fd, &f, NULL);
	if (err)
		return err;
	st = xcalloc(1, sizeof(*st));
	err = elf_file_segments(&f, true, &st->segs, &st->nsegs, &segs_cap);
	if (err)
		goto out;
	st->debug_file = debug_file_find(&f, path, debug_dir, &dbg);
	add_table(st, &cap, &f, section_of_type(&f, SHT_DYNSYM));
	full = st->debug_file ? section_of_type(&dbg, SHT_SYMTAB) : NULL;
	if (full)
		add_table(st, &cap, &dbg, full);
	else
		add_table(st, &cap, &f, section_of_type(&f, SHT_SYMTAB));
	sort_unique(st);
out:
	if (st->debug_file)
		elf_file_close(&dbg);
	elf_file_close(&f);
	if (err) {
		symtab_free(st);
		return err;
	}
	*out = st;
	return 0;
}

void symtab_free(struct symtab *st)
{
	if (!st)
		return;
	free(st->segs);
	free(st->syms);
	free(st->names);
	free(st->debug_file);
	free(st);
}

/* How far back a lookup looks for a sized symbol that contains v and
 * starts before unsized or smaller ones (nested labels). */
#define LOOKBACK 8

const char *symtab_lookup(const struct symtab *st, uint64_t v, uint64_t *offset)
{
	size_t lo = 0, hi = st->nsyms, i, k;
	const struct symbol *s;

	/* the last symbol starting at or before v */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	i = lo - 1;
	s = &st->syms[i];
	if (!s->size)
		goto found;
	for (k = 0; k < LOOKBACK; k++, i--) {
		s = &st->syms[i];
		if (s->size && v - s->addr < s->size)
			goto found;
		if (!i)
			break;
	}
	return NULL;
found:
	*offset = v - s->addr;
	return st->names + s->name;
}

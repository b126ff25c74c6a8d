/*
 * The site check; see sitecheck.h for the rules.  Reading: libelf gives
 * the sections, symbols and relocations (elf/file.h), Zydis decodes
 * (arch/x86_64_jump.c).  The check proper runs over an in-memory image of
 * the file's sections, so that it does one pass over the code and one
 * over the data for all the sites of a file together.
 */
#define _GNU_SOURCE
#include "tracer/sitecheck.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hashmap.h"
#include "common/util.h"
#include "elf/ehframe.h"
#include "elf/file.h"

/* Bump when the rules change: older cached verdicts are then ignored. */
#define SITECHECK_VERSION 1
/* How many entries of a relative jump table are followed at most. */
#define TABLE_MAX 65536

struct section {
	uint64_t addr, size;
	uint32_t type;              /* SHT_* */
	uint64_t flags;             /* SHF_* */
	const uint8_t *bytes;       /* NULL for SHT_NOBITS */
};

/* A protected range: (lo, hi) exclusive of lo, the site itself. */
struct range {
	uint64_t lo, hi;
	struct site_verdict *v;
};

struct image {
	const char *path;
	uint16_t type;              /* ET_EXEC, ET_DYN */
	struct section *secs;
	size_t nsecs;
	struct range *ranges;       /* sorted by lo */
	size_t nranges;
	uint64_t min, max;          /* of all ranges, for a quick "no" */
	struct u64map tables;       /* lea targets: maybe a relative table */
};

static const struct section *section_at(const struct image *img, uint64_t a, bool exec)
{
	size_t i;

	for (i = 0; i < img->nsecs; i++) {
		const struct section *s = &img->secs[i];

		if (a >= s->addr && a - s->addr < s->size &&
		    (!exec || (s->flags & SHF_EXECINSTR)) && (s->flags & SHF_ALLOC))
			return s;
	}
	return NULL;
}

static void refuse(struct site_verdict *v, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void refuse(struct site_verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->ok)
		return;         /* the first reason found stays */
	v->ok = false;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* The range that a strictly contains, or NULL. */
static struct range *range_hit(const struct image *img, uint64_t a)
{
	size_t lo = 0, hi = img->nranges;

	if (a <= img->min || a >= img->max)
		return NULL;
	while (lo < hi) {       /* the last range whose lo < a */
		size_t mid = (lo + hi) / 2;

		if (img->ranges[mid].lo < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	return a < img->ranges[lo - 1].hi ? &img->ranges[lo - 1] : NULL;
}

static void on_code_ref(void *ctx, uint64_t from, uint64_t to, int kind)
{
	struct image *img = ctx;
	struct range *r = range_hit(img, to);

	if (kind == ARCH_REF_TABLE && !section_at(img, to, true) && section_at(img, to, false))
		u64map_put(&img->tables, to ? to : 1, (void *)1);
	if (!r)
		return;
	if (kind == ARCH_REF_BRANCH)
		refuse(r->v, "the branch at 0x%" PRIx64 " jumps to 0x%" PRIx64 ", inside the bytes "
		       "a jump would overwrite", from, to);
	else
		refuse(r->v, "the code at 0x%" PRIx64 " takes the address 0x%" PRIx64 ", inside "
		       "the bytes a jump would overwrite", from, to);
}

static void sweep_code(struct image *img)
{
	size_t i;

	for (i = 0; i < img->nsecs; i++) {
		const struct section *s = &img->secs[i];

		if ((s->flags & SHF_EXECINSTR) && (s->flags & SHF_ALLOC) && s->bytes)
			arch_code_refs(s->bytes, s->size, s->addr, on_code_ref, img);
	}
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);      /* x86-64: little-endian, as the file */
	return v;
}

/* Rule 3: pointers in data. */
static void sweep_data(struct image *img)
{
	size_t i, off;
	struct range *r;

	for (i = 0; i < img->nsecs; i++) {
		const struct section *s = &img->secs[i];

		if (!(s->flags & SHF_ALLOC) || (s->flags & SHF_EXECINSTR) || !s->bytes)
			continue;
		for (off = (4 - (s->addr & 3)) & 3; off + 4 <= s->size; off += 4) {
			r = NULL;
			if (off + 8 <= s->size)
				r = range_hit(img, le(s->bytes + off, 8));
			if (!r && img->type == ET_EXEC)
				r = range_hit(img, le(s->bytes + off, 4));
			if (r)
				refuse(r->v, "the data word at 0x%" PRIx64 " points inside the bytes a "
				       "jump would overwrite", s->addr + off);
		}
	}
}

/* Rule 5: a table of 32-bit offsets from its own start. */
static void sweep_tables(struct image *img)
{
	size_t i = 0, k;
	uint64_t t, to;
	void *unused;
	struct range *r;

	while (u64map_next(&img->tables, &i, &t, &unused)) {
		const struct section *s = section_at(img, t, false);

		if (!s || !s->bytes)
			continue;
		for (k = 0; k < TABLE_MAX && t + 4 * k + 4 <= s->addr + s->size; k++) {
			to = t + (uint64_t)(int64_t)(int32_t)le(s->bytes + (t - s->addr) + 4 * k, 4);
			if (!section_at(img, to, true))
				break;  /* not a code offset: the table, if any, ended */
			r = range_hit(img, to);
			if (r)
				refuse(r->v, "the jump table at 0x%" PRIx64 " (entry %zu) points inside "
				       "the bytes a jump would overwrite", t, k);
		}
	}
}

/* Rules 4 and 6: relocations and symbols. */
static void sweep_elf(struct image *img, struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh, lsh;
	Elf_Data *d, *ld;
	GElf_Rela rela;
	GElf_Sym sym;
	struct range *r;
	size_t i, n;
	uint64_t to;
	uint32_t type;
	const char *name;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
			d = elf_section_data(f, scn, &sh);
			n = d && sh.sh_entsize ? d->d_size / sh.sh_entsize : 0;
			for (i = 0; i < n; i++) {
				if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
					continue;
				r = range_hit(img, sym.st_value);
				if (!r)
					continue;
				name = elf_strptr(f->elf, sh.sh_link, sym.st_name);
				refuse(r->v, "the symbol %s points inside the bytes a jump would "
				       "overwrite", name && *name ? name : "(unnamed)");
			}
		} else if (sh.sh_type == SHT_RELA) {
			d = elf_section_data(f, scn, &sh);
			n = d && sh.sh_entsize ? d->d_size / sh.sh_entsize : 0;
			ld = NULL;
			if (sh.sh_link) {
				Elf_Scn *ls = elf_getscn(f->elf, sh.sh_link);

				ld = elf_section_data(f, ls, &lsh);
			}
			for (i = 0; i < n; i++) {
				if (!gelf_getrela(d, (int)i, &rela))
					continue;
				type = (uint32_t)GELF_R_TYPE(rela.r_info);
				to = (uint64_t)rela.r_addend;
				if ((type == R_X86_64_64 || type == R_X86_64_GLOB_DAT ||
				     type == R_X86_64_JUMP_SLOT) && ld &&
				    gelf_getsym(ld, (int)GELF_R_SYM(rela.r_info), &sym) &&
				    sym.st_shndx != SHN_UNDEF)
					to += sym.st_value;
				else if (type != R_X86_64_RELATIVE && type != R_X86_64_IRELATIVE)
					continue;
				r = range_hit(img, to);
				if (r)
					refuse(r->v, "a relocation at 0x%" PRIx64 " points inside the bytes "
					       "a jump would overwrite", (uint64_t)rela.r_offset);
			}
		}
	}
}

/* Functions with landing pads: refused whole. */
static void check_lsda(struct image *img, struct elf_file *f)
{
	Elf_Scn *eh = elf_section_named(f, ".eh_frame");
	struct eh_range *lsda = NULL;
	GElf_Shdr sh;
	Elf_Data *d;
	size_t i, j;
	int n;

	if (!elf_section_named(f, ".gcc_except_table"))
		return;
	d = elf_section_data(f, eh, &sh);
	n = d ? ehframe_lsda_ranges(d->d_buf, d->d_size, sh.sh_addr, &lsda) : -EINVAL;
	for (i = 0; i < img->nranges; i++) {
		struct range *r = &img->ranges[i];

		if (n < 0) {
			refuse(r->v, "the file has exception tables whose frames cannot be read");
			continue;
		}
		for (j = 0; j < (size_t)n; j++)
			if (r->lo >= lsda[j].lo && r->lo < lsda[j].hi)
				refuse(r->v, "the function has exception landing pads (.gcc_except_table), "
				       "which may lie anywhere in it");
	}
	free(lsda);
}

static int by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Plans for every address, then the ranges of those that have one. */
static void plan_all(struct image *img, struct site_verdict *v, size_t n)
{
	size_t i, j;
	const char *why;

	img->ranges = xcalloc(n ? n : 1, sizeof(*img->ranges));
	for (i = 0; i < n; i++) {
		const struct section *s = section_at(img, v[i].addr, true);

		if (!s || !s->bytes) {
			refuse(&v[i], "the address is in no executable section");
			continue;
		}
		if (arch_jump_plan(s->bytes + (v[i].addr - s->addr), s->addr + s->size - v[i].addr,
				   &v[i].plan, &why)) {
			refuse(&v[i], "%s", why);
			continue;
		}
		for (j = 0; j < n; j++)
			if (v[j].addr > v[i].addr && v[j].addr < v[i].addr + v[i].plan.span)
				refuse(&v[i], "another address ptap may write (0x%" PRIx64 ") is "
				       "within its bytes", v[j].addr);
	}
	for (i = 0; i < n; i++) {
		if (!v[i].ok)
			continue;
		img->ranges[img->nranges++] = (struct range){ v[i].addr, v[i].addr + v[i].plan.span, &v[i] };
	}
	qsort(img->ranges, img->nranges, sizeof(*img->ranges), by_lo);
	img->min = img->nranges ? img->ranges[0].lo : 0;
	for (i = 0; i < img->nranges; i++)
		img->max = MAX(img->max, img->ranges[i].hi);
}

static int load_sections(struct image *img, struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf_Data *d;
	size_t cap = 0;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_size)
			continue;
		VEC_RESERVE(img->secs, cap, img->nsecs + 1);
		img->secs[img->nsecs] = (struct section){ sh.sh_addr, sh.sh_size, sh.sh_type,
							   sh.sh_flags, NULL };
		if (sh.sh_type != SHT_NOBITS) {
			d = elf_section_data(f, scn, &sh);
			if (!d || !d->d_buf || d->d_size != sh.sh_size)
				return -EINVAL;
			img->secs[img->nsecs].bytes = d->d_buf;
		}
		img->nsecs++;
	}
	return img->nsecs ? 0 : -ENOEXEC;
}

/* ---- the cache ------------------------------------------------------ */

char *sitecheck_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/ptap/sites", xdg);
	if (home && *home == '/')
		return xasprintf("%s/.cache/ptap/sites", home);
	return NULL;
}

static char *cache_path(const uint8_t *id, size_t idlen)
{
	char *dir = sitecheck_cache_dir(), *path, hex[2 * ELF_BUILD_ID_MAX + 1];
	size_t i;

	if (!dir || !idlen)
		return free(dir), NULL;
	for (i = 0; i < idlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	path = xasprintf("%s/%s", dir, hex);
	free(dir);
	return path;
}

/* Fill the verdicts the cache has; the number found. */
static size_t cache_load(const char *path, struct site_verdict *v, size_t n)
{
	char line[256];
	size_t found = 0, i;
	unsigned version;
	FILE *f;

	if (!path || !(f = fopen(path, "re")))
		return 0;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "ptap-sitecheck %u", &version) != 1 ||
	    version != SITECHECK_VERSION) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		int used = 0;
		char verdict[4];

		if (sscanf(line, "%llx %3s %n", &a, verdict, &used) < 2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < n; i++) {
			if (v[i].addr != a || v[i].cached)
				continue;
			v[i].cached = true;
			v[i].ok = !strcmp(verdict, "yes");
			snprintf(v[i].why, sizeof(v[i].why), "%s", line + used);
			found++;
		}
	}
	fclose(f);
	return found;
}

static void cache_store(const char *path, const struct site_verdict *v, size_t n)
{
	char *dir, *tmp, *slash;
	size_t i;
	FILE *f;
	int fd;

	if (!path)
		return;
	dir = xstrdup(path);
	/* .../ptap/sites/ID: make .../ptap and .../ptap/sites */
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			break;
		*slash = '/';
	}
	free(dir);
	tmp = xasprintf("%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(tmp);
		return;
	}
	fprintf(f, "ptap-sitecheck %u\n", SITECHECK_VERSION);
	for (i = 0; i < n; i++)
		fprintf(f, "%" PRIx64 " %s %s\n", v[i].addr, v[i].ok ? "yes" : "no",
			v[i].ok ? "" : v[i].why);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
	free(tmp);
}

/* A cached "yes" still needs its plan, from the bytes. */
static void replan(struct image *img, struct site_verdict *v)
{
	const struct section *s = section_at(img, v->addr, true);
	const char *why;

	if (!v->ok)
		return;
	if (!s || !s->bytes ||
	    arch_jump_plan(s->bytes + (v->addr - s->addr), s->addr + s->size - v->addr, &v->plan, &why)) {
		v->ok = false;
		snprintf(v->why, sizeof(v->why), "the cached verdict does not match the code");
	}
}

int sitecheck_file(const char *path, int fd, const uint64_t *addrs, size_t n,
		   struct site_verdict *out)
{
	struct image img = { .path = path };
	struct elf_file f;
	uint8_t id[ELF_BUILD_ID_MAX];
	GElf_Ehdr eh;
	char *cpath;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].addr = addrs[i];
		out[i].ok = true;
	}
	err = elf_file_open(path, fd, &f, NULL);
	if (err) {
		for (i = 0; i < n; i++)
			refuse(&out[i], "%s cannot be read: %s", path, strerror(-err));
		return err;
	}
	u64map_init(&img.tables);
	cpath = cache_path(id, elf_file_build_id(&f, id));
	err = gelf_getehdr(f.elf, &eh) ? load_sections(&img, &f) : -ENOEXEC;
	if (err) {
		for (i = 0; i < n; i++)
			refuse(&out[i], "the sections of %s cannot be read", path);
		goto out;
	}
	img.type = eh.e_type;
	if (cache_load(cpath, out, n) == n) {
		for (i = 0; i < n; i++)
			replan(&img, &out[i]);
		goto out;
	}
	for (i = 0; i < n; i++) {
		out[i].cached = false;
		out[i].ok = true;
		out[i].why[0] = '\0';
	}
	plan_all(&img, out, n);
	if (img.nranges) {
		check_lsda(&img, &f);
		sweep_elf(&img, &f);
		sweep_code(&img);
		sweep_data(&img);
		sweep_tables(&img);
	}
	cache_store(cpath, out, n);
out:
	free(cpath);
	free(img.ranges);
	free(img.secs);
	u64map_free(&img.tables);
	elf_file_close(&f);
	return err;
}

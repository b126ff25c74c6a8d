/*
 * CPython's markers; see python.h.  Argument layouts are those of
 * CPython's Include/pydtrace.d, the same from 3.6 to 3.11: filename and
 * function name are UTF-8 C strings, the line an int.
 */
#include "tracer/python.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/addr.h"
#include "tracer/event.h"
#include "tracer/internal.h"
#include "tracer/select.h"

static const struct python_marker markers[] = {
	{ "function__entry", KP_PY_ENTRY, { RENDER_STR, RENDER_STR, RENDER_S32, RENDER_DEFAULT }, 4 },
	{ "function__return", KP_PY_RETURN, { RENDER_STR, RENDER_STR, RENDER_S32, RENDER_DEFAULT }, 4 },
	{ "line", KP_PY_LINE, { RENDER_STR, RENDER_STR, RENDER_S32 }, 3 },
	{ "gc__start", KP_PY_GC_START, { RENDER_S32 }, 1 },
	{ "gc__done", KP_PY_GC_DONE, { RENDER_S64 }, 1 },
	{ "import__find__load__start", KP_PY_IMPORT_START, { RENDER_STR }, 1 },
	{ "import__find__load__done", KP_PY_IMPORT_DONE, { RENDER_STR, RENDER_S32 }, 2 },
	{ "audit", KP_PY_AUDIT, { RENDER_STR, RENDER_HEX }, 2 },
};

const struct python_marker *python_marker(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(markers); i++)
		if (!strcmp(markers[i].name, name))
			return &markers[i];
	return NULL;
}

/* Py_Version is a const unsigned long: PY_VERSION_HEX of the build. */
static unsigned version_from_symbol(const struct elf_module *m, int fd)
{
	uint64_t value, off;
	uint32_t hex = 0;

	if (elf_module_symbol(m->path, fd, "Py_Version", &value))
		return 0;
	if (addr_to_offset(m->segs, m->nsegs, value, 0, &off))
		return 0;
	if (pread(fd, &hex, sizeof(hex), (off_t)off) != sizeof(hex) || (hex >> 24) != 3)
		return 0;
	return hex & 0xffff0000u;
}

static unsigned version_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned major, minor;

	base = base ? base + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (sscanf(base, "python%u.%u", &major, &minor) == 2 && major == 3 && minor < 100)
		return major << 24 | minor << 16;
	return 0;
}

unsigned python_version(const struct elf_module *m, int fd)
{
	unsigned v = version_from_symbol(m, fd);

	return v ? v : version_from_name(m->path);
}

bool python_entry_needs_line(unsigned version)
{
	return version == 0x030b0000;
}

const char *python_missing_function_markers(unsigned version)
{
	if (version >= 0x030c0000 && version < 0x030f0000)
		return "CPython 3.12 to 3.14 have no function__entry/function__return markers "
		       "(PEP 669 replaced them); gc, import and audit markers remain "
		       "(ptap monitor), or use a 3.11 interpreter such as Debian's /usr/bin/python3.11";
	return NULL;
}

/* ---- the string cache's hook ------------------------------------------ */

/*
 * CPython's object layout where the string cache needs it, per version
 * (checked with gdb against Debian's python3.11 and python3.11d):
 * PyCodeObject's co_filename and co_name, PyTypeObject's tp_dealloc, and
 * PyASCIIObject: ob_type, length, the state bits, and its size (a compact
 * ASCII str keeps its text right after it, and that is what
 * PyUnicode_AsUTF8 returns for it).
 */
struct python_layout {
	unsigned version;
	uint16_t code_filename, code_name;
	uint16_t type_dealloc;
	uint16_t str_type, str_length, str_state, str_header;
	uint32_t str_compact_ascii;
};

static const struct python_layout layouts[] = {
	{ 0x030b0000, 0x70, 0x78, 48, 8, 16, 32, 48, 1u << 5 | 1u << 6 },
};

static const struct python_layout *python_layout(unsigned version)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].version == version)
			return &layouts[i];
	return NULL;
}

static struct pmod *pmod_of(struct tproc *mm, const struct probe_info *pi)
{
	size_t i;

	for (i = 0; i < mm->nmods; i++) {
		const struct tmodule *tm = mm->mods[i].tm;

		if (pi >= tm->probes && pi < tm->probes + tm->elf->nprobes)
			return &mm->mods[i];
	}
	return NULL;
}

/* Where code_dealloc runs, from PyCode_Type.tp_dealloc in the target (so
 * after relocation), and checked to lie in the interpreter's own code. */
static int code_dealloc_address(struct tproc *mm, const struct pmod *pm,
				const struct python_layout *l, uint64_t *addr)
{
	const struct elf_module *elf = pm->tm->elf;
	uint64_t fn, off;
	int err;

	err = mem_read(&mm->mem, pm->tm->py_code_type + pm->bias + l->type_dealloc, &fn, sizeof(fn));
	if (err)
		return err;
	if (fn < pm->bias || addr_to_offset(elf->segs, elf->nsegs, fn - pm->bias, PF_X, &off))
		return -ERANGE;
	*addr = fn;
	return 0;
}

int python_code_dealloc(struct tproc *mm, const struct pmod *pm, uint64_t *addr)
{
	const struct python_layout *l = python_layout(pm->tm->python_version);

	if (!l || !pm->tm->py_code_type)
		return -ENOTSUP;
	return code_dealloc_address(mm, pm, l, addr);
}

int python_strcache_layout(struct tproc *mm, const struct pmod *pm, struct strcache_layout *lay)
{
	const struct python_layout *l = python_layout(pm->tm->python_version);

	(void)mm;
	if (!l || !pm->tm->py_code_type || !pm->tm->py_unicode_type)
		return -ENOTSUP;
	*lay = (struct strcache_layout){
		.unicode_type = pm->tm->py_unicode_type + pm->bias,
		.type_off = l->str_type,
		.length_off = l->str_length,
		.state_off = l->str_state,
		.state_mask = l->str_compact_ascii,
		.header = l->str_header,
		.code_filename = l->code_filename,
		.code_name = l->code_name,
	};
	return 0;
}

/*
 * At the first function marker of an interpreter image, place the hook
 * on code_dealloc and turn the cache on; if anything is not as expected,
 * turn it off for this image.  Called on the hit path with the thread
 * stopped, once per image.
 */
void python_strcache_try(struct tracer *t, struct tproc *mm, const struct probe_info *pi)
{
	struct strcache *c = &mm->strcache;
	const struct python_layout *l;
	struct pmod *pm = pmod_of(mm, pi);
	struct site hook = { 0 };
	uint64_t fn;
	uint8_t code[32];
	int off;

	c->state = STRCACHE_OFF;
	/* with the in-process engine, code_dealloc's hook is the recorder's:
	 * the few int3 sites then read their names at every hit */
	if (t->cfg.no_string_cache || !pm || mm->ip.state == IPS_ON ||
	    python_strcache_layout(mm, pm, &c->lay))
		return;
	l = python_layout(pm->tm->python_version);
	if (!l || code_dealloc_address(mm, pm, l, &fn) || mem_read(&mm->mem, fn, code, sizeof(code)))
		return;
	off = arch_arg0_copy_site(code, sizeof(code), &hook.copy);
	if (off < 0) {
		pr_debug("python", "pid %d: code_dealloc's prologue is unknown: no string cache",
			 mm->pid);
		return;
	}
	hook.addr = fn + (uint64_t)off;
	hook.orig = code[off];
	hook.kind = SITE_CODEFREE;
	hook.bias = pm->bias;
	if (trap_write(t, mm, hook.addr, code[off], "code_dealloc"))
		return;
	pmod_add_site(mm, pm, &hook);
	c->state = STRCACHE_ON;
}

/*
 * A thread entered code_dealloc: forget the dying code object's names
 * (its co_filename and co_name may be freed once it is gone), then do
 * the instruction the trap stands for.  If the code object cannot be
 * read, or its names are not str objects (the layout is not what the
 * table says), the cache is emptied, or turned off: never stale.
 */
int python_code_freed(struct tracer *t, struct tthread *th, const struct site *s, bool detaching)
{
	struct tproc *mm = proc_mm(th->proc);
	struct strcache *c = &mm->strcache;
	const struct strcache_layout *l = &c->lay;
	uint64_t code = arch_regs_arg0(&t->regs), names[2] = { 0, 0 }, types[2] = { 0, 0 };
	struct mem_piece p[2];

	if (!detaching && c->state == STRCACHE_ON) {
		p[0] = (struct mem_piece){ code + l->code_filename, &names[0], 8, 0 };
		p[1] = (struct mem_piece){ code + l->code_name, &names[1], 8, 0 };
		if (mem_read_pieces(&mm->mem, p, 2)) {
			strcache_reset(c, STRCACHE_ON);
		} else {
			p[0] = (struct mem_piece){ names[0] + l->type_off, &types[0], 8, 0 };
			p[1] = (struct mem_piece){ names[1] + l->type_off, &types[1], 8, 0 };
			if (mem_read_pieces(&mm->mem, p, 2) || types[0] != l->unicode_type ||
			    types[1] != l->unicode_type) {
				tracer_notice(t, "pid %d: CPython's code objects are not laid out as "
					      "expected; string cache off", mm->pid);
				strcache_reset(c, STRCACHE_OFF);
			} else {
				strcache_drop(c, names[0] + l->header);
				strcache_drop(c, names[1] + l->header);
			}
		}
	}
	arch_regs_emulate_copy(&t->regs, &s->copy, s->addr);
	return arch_regs_store(th->tid, &t->regs);
}

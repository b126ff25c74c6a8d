/*
 * Native stacks at a probe hit; see stack.h.
 *
 * The thread is stopped on the int3: unw_init_remote, then unw_step until
 * the outermost frame (or max frames).  libunwind finds each frame's
 * unwind rules in the .eh_frame of the module the pc falls in, which even
 * a stripped binary keeps (C++ exceptions need it), so no debug
 * information is needed to unwind; only to name static functions.
 *
 * libunwind-ptrace's accessors do the finding (_UPT_find_proc_info maps
 * the module's file and searches its .eh_frame_hdr), but two are ours:
 * registers come from the set the loop fetched at the hit, and memory is
 * read a page at a time through tracer/mem (process_vm_readv) into a
 * small cache that lives for one unwind, instead of one PTRACE_PEEKDATA
 * per word.  Each process has its own address space (libunwind caches
 * unwind rules by address, and two programs can have different code at
 * one address) and its own _UPT handle (which keeps the last module it
 * mapped), created with the process's pid: with memory and registers
 * ours, _UPT uses the pid only to read /proc/PID/maps, the same for
 * every thread.
 *
 * Frame 0's pc is the probe site: the thread's rip is one past it (the
 * int3 replaced a one-byte nop).  A caller's pc is a return address, the
 * instruction after the call, which may already belong to the next
 * function (a call to a noreturn function ends its caller): symbols are
 * looked up at pc - 1, while the frame keeps the return address.
 *
 * Naming: the address's mapping in /proc/PID/maps gives the file (by
 * device and inode, opened as the target sees it, tracer/procmaps.h) and
 * the file offset; the file's PT_LOADs give the link-time address
 * (elf/addr.h), which elf/symbols.h turns into function + offset.
 */
#define _GNU_SOURCE
#include "tracer/stack.h"

#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "elf/addr.h"
#include "elf/symbols.h"
#include "tracer/internal.h"

#define DEBUG_DIR_DEFAULT "/usr/lib/debug"

/* One ELF file's symbols, shared by every process that maps it. */
struct sfile {
	dev_t dev;
	ino_t ino;
	struct symtab *syms;         /* NULL: could not be read */
	struct sfile *next;
};

/* What is known of one traced process. */
struct sproc {
	pid_t pid;
	unw_addr_space_t as;         /* its own libunwind address space */
	void *upt;                   /* _UPT_create(pid) */
	uint64_t image;              /* image_key() when maps were read */
	struct proc_maps maps;       /* sorted by address, as the kernel prints them */
	struct sfile **files;        /* per maps.v[i]: its symbols, looked up lazily */
	bool loaded;                 /* maps read at least once */
};

/*
 * The unwind in progress.  libunwind hands the accessors the argument
 * given to unw_init_remote in some calls and, from inside
 * _UPT_find_proc_info, _UPT's own handle in others, so the accessors
 * cannot rely on it: they find their state here.  There is one unwind at
 * a time, on the tracer's thread.
 */
#define CACHE_PAGES 16
#define PAGE 4096u

struct unwind_state {
	struct mem *mem;                   /* the process's memory */
	const struct arch_regs *regs;      /* the thread's, at the hit */
	void *upt;                         /* the process's _UPT handle */
	uint64_t page_addr[CACHE_PAGES];   /* 0: empty slot */
	uint8_t page[CACHE_PAGES][PAGE];
	unsigned next;                     /* slot to fill next */
};

static struct unwind_state *current;

struct stack_unwinder {
	struct u64map procs;         /* pid -> struct sproc */
	struct sfile *files;
	char *debug_dir;             /* NULL: no separate debug files */
	uint64_t calls, ns;          /* tracer_event_stack: how often, how long */
	struct unwind_state state;   /* of the unwind in progress */
};

struct stack_unwinder *stack_unwinder_new(void)
{
	struct stack_unwinder *u = xcalloc(1, sizeof(*u));
	const char *dir = getenv("PTAP_DEBUG_DIR");

	u64map_init(&u->procs);
	if (!dir)
		dir = DEBUG_DIR_DEFAULT;
	u->debug_dir = *dir ? xstrdup(dir) : NULL;
	return u;
}

static void sproc_free(struct sproc *sp)
{
	if (sp->upt)
		_UPT_destroy(sp->upt);
	if (sp->as)
		unw_destroy_addr_space(sp->as);
	procmaps_free(&sp->maps);
	free(sp->files);
	free(sp);
}

void stack_unwinder_free(struct stack_unwinder *u)
{
	struct sfile *f, *next;
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!u)
		return;
	while (u64map_next(&u->procs, &i, &k, &v))
		sproc_free(v);
	u64map_free(&u->procs);
	for (f = u->files; f; f = next) {
		next = f->next;
		symtab_free(f->syms);
		free(f);
	}
	free(u->debug_dir);
	free(u);
}

void stack_unwinder_cost(const struct stack_unwinder *u, uint64_t *calls, uint64_t *ns)
{
	*calls = u ? u->calls : 0;
	*ns = u ? u->ns : 0;
}


/* libunwind's x86-64 register numbers, as ptap's register names. */
static const char *const unw_reg_names[] = {
	[UNW_X86_64_RAX] = "rax", [UNW_X86_64_RDX] = "rdx", [UNW_X86_64_RCX] = "rcx",
	[UNW_X86_64_RBX] = "rbx", [UNW_X86_64_RSI] = "rsi", [UNW_X86_64_RDI] = "rdi",
	[UNW_X86_64_RBP] = "rbp", [UNW_X86_64_RSP] = "rsp", [UNW_X86_64_R8] = "r8",
	[UNW_X86_64_R9] = "r9", [UNW_X86_64_R10] = "r10", [UNW_X86_64_R11] = "r11",
	[UNW_X86_64_R12] = "r12", [UNW_X86_64_R13] = "r13", [UNW_X86_64_R14] = "r14",
	[UNW_X86_64_R15] = "r15", [UNW_X86_64_RIP] = "rip",
};

static const uint8_t *cached_page(struct unwind_state *us, uint64_t page)
{
	unsigned i;

	for (i = 0; i < CACHE_PAGES; i++)
		if (us->page_addr[i] == page)
			return us->page[i];
	i = us->next;
	us->page_addr[i] = 0;
	if (mem_read(us->mem, page, us->page[i], PAGE))
		return NULL;
	us->page_addr[i] = page;
	us->next = (i + 1) % CACHE_PAGES;
	return us->page[i];
}

static int acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	uint64_t page = addr & ~(uint64_t)(PAGE - 1), off = addr - page;
	const uint8_t *p;
	uint8_t bytes[sizeof(*val)];
	size_t first;

	(void)as, (void)arg;
	if (write || !current || !page)
		return -UNW_EINVAL;
	p = cached_page(current, page);
	if (!p)
		return -UNW_EINVAL;
	if (off + sizeof(*val) <= PAGE) {
		memcpy(val, p + off, sizeof(*val));
		return 0;
	}
	/* libunwind asks for aligned words; this is in case it ever does not */
	first = PAGE - off;
	memcpy(bytes, p + off, first);
	p = cached_page(current, page + PAGE);
	if (!p)
		return -UNW_EINVAL;
	memcpy(bytes + first, p, sizeof(bytes) - first);
	memcpy(val, bytes, sizeof(*val));
	return 0;
}

static int acc_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	static int ids[ARRAY_SIZE(unw_reg_names)];
	const char *name;
	int *id;

	(void)as, (void)arg;
	if (write)
		return -UNW_EREADONLYREG;
	if (!current || reg < 0 || (size_t)reg >= ARRAY_SIZE(unw_reg_names))
		return -UNW_EBADREG;
	name = unw_reg_names[reg];
	id = &ids[reg];
	if (!*id)
		*id = arch_reg_lookup(name, strlen(name)) + 1;     /* 0: not looked up */
	if (*id <= 0)
		return -UNW_EBADREG;
	*val = arch_reg_value(current->regs, *id - 1);
	return 0;
}

static int acc_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as, (void)reg, (void)val, (void)write, (void)arg;
	return -UNW_EBADREG;        /* never needed to unwind x86-64 */
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			      int need_unwind_info, void *arg)
{
	(void)arg;
	return current ? _UPT_find_proc_info(as, ip, pi, need_unwind_info, current->upt)
		       : -UNW_ENOINFO;
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)arg;
	_UPT_put_unwind_info(as, pi, current ? current->upt : NULL);
}

static int acc_dyn_info_list(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	(void)as, (void)dilap, (void)arg;
	return -UNW_ENOINFO;        /* no JIT registers unwind info with libunwind */
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as, (void)c, (void)arg;
	return -UNW_EINVAL;         /* ptap never moves a thread to another frame */
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_proc_info,
	.put_unwind_info = acc_put_unwind_info,
	.get_dyn_info_list_addr = acc_dyn_info_list,
	.access_mem = acc_mem,
	.access_reg = acc_reg,
	.access_fpreg = acc_fpreg,
	.resume = acc_resume,
	.get_proc_name = NULL,      /* frames are named by elf/symbols */
};

static int sproc_reload(struct sproc *sp)
{
	struct proc_maps maps;
	int err = procmaps_read(sp->pid, &maps);

	if (err)
		return err;
	procmaps_free(&sp->maps);
	free(sp->files);
	sp->maps = maps;
	sp->files = xcalloc(maps.n ? maps.n : 1, sizeof(*sp->files));
	sp->loaded = true;
	return 0;
}

/*
 * What the engine knows of p's loaded image: its modules with probes (or
 * the loader's hook) and where each is loaded, folded into one number.
 * exec, and dlopen or dlclose of such a module, change it; ASLR makes
 * even an exec of the same program change it (the loader moves).
 */
static uint64_t image_key(const struct tproc *p)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < p->nmods; i++) {
		h ^= (uint64_t)(uintptr_t)p->mods[i].tm + p->mods[i].bias;
		h = u64map_hash(h + i);
	}
	return h;
}

/* Drop processes the tracer no longer has, once they pile up. */
static void sweep(struct stack_unwinder *u, const struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	if (u->procs.count < 2 * t->procs.count + 16)
		return;
	while (u64map_next(&u->procs, &i, &k, &v)) {
		if (u64map_get(&t->procs, k))
			continue;
		sproc_free(u64map_del(&u->procs, k));
		i = 0;
	}
}

/* The cache for process p, valid for its current image; NULL if
 * libunwind cannot make an address space. */
static struct sproc *sproc_get(struct stack_unwinder *u, struct tracer *t, struct tproc *p)
{
	struct sproc *sp = u64map_get(&u->procs, (uint64_t)p->pid);
	uint64_t key = image_key(proc_mm(p));

	if (sp && sp->image != key) {
		sproc_free(u64map_del(&u->procs, (uint64_t)p->pid));
		sp = NULL;
	}
	if (sp)
		return sp;
	sweep(u, t);
	sp = xcalloc(1, sizeof(*sp));
	sp->pid = p->pid;
	sp->image = key;
	sp->as = unw_create_addr_space(&accessors, 0);
	sp->upt = _UPT_create(p->pid);
	if (!sp->as || !sp->upt) {
		sproc_free(sp);
		return NULL;
	}
	unw_set_caching_policy(sp->as, UNW_CACHE_GLOBAL);
	u64map_put(&u->procs, (uint64_t)p->pid, sp);
	return sp;
}

/* The symbols of the file behind mapping e (of process pid). */
static struct sfile *sfile_get(struct stack_unwinder *u, pid_t pid, const struct map_entry *e)
{
	struct sfile *f;
	int fd, err;

	for (f = u->files; f; f = f->next)
		if (f->dev == e->dev && f->ino == e->ino)
			return f;
	f = xcalloc(1, sizeof(*f));
	f->dev = e->dev;
	f->ino = e->ino;
	f->next = u->files;
	u->files = f;
	fd = procmaps_open(pid, e);
	if (fd < 0) {
		pr_debug("stack", "pid %d: cannot open %s: %s", pid, e->path, strerror(-fd));
		return f;
	}
	err = symtab_load(e->path, fd, u->debug_dir, &f->syms);
	if (err)
		pr_debug("stack", "pid %d: %s: no symbols: %s", pid, e->path, strerror(-err));
	close(fd);
	return f;
}

/*
 * Name frame fr, whose fr->pc is set; lookup is the address to look up
 * (pc, or pc - 1 for a return address).  *reread says whether the maps
 * may still be read again during this unwind.
 */
static void frame_name(struct stack_unwinder *u, struct sproc *sp, struct stack_frame *fr,
		       uint64_t lookup, bool *reread)
{
	const struct map_entry *e = sp->loaded ? procmaps_find(&sp->maps, lookup) : NULL;
	uint64_t off, v, delta = fr->pc - lookup;
	struct sfile *f;

	if (!e && *reread) {
		*reread = false;
		if (!sproc_reload(sp))
			e = procmaps_find(&sp->maps, lookup);
	}
	fr->function = NULL;
	fr->module = e ? e->path : NULL;
	fr->offset = 0;
	if (!e || !procmaps_is_file(e))
		return;
	f = sp->files[e - sp->maps.v];
	if (!f)
		f = sp->files[e - sp->maps.v] = sfile_get(u, sp->pid, e);
	off = lookup - e->start + e->offset;
	if (!f->syms || addr_from_offset(f->syms->segs, f->syms->nsegs, off, &v)) {
		fr->offset = off + delta;
		return;
	}
	fr->function = symtab_lookup(f->syms, v, &fr->offset);
	fr->offset = (fr->function ? fr->offset : v) + delta;
}

int tracer_event_stack(struct tracer *t, struct stack_unwinder *u, const struct event *ev,
		       struct stack_frame *frames, int max)
{
	uint64_t t0 = now_ns();
	struct tthread *th;
	struct sproc *sp;
	unw_cursor_t cursor;
	unw_word_t ip;
	bool reread = true;
	int n;

	if (!u || ev != &t->ev || max <= 0)
		return -EINVAL;
	th = u64map_get(&t->threads, (uint64_t)ev->tid);
	if (!th || thread_running(th))
		return -ESRCH;
	sp = sproc_get(u, t, th->proc);
	if (!sp)
		return -ENOMEM;
	/* frame 0 from the registers the loop fetched at the hit */
	frames[0].pc = arch_regs_pc(&t->regs) - 1;
	frame_name(u, sp, &frames[0], frames[0].pc, &reread);
	n = 1;
	memset(u->state.page_addr, 0, sizeof(u->state.page_addr));
	proc_mem_via(th);
	u->state.mem = &proc_mm(th->proc)->mem;
	u->state.regs = &t->regs;
	u->state.upt = sp->upt;
	current = &u->state;
	if (unw_init_remote(&cursor, sp->as, sp->upt) == 0) {
		while (n < max && unw_step(&cursor) > 0) {
			if (unw_get_reg(&cursor, UNW_REG_IP, &ip) || !ip)
				break;
			frames[n].pc = ip;
			frame_name(u, sp, &frames[n], ip - 1, &reread);
			n++;
		}
	}
	current = NULL;
	u->calls++;
	u->ns += now_ns() - t0;
	return n;
}

/*
 * The in-process engine; see inproc.h for what it does and when, and
 * inproc/abi.h for the memory it shares with the recorder.
 */
#define _GNU_SOURCE
#include "tracer/inproc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/addr.h"
#include "inproc/abi.h"
#include "tracer/blob.h"
#include "tracer/inject.h"
#include "tracer/internal.h"
#include "tracer/python.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Sizes of a process's data region (pages are only used as touched). */
#define NSITES_MAX 4096
#define RING_SIZE (8u << 20)
#define STRTAB_SLOTS (1u << 16)
#define SIDS_MAX (1u << 17)
#define ARENA_SIZE (16u << 20)
#define COUNT_SLOTS (1u << 17)
#define REGION_MIN (64u << 10)
#define SCRATCH_LEN 16              /* at the end of each code region */
#define REACH (((uint64_t)1 << 31) - (64u << 20))   /* +-2 GiB, with a margin */
#define STACK_SCAN (64u << 10)      /* bytes of each thread's stack looked at */

bool inproc_enabled(const struct tracer *t)
{
	return t->cfg.engine == TRACER_ENGINE_INPROC && !t->cfg.stopped_hits;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Any thread of p that ptap holds stopped. */
static struct tthread *held_thread(struct tracer *t, const struct tproc *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (th->proc == p && !thread_running(th) && !thread_is_new(th))
			return th;
	}
	return NULL;
}

/* A system call's result that is an error (-4095..-1). */
static bool sys_err(long r)
{
	return r < 0 && r >= -4095L;
}

/* Run a system call in p through a held thread: its result, a -errno
 * from the target's kernel, or a -errno of ptap's that says the call
 * could not be run (-EBUSY: no held thread, -ESRCH: it is gone); callers
 * need not tell these apart: either way the call did not succeed. */
static long rsys(struct tracer *t, struct tproc *p, long nr, long a0, long a1, long a2, long a3,
		 long a4, long a5)
{
	const long args[6] = { a0, a1, a2, a3, a4, a5 };
	struct tthread *th = held_thread(t, p);
	long ret;
	int err;

	if (!th || !p->ip.scratch)
		return -EBUSY;
	err = inject_syscall(t, th, p->ip.scratch, nr, args, &ret);
	return err ? err : ret;
}

static void fail(struct tracer *t, struct tproc *p, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void leftovers_unmap(struct tracer *t, struct tproc *p);
static void fail(struct tracer *t, struct tproc *p, const char *fmt, ...)
{
	va_list ap;

	p->ip.state = IPS_FAILED;
	va_start(ap, fmt);
	free(p->ip.why);
	p->ip.why = xvasprintf(fmt, ap);
	va_end(ap);
	tracer_notice(t, "pid %d: the in-process engine cannot be used (%s); its probes are traced "
		      "with int3 stops", p->pid, p->ip.why);
}

/* ---- setting a process up ------------------------------------------- */

/* glibc's thread id offset from the thread pointer, as it tells
 * libthread_db: _thread_db_pthread_tid = { bits, count, offset }. */
static int32_t find_tid_offset(struct tracer *t, struct tproc *p)
{
	size_t i;

	for (i = 0; i < p->nmods; i++) {
		const struct tmodule *tm = p->mods[i].tm;

		if (tm->tid_desc) {
			uint32_t desc[3];

			if (!mem_read(&p->mem, tm->tid_desc + p->mods[i].bias, desc, sizeof(desc)) &&
			    desc[0] == 32 && desc[1] == 1 && desc[2] < 4096)
				return (int32_t)desc[2];
		}
	}
	(void)t;
	return IP_TID_SYSCALL;
}

/* Hold the region's robust mutex (inproc/abi.h): the kernel marks it if
 * ptap dies, and the recorder then stops waiting.  Let go of before the
 * region is unmapped, so that it leaves the thread's robust list. */
static void tracer_lock(struct ip_header *h)
{
	pthread_mutex_t *m = (pthread_mutex_t *)h->tracer_lock;
	pthread_mutexattr_t a;

	_Static_assert(sizeof(pthread_mutex_t) <= sizeof(h->tracer_lock), "tracer_lock too small");
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	pthread_mutex_lock(m);
}

static void tracer_unlock(struct ip_header *h)
{
	pthread_mutex_unlock((pthread_mutex_t *)h->tracer_lock);
}

/* The data region's layout: where each table starts, in *h; the size of
 * the whole region. */
static uint64_t layout(struct ip_header *h)
{
	uint64_t off = align_up(sizeof(*h), 4096);

	h->sites_off = off;
	h->nsites_max = NSITES_MAX;
	off = align_up(off + (uint64_t)NSITES_MAX * sizeof(struct ip_site), 4096);
	h->ring_off = off;
	h->ring_size = RING_SIZE;
	off += RING_SIZE;
	h->strtab_off = off;
	h->strtab_slots = STRTAB_SLOTS;
	off = align_up(off + 2ull * STRTAB_SLOTS * sizeof(struct ip_strslot), 4096);
	h->sids_off = off;
	h->sids_max = SIDS_MAX;
	off = align_up(off + (uint64_t)SIDS_MAX * sizeof(struct ip_sid), 4096);
	h->arena_off = off;
	h->arena_size = ARENA_SIZE;
	off += ARENA_SIZE;
	h->counts_off = off;
	h->counts_slots = COUNT_SLOTS;
	off = align_up(off + (uint64_t)COUNT_SLOTS * sizeof(struct ip_count), 4096);
	h->used_off = off;
	return align_up(off + (uint64_t)COUNT_SLOTS * sizeof(uint32_t), 4096);
}

static size_t data_size(void)
{
	struct ip_header h;

	return (size_t)layout(&h);
}

static void header_init(struct tracer *t, struct tproc *p, struct ip_header *h, size_t size,
			bool use_tsc)
{
	memset(h, 0, sizeof(*h));
	h->version = IP_ABI_VERSION;
	h->pid = (uint32_t)p->pid;
	h->size = size;
	layout(h);
	h->str_max = (uint32_t)t->scratch.max;
	h->use_tsc = use_tsc;
	h->tid_off = find_tid_offset(t, p);
	h->state = IP_STATE_ON;
	tracer_lock(h);
	__atomic_store_n(&h->magic, IP_MAGIC, __ATOMIC_RELEASE);
}

/*
 * A memfd in the target, mapped shared there and here: the data region.
 * The control page (already mapped) holds the name memfd_create wants.
 */
static int map_data(struct tracer *t, struct tproc *p, size_t size)
{
	static const char name[] = "ptap";
	char path[64];
	long fd, addr;
	int mine;
	void *h;

	if (mem_write(&p->mem, p->ip.ctl + 64, name, sizeof(name)))
		return -EFAULT;
	fd = rsys(t, p, SYS_memfd_create, (long)(p->ip.ctl + 64), MFD_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return (int)fd;
	addr = rsys(t, p, SYS_ftruncate, fd, (long)size, 0, 0, 0, 0);
	if (!addr)
		addr = rsys(t, p, SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", p->pid, fd);
	mine = !sys_err(addr) ? open(path, O_RDWR | O_CLOEXEC) : -1;
	rsys(t, p, SYS_close, fd, 0, 0, 0, 0, 0);
	if (sys_err(addr))
		return (int)addr;
	if (mine < 0) {
		rsys(t, p, SYS_munmap, addr, (long)size, 0, 0, 0, 0);
		return -errno;
	}
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mine, 0);
	if (h == MAP_FAILED) {
		close(mine);
		rsys(t, p, SYS_munmap, addr, (long)size, 0, 0, 0, 0);
		return -errno;
	}
	p->ip.memfd = mine;
	p->ip.h = h;
	p->ip.size = size;
	p->ip.data = (uint64_t)addr;
	return 0;
}

/* Whether the process may use the TSC (prctl(PR_SET_TSC) may forbid it). */
static bool target_tsc_ok(struct tracer *t, struct tproc *p)
{
	int32_t mode = 0;

	if (!inproc_tsc_usable())
		return false;
	if (rsys(t, p, SYS_prctl, PR_GET_TSC, (long)(p->ip.ctl + 128), 0, 0, 0, 0))
		return false;
	return !mem_read(&p->mem, p->ip.ctl + 128, &mode, sizeof(mode)) && mode == PR_TSC_ENABLE;
}

/* p's entry point: where injected calls run while no region is mapped. */
static uint64_t entry_point(struct tproc *p)
{
	if (!p->ip.entry)
		p->ip.entry = inject_entry_point(p->pid);
	return p->ip.entry;
}

static int setup(struct tracer *t, struct tproc *p)
{
	struct ip_proc *ip = &p->ip;
	uint64_t entry = entry_point(p);
	long addr;
	bool use_tsc;
	int err;

	if (!entry)
		return fail(t, p, "its entry point is unknown"), -ENOENT;
	ip->scratch = entry;
	addr = rsys(t, p, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (sys_err(addr))
		return fail(t, p, "mmap of its control page: %s", strerror((int)-addr)), (int)addr;
	ip->ctl = (uint64_t)addr;
	journal_region(&p->journal, ip->ctl, 4096, "ctl", false);
	/* a forked child gets it zeroed, and records nothing until ptap has
	 * given it a data region of its own (or ever, if ptap is gone) */
	rsys(t, p, SYS_madvise, addr, 4096, MADV_WIPEONFORK, 0, 0, 0);
	use_tsc = target_tsc_ok(t, p);
	err = map_data(t, p, data_size());
	if (err) {
		if (!rsys(t, p, SYS_munmap, addr, 4096, 0, 0, 0, 0))
			journal_region(&p->journal, ip->ctl, 4096, "ctl", true);
		ip->ctl = 0;
		return fail(t, p, "a shared memory region: %s", strerror(-err)), err;
	}
	journal_region(&p->journal, ip->data, ip->size, "data", false);
	if (use_tsc)
		inproc_clock_calibrate(t);
	header_init(t, p, ip->h, ip->size, use_tsc && t->tsc.ns_per_tick > 0);
	err = mem_write(&p->mem, ip->ctl, &ip->data, sizeof(ip->data));
	if (err)
		return fail(t, p, "writing its control page: %s", strerror(-err)), err;
	ip->state = IPS_ON;
	t->inproc_procs++;
	pr_info("inproc", "pid %d: set up: control page 0x%" PRIx64 ", data 0x%" PRIx64 " (%zu MiB), "
		"time from %s", p->pid, ip->ctl, ip->data, ip->size >> 20, use_tsc ? "the TSC" : "clock_gettime");
	if (t->nip_left)
		leftovers_unmap(t, p);
	return 0;
}

int inproc_prepare(struct tracer *t, struct tproc *p)
{
	if (p->ip.state == IPS_ON)
		return 0;
	if (p->ip.state == IPS_FAILED)
		return -EPERM;
	if (p->flags & TP_SHARED_MM)
		return -EPERM;
	if (!held_thread(t, p))
		return -EBUSY;
	return setup(t, p);
}

/* ---- code regions --------------------------------------------------- */

/* The run-time span of pm's executable segments. */
static void module_span(const struct pmod *pm, uint64_t *lo, uint64_t *hi)
{
	const struct elf_module *e = pm->tm->elf;
	size_t i;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < e->nsegs; i++) {
		if (!(e->segs[i].flags & 1 /* PF_X */))
			continue;
		*lo = MIN(*lo, e->segs[i].vaddr + pm->bias);
		*hi = MAX(*hi, e->segs[i].vaddr + e->segs[i].memsz + pm->bias);
	}
}

static bool reaches(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) < REACH;
}

/* A free address for size bytes within reach of [lo, hi), from maps. */
static uint64_t find_gap(const struct proc_maps *maps, uint64_t lo, uint64_t hi, uint64_t size)
{
	uint64_t best = 0, best_d = UINT64_MAX, prev_end = 0x10000, cand[2], d;
	size_t i;
	int k;

	for (i = 0; i <= maps->n; i++) {
		uint64_t gap_lo = prev_end, gap_hi = i < maps->n ? maps->v[i].start : 0x7ffffffff000ull;

		if (i < maps->n)
			prev_end = maps->v[i].end;
		if (gap_hi <= gap_lo || gap_hi - gap_lo < size + 2 * 4096)
			continue;
		/* a page of distance from the neighbours, as near the module as may be */
		cand[0] = align_up(gap_lo + 4096, 4096);
		cand[1] = (gap_hi - 4096 - size) & ~4095ull;
		for (k = 0; k < 2; k++) {
			if (!reaches(cand[k], hi) || !reaches(cand[k] + size, lo))
				continue;
			d = cand[k] > lo ? cand[k] - lo : lo - cand[k];
			if (d < best_d) {
				best_d = d;
				best = cand[k];
			}
		}
	}
	return best;
}

static struct ip_region *region_new(struct tracer *t, struct tproc *p, const struct pmod *pm,
				    uint64_t size, const char **why)
{
	struct ip_proc *ip = &p->ip;
	struct ip_code_info info = { IP_MAGIC, ip->ctl }, check;
	struct proc_maps maps;
	uint64_t lo, hi, at;
	struct ip_region *r;
	long addr;
	int tries;

	module_span(pm, &lo, &hi);
	for (tries = 0; tries < 3; tries++) {
		if (procmaps_read(p->pid, &maps)) {
			*why = "its memory map cannot be read";
			return NULL;
		}
		at = find_gap(&maps, lo, hi, size);
		procmaps_free(&maps);
		if (!at) {
			*why = "no free address within 2 GiB of the module for the trampolines";
			return NULL;
		}
		addr = rsys(t, p, SYS_mmap, (long)at, (long)size, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (addr == (long)at)
			break;
		if (!sys_err(addr))
			rsys(t, p, SYS_munmap, addr, (long)size, 0, 0, 0, 0);  /* an old kernel's hint */
		if (addr == -EEXIST)
			continue;       /* taken meanwhile: look again */
		if (addr == -EACCES || addr == -EPERM) {
			*why = "the process may not map executable memory (an SELinux, seccomp or W^X "
			       "policy)";
			p->ip.noexec = true;
			tracer_notice(t, "pid %d: %s: its probes are traced with int3 stops", p->pid, *why);
		} else {
			*why = "mmap of executable memory failed";
		}
		return NULL;
	}
	if (tries == 3) {
		*why = "no free address within 2 GiB of the module for the trampolines";
		return NULL;
	}
	journal_region(&p->journal, at, size, "code", false);
	if (mem_write(&p->mem, at, inproc_blob, inproc_blob_size) ||
	    mem_read(&p->mem, at + inproc_blob_info, &check, sizeof(check)) ||
	    check.magic != IP_MAGIC ||
	    mem_write(&p->mem, at + inproc_blob_info, &info, sizeof(info))) {
		*why = "the recorder cannot be written into the process";
		rsys(t, p, SYS_munmap, (long)at, (long)size, 0, 0, 0, 0);
		journal_region(&p->journal, at, size, "code", true);
		return NULL;
	}
	ip->regions = xrealloc(ip->regions, (ip->nregions + 1) * sizeof(*ip->regions));
	r = &ip->regions[ip->nregions++];
	r->addr = at;
	r->size = size;
	r->used = align_up(inproc_blob_size, 64);
	/* from now on system calls run in this region's scratch bytes, which
	 * no thread of the program ever executes */
	ip->scratch = at + size - SCRATCH_LEN;
	pr_info("inproc", "pid %d: code region 0x%" PRIx64 "-0x%" PRIx64 " for %s", p->pid, at,
		at + size, pm->tm->elf->path);
	return r;
}

/* A region reaching pm with room for n more trampolines. */
static struct ip_region *region_for(struct tracer *t, struct tproc *p, const struct pmod *pm,
				    size_t n, const char **why)
{
	uint64_t lo, hi, need = n * align_up(ARCH_TRAMP_MAX, 16);
	size_t i;

	if (p->ip.noexec) {
		*why = "the process may not map executable memory (an SELinux, seccomp or W^X policy)";
		return NULL;
	}
	module_span(pm, &lo, &hi);
	for (i = 0; i < p->ip.nregions; i++) {
		struct ip_region *r = &p->ip.regions[i];

		if (reaches(r->addr, hi) && reaches(r->addr + r->size, lo) &&
		    r->used + need + SCRATCH_LEN <= r->size)
			return r;
	}
	return region_new(t, p, pm, align_up(MAX((uint64_t)REGION_MIN,
		align_up(inproc_blob_size, 64) + need + SCRATCH_LEN), 4096), why);
}

/* ---- sites ---------------------------------------------------------- */

/* The verdicts for every probe of pm's module, then for its hooks
 * (CPython's code_dealloc, the loader's _dl_debug_state), once per file,
 * kept in the module. */
static const struct site_verdict *verdicts(struct tproc *p, struct pmod *pm)
{
	struct tmodule *tm = pm->tm;
	const struct elf_module *e = tm->elf;
	struct proc_maps maps;
	uint64_t *addrs, fn;
	size_t i, n = e->nprobes;
	int fd = -ENOENT;

	if (tm->verdicts)
		return tm->verdicts;
	addrs = xcalloc(n + 2, sizeof(*addrs));
	for (i = 0; i < e->nprobes; i++)
		addrs[i] = e->probes[i].pc;
	if (tm->is_python && !python_code_dealloc(p, pm, &fn))
		addrs[n++] = tm->codefree = fn - pm->bias;
	if (e->dl_debug_state)
		addrs[n++] = e->dl_debug_state;
	if (!procmaps_read(p->pid, &maps)) {
		for (i = 0; i < maps.n && fd == -ENOENT; i++)
			if (maps.v[i].dev == e->dev && maps.v[i].ino == e->ino)
				fd = procmaps_open(p->pid, &maps.v[i]);
		procmaps_free(&maps);
	}
	tm->verdicts = xcalloc(n ? n : 1, sizeof(*tm->verdicts));
	tm->nverdicts = n;
	if (fd >= 0) {
		uint64_t t0 = now_ns();

		sitecheck_file(e->path, fd, addrs, n, tm->verdicts);
		close(fd);
		pr_info("inproc", "%s: %zu sites checked in %.1f ms%s", e->path, n,
			(now_ns() - t0) / 1e6, n && tm->verdicts[0].cached ? " (verdicts cached)" : "");
	} else {
		for (i = 0; i < n; i++) {
			tm->verdicts[i].addr = addrs[i];
			snprintf(tm->verdicts[i].why, sizeof(tm->verdicts[i].why),
				 "%s cannot be opened", e->path);
		}
	}
	free(addrs);
	return tm->verdicts;
}

/* The verdict on a hook at link-time address v of pm's module, or NULL. */
static const struct site_verdict *hook_verdict(struct tproc *p, struct pmod *pm, uint64_t v)
{
	const struct site_verdict *all = verdicts(p, pm);
	size_t i;

	for (i = pm->tm->elf->nprobes; v && i < pm->tm->nverdicts; i++)
		if (all[i].addr == v)
			return &all[i];
	return NULL;
}

/* Whether [v, v + size) is inside one of e's loaded segments (mapped while
 * the module is). */
static bool in_segment(const struct elf_module *e, uint64_t v, unsigned size)
{
	size_t i;

	for (i = 0; i < e->nsegs; i++)
		if (v >= e->segs[i].vaddr && v + size <= e->segs[i].vaddr + e->segs[i].memsz &&
		    v + size > v && (e->segs[i].flags & 4 /* PF_R */))
			return true;
	return false;
}

/* The recorder's program for pi's arguments: argeval's, read from the
 * frame the trampoline saves.  *vec: a vector register is read. */
static void site_program(const struct tracer *t, const struct probe_info *pi, uint64_t bias,
			 const struct elf_module *e, struct ip_site *s, bool *vec)
{
	int i;

	s->nargs = (uint32_t)pi->prog.nargs;
	for (i = 0; i < pi->prog.nargs; i++) {
		const struct arg_op *op = &pi->prog.op[i];
		struct ip_op *o = &s->op[i];

		memset(o, 0, sizeof(*o));
		o->size = op->size;
		o->scale = op->scale;
		o->str = inproc_str_mode(t, pi, i);
		o->base = op->base_off == REG_NONE ? IP_REG_NONE : arch_frame_reg(op->base_off);
		o->index = op->index_off == REG_NONE ? IP_REG_NONE : arch_frame_reg(op->index_off);
		o->imm = op->imm;
		*vec |= (o->base != IP_REG_NONE && o->base >= IP_REG_XMM0 && o->base != IP_REG_SP) ||
			(o->index != IP_REG_NONE && o->index >= IP_REG_XMM0 && o->index != IP_REG_SP);
		switch (op->kind) {
		case ARGSPEC_CONST:
			o->kind = IP_OP_CONST;
			break;
		case ARGSPEC_REG:
			o->kind = o->base == IP_REG_NONE ? IP_OP_NONE : IP_OP_REG;
			o->shift = op->base_shift;
			o->width = op->base_width;
			break;
		case ARGSPEC_MEM:
			o->kind = (op->base_off != REG_NONE && o->base == IP_REG_NONE) ||
				  (op->index_off != REG_NONE && o->index == IP_REG_NONE)
				  ? IP_OP_NONE : IP_OP_MEM;
			break;
		case ARGSPEC_SYMBOL:
			/* the symbol's value, relocated; unresolved: not read */
			o->kind = op->imm ? IP_OP_MEM : IP_OP_NONE;
			o->direct = o->base == IP_REG_NONE && o->index == IP_REG_NONE &&
				    in_segment(e, (uint64_t)op->imm, op->size);
			o->imm = op->imm + (int64_t)bias;
			break;
		default:
			o->kind = IP_OP_NONE;
			break;
		}
	}
}

/* A new index in p's site table for a site at addr. */
static int slot_new(struct tproc *p, const struct probe_info *pi, uint64_t addr, uint32_t *index)
{
	struct ip_proc *ip = &p->ip;

	if (ip->nslots >= NSITES_MAX)
		return -ENOSPC;
	ip->slots = xrealloc(ip->slots, (ip->nslots + 1) * sizeof(*ip->slots));
	ip->slots[ip->nslots] = (struct ip_slot){ pi, addr };
	*index = ip->nslots++;
	return 0;
}

static struct ip_site *site_entry(struct tproc *p, uint32_t index)
{
	return (struct ip_site *)((char *)p->ip.h + p->ip.h->sites_off) + index;
}

/* Whether the code at addr is a sigreturn stub (glibc's and musl's
 * __restore_rt: mov $15,%rax or %eax; syscall), the address a signal
 * frame returns through. */
static bool is_sigreturn(struct tproc *p, uint64_t addr)
{
	static const uint8_t rax[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	static const uint8_t eax[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint8_t code[sizeof(rax)];

	if (mem_read(&p->mem, addr, code, sizeof(code)))
		return !mem_read(&p->mem, addr, code, sizeof(eax)) && !memcmp(code, eax, sizeof(eax));
	return !memcmp(code, rax, sizeof(rax)) || !memcmp(code, eax, sizeof(eax));
}

/* In the kernel's x86-64 signal frame, the saved rip is 22 words above
 * the return address the handler returns through (pretcode, then the
 * ucontext: uc_flags, uc_link, uc_stack (3 words), then the sigcontext's
 * r8-r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip). */
#define SIGFRAME_RIP 22

/*
 * Whether a held thread of p is, or will return, inside [lo, hi) (an
 * exclusive lo: the site itself is fine, for sites): its pc is there, or
 * a signal frame on its stack (one whose return address is a sigreturn
 * stub) saved a pc there.  The recorder calls nothing, so a thread inside
 * it or a trampoline has its pc there, unless a signal interrupted it.
 */
static bool thread_inside(struct tracer *t, struct tproc *p, uint64_t lo, uint64_t hi, bool at_lo_ok)
{
	static uint64_t words[STACK_SCAN / 8];
	struct arch_regs regs;
	size_t i = 0, j, n, len;
	uint64_t k, at, pc;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (th->proc != p || thread_running(th) || arch_regs_fetch(th->tid, &regs))
			continue;
		pc = arch_regs_pc(&regs);
		if (pc >= lo + at_lo_ok && pc < hi)
			return true;
		/* the first 64 KiB of its stack, page by page until its end */
		at = arch_regs_sp(&regs) & ~7ull;
		for (n = 0; n < STACK_SCAN / 8; n += len / 8, at += len) {
			len = MIN(4096 - (at & 4095), STACK_SCAN - 8 * n);
			if (mem_read(&p->mem, at, &words[n], len))
				break;
		}
		for (j = SIGFRAME_RIP; j < n; j++)
			if (words[j] >= lo + at_lo_ok && words[j] < hi &&
			    is_sigreturn(p, words[j - SIGFRAME_RIP]))
				return true;
	}
	return false;
}

/* Write the jump over the site: int3 first, then its tail, then the
 * first byte, so that the bytes are an instruction at every step. */
static int write_jump(struct tproc *p, uint64_t addr, const uint8_t *jump)
{
	int err = mem_write(&p->mem, addr, &arch_trap_insn, 1);

	if (!err)
		err = mem_write(&p->mem, addr + 1, jump + 1, ARCH_JUMP_LEN - 1);
	if (!err)
		err = mem_write(&p->mem, addr, jump, 1);
	return err;
}

/* Put the trampoline for slot index (probe pi, or a hook) and the jump
 * over addr; the verdict v said yes. */
static int place_jump(struct tracer *t, struct tproc *p, const struct pmod *pm,
		      const struct site_verdict *v, uint64_t addr, uint32_t index, bool vec,
		      struct site *s, const char **why)
{
	uint8_t code[ARCH_TRAMP_MAX], jump[ARCH_JUMP_LEN], now[sizeof(v->plan.code)];
	struct arch_tramp_args a;
	struct ip_region *r;
	int len, err;

	/* the bytes the jump replaces: the displaced instructions (as the
	 * file has them) and, after a ret, padding, put back as they are */
	if (mem_read(&p->mem, addr, now, MAX(v->plan.len, ARCH_JUMP_LEN)) ||
	    memcmp(now, v->plan.code, v->plan.len)) {
		*why = "the code at the site is not what the file holds (another tool changed it?)";
		return -EILSEQ;
	}
	r = region_for(t, p, pm, 1, why);
	if (!r)
		return -ENOMEM;
	a = (struct arch_tramp_args){ addr, r->addr + r->used, r->addr + inproc_blob_hit, index, vec,
				      &v->plan };
	len = arch_tramp_build(&a, code);
	if (len < 0 || arch_jump_encode(addr, a.tramp, jump)) {
		*why = "the trampoline is out of reach of the site";
		return -ERANGE;
	}
	if (thread_inside(t, p, addr, addr + v->plan.span, true)) {
		*why = "a thread is inside the bytes a jump would overwrite (or a signal frame on "
		       "its stack points there)";
		return -EBUSY;
	}
	err = mem_write(&p->mem, a.tramp, code, (size_t)len);
	if (err) {
		*why = "the trampoline cannot be written";
		return err;
	}
	r->used += align_up((uint64_t)len, 16);
	/* journal first: cleanup recognises a journaled site whose bytes
	 * are still the original ones, and skips it */
	journal_jump(&p->journal, addr, now, ARCH_JUMP_LEN, false);
	err = write_jump(p, addr, jump);
	if (err) {
		mem_write(&p->mem, addr, now, ARCH_JUMP_LEN);
		journal_jump(&p->journal, addr, now, ARCH_JUMP_LEN, true);
		*why = "the jump cannot be written";
		return err;
	}
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	s->jump = true;
	s->ip_index = index;
	memcpy(s->jorig, now, ARCH_JUMP_LEN);
	memcpy(s->jbytes, jump, ARCH_JUMP_LEN);
	s->bias = pm->bias;
	return 0;
}

int inproc_arm_site(struct tracer *t, struct tproc *p, struct pmod *pm,
		    const struct probe_info *pi, uint64_t addr, struct site *s, const char **why)
{
	const struct site_verdict *v;
	struct ip_site *e;
	uint32_t index;
	bool vec = false;
	size_t i;
	int err;

	if (inproc_prepare(t, p)) {
		*why = p->ip.why ? p->ip.why : "no thread of the process is held";
		return -EPERM;
	}
	v = verdicts(p, pm);
	i = (size_t)(pi->sdt - pm->tm->elf->probes);
	if (!v[i].ok) {
		*why = v[i].why;
		return -EINVAL;
	}
	if (slot_new(p, pi, addr, &index)) {
		*why = "the process's site table is full";
		return -ENOSPC;
	}
	e = site_entry(p, index);
	memset(e, 0, sizeof(*e));
	e->kind = IP_SITE_PROBE;
	e->probe_id = pi->id;
	e->pc = addr;
	site_program(t, pi, pm->bias, pm->tm->elf, e, &vec);
	/* ld.so's markers may fire before the thread pointer is set up */
	e->mode = t->cfg.aggregate && pi->prog.nargs <= IP_COUNT_ARGS ? IP_MODE_COUNT : IP_MODE_EVENT;
	if (pm->tm->elf->dl_debug_state)
		e->mode = IP_MODE_OFF, *why = "markers of the dynamic loader fire before threads are set up";
	if (e->mode == IP_MODE_OFF) {
		p->ip.nslots--;
		return -EINVAL;
	}
	err = place_jump(t, p, pm, &v[i], addr, index, vec, s, why);
	if (err) {
		memset(e, 0, sizeof(*e));
		p->ip.nslots--;
		return err;
	}
	s->kind = SITE_PROBE;
	s->probe = pi;
	pr_debug("inproc", "pid %d: %s:%s at 0x%" PRIx64 ": jump (%d bytes displaced)", p->pid,
		 pi->provider, pi->name, addr, v[i].plan.len);
	return 0;
}

/* A jump at one of pm's hooks (link-time v), of the given kinds: 0 with
 * the site added to pm, or -errno and *why. */
static int arm_hook(struct tracer *t, struct tproc *p, struct pmod *pm, uint64_t v,
		    uint32_t ip_kind, uint8_t site_kind, const char **why)
{
	const struct site_verdict *verdict = hook_verdict(p, pm, v);
	struct ip_site *e;
	struct site s;
	uint32_t index;

	if (!verdict) {
		*why = "no verdict";
		return -ENOENT;
	}
	if (!verdict->ok) {
		*why = verdict->why;
		return -EINVAL;
	}
	if (slot_new(p, NULL, v + pm->bias, &index)) {
		*why = "the process's site table is full";
		return -ENOSPC;
	}
	e = site_entry(p, index);
	memset(e, 0, sizeof(*e));
	e->kind = ip_kind;
	e->pc = v + pm->bias;
	if (place_jump(t, p, pm, verdict, v + pm->bias, index, false, &s, why)) {
		memset(e, 0, sizeof(*e));
		p->ip.nslots--;
		return -EINVAL;
	}
	s.kind = site_kind;
	pmod_add_site(p, pm, &s);
	return 0;
}

void inproc_arm_codefree(struct tracer *t, struct tproc *p, struct pmod *pm)
{
	struct ip_header *h = p->ip.h;
	struct strcache_layout lay;
	const char *why = NULL;

	if (p->ip.state != IPS_ON || p->ip.strcache_hook || !pm->tm->is_python ||
	    t->cfg.no_string_cache || python_strcache_layout(p, pm, &lay))
		return;
	verdicts(p, pm);        /* finds code_dealloc */
	h->py = (struct ip_pylayout){ lay.unicode_type, lay.type_off, lay.length_off, lay.state_off,
				      lay.header, lay.state_mask, lay.code_filename, lay.code_name, 0 };
	if (arm_hook(t, p, pm, pm->tm->codefree, IP_SITE_CODEFREE, SITE_CODEFREE, &why)) {
		pr_info("inproc", "pid %d: names are interned by their text, not by address: "
			"code_dealloc: %s", p->pid, why);
		return;
	}
	__atomic_store_n(&h->strcache, 1, __ATOMIC_RELEASE);
	p->ip.strcache_hook = true;
}

int inproc_arm_dlhook(struct tracer *t, struct tproc *p, struct pmod *pm, const char **why)
{
	if (inproc_prepare(t, p)) {
		*why = p->ip.why ? p->ip.why : "no thread of the process is held";
		return -EPERM;
	}
	return arm_hook(t, p, pm, pm->tm->elf->dl_debug_state, IP_SITE_DLHOOK, SITE_DLHOOK, why);
}

int inproc_disarm_site(struct tracer *t, struct tproc *p, const struct site *s)
{
	uint8_t now[ARCH_JUMP_LEN];
	int err = mem_read(&p->mem, s->addr, now, sizeof(now));

	if (!err && memcmp(now, s->jbytes, sizeof(now))) {
		tracer_notice(t, "pid %d: the jump at 0x%" PRIx64 " was changed by someone else; "
			      "left as it is", p->pid, s->addr);
		return -EILSEQ;
	}
	/* the first byte first: from then on no thread enters the jump */
	if (!err)
		err = mem_write(&p->mem, s->addr, &arch_trap_insn, 1);
	if (!err)
		err = mem_write(&p->mem, s->addr + 1, s->jorig + 1, ARCH_JUMP_LEN - 1);
	if (!err)
		err = mem_write(&p->mem, s->addr, s->jorig, 1);
	if (!err)
		journal_jump(&p->journal, s->addr, s->jorig, ARCH_JUMP_LEN, true);
	return err;
}

void inproc_modules_changed(struct tracer *t, struct tproc *p)
{
	struct ip_header *h = p->ip.h;

	/* a launched program is set up before glibc is mapped: until now
	 * its recorder asked the kernel for the thread id (TLS was not set
	 * up either: no marker outside the loader fires before it is) */
	if (p->ip.state == IPS_ON && h && h->tid_off == IP_TID_SYSCALL)
		__atomic_store_n(&h->tid_off, find_tid_offset(t, p), __ATOMIC_RELEASE);
}

/* ---- fork, exec, teardown ------------------------------------------- */

void inproc_fork(struct tracer *t, struct tproc *child, const struct tproc *parent, bool follow)
{
	const struct ip_proc *pp = &parent->ip;
	struct ip_proc *ip = &child->ip;
	struct ip_header *h;
	int err;

	if (pp->state != IPS_ON)
		return;
	/* the child has the parent's code regions and a zeroed control page */
	ip->ctl = pp->ctl;
	ip->regions = xmalloc((pp->nregions ? pp->nregions : 1) * sizeof(*ip->regions));
	memcpy(ip->regions, pp->regions, pp->nregions * sizeof(*ip->regions));
	ip->nregions = pp->nregions;
	ip->slots = xmalloc((pp->nslots ? pp->nslots : 1) * sizeof(*ip->slots));
	memcpy(ip->slots, pp->slots, pp->nslots * sizeof(*ip->slots));
	ip->nslots = pp->nslots;
	ip->scratch = pp->scratch;
	ip->entry = pp->entry;
	ip->strcache_hook = pp->strcache_hook;
	journal_region(&child->journal, ip->ctl, 4096, "ctl", false);
	for (size_t i = 0; i < ip->nregions; i++)
		journal_region(&child->journal, ip->regions[i].addr, ip->regions[i].size, "code", false);
	if (!follow) {
		/* the parent's data region is mapped in it too: teardown unmaps it */
		ip->data = pp->data;
		ip->size = pp->size;
		ip->state = IPS_INHERITED;
		return;
	}
	/* the parent's data region, shared, came with the fork: not the child's */
	rsys(t, child, SYS_munmap, (long)pp->data, (long)pp->size, 0, 0, 0, 0);
	err = map_data(t, child, pp->size);
	if (err) {
		fail(t, child, "a shared memory region for the forked child: %s", strerror(-err));
		proc_jumps_to_traps(t, child);
		return;
	}
	journal_region(&child->journal, ip->data, ip->size, "data", false);
	h = ip->h;
	header_init(t, child, h, ip->size, pp->h->use_tsc);
	h->tid_off = pp->h->tid_off;
	h->py = pp->h->py;
	h->strcache = pp->h->strcache;
	memcpy((char *)h + h->sites_off, (const char *)pp->h + pp->h->sites_off,
	       (size_t)pp->nslots * sizeof(struct ip_site));
	err = mem_write(&child->mem, ip->ctl, &ip->data, sizeof(ip->data));
	if (err) {
		fail(t, child, "writing the forked child's control page: %s", strerror(-err));
		proc_jumps_to_traps(t, child);
		return;
	}
	ip->state = IPS_ON;
	t->inproc_procs++;
}

/* ---- what a dead ptap left (ptap cleanup) ---------------------------- */

static void add_region(struct ip_proc *ip, uint64_t addr, uint64_t len)
{
	size_t i;

	for (i = 0; i < ip->nregions; i++)
		if (ip->regions[i].addr == addr)
			return;
	ip->regions = xrealloc(ip->regions, (ip->nregions + 1) * sizeof(*ip->regions));
	ip->regions[ip->nregions++] = (struct ip_region){ addr, len, len };
}

void inproc_adopt_region(struct tproc *p, uint64_t addr, uint64_t len, const char *kind)
{
	struct ip_proc *ip = &p->ip;

	ip->state = IPS_INHERITED;
	if (!strcmp(kind, "code"))
		add_region(ip, addr, len);
	else if (!strcmp(kind, "data"))
		ip->data = addr, ip->size = len;
	else if (!strcmp(kind, "ctl"))
		ip->ctl = addr;
}

void inproc_adopt_trampoline(struct tproc *p, uint64_t to)
{
	struct ip_proc *ip = &p->ip;
	struct ip_code_info info;
	struct ip_header h;
	struct proc_maps maps;
	const struct map_entry *e;
	uint64_t data = 0;

	if (procmaps_read(p->pid, &maps))
		return;
	e = procmaps_find(&maps, to);
	if (e && !e->dev && (e->prot & PROT_EXEC) &&
	    !mem_read(&p->mem, e->start + inproc_blob_info, &info, sizeof(info)) &&
	    info.magic == IP_MAGIC) {
		ip->state = IPS_INHERITED;
		add_region(ip, e->start, e->end - e->start);
		if (info.ctl && !mem_read(&p->mem, info.ctl, &data, sizeof(data))) {
			ip->ctl = info.ctl;
			if (data && !mem_read(&p->mem, data, &h, sizeof(h)) && h.magic == IP_MAGIC) {
				ip->data = data;
				ip->size = h.size;
			}
		}
	}
	procmaps_free(&maps);
}

unsigned inproc_adopted(struct tracer *t, struct tproc *p, uint64_t *dropped)
{
	struct ip_proc *ip = &p->ip;
	uint64_t d;

	(void)t;
	*dropped = 0;
	if (ip->data && !mem_read(&p->mem, ip->data + offsetof(struct ip_header, dropped), &d,
				  sizeof(d)))
		*dropped = d;
	return (unsigned)ip->nregions + !!ip->ctl + !!ip->data;
}

/* Whether a held thread of p has its pc in one of p's regions. */
static struct tthread *thread_in_regions(struct tracer *t, struct tproc *p)
{
	struct arch_regs regs;
	size_t i, j = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &j, &k, &v)) {
		struct tthread *th = v;

		if (th->proc != p || thread_running(th) || arch_regs_fetch(th->tid, &regs))
			continue;
		for (i = 0; i < p->ip.nregions; i++)
			if (arch_regs_pc(&regs) >= p->ip.regions[i].addr &&
			    arch_regs_pc(&regs) < p->ip.regions[i].addr + p->ip.regions[i].size)
				return th;
	}
	return NULL;
}

/*
 * Whether no thread of p is inside a region, once those caught in the
 * middle of a hit (the jumps are gone: nothing leads back) have been let
 * run out of it: such a thread runs a moment and every thread is held
 * again, a bounded number of times.  Not by single steps: a step over the
 * trampoline's pushfq would leave the trap flag in the flags it saves.
 */
static bool regions_clear(struct tracer *t, struct tproc *p)
{
	struct timespec pause = { 0, 200000 };
	struct tthread *th;
	size_t i;
	int tries;

	p->flags |= TP_TEARDOWN;
	for (tries = 0; tries < 50 && (th = thread_in_regions(t, p)); tries++) {
		if (th->flags & TT_LISTEN)
			break;  /* in a group-stop (job control): running it would end
				   the stop; the regions stay, said as such */
		if (th->pending_sig)
			th->flags |= TT_SIG_AGAIN;      /* its signal waits for the end */
		thread_resume(t, th, 0);
		nanosleep(&pause, NULL);
		tracer_hold(t, p);
		if (p->flags & TP_GONE)
			break;          /* it ended meanwhile */
	}
	p->flags &= ~TP_TEARDOWN;
	if (p->flags & TP_GONE)
		return false;
	for (i = 0; i < p->ip.nregions; i++)
		if (thread_inside(t, p, p->ip.regions[i].addr, p->ip.regions[i].addr +
				  p->ip.regions[i].size, false))
			return false;
	return true;
}

/* Unmap p's regions; returns how many stay mapped (a call that failed:
 * the journal keeps them for 'ptap cleanup'). */
static unsigned unmap_all(struct tracer *t, struct tproc *p)
{
	struct ip_proc *ip = &p->ip;
	unsigned left = 0;
	size_t i;

	ip->scratch = ip->nregions ? ip->regions[0].addr + ip->regions[0].size - SCRATCH_LEN
				   : entry_point(p);
	/* the scratch bytes are in a region: the last call runs from there */
	if (ip->data) {
		if (!rsys(t, p, SYS_munmap, (long)ip->data, (long)ip->size, 0, 0, 0, 0))
			journal_region(&p->journal, ip->data, ip->size, "data", true);
		else
			left++;
	}
	if (ip->ctl) {
		if (!rsys(t, p, SYS_munmap, (long)ip->ctl, 4096, 0, 0, 0, 0))
			journal_region(&p->journal, ip->ctl, 4096, "ctl", true);
		else
			left++;
	}
	for (i = ip->nregions; i-- > 0;) {
		ip->scratch = i ? ip->regions[0].addr + ip->regions[0].size - SCRATCH_LEN
				: entry_point(p);
		if (ip->scratch && !rsys(t, p, SYS_munmap, (long)ip->regions[i].addr,
					 (long)ip->regions[i].size, 0, 0, 0, 0))
			journal_region(&p->journal, ip->regions[i].addr, ip->regions[i].size, "code", true);
		else
			left++;
	}
	return left;
}

/* A leftover with a thread inside is tried again a second later, ten
 * times at most (each time every thread of the process stops once). */
#define LEFTOVER_RETRY_NS (1000ull * 1000 * 1000)
#define LEFTOVER_TRIES 10

/* Remember p's regions, left mapped, for the next attach to p. */
static void leftover_keep(struct tracer *t, struct tproc *p)
{
	const struct ip_proc *ip = &p->ip;
	struct ip_leftover *lo;

	t->ip_left = xrealloc(t->ip_left, (t->nip_left + 1) * sizeof(*t->ip_left));
	lo = &t->ip_left[t->nip_left++];
	*lo = (struct ip_leftover){ .pid = p->pid, .start = proc_start_time(p->pid), .ctl = ip->ctl,
				    .data = ip->data, .size = ip->size, .nregions = ip->nregions };
	lo->regions = xmalloc((ip->nregions ? ip->nregions : 1) * sizeof(*lo->regions));
	memcpy(lo->regions, ip->regions, ip->nregions * sizeof(*lo->regions));
}

/* Whether the leftover lo is still what ptap mapped in p: the control
 * page names the data region, which has its header, and every code
 * region holds the recorder, pointing at that control page. */
static bool leftover_ours(struct tproc *p, const struct ip_leftover *lo)
{
	struct ip_code_info info;
	struct ip_header h;
	uint64_t data;
	size_t i;

	if (proc_start_time(p->pid) != lo->start || !lo->ctl ||
	    mem_read(&p->mem, lo->ctl, &data, sizeof(data)) || data != lo->data ||
	    (data && (mem_read(&p->mem, data, &h, sizeof(h)) || h.magic != IP_MAGIC)))
		return false;
	for (i = 0; i < lo->nregions; i++)
		if (mem_read(&p->mem, lo->regions[i].addr + inproc_blob_info, &info, sizeof(info)) ||
		    info.magic != IP_MAGIC || info.ctl != lo->ctl)
			return false;
	return true;
}

/*
 * p was set up again (ptap attached once more, after a job-control stop):
 * unmap what an earlier teardown had to leave in it, now that every
 * thread is held outside it.  A leftover that is no longer ptap's (the
 * process ran another program) is forgotten; one a thread is still in
 * stays listed.
 */
static void leftovers_unmap(struct tracer *t, struct tproc *p)
{
	size_t i, j, k = 0;
	uint64_t key;
	unsigned n;
	void *v;

	while (u64map_next(&t->threads, &k, &key, &v)) {
		const struct tthread *th = v;

		if (th->proc == p && thread_running(th))
			return;         /* a thread may be anywhere */
	}
	for (i = 0; i < t->nip_left;) {
		struct ip_leftover *lo = &t->ip_left[i];
		bool inside = false, ours;

		if (lo->pid != p->pid) {
			i++;
			continue;
		}
		ours = leftover_ours(p, lo);
		for (j = 0; ours && j < lo->nregions && !inside; j++)
			inside = thread_inside(t, p, lo->regions[j].addr,
					       lo->regions[j].addr + lo->regions[j].size, false);
		if (inside) {
			lo->tries++;
			lo->next_ns = now_ns() + LEFTOVER_RETRY_NS;
			i++;
			continue;
		}
		if (ours) {
			for (j = 0; j < lo->nregions; j++)
				rsys(t, p, SYS_munmap, (long)lo->regions[j].addr,
				     (long)lo->regions[j].size, 0, 0, 0, 0);
			if (lo->data)
				rsys(t, p, SYS_munmap, (long)lo->data, (long)lo->size, 0, 0, 0, 0);
			rsys(t, p, SYS_munmap, (long)lo->ctl, 4096, 0, 0, 0, 0);
			n = (unsigned)lo->nregions + 1 + !!lo->data;
			pr_info("inproc", "pid %d: unmapped the %u regions an earlier teardown left",
				p->pid, n);
			t->stats.regions_left -= MIN(n, t->stats.regions_left);
		}
		free(lo->regions);
		*lo = t->ip_left[--t->nip_left];
	}
}

void inproc_leftovers_retry(struct tracer *t)
{
	uint64_t now = now_ns();
	size_t i;

	for (i = 0; i < t->nip_left; i++) {
		struct ip_leftover *lo = &t->ip_left[i];
		struct tproc *p = u64map_get(&t->procs, (uint64_t)lo->pid);

		if (proc_start_time(lo->pid) != lo->start || lo->tries >= LEFTOVER_TRIES) {
			free(lo->regions);      /* it ended, or it keeps a thread inside */
			t->ip_left[i--] = t->ip_left[--t->nip_left];
			continue;
		}
		if (!p || p->ip.state != IPS_ON || now < lo->next_ns)
			continue;
		tracer_hold(t, p);
		if (u64map_get(&t->procs, (uint64_t)lo->pid) == p) {
			leftovers_unmap(t, p);
			tracer_release(t, p);
		}
		return;                 /* the list may have changed: at the next tick */
	}
}

void inproc_leftovers_free(struct tracer *t)
{
	while (t->nip_left)
		free(t->ip_left[--t->nip_left].regions);
	free(t->ip_left);
	t->ip_left = NULL;
}

unsigned inproc_teardown(struct tracer *t, struct tproc *p, bool process_gone)
{
	struct ip_proc *ip = &p->ip;
	unsigned left = 0;

	if (ip->state == IPS_ON && ip->h && !process_gone) {
		inproc_drain(t, p);
		if (t->cfg.aggregate)
			inproc_collect_counts(t);
		inproc_report_losses(t, p);
		__atomic_store_n(&ip->h->state, IP_STATE_OFF, __ATOMIC_RELEASE);
	}
	if ((ip->state == IPS_ON || ip->state == IPS_INHERITED) && !process_gone) {
		if (regions_clear(t, p)) {
			if (t->nip_left)
				leftovers_unmap(t, p);  /* every thread is held */
			left = unmap_all(t, p);
			if (p->flags & TP_GONE)
				left = 0;       /* it ended meanwhile: nothing stays */
			if (left) {
				t->stats.regions_left += left;
				tracer_notice(t, "pid %d: %u region%s of ptap's code and data could not "
					      "be unmapped: they stay, unused ('ptap cleanup -p %d' "
					      "unmaps them)", p->pid, left, left == 1 ? "" : "s",
					      p->pid);
			}
		}
		else if (!(p->flags & TP_GONE)) {
			leftover_keep(t, p);
			t->stats.regions_left += (unsigned)ip->nregions + !!ip->ctl + !!ip->data;
			tracer_notice(t, "pid %d: a thread was inside ptap's code when it detached: its "
				      "%zu code region%s stay%s mapped, unused", p->pid,
				      ip->nregions, ip->nregions == 1 ? "" : "s",
				      ip->nregions == 1 ? "s" : "");
		}
	}
	inproc_forget(t, p);
	return left;
}

void inproc_forget(struct tracer *t, struct tproc *p)
{
	struct ip_proc *ip = &p->ip;

	if (ip->state == IPS_ON && t->inproc_procs)
		t->inproc_procs--;
	if (ip->h) {
		tracer_unlock(ip->h);
		munmap(ip->h, ip->size);
	}
	if (ip->memfd >= 0)
		close(ip->memfd);
	free(ip->why);
	free(ip->regions);
	free(ip->slots);
	free(ip->counts);
	memset(ip, 0, sizeof(*ip));
	ip->memfd = -1;
}

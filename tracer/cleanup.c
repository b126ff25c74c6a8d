/*
 * Taking over what a dead ptap left in a process (ptap cleanup).
 *
 * A ptap killed with SIGKILL leaves int3s and raised semaphores behind;
 * the kernel detaches the process, and its next hit kills it with
 * SIGTRAP.  Cleanup attaches without arming, then adopts the leftovers
 * into this tracer's own bookkeeping as if it had armed them: the normal
 * clean detach then restores every byte and lowers every count, and any
 * thread that runs into a leftover int3 meanwhile is handled like a hit.
 *
 * What was left comes from the dead ptap's journal (tracer/journal.h),
 * exact for what it lists.  In any case (a journal may be short: its disk
 * full), every place ptap could have written is also compared with the
 * mapped file: a probe site, _dl_debug_state's ret and CPython's
 * code_dealloc hook hold an int3 where the file has another byte.  Bytes
 * found that way are exact; their semaphores are then inferred: one count
 * for each probe found armed (and for CPython 3.11's line marker when its
 * function__entry was), which may take back a count another tracer holds.
 */
#include "tracer/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/addr.h"
#include "tracer/python.h"

/* The module of p whose executable segments hold the run-time addr. */
static struct pmod *pmod_at(struct tproc *p, uint64_t addr)
{
	size_t i, j;

	for (i = 0; i < p->nmods; i++) {
		const struct elf_module *e = p->mods[i].tm->elf;
		uint64_t v = addr - p->mods[i].bias;

		for (j = 0; j < e->nsegs; j++)
			if (v >= e->segs[j].vaddr && v - e->segs[j].vaddr < e->segs[j].memsz)
				return &p->mods[i];
	}
	return NULL;
}

/* Take an int3 at addr as ptap's own; false if it was already. */
static bool adopt_site(struct tproc *p, struct pmod *pm, uint64_t addr, uint8_t orig, uint8_t kind,
		       const struct arch_copy_hook *copy)
{
	struct site s = { 0 };

	if (u64map_get(&p->sites, addr))
		return false;
	s.addr = addr;
	s.orig = orig;
	s.kind = kind;
	s.bias = pm->bias;
	if (copy)
		s.copy = *copy;
	pmod_add_site(p, pm, &s);
	return true;
}

/* A jump found at addr over orig (from the journal or the file): adopt it
 * if the bytes there are a jump, and note the code region it leads to. */
static bool adopt_jump(struct tproc *p, struct pmod *pm, uint64_t addr, const uint8_t *orig,
		       uint8_t kind)
{
	struct site s = { 0 };
	uint8_t now[ARCH_JUMP_LEN];

	if (u64map_get(&p->sites, addr) || mem_read(&p->mem, addr, now, sizeof(now)) ||
	    !memcmp(now, orig, sizeof(now)) || now[0] != arch_jump_insn)
		return false;   /* never written, or not ours */
	s.addr = addr;
	s.kind = kind;
	s.jump = true;
	s.bias = pm->bias;
	memcpy(s.jorig, orig, ARCH_JUMP_LEN);
	memcpy(s.jbytes, now, ARCH_JUMP_LEN);
	pmod_add_site(p, pm, &s);
	return true;
}

/* The file behind module pm, as the target maps it; -errno. */
static int pmod_file(pid_t pid, const struct pmod *pm)
{
	struct proc_maps maps;
	size_t i;
	int fd = -ENOENT;

	if (procmaps_read(pid, &maps))
		return -ESRCH;
	for (i = 0; i < maps.n && fd == -ENOENT; i++)
		if (maps.v[i].dev == pm->tm->elf->dev && maps.v[i].ino == pm->tm->elf->ino)
			fd = procmaps_open(pid, &maps.v[i]);
	procmaps_free(&maps);
	return fd;
}

/* Read len bytes of pm's file at the link-time address v. */
static int file_bytes(int fd, const struct pmod *pm, uint64_t v, uint8_t *buf, size_t len)
{
	uint64_t off;

	if (addr_to_offset(pm->tm->elf->segs, pm->tm->elf->nsegs, v, 0, &off))
		return -ERANGE;
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

/* Compare memory and file over [v, v+len) of pm; adopt each int3 the
 * file does not have, as a site of the given kind.  Returns how many
 * were not adopted already (from the journal). */
static unsigned adopt_range(struct tproc *p, struct pmod *pm, int fd, uint64_t v, size_t len,
			    uint8_t kind)
{
	uint8_t mem[32], file[32];
	struct arch_copy_hook copy;
	unsigned found = 0;
	size_t i;

	len = MIN(len, sizeof(mem));
	if (mem_read(&p->mem, v + pm->bias, mem, len) || file_bytes(fd, pm, v, file, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (mem[i] != arch_trap_insn || file[i] == arch_trap_insn)
			continue;
		if (kind == SITE_CODEFREE &&
		    (arch_arg0_copy_site(file, len, &copy) != (int)i))
			continue;       /* not where ptap puts that hook */
		found += adopt_site(p, pm, v + pm->bias + i, file[i], kind,
				    kind == SITE_CODEFREE ? &copy : NULL);
	}
	return found;
}

/* A jump where the file has other bytes, at the link-time address v of
 * pm: adopted, with the region it leads to.  1 if so. */
static unsigned infer_jump(struct tproc *p, struct pmod *pm, int fd, uint64_t v, uint8_t kind)
{
	uint8_t file[ARCH_JUMP_LEN];
	int32_t rel;
	uint64_t to;
	const struct site *s;

	if (file_bytes(fd, pm, v, file, sizeof(file)) || !adopt_jump(p, pm, v + pm->bias, file, kind))
		return 0;
	s = u64map_get(&p->sites, v + pm->bias);
	memcpy(&rel, s->jbytes + 1, sizeof(rel));
	to = v + pm->bias + ARCH_JUMP_LEN + (uint64_t)(int64_t)rel;
	inproc_adopt_trampoline(p, to);
	return 1;
}

static void infer_module(struct tproc *p, struct pmod *pm, struct cleanup_report *r)
{
	const struct tmodule *tm = pm->tm;
	const struct elf_module *e = tm->elf;
	bool entry_armed = false;
	uint64_t fn;
	size_t i;
	int fd = pmod_file(p->mem.pid, pm);

	if (fd < 0)
		return;
	for (i = 0; i < e->nprobes; i++) {
		const struct sdt_probe *sp = &e->probes[i];
		unsigned n;

		if (sp->problem)
			continue;
		n = infer_jump(p, pm, fd, sp->pc, SITE_PROBE);
		if (!n)
			n = adopt_range(p, pm, fd, sp->pc, 1, SITE_PROBE);
		r->sites += n;
		if (n && tm->probes[i].known == KP_PY_ENTRY)
			entry_armed = true;
		if (n && sp->semaphore)
			pmod_add_sem(pm, sp->semaphore + pm->bias);
	}
	/* CPython 3.11: the line semaphore raised along with function__entry */
	if (entry_armed && python_entry_needs_line(tm->python_version) && !tm->python_debug)
		for (i = 0; i < e->nprobes; i++)
			if (tm->probes[i].known == KP_PY_LINE && e->probes[i].semaphore)
				pmod_add_sem(pm, e->probes[i].semaphore + pm->bias);
	if (e->dl_debug_state) {
		unsigned j = infer_jump(p, pm, fd, e->dl_debug_state, SITE_DLHOOK);

		r->hooks += j ? j : adopt_range(p, pm, fd, e->dl_debug_state, 16, SITE_DLHOOK);
	}
	/* CPython's code_dealloc, found as the string cache finds it: an int3
	 * inside, or a jump at its start */
	if (!python_code_dealloc(p, pm, &fn)) {
		unsigned j = infer_jump(p, pm, fd, fn - pm->bias, SITE_CODEFREE);

		r->hooks += j ? j : adopt_range(p, pm, fd, fn - pm->bias, 32, SITE_CODEFREE);
	}
	close(fd);
}

/* A thread the dead ptap pinned: the clean detach gives it its own
 * affinity back (if it still has that one CPU alone). */
static void adopt_pin(struct tracer *t, struct tproc *p, const struct journal_entry *je,
		      struct cleanup_report *r)
{
	struct tthread *th = u64map_get(&t->threads, (uint64_t)je->tid);

	if (!th || th->proc != p)
		return;         /* the thread is gone */
	th->saved_cpus = je->own;
	th->pinned_cpu = je->cpu;
	r->affinities++;
}

/* Adopt what the journal lists and memory confirms. */
static void adopt_journal(struct tracer *t, struct tproc *p, const struct journal_entry *je,
			  size_t n, struct cleanup_report *r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pmod *pm = pmod_at(p, je[i].addr);
		uint8_t byte;

		if (je[i].kind == JE_CPUS) {
			adopt_pin(t, p, &je[i], r);
			continue;
		}
		if (je[i].kind == JE_REGION) {
			inproc_adopt_region(p, je[i].addr, je[i].len, je[i].region);
			continue;
		}
		if (!pm && p->nmods)
			pm = &p->mods[0];
		if (!pm)
			continue;
		if (je[i].kind == JE_SEM) {
			pmod_add_sem(pm, je[i].addr);
			continue;
		}
		if (je[i].kind == JE_JUMP) {
			if (je[i].jlen == ARCH_JUMP_LEN &&
			    adopt_jump(p, pm, je[i].addr, je[i].jorig, je[i].jorig[0] == arch_site_insn
				       ? SITE_PROBE : SITE_CODEFREE)) {
				if (je[i].jorig[0] == arch_site_insn)
					r->sites++;
				else
					r->hooks++;
			}
			continue;
		}
		/* a journaled site that holds no int3 was never written */
		if (mem_read(&p->mem, je[i].addr, &byte, 1) || byte != arch_trap_insn)
			continue;
		if (je[i].orig == arch_site_insn) {
			r->sites += adopt_site(p, pm, je[i].addr, je[i].orig, SITE_PROBE, NULL);
		} else {
			/* a hook: what it needs to be stepped over comes from the file */
			uint8_t code[32];
			struct arch_copy_hook copy;
			int fd = pmod_file(p->mem.pid, pm);

			if (fd >= 0 && !file_bytes(fd, pm, je[i].addr - pm->bias, code, sizeof(code)) &&
			    arch_arg0_copy_site(code, sizeof(code), &copy) == 0)
				r->hooks += adopt_site(p, pm, je[i].addr, je[i].orig, SITE_CODEFREE, &copy);
			else
				r->hooks += adopt_site(p, pm, je[i].addr, je[i].orig, SITE_DLHOOK, NULL);
			if (fd >= 0)
				close(fd);
		}
	}
}

/*
 * The journal, when there is one, is exact for what it lists; but it may
 * be short (its disk filled up before ptap could remove it), so memory is
 * compared with the files in any case: an int3 found that way and not
 * journaled is adopted too, with its semaphores inferred.
 */
int tracer_cleanup_adopt(struct tracer *t, pid_t pid, struct cleanup_report *r)
{
	struct tproc *p = u64map_get(&t->procs, (uint64_t)pid);
	struct journal_entry *je;
	unsigned journaled;
	size_t n, i;
	int err;

	memset(r, 0, sizeof(*r));
	if (!p)
		return -ESRCH;
	err = journal_load(pid, &je, &n, &r->journal);
	r->journal_bad = err == -EBADMSG;
	if (!err) {
		r->from_journal = true;
		adopt_journal(t, p, je, n, r);
		free(je);
	}
	journaled = r->sites + r->hooks;
	for (i = 0; i < p->nmods; i++)
		infer_module(p, &p->mods[i], r);
	r->from_files = r->sites + r->hooks - journaled;
	for (i = 0; i < p->nmods; i++)
		r->semaphores += (unsigned)p->mods[i].nsems;
	r->regions = inproc_adopted(t, p, &r->dropped);
	/* counted as arming counts them: detaching takes them off again */
	t->stats.sites_armed += r->sites;
	t->stats.semaphores += r->semaphores;
	return 0;
}

void tracer_cleanup_forget(struct tracer *t, pid_t pid)
{
	struct tproc *p = u64map_get(&t->procs, (uint64_t)pid);
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!p)
		return;
	proc_forget_image(t, p);
	while (u64map_next(&t->threads, &i, &k, &v))
		if (((struct tthread *)v)->proc == p)
			((struct tthread *)v)->pinned_cpu = -1;
}

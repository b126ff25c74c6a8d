/*
 * Arming: finding the modules a process maps, writing int3 over their
 * selected probe sites, raising their semaphores, and undoing all of it.
 *
 * For each file mapped with execute permission, the load bias comes from
 * a mapping that covers one of the file's executable segments (elf/addr.h
 * rule 3): bias = start - map_offset + p_offset - p_vaddr.  Every
 * link-time address of that file (sites, semaphores, symbols) then runs
 * at address + bias.  Before ptap writes anything it checks, against the
 * same maps, that a site lies in an executable mapping of that very file
 * and holds the one-byte nop sdt.h emits, and that a semaphore lies in a
 * writable private mapping.  Nothing else is ever written.
 *
 * The dynamic loader (the module defining _dl_debug_state) gets one more
 * int3, on the ret of _dl_debug_state, which glibc calls after every
 * change to the list of loaded objects: at startup after the initial
 * libraries are mapped (before their constructors run) and around every
 * dlopen and dlclose.  At that trap ptap rescans the maps, arms what is
 * new, forgets what is gone, and makes the thread return from the
 * function as the ret would have.
 */
#include "tracer/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/addr.h"
#include "tracer/python.h"

static void module_notice(void *ctx, const char *msg)
{
	tracer_notice(ctx, "%s", msg);
}

/* The probes of the file behind e, from the tracer's cache or read now;
 * NULL if it cannot be opened for want of file descriptors or memory
 * (said, and tried again at the next scan). */
static struct tmodule *module_get(struct tracer *t, struct tproc *p, const struct map_entry *e)
{
	pid_t pid = p->mem.pid;
	struct tmodule *m;
	struct elf_module *elf;
	const char *why;
	size_t i;
	int fd, err;

	for (m = t->modules; m; m = m->next)
		if (m->elf && m->elf->dev == e->dev && m->elf->ino == e->ino)
			return m;
	fd = procmaps_open(pid, e);
	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) {
		tracer_notice(t, "pid %d: cannot open %s: %s; its probes are not armed", p->pid,
			      e->path, strerror(-fd));
		p->flags |= TP_UNREADABLE;
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->next = t->modules;
	t->modules = m;
	if (fd < 0) {
		pr_debug("arm", "pid %d: cannot open %s: %s", pid, e->path, strerror(-fd));
		return m;       /* an empty module: not retried on every scan */
	}
	err = elf_module_open(e->path, fd, &elf);
	if (!err && elf->dl_debug_state && elf_module_symbol(e->path, fd, "_r_debug", &m->r_debug))
		m->r_debug = 0;
	/* glibc tells where a thread's id lies, for libthread_db: the
	 * in-process recorder reads it instead of making a system call */
	if (!err && inproc_enabled(t) &&
	    elf_module_symbol(e->path, fd, "_thread_db_pthread_tid", &m->tid_desc))
		m->tid_desc = 0;
	for (i = 0; !err && i < elf->nprobes && !m->is_python; i++)
		m->is_python = !strcmp(elf->probes[i].provider, "python");
	if (m->is_python) {
		uint64_t v;

		m->python_version = python_version(elf, fd);
		if (elf_module_symbol(e->path, fd, "PyCode_Type", &m->py_code_type) ||
		    elf_module_symbol(e->path, fd, "PyUnicode_Type", &m->py_unicode_type))
			m->py_code_type = m->py_unicode_type = 0;
		m->python_debug = !elf_module_symbol(e->path, fd, "_Py_RefTotal", &v);
	}
	close(fd);
	if (err) {
		pr_debug("arm", "pid %d: %s: %s", pid, e->path, strerror(-err));
		return m;
	}
	m->elf = elf;
	for (i = 0; i < elf->nwarnings; i++)
		tracer_notice(t, "%s: %s", elf->path, elf->warnings[i]);
	selection_apply(t->cfg.sel, m, &t->next_probe_id, module_notice, t);
	if ((m->narmed || m->nsem_only) && !elf_module_traceable(elf, &why)) {
		tracer_notice(t, "%s: not armed: %s", elf->path, why);
		m->narmed = m->nsem_only = 0;
	}
	return m;
}

void tracer_modules_free(struct tracer *t)
{
	struct tmodule *m, *next;

	for (m = t->modules; m; m = next) {
		next = m->next;
		if (m->elf)
			elf_module_free(m->elf);
		free(m->probes);
		free(m->verdicts);
		free(m);
	}
	t->modules = NULL;
}

/* The module's load bias from an executable mapping of it, or -ENOENT. */
static int module_bias(const struct elf_module *elf, const struct proc_maps *maps,
		       const struct map_entry *first, uint64_t *bias)
{
	size_t i, j;
	uint64_t rt;

	for (i = (size_t)(first - maps->v); i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];

		if (e->dev != first->dev || e->ino != first->ino || !(e->prot & PROT_EXEC))
			continue;
		for (j = 0; j < elf->nsegs; j++) {
			const struct elf_segment *s = &elf->segs[j];

			if (!(s->flags & 1 /* PF_X */) || !s->filesz)
				continue;
			if (addr_in_mapping(e->start, e->end, e->offset, s->offset, &rt)) {
				*bias = rt - s->vaddr;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static struct pmod *pmod_find(struct tproc *p, const struct tmodule *tm, uint64_t bias)
{
	size_t i;

	for (i = 0; i < p->nmods; i++)
		if (p->mods[i].tm == tm && p->mods[i].bias == bias)
			return &p->mods[i];
	return NULL;
}

static bool same_file(const struct map_entry *e, const struct elf_module *elf)
{
	return e && e->dev == elf->dev && e->ino == elf->ino;
}

static struct site *site_new(struct pmod *pm)
{
	pm->sites = xrealloc(pm->sites, (pm->nsites + 1) * sizeof(*pm->sites));
	memset(&pm->sites[pm->nsites], 0, sizeof(*pm->sites));
	return &pm->sites[pm->nsites++];
}

static void pmod_index_sites(struct tproc *p, struct pmod *pm);

static void journal_any_site(struct journal *j, const struct site *s, bool done)
{
	if (s->jump)
		journal_jump(j, s->addr, s->jorig, ARCH_JUMP_LEN, done);
	else
		journal_site(j, s->addr, s->orig, done);
}

/* A site added to a module already armed: every struct site of the module
 * may move, so the index is rebuilt; pointers to the module's sites held
 * by the caller are stale afterwards. */
void pmod_add_site(struct tproc *p, struct pmod *pm, const struct site *s)
{
	*site_new(pm) = *s;
	pmod_index_sites(p, pm);
}

bool pmod_add_sem(struct pmod *pm, uint64_t addr)
{
	size_t i;

	for (i = 0; i < pm->nsems; i++)
		if (pm->sems[i] == addr)
			return false;
	pm->sems = xrealloc(pm->sems, (pm->nsems + 1) * sizeof(*pm->sems));
	pm->sems[pm->nsems++] = addr;
	return true;
}

void journal_check(struct tracer *t, struct tproc *p)
{
	char *dir;

	if (likely(!p->journal.err) || p->journal.err == -ESRCH || t->journal_warned ||
	    t->cfg.no_arm)
		return;         /* (-ESRCH: the process is gone, nothing to keep) */
	t->journal_warned = true;
	dir = journal_dir_name();
	tracer_notice(t, "pid %d: cannot keep ptap's journal in %s: %s; tracing goes on, but "
		      "should ptap be killed, 'ptap cleanup' will have to compare the process with "
		      "its files", p->pid, dir, strerror(-p->journal.err));
	free(dir);
}

/* Write an int3 at addr over the byte want; 0, or -errno with a notice. */
int trap_write(struct tracer *t, struct tproc *p, uint64_t addr, uint8_t want, const char *what)
{
	uint8_t byte;
	int err;

	err = mem_read(&p->mem, addr, &byte, 1);
	if (err)
		return err;
	if (byte != want) {
		if (byte == arch_trap_insn || (byte == arch_jump_insn && want == arch_site_insn))
			tracer_notice(t, "pid %d: %s at 0x%llx already holds %s: another tracer is "
				      "using it, or a ptap that was killed left it (see 'ptap cleanup'); "
				      "not armed", p->pid, what, (unsigned long long)addr,
				      byte == arch_trap_insn ? "an int3" : "a jump");
		else
			tracer_notice(t, "pid %d: %s at 0x%llx holds 0x%02x, not the expected 0x%02x; "
				      "not armed", p->pid, what, (unsigned long long)addr, byte, want);
		return -EILSEQ;
	}
	/* journal first: a crash between the two leaves a journal entry for a
	 * byte that is no int3, which cleanup recognises and skips */
	journal_site(&p->journal, addr, want, false);
	err = mem_write(&p->mem, addr, &arch_trap_insn, 1);
	if (err)
		journal_site(&p->journal, addr, want, true);
	journal_check(t, p);
	return err;
}

static int sem_add(struct tproc *p, uint64_t addr, int delta)
{
	uint16_t v;
	int err = mem_read(&p->mem, addr, &v, sizeof(v));

	if (err)
		return err;
	if ((delta > 0 && v == 0xffff) || (delta < 0 && v == 0))
		return -EOVERFLOW;
	v = (uint16_t)(v + delta);
	return mem_write(&p->mem, addr, &v, sizeof(v));
}

/*
 * What cannot be armed in a module the loader may still be mapping (its
 * code not executable yet, its data not writable yet, or unmapped under
 * us by a dlclose) is tried again at the next scan, and said only when a
 * scan with the loader at rest still fails (report); see
 * proc_scan_modules.
 */
static bool arm_later(struct pmod *pm, bool report)
{
	if (!report)
		pm->retry = true;
	return !report;
}

static void arm_semaphore(struct tracer *t, struct tproc *p, struct pmod *pm,
			  const struct proc_maps *maps, const struct probe_info *pi, bool report)
{
	uint64_t addr = pi->sdt->semaphore + pm->bias;
	const struct map_entry *e;
	size_t i;
	int err;

	for (i = 0; i < pm->nsems; i++)
		if (pm->sems[i] == addr)
			return;         /* raised already */
	e = procmaps_find(maps, addr);
	if (!e || !(e->prot & PROT_WRITE) || e->shared) {
		if (!arm_later(pm, report))
			tracer_notice(t, "pid %d: semaphore of %s:%s at 0x%llx is not in a private "
				      "writable mapping; not raised", p->pid, pi->provider, pi->name,
				      (unsigned long long)addr);
		return;
	}
	err = sem_add(p, addr, +1);
	if (err == -EFAULT && arm_later(pm, report))
		return;
	if (err) {
		tracer_notice(t, "pid %d: cannot raise the semaphore of %s:%s at 0x%llx: %s", p->pid,
			      pi->provider, pi->name, (unsigned long long)addr,
			      err == -EOVERFLOW ? "it is at its maximum" : strerror(-err));
		return;
	}
	/* journal after: a crash between the two leaves one count raised
	 * (the probe stays enabled), never one lowered that we did not raise */
	journal_sem(&p->journal, addr, false);
	journal_check(t, p);
	pmod_add_sem(pm, addr);
	t->stats.semaphores++;
}

static void arm_probe(struct tracer *t, struct tproc *p, struct pmod *pm,
		      const struct proc_maps *maps, const struct probe_info *pi, bool report)
{
	uint64_t addr = pi->sdt->pc + pm->bias;
	const struct map_entry *e = procmaps_find(maps, addr);
	const char *why = NULL;
	char what[160];
	struct site *s;
	int err;

	if (u64map_get(&p->sites, addr))
		return;         /* armed already */
	snprintf(what, sizeof(what), "%s:%s", pi->provider, pi->name);
	if (!same_file(e, pm->tm->elf) || !(e->prot & PROT_EXEC)) {
		if (!arm_later(pm, report))
			tracer_notice(t, "pid %d: site of %s at 0x%llx is not in an executable mapping "
				      "of %s; not armed", p->pid, what, (unsigned long long)addr,
				      pm->tm->elf->path);
		return;
	}
	if (inproc_enabled(t) && !(p->flags & TP_SHARED_MM)) {
		struct site js;

		if (!inproc_arm_site(t, p, pm, pi, addr, &js, &why)) {
			*site_new(pm) = js;
			t->stats.sites_armed++;
			t->stats.sites_jump++;
			return;
		}
		pr_info("arm", "pid %d: %s at 0x%llx: int3: %s", p->pid, what,
			(unsigned long long)addr, why);
	} else if (t->cfg.engine == TRACER_ENGINE_INPROC && t->cfg.stopped_hits) {
		why = "--stack reads the thread stopped at each hit";
	}
	err = trap_write(t, p, addr, arch_site_insn, what);
	if (err == -EFAULT && arm_later(pm, report))
		return;
	if (err && err != -EILSEQ && err != -ESRCH)     /* (EILSEQ: said why) */
		tracer_notice(t, "pid %d: cannot write the int3 of %s at 0x%llx: %s; not armed",
			      p->pid, what, (unsigned long long)addr, strerror(-err));
	if (err)
		return;
	s = site_new(pm);
	s->addr = addr;
	s->orig = arch_site_insn;
	s->kind = SITE_PROBE;
	s->probe = pi;
	s->bias = pm->bias;
	s->why = why;
	t->stats.sites_armed++;
}

static void arm_dlhook(struct tracer *t, struct tproc *p, struct pmod *pm, const struct proc_maps *maps)
{
	uint64_t fn = pm->tm->elf->dl_debug_state + pm->bias;
	const char *why;
	uint8_t code[16];
	struct site *s;
	size_t i;
	int off;

	for (i = 0; i < pm->nsites; i++)
		if (pm->sites[i].kind == SITE_DLHOOK)
			return;         /* in place already */
	if (!same_file(procmaps_find(maps, fn), pm->tm->elf) || mem_read(&p->mem, fn, code, sizeof(code)))
		return;
	/* in-process, a dlopen stops nobody, even after ptap is gone */
	if (inproc_enabled(t) && !(p->flags & TP_SHARED_MM)) {
		if (!inproc_arm_dlhook(t, p, pm, &why))
			return;
		pr_info("arm", "pid %d: _dl_debug_state: int3: %s", p->pid, why);
	}
	off = arch_return_site(code, sizeof(code));
	if (off < 0) {
		tracer_notice(t, "pid %d: %s: _dl_debug_state is not a bare return; libraries loaded "
			      "later with dlopen will not be traced", p->pid, pm->tm->elf->path);
		return;
	}
	if (trap_write(t, p, fn + (uint64_t)off, code[off], "_dl_debug_state"))
		return;
	s = site_new(pm);
	s->addr = fn + (uint64_t)off;
	s->orig = code[off];
	s->kind = SITE_DLHOOK;
	s->probe = NULL;
	s->bias = pm->bias;
}

static void pmod_index_sites(struct tproc *p, struct pmod *pm)
{
	size_t i;

	for (i = 0; i < pm->nsites; i++)
		u64map_put(&p->sites, pm->sites[i].addr, &pm->sites[i]);
}

/* Arm what is selected in pm and not armed yet (again after a retry). */
static void pmod_arm(struct tracer *t, struct tproc *p, struct pmod *pm, const struct proc_maps *maps,
		     bool report)
{
	const struct tmodule *tm = pm->tm;
	size_t i;

	pm->retry = false;
	for (i = 0; i < tm->elf->nprobes && (tm->narmed || tm->nsem_only); i++) {
		const struct probe_info *pi = &tm->probes[i];

		if (pi->action == ACT_ARM)
			arm_probe(t, p, pm, maps, pi, report);
		if (pi->action != ACT_NONE && pi->sdt->semaphore)
			arm_semaphore(t, p, pm, maps, pi, report);
	}
	if (tm->elf->dl_debug_state)
		arm_dlhook(t, p, pm, maps);
	pmod_index_sites(p, pm);
	/* the recorder's string cache needs CPython's code_dealloc hooked */
	if (p->ip.state == IPS_ON && tm->is_python)
		inproc_arm_codefree(t, p, pm);
}

static void pmod_release(struct tracer *t, struct tproc *p, struct pmod *pm)
{
	size_t i;

	for (i = 0; i < pm->nsites; i++) {
		u64map_del(&p->sites, pm->sites[i].addr);
		t->stats.sites_armed -= pm->sites[i].kind == SITE_PROBE;
		t->stats.sites_jump -= pm->sites[i].kind == SITE_PROBE && pm->sites[i].jump;
	}
	t->stats.semaphores -= pm->nsems;
	free(pm->sites);
	free(pm->sems);
	pm->sites = NULL;
	pm->sems = NULL;
	pm->nsites = pm->nsems = 0;
}

/* Whether every loadable segment of pm's file is mapped where it belongs
 * (the loader maps them one by one). */
static bool pmod_complete(const struct pmod *pm, const struct proc_maps *maps)
{
	const struct elf_module *elf = pm->tm->elf;
	bool found;
	uint64_t rt;
	size_t i, j;

	for (j = 0; j < elf->nsegs; j++) {
		const struct elf_segment *seg = &elf->segs[j];

		found = !seg->filesz;
		for (i = 0; i < maps->n && !found; i++) {
			const struct map_entry *e = &maps->v[i];

			found = e->dev == elf->dev && e->ino == elf->ino &&
				addr_in_mapping(e->start, e->end, e->offset, seg->offset, &rt) &&
				rt == seg->vaddr + pm->bias;
		}
		if (!found)
			return false;
	}
	return true;
}

/* One pass over p's maps: new modules taken in and armed, those waiting
 * for a retry armed again, unmapped ones forgotten.  Failures are said
 * only with report, and only for a module mapped whole. */
static int scan_pass(struct tracer *t, struct tproc *p, bool report)
{
	struct proc_maps maps;
	size_t i, j;
	int err;

	err = procmaps_read(p->mem.pid, &maps);   /* a live thread's: the leader may be gone */
	if (err)
		return err;
	for (i = 0; i < p->nmods; i++)
		p->mods[i].present = false;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];
		struct tmodule *tm;
		struct pmod *pm;
		uint64_t bias;

		if (!procmaps_is_file(e) || !(e->prot & PROT_EXEC))
			continue;
		tm = module_get(t, p, e);
		if (!tm || !tm->elf || (!tm->elf->nprobes && !tm->elf->dl_debug_state && !tm->tid_desc))
			continue;
		/* the first mapping of the file in address order gives the bias */
		for (j = 0; j < i; j++)
			if (maps.v[j].dev == e->dev && maps.v[j].ino == e->ino)
				break;
		if (module_bias(tm->elf, &maps, &maps.v[j], &bias))
			continue;
		pm = pmod_find(p, tm, bias);
		if (!pm) {
			VEC_RESERVE(p->mods, p->cap_mods, p->nmods + 1);
			pm = &p->mods[p->nmods++];
			memset(pm, 0, sizeof(*pm));
			pm->tm = tm;
			pm->bias = bias;
			pm->retry = !t->cfg.no_arm;     /* armed below */
		}
		if (pm->retry)
			pmod_arm(t, p, pm, &maps, report && pmod_complete(pm, &maps));
		pm->present = true;
	}
	inproc_modules_changed(t, p);
	/* modules unmapped since the last scan (dlclose): their bytes are gone */
	for (i = 0; i < p->nmods;) {
		if (p->mods[i].present) {
			i++;
			continue;
		}
		for (j = 0; j < p->mods[i].nsites; j++)
			journal_any_site(&p->journal, &p->mods[i].sites[j], true);
		for (j = 0; j < p->mods[i].nsems; j++)
			journal_sem(&p->journal, p->mods[i].sems[j], true);
		pmod_release(t, p, &p->mods[i]);
		p->mods[i] = p->mods[--p->nmods];   /* the sites map points at
		                                       pm->sites, not at pm */
	}
	procmaps_free(&maps);
	return 0;
}

/* r_debug.r_state of the loader module pm (struct r_debug: int
 * r_version; link_map *r_map; ElfW(Addr) r_brk; enum r_state r_state, at
 * offset 24): 0 or -errno. */
static int loader_state(struct tproc *p, const struct pmod *pm, int32_t *state)
{
	return mem_read(&p->mem, pm->tm->r_debug + pm->bias + 24, state, sizeof(*state));
}

static bool proc_wants_retry(const struct tproc *p)
{
	size_t i;

	for (i = 0; i < p->nmods; i++)
		if (p->mods[i].retry)
			return true;
	return false;
}

/*
 * Scan p's modules and arm what is new.  A scan can meet a library half
 * mapped: attaching while the loader maps one (its code mapped, its data
 * not yet), or while a dlclose unmaps one.  So a first pass says nothing
 * of what fails and keeps it for later; if anything failed, a second
 * pass over fresh maps tries again and reports what fails in a module
 * mapped whole.  A module still half mapped is tried again at the next
 * scan: the loader's hook stops the process once the dlopen is complete.
 */
int proc_scan_modules(struct tracer *t, struct tproc *p)
{
	int err = scan_pass(t, p, false);

	if (!err && proc_wants_retry(p))
		err = scan_pass(t, p, true);
	return err;
}

void proc_forget_image(struct tracer *t, struct tproc *p)
{
	size_t i;

	strcache_reset(&p->strcache, STRCACHE_UNTRIED);
	inproc_forget(t, p);
	for (i = 0; i < p->nmods; i++)
		pmod_release(t, p, &p->mods[i]);
	free(p->mods);
	p->mods = NULL;
	p->nmods = p->cap_mods = 0;
	u64map_free(&p->sites);
}

/*
 * A forked child's memory is its parent's at the moment of the fork,
 * which may come before some of ptap's writes to the parent (attaching
 * arms a process whose threads run: one may be forking).  So a copied
 * int3 is kept only if it is in the child's memory, and a copied count
 * only if the child's semaphore equals the parent's (one less: the fork
 * came before ptap raised it; tracers alone write semaphores).  Else
 * the child would be "restored" where nothing was done: a byte it never
 * had, a count that is not ours.
 */
static void pmod_keep_inherited(struct tproc *child, struct tproc *parent, struct pmod *pm)
{
	size_t i, n;
	uint16_t cv, pv;
	uint8_t now[ARCH_JUMP_LEN];

	for (i = n = 0; i < pm->nsites; i++) {
		const struct site *s = &pm->sites[i];

		/* (jumps are written with the parent held: never half done) */
		if (!mem_read(&child->mem, s->addr, now, s->jump ? ARCH_JUMP_LEN : 1) &&
		    (s->jump ? !memcmp(now, s->jbytes, ARCH_JUMP_LEN) : now[0] == arch_trap_insn))
			pm->sites[n++] = *s;
	}
	pm->nsites = n;
	for (i = n = 0; i < pm->nsems; i++)
		if (mem_read(&child->mem, pm->sems[i], &cv, sizeof(cv)) ||
		    mem_read(&parent->mem, pm->sems[i], &pv, sizeof(pv)) || cv != (uint16_t)(pv - 1))
			pm->sems[n++] = pm->sems[i];
	pm->nsems = n;
}

bool proc_has_site_kind(const struct tproc *p, enum site_kind kind)
{
	size_t i, j;

	for (i = 0; i < p->nmods; i++)
		for (j = 0; j < p->mods[i].nsites; j++)
			if (p->mods[i].sites[j].kind == kind)
				return true;
	return false;
}

void proc_copy_arming(struct tracer *t, struct tproc *child, struct tproc *parent)
{
	size_t i, j;

	proc_forget_image(t, child);
	/* the child's memory is a copy: the hook is there, the names too,
	 * but an empty cache is always right */
	child->strcache.state = parent->strcache.state;
	child->strcache.lay = parent->strcache.lay;
	journal_open(&child->journal, child->pid);
	child->mods = xcalloc(parent->nmods ? parent->nmods : 1, sizeof(*child->mods));
	child->cap_mods = parent->nmods ? parent->nmods : 1;
	child->nmods = parent->nmods;
	for (i = 0; i < parent->nmods; i++) {
		const struct pmod *src = &parent->mods[i];
		struct pmod *dst = &child->mods[i];

		*dst = *src;
		dst->sites = xmalloc((src->nsites ? src->nsites : 1) * sizeof(*dst->sites));
		if (src->nsites)
			memcpy(dst->sites, src->sites, src->nsites * sizeof(*dst->sites));
		dst->sems = xmalloc((src->nsems ? src->nsems : 1) * sizeof(*dst->sems));
		if (src->nsems)
			memcpy(dst->sems, src->sems, src->nsems * sizeof(*dst->sems));
		pmod_keep_inherited(child, parent, dst);
		for (j = 0; j < dst->nsites; j++) {
			t->stats.sites_armed += dst->sites[j].kind == SITE_PROBE;
			t->stats.sites_jump += dst->sites[j].kind == SITE_PROBE && dst->sites[j].jump;
			journal_any_site(&child->journal, &dst->sites[j], false);
		}
		for (j = 0; j < dst->nsems; j++)
			journal_sem(&child->journal, dst->sems[j], false);
		t->stats.semaphores += dst->nsems;
		pmod_index_sites(child, dst);
	}
	journal_check(t, child);
	/* forked before the cache's hook was written: no cache without it */
	if (child->strcache.state == STRCACHE_ON && !proc_has_site_kind(child, SITE_CODEFREE))
		child->strcache.state = STRCACHE_UNTRIED;
}

/*
 * Whether addr still lies in a mapping of pm's file.  A dlclose may have
 * unmapped the module before the loader's hook told ptap (the thread is
 * stopped in the middle of it): its bytes are gone with it, nothing is to
 * be put back, and another file may be mapped there since.
 */
static bool still_mapped(const struct proc_maps *maps, const struct pmod *pm, uint64_t addr)
{
	return !maps || same_file(procmaps_find(maps, addr), pm->tm->elf);
}

/* Put back the bytes under pm's int3s; 0 or the last -errno. */
static int disarm_sites(struct tracer *t, struct tproc *p, const struct pmod *pm,
			const struct proc_maps *maps, bool *gone)
{
	int err, ret = 0;
	uint8_t byte;
	size_t j;

	for (j = 0; j < pm->nsites; j++) {
		const struct site *s = &pm->sites[j];

		if (!still_mapped(maps, pm, s->addr)) {
			journal_any_site(&p->journal, s, true);
			continue;
		}
		if (s->jump) {
			err = inproc_disarm_site(t, p, s);
			*gone |= err == -ESRCH;
			if (err && err != -ESRCH && err != -EILSEQ) {
				tracer_notice(t, "pid %d: cannot restore the bytes at 0x%llx: %s",
					      p->pid, (unsigned long long)s->addr, strerror(-err));
				ret = err;
			}
			continue;
		}
		err = mem_read(&p->mem, s->addr, &byte, 1);
		if (!err && byte != arch_trap_insn) {
			tracer_notice(t, "pid %d: the int3 at 0x%llx was changed by someone else "
				      "(now 0x%02x); left as it is", p->pid, (unsigned long long)s->addr,
				      byte);
			continue;
		}
		if (!err)
			err = mem_write(&p->mem, s->addr, &s->orig, 1);
		*gone |= err == -ESRCH;
		if (!err)
			journal_site(&p->journal, s->addr, s->orig, true);
		if (err && err != -ESRCH) {
			tracer_notice(t, "pid %d: cannot restore the byte at 0x%llx: %s", p->pid,
				      (unsigned long long)s->addr, strerror(-err));
			ret = err;
		}
	}
	return ret;
}

/* Lower the semaphores pm raised; 0 or the last -errno. */
static int disarm_sems(struct tracer *t, struct tproc *p, const struct pmod *pm,
		       const struct proc_maps *maps)
{
	int err, ret = 0;
	size_t j;

	for (j = 0; j < pm->nsems; j++) {
		err = still_mapped(maps, pm, pm->sems[j]) ? sem_add(p, pm->sems[j], -1) : 0;
		if (!err)
			journal_sem(&p->journal, pm->sems[j], true);
		if (err && err != -ESRCH) {
			tracer_notice(t, "pid %d: cannot lower the semaphore at 0x%llx: %s", p->pid,
				      (unsigned long long)pm->sems[j],
				      err == -EOVERFLOW ? "it is already 0" : strerror(-err));
			ret = err;
		}
	}
	return ret;
}

/*
 * Undo everything ptap wrote into p.  Every thread of p must be stopped.
 * A site that no longer holds our int3 is left alone (someone else
 * changed it) and reported; so is a semaphore already at zero.  What lay
 * in a module unmapped meanwhile is gone with it.
 */
int proc_disarm(struct tracer *t, struct tproc *p)
{
	struct proc_maps maps;
	bool have_maps = !procmaps_read(p->mem.pid, &maps);
	int err, ret = 0;
	bool gone = false;
	size_t i;

	for (i = 0; i < p->nmods; i++) {
		struct pmod *pm = &p->mods[i];

		err = disarm_sites(t, p, pm, have_maps ? &maps : NULL, &gone);
		ret = err ? err : ret;
		err = disarm_sems(t, p, pm, have_maps ? &maps : NULL);
		ret = err ? err : ret;
		pmod_release(t, p, pm);
	}
	if (have_maps)
		procmaps_free(&maps);
	free(p->mods);
	p->mods = NULL;
	p->nmods = p->cap_mods = 0;
	u64map_free(&p->sites);
	strcache_reset(&p->strcache, STRCACHE_UNTRIED);
	if (inproc_teardown(t, p, gone) && !ret)
		ret = -EBUSY;   /* regions stay mapped: the journal keeps them */
	journal_close(&p->journal, ret == 0);
	return ret;
}

void proc_jumps_to_traps(struct tracer *t, struct tproc *p)
{
	size_t i, j;

	for (i = 0; i < p->nmods; i++) {
		struct pmod *pm = &p->mods[i];

		for (j = 0; j < pm->nsites;) {
			struct site *s = &pm->sites[j];

			if (!s->jump || inproc_disarm_site(t, p, s)) {
				j++;
				continue;
			}
			t->stats.sites_jump -= s->kind == SITE_PROBE;
			if (s->kind == SITE_PROBE && !trap_write(t, p, s->addr, arch_site_insn,
								 "probe site")) {
				s->jump = false;
				s->orig = arch_site_insn;
				j++;
				continue;
			}
			/* a hook, or no int3 possible: the bytes are the file's again */
			t->stats.sites_armed -= s->kind == SITE_PROBE;
			u64map_del(&p->sites, s->addr);
			*s = pm->sites[--pm->nsites];
			pmod_index_sites(p, pm);
		}
	}
}

/*
 * Whether the loader's list of objects is consistent (r_debug.r_state ==
 * RT_CONSISTENT): _dl_debug_state is called with RT_ADD or RT_DELETE
 * before a change and RT_CONSISTENT after it; only then is a rescan
 * worth it.  Without _r_debug, every call counts as consistent.
 */
bool dlhook_consistent(struct tracer *t, struct tthread *th, const struct site *s)
{
	struct tproc *p = proc_mm(th->proc);
	size_t i, j;
	int32_t state;

	(void)t;
	for (i = 0; i < p->nmods; i++) {
		const struct pmod *pm = &p->mods[i];

		for (j = 0; j < pm->nsites; j++) {
			if (&pm->sites[j] != s || !pm->tm->r_debug)
				continue;
			if (loader_state(p, pm, &state))
				return true;
			return state == 0;      /* RT_CONSISTENT */
		}
	}
	return true;
}

bool proc_loader_consistent(struct tproc *p)
{
	size_t i;
	int32_t state;

	for (i = 0; i < p->nmods; i++) {
		const struct pmod *pm = &p->mods[i];

		if (!pm->tm->r_debug)
			continue;
		if (mem_read(&p->mem, pm->tm->r_debug + pm->bias + 24, &state, sizeof(state)))
			return true;
		return state == 0;      /* RT_CONSISTENT */
	}
	return true;
}

/* The thread stopped on the int3 over _dl_debug_state's ret: return from
 * the function as the ret would have. */
int dlhook_return(struct tracer *t, struct tthread *th, struct arch_regs *regs)
{
	struct tproc *p = proc_mm(th->proc);
	uint64_t ret_addr;
	int err;

	(void)t;
	err = mem_read(&p->mem, arch_regs_sp(regs), &ret_addr, sizeof(ret_addr));
	if (err)
		return err;
	arch_regs_emulate_return(regs, ret_addr);
	return arch_regs_store(th->tid, regs);
}

int tracer_for_each_probe(const struct tracer *t, pid_t pid, tracer_probe_fn fn, void *ctx)
{
	const struct tproc *p = u64map_get(&t->procs, (uint64_t)pid);
	size_t i, j;

	if (!p)
		return -ESRCH;
	if (p->mm_owner)
		p = p->mm_owner;
	for (i = 0; i < p->nmods; i++) {
		const struct pmod *pm = &p->mods[i];
		const struct tmodule *tm = pm->tm;

		for (j = 0; j < tm->elf->nprobes; j++) {
			const struct probe_info *pi = &tm->probes[j];
			uint64_t site = pi->sdt->pc + pm->bias;
			uint64_t sem = pi->sdt->semaphore ? pi->sdt->semaphore + pm->bias : 0;
			const struct site *s = u64map_get(&p->sites, site);
			bool raised = false;
			size_t k;

			for (k = 0; k < pm->nsems && sem; k++)
				raised |= pm->sems[k] == sem;
			if (s)
				fn(ctx, pi, site, raised ? sem : 0, s->jump ? TRACER_SITE_JUMP
					: TRACER_SITE_INT3, s->jump ? NULL : s->why);
			else if (pi->action == ACT_SEMAPHORE && raised)
				fn(ctx, pi, site, sem, TRACER_SITE_SEMAPHORE, NULL);
		}
	}
	return 0;
}

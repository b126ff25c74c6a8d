/*
 * The in-process engine: a jump at each marker site into code that ptap
 * puts into the target (inproc/recorder.c), so that a hit never stops it.
 *
 * It shares everything else with the ptrace engine: the same struct
 * tproc and struct site (a site is a jump or an int3), the same
 * attaching, following and detaching, the same journal.  What it adds,
 * per process:
 *
 *   setup     with every thread held (attach, exec, a fork's first stop),
 *             system calls run in a held thread (tracer/inject.h) map the
 *             control page and the shared data region, and ptap maps the
 *             same memfd;
 *   regions   code regions within +-2 GiB of each module with sites: the
 *             recorder blob and one trampoline per site;
 *   arming    a site whose verdict (tracer/sitecheck.h) is yes, in a
 *             process set up, gets a trampoline and then the jump, after
 *             checking that no held thread is inside the bytes or has a
 *             word on its stack pointing inside them (a signal frame);
 *             any other site keeps the int3, silently correct;
 *   polling   the loop drains each process's ring between waits and turns
 *             records into the same struct event the int3 path makes;
 *   teardown  bytes back, then the regions unmapped once no held thread
 *             is inside one (else left mapped, and said).
 */
#ifndef PTAP_TRACER_INPROC_H
#define PTAP_TRACER_INPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/sitecheck.h"

struct tracer;
struct tproc;
struct tthread;
struct pmod;
struct site;
struct probe_info;
struct ip_header;

/* A code region in the target. */
struct ip_region {
	uint64_t addr, size;        /* run-time, in the target */
	uint64_t used;              /* bytes of blob and trampolines written */
};

/* The regions a teardown left mapped in a process (a thread was stopped
 * inside them), to be unmapped when ptap attaches to it again. */
struct ip_leftover {
	pid_t pid;
	unsigned long long start;   /* the process's start time: the same one */
	uint64_t ctl, data, size;
	struct ip_region *regions;
	size_t nregions;
	unsigned tries;             /* attempts at unmapping it */
	uint64_t next_ns;           /* the next one, at a tick */
};

/* What ptap keeps for one site index of a process's site table. */
struct ip_slot {
	const struct probe_info *probe;    /* NULL for a hook */
	uint64_t site;              /* run-time address */
};

enum ip_proc_state {
	IPS_UNTRIED,                /* no setup tried in this image */
	IPS_ON,                     /* set up: sites may take jumps */
	IPS_FAILED,                 /* setup failed: every site is an int3 */
	IPS_INHERITED,              /* an unfollowed child: the parent's regions
	                               are mapped, nothing else */
};

/* The engine's state in one process (struct tproc.ip). */
struct ip_proc {
	uint8_t state;              /* enum ip_proc_state */
	char *why;                  /* IPS_FAILED: why, said once */
	uint64_t ctl;               /* the control page, in the target */
	uint64_t data;              /* the data region, in the target */
	int memfd;                  /* ptap's fd of it, -1 if none */
	struct ip_header *h;        /* ptap's mapping of it */
	size_t size;
	struct ip_region *regions;
	size_t nregions;
	struct ip_slot *slots;      /* by site index */
	uint32_t nslots;
	uint64_t scratch;           /* where injected system calls run */
	uint64_t entry;             /* its program's entry point (AT_ENTRY), read
	                               once: the scratch place while no region of
	                               ours is mapped (teardown may find no file
	                               descriptor left to read it again) */
	uint64_t *counts;           /* COUNT mode: the counts last delivered, by slot */
	uint32_t ncounts_seen;
	uint64_t dropped_seen;      /* h->dropped already reported */
	uint32_t dl_seen;           /* h->dl_seq last handled */
	uint64_t hit_ns;            /* the recorder's mean time per event, in ns
	                               (from h->cost_*, at each drain) */
	bool strcache_hook;         /* code_dealloc's jump is in place */
	bool noexec;                /* executable memory was refused: said once,
	                               never asked for again */
};

/* Whether the in-process engine is asked for (--engine). */
bool inproc_enabled(const struct tracer *t);

/* Make a held thread of p available and set p up, if not done: 0, or
 * -errno (p then stays on int3s; the reason is said once). */
int inproc_prepare(struct tracer *t, struct tproc *p);

/*
 * Put a jump over the probe site at run-time address addr of module pm
 * of p (whose other threads are held or cannot be inside pm's code).  0
 * and *s filled as a jump site, or -errno with *why (the int3 path is
 * then the caller's).
 */
int inproc_arm_site(struct tracer *t, struct tproc *p, struct pmod *pm,
		    const struct probe_info *pi, uint64_t addr, struct site *s, const char **why);

/* CPython's code_dealloc: the string cache's hook as a jump. */
void inproc_arm_codefree(struct tracer *t, struct tproc *p, struct pmod *pm);
/* The loader's _dl_debug_state as a jump (the recorder then waits for
 * ptap at every change of the loaded objects, see inproc_poll): 0, or
 * -errno and *why (the int3 hook is then the caller's). */
int inproc_arm_dlhook(struct tracer *t, struct tproc *p, struct pmod *pm, const char **why);

/* Undo a jump site (every thread of p held): 0, or -errno with a notice. */
int inproc_disarm_site(struct tracer *t, struct tproc *p, const struct site *s);

/* p's modules were scanned again: learn what the new ones tell (glibc,
 * mapped after the start, says where a thread keeps its id). */
void inproc_modules_changed(struct tracer *t, struct tproc *p);

/* Deliver what the rings of every process hold: the number of events. */
size_t inproc_poll(struct tracer *t);
/* The same for one process (before one of its int3 hits or its exit, so
 * that a thread's events stay in order). */
size_t inproc_drain(struct tracer *t, struct tproc *p);
/* COUNT mode: deliver the counts gathered since the last call. */
void inproc_collect_counts(struct tracer *t);

/* A forked child (held at its first stop), which has its parent's jumps
 * and code regions: give it a data region of its own with the parent's
 * site table; or, not followed, only note the regions, for teardown to
 * unmap them. */
void inproc_fork(struct tracer *t, struct tproc *child, const struct tproc *parent, bool follow);

/* After every jump of p is undone (threads held): unmap what was mapped,
 * unless a thread may be inside; free ptap's side.  Returns how many
 * regions an unmap failed for (they stay, and so does the journal that
 * lists them, for 'ptap cleanup'). */
unsigned inproc_teardown(struct tracer *t, struct tproc *p, bool process_gone);

/*
 * ptap cleanup: what a dead ptap's engine left in p, from its journal
 * (a region and its kind) or found through a jump's target (the code
 * region, whose recorder names the control page, which names the data
 * region); inproc_adopted then says how many regions are known and how
 * many events the recorders dropped, and teardown unmaps them.
 */
void inproc_adopt_region(struct tproc *p, uint64_t addr, uint64_t len, const char *kind);
void inproc_adopt_trampoline(struct tproc *p, uint64_t to);
unsigned inproc_adopted(struct tracer *t, struct tproc *p, uint64_t *dropped);

/* Forget p's engine state without touching the target (exec, exit). */
void inproc_forget(struct tracer *t, struct tproc *p);
/* Unmap, with its threads held, what a teardown left in a process traced
 * again (at most once a second each); tried at each tick. */
void inproc_leftovers_retry(struct tracer *t);
/* Free the list of regions teardowns left mapped (tracer_free). */
void inproc_leftovers_free(struct tracer *t);

/* Nanoseconds on now_ns()'s clock for a recorder's timestamp; and the
 * refinement of that conversion, at every tick. */
uint64_t inproc_time_ns(struct tracer *t, const struct ip_header *h, uint64_t stamp);
void inproc_clock_refine(struct tracer *t);

/* Within the engine (tracer/inproc.c, tracer/inproc_events.c): */
/* Whether the TSC ticks at one rate on every CPU; the first conversion. */
bool inproc_tsc_usable(void);
void inproc_clock_calibrate(struct tracer *t);
/* How argument i of pi travels (enum ip_str_mode). */
uint8_t inproc_str_mode(const struct tracer *t, const struct probe_info *pi, int i);
/* Say, once, what p's recorders could not record. */
void inproc_report_losses(struct tracer *t, struct tproc *p);

#endif

/*
 * The engine's own structures, shared by tracer/loop.c (the event loop),
 * tracer/tracee.c (launch, attach, detach) and tracer/arm.c (modules,
 * breakpoints, semaphores).  Consumers see only tracer.h.
 *
 * One struct tthread per traced thread and one struct tproc per traced
 * process (thread group).  Threads are found by tid, processes by pid,
 * both in hash maps of the struct tracer.
 */
#ifndef PTAP_TRACER_INTERNAL_H
#define PTAP_TRACER_INTERNAL_H

#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch/arch.h"
#include "common/hashmap.h"
#include "tracer/argeval.h"
#include "tracer/inproc.h"
#include "tracer/journal.h"
#include "tracer/mem.h"
#include "tracer/procmaps.h"
#include "tracer/select.h"
#include "tracer/strcache.h"
#include "tracer/tracer.h"

/*
 * Thread flags.
 *
 * TT_RUNNING   set when the loop resumes the thread (PTRACE_CONT or
 *              PTRACE_LISTEN); cleared when waitpid reports a stop.  A
 *              thread without it sits in a ptrace-stop we have not ended.
 * TT_NEW       set for an auto-attached thread or child whose first stop
 *              has not been seen yet; cleared by that stop.
 * TT_LISTEN    held (tracer_hold) in a group-stop: tracer_release ends
 *              the hold with PTRACE_LISTEN, so the stop goes on.
 * TT_IN_SYSCALL  held at an event stop inside a system call (clone, fork,
 *              vfork, exec): its return value is yet to be written into
 *              the registers, so no call can be injected before
 *              inject_leave_syscall; cleared when it is resumed.
 * TT_DETACHED  set when detaching let it go (PTRACE_DETACH); the struct
 *              stays until the tracer is freed (a launched command's
 *              exit may still be reported).
 * TT_SIG_AGAIN its pending_sig's signal-delivery-stop is over (it was set
 *              going without the signal, to leave ptap's code), so the
 *              signal can no longer be handed over by a restart: it is
 *              sent again when the thread is let go (thread_let_go_sig).
 */
enum {
	TT_RUNNING = 1u << 0,
	TT_NEW = 1u << 1,
	TT_LISTEN = 1u << 2,
	TT_IN_SYSCALL = 1u << 3,
	TT_DETACHED = 1u << 4,
	TT_SIG_AGAIN = 1u << 5,
};

struct tproc;

struct tthread {
	pid_t tid;
	struct tproc *proc;          /* the process it belongs to */
	unsigned flags;              /* TT_* */
	int pending_sig;             /* signal to hand over at detach (a
	                                signal-delivery-stop we ended up holding) */
	cpu_set_t saved_cpus;        /* affinity before ptap pinned it */
	int pinned_cpu;              /* the one CPU ptap set it to, -1 if none:
	                                saved_cpus is then valid, and restored at
	                                detach if the thread still has that CPU
	                                alone (else the program set its own) */
	pid_t vfork_child;           /* set when it vforked (PTRACE_EVENT_VFORK):
	                                resumed, it waits in the kernel until that
	                                child execs or exits, and cannot stop
	                                meanwhile; cleared then.  0: none */
	uint64_t cost_at_ns;         /* its last cost sample (calibrate.c): when, */
	uint64_t cost_cpu_ns;        /* and its CPU time then (UINT64_MAX unknown) */
};

/* Whether th is running but held in the kernel by its vfork child. */
static inline bool thread_in_vfork(const struct tthread *th)
{
	return th->vfork_child && (th->flags & TT_RUNNING);
}

/* Whether detaching left th attached: it did not stop in time. */
static inline bool thread_straggling(const struct tthread *th)
{
	return (th->flags & TT_RUNNING) && !(th->flags & TT_DETACHED);
}

static inline bool thread_running(const struct tthread *th) { return th->flags & TT_RUNNING; }
static inline bool thread_is_new(const struct tthread *th) { return th->flags & TT_NEW; }

struct site;

/* A module mapped into a process, with where it is loaded there and what
 * ptap changed in it. */
struct pmod {
	struct tmodule *tm;          /* the file's probes (tracer-wide cache) */
	uint64_t bias;               /* run-time address - link-time address */
	bool present;                /* seen in the latest maps scan */
	struct site *sites;          /* int3s written into this module */
	size_t nsites;
	uint64_t *sems;              /* run-time addresses of the semaphores
	                                raised by one, each distinct once */
	size_t nsems;
	bool retry;                  /* something of it could not be armed while
	                                it may have been half mapped: tried again
	                                at the next scan (proc_scan_modules) */
};

enum site_kind {
	SITE_PROBE,                  /* a stapsdt marker: decode and report */
	SITE_DLHOOK,                 /* the loader's _dl_debug_state: rescan modules */
	SITE_CODEFREE,               /* CPython's code_dealloc: drop cached names */
};

/* One int3, or one jump of the in-process engine, ptap wrote into a process. */
struct site {
	uint64_t addr;               /* run-time address of the int3 or the jump */
	uint8_t orig;                /* int3: the byte it replaced */
	uint8_t kind;                /* enum site_kind */
	bool jump;                   /* a jump to a trampoline, not an int3 */
	const struct probe_info *probe;   /* SITE_PROBE */
	uint64_t bias;               /* of the module, for SYMBOL arguments */
	struct arch_copy_hook copy;  /* int3 SITE_CODEFREE: the instruction it replaced */
	uint32_t ip_index;           /* jump: its index in the process's site table */
	uint8_t jorig[ARCH_JUMP_LEN];   /* jump: the bytes it replaced */
	uint8_t jbytes[ARCH_JUMP_LEN];  /* jump: the jump itself */
	const char *why;             /* int3 where a jump was wanted: why (borrowed) */
};

/*
 * Process flags.
 *
 * TP_LAUNCHED    the command ptap started (its exit status is ptap's).
 * TP_SHARED_MM   a vfork child (or CLONE_VM process) we do not follow:
 *                it shares its parent's memory, so its sites are the
 *                parent's; it is kept traced, silently, until it execs or
 *                exits, and never cleaned on its own.
 * TP_STARTED     its startup is complete: attached, or the loader
 *                reported its first consistent state after exec (or it
 *                has no loader); process_ready is called then, and a
 *                consumer judges "nothing armed" only then.
 * TP_UNFOLLOWED  a forked child under --no-follow: at its first stop its
 *                copy of ptap's int3s and semaphores is undone and it is
 *                detached, so it never runs into a trap nobody handles.
 * TP_TEARDOWN    its in-process regions are being removed, and a thread
 *                may be let run out of them: if the process ends then, its
 *                record stays (TP_GONE) until the teardown is over.
 * TP_UNREADABLE  a file it maps could not be opened for want of file
 *                descriptors or memory (said then): that nothing is armed
 *                says nothing of its markers.  Cleared by exec.
 */
enum {
	TP_LAUNCHED = 1u << 0,
	TP_SHARED_MM = 1u << 1,
	TP_STARTED = 1u << 2,
	TP_UNFOLLOWED = 1u << 4,
	TP_UNREADABLE = 1u << 5,
	TP_TEARDOWN = 1u << 6,
	TP_GONE = 1u << 7,
};

struct tproc {
	pid_t pid;
	unsigned flags;              /* TP_* */
	int nthreads;                /* live struct tthreads pointing here */
	struct mem mem;              /* its memory */
	struct tproc *mm_owner;      /* TP_SHARED_MM: the process whose memory
	                                (and arming) it shares, else NULL */
	struct pmod *mods;           /* modules found in its maps */
	size_t nmods, cap_mods;
	struct u64map sites;         /* run-time address -> struct site * */
	struct strcache strcache;    /* CPython code names (tracer/strcache.h) */
	struct journal journal;      /* what we changed, on disk (tracer/journal.h) */
	pid_t vfork_parent;          /* a vfork child: the thread that waits for it
	                                (its vfork_child is this pid); else 0 */
	char *exe;                   /* executable path as the target sees it */
	uint64_t hits;
	struct ip_proc ip;           /* the in-process engine (tracer/inproc.h) */
	pid_t forked_from;           /* a forked child until its first stop: the
	                                parent, whose engine state it inherits */
};

/* The process whose memory p runs in (itself, or a vfork parent). */
static inline struct tproc *proc_mm(struct tproc *p)
{
	return p->mm_owner ? p->mm_owner : p;
}

/*
 * The memory of a process is read and written through one of its own
 * threads that is alive: a zombie leader has no memory any more, and a
 * vfork child's tid would lead to its new image once it executes.  A hit
 * hands the memory to its thread (surely alive: it is stopped there);
 * thread_forget hands it on when that thread goes.
 */
static inline void proc_mem_via(struct tthread *th)
{
	if (!th->proc->mm_owner)
		th->proc->mem.pid = th->tid;
}

struct tracer {
	struct tracer_config cfg;
	const struct tracer_hooks *hooks;
	void *ctx;
	struct u64map threads;       /* tid -> struct tthread * */
	struct u64map procs;         /* pid -> struct tproc * */
	struct u64map early;         /* tid -> wait status + 1: stops of
	                                auto-attached tasks reported before
	                                their parent's clone/fork event */
	struct tmodule *modules;     /* every ELF file seen, by dev/ino */
	uint32_t next_probe_id;
	uint64_t start_ns;
	uint64_t deadline_ns;        /* 0 = none */
	uint64_t next_tick_ns;
	pid_t launched;              /* the launched command, 0 if none */
	int launched_status;         /* its wait status, -1 while it runs */
	bool stop;                   /* leave the loop */
	enum tracer_stop reason;
	int pin_cpu;                 /* CPU tracer and targets share, -1 none */
	cpu_set_t own_cpus;          /* ptap's affinity before pinning */
	struct tracer_stats stats;
	bool journal_warned;         /* a journal could not be kept: said once */
	uint64_t cost_thread_ns;     /* tracer_cost sums (calibrate.c): threads' */
	uint64_t cost_ceiling_ns;    /* traced time, and of it the time off a CPU */
	uint64_t cost_cpu_ns;        /* ... and the time on one */
	uint64_t inproc_hits;        /* events the in-process engine delivered, */
	uint64_t inproc_cost_ns;     /* and what they cost their threads (ip.hit_ns) */
	uint64_t woke_ns;            /* when waitpid last returned (0: not in the loop) */
	struct arch_regs regs;       /* the stopped thread's, at a hit */
	unsigned inproc_procs;       /* processes whose in-process engine is on */
	struct ip_leftover *ip_left; /* regions a teardown had to leave mapped */
	size_t nip_left;
	bool hold_all;               /* tracer_hold in progress: keep every stop */
	struct tproc *hold_proc;     /* ... or those of this process */
	struct {                     /* the recorders' clock, the TSC, against now_ns() */
		uint64_t tsc0, ns0;
		double ns_per_tick;
	} tsc;
	struct arg_scratch scratch;  /* string bytes of the current event */
	struct event ev;
};

/* tracer/loop.c */
/* Handle one stop; when detaching (or holding: tracer_hold), the thread
 * is kept stopped instead of resumed. */
void loop_handle(struct tracer *t, pid_t tid, int status, bool detaching);
void tracer_signals_default(void);
void tracer_notice(struct tracer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* p's startup is over (attached, or the loader's first consistent state):
 * say so to the consumer, once. */
void proc_mark_started(struct tracer *t, struct tproc *p);
/* How many stop signals have come so far (a second one cuts waits short). */
unsigned tracer_stop_signals(void);

/* tracer/calibrate.c */
uint64_t calibrate_stop_ns(void);
/* A thread begins to be traced / its time so far goes into the sums
 * (called when it goes, and for every thread by tracer_cost_sample). */
void cost_thread_start(struct tthread *th);
void cost_thread_sample(struct tracer *t, struct tthread *th);

/* tracer/tracee.c: thread and process bookkeeping */
struct tthread *thread_add(struct tracer *t, pid_t tid, struct tproc *p, unsigned flags);
void thread_forget(struct tracer *t, struct tthread *th);
/* A field of /proc/PID/status ("Tgid:", "SigPnd:") in base; 0 and
 * *found false if the process or the field is not there. */
unsigned long long proc_status_field(pid_t pid, const char *field, int base, bool *found);
struct tproc *proc_add(struct tracer *t, pid_t pid, unsigned flags);
void proc_forget(struct tracer *t, struct tproc *p);
/* Free p's memory (not its map entry); its journal file goes too only
 * with remove_journal. */
void proc_free(struct tracer *t, struct tproc *p, bool remove_journal);
int thread_resume(struct tracer *t, struct tthread *th, int sig);
int thread_let_go_sig(struct tthread *th);
void thread_pin(struct tracer *t, struct tthread *th, const cpu_set_t *inherited);
/* Give th its own affinity back, if ptap's is still the one it has. */
void thread_unpin(struct tthread *th);
/* Journal th's pinning (after the journal of its process was opened). */
void thread_journal_pin(struct tthread *th);
void tracer_detach_all(struct tracer *t);
/* Stop every thread of p (of every process if p is NULL) and keep them
 * stopped, handling what they report meanwhile; tracer_release lets them
 * go as they were (a signal to deliver, a group-stop). */
void tracer_hold(struct tracer *t, struct tproc *p);
void tracer_release(struct tracer *t, struct tproc *p);
/* After tracer_detach_all: drop every thread and process record. */
void tracer_forget_all(struct tracer *t);
/* SIGTSTP & co. came: let every process go, stop, attach again. */
void tracer_pause(struct tracer *t, int sig);
/* tracer/loop.c: whether a tracer holds threads (job-control stops are
 * then taken by the loop, after letting them go); stop now for sig. */
void tracer_jobctl_defer(bool on);
void tracer_job_stop(int sig);
int tracer_job_signal(void);
/* p, a vfork child, no longer holds its parent (it executed, ended, or
 * was let go). */
void proc_vfork_done(struct tracer *t, struct tproc *p);
/* Whether a thread of pid stayed attached after detaching (a straggler:
 * held in vfork, or in an uninterruptible wait). */
bool proc_straggling(struct tracer *t, pid_t pid);
int tracee_seize(pid_t tid, bool launched);

/* tracer/diagnose.c: why a process cannot be traced */
/* "pid N (name): ..." for attaching to pid that failed with err. */
char *attach_diagnose(pid_t pid, int err);
char *proc_comm(pid_t pid);             /* its name, "?" if unknown */
bool thread_exiting(pid_t pid, pid_t tid);  /* zombie, dead, or gone */
bool proc_is_kthread(pid_t pid);
bool proc_is_zombie(pid_t pid);         /* every thread has exited */

/* tracer/python.c */
void python_strcache_try(struct tracer *t, struct tproc *mm, const struct probe_info *pi);
/* Where CPython's code_dealloc runs in module pm of mm (the string
 * cache's hook); -errno if this interpreter's layout is not known. */
int python_code_dealloc(struct tproc *mm, const struct pmod *pm, uint64_t *addr);
int python_code_freed(struct tracer *t, struct tthread *th, const struct site *s, bool detaching);
/* The string cache's layout for CPython module pm of mm: 0, or -ENOTSUP. */
int python_strcache_layout(struct tproc *mm, const struct pmod *pm, struct strcache_layout *lay);

/* tracer/arm.c */
void pmod_add_site(struct tproc *p, struct pmod *pm, const struct site *s);
/* Record that pm's semaphore at addr is raised by ptap; false if it
 * already was (a semaphore is raised once per process, however many
 * probes share it). */
bool pmod_add_sem(struct pmod *pm, uint64_t addr);
int trap_write(struct tracer *t, struct tproc *p, uint64_t addr, uint8_t want, const char *what);
/* Turn p's jumps into int3s (a forked child the engine cannot serve). */
void proc_jumps_to_traps(struct tracer *t, struct tproc *p);
/* Say (once per tracer) that p's journal could not be kept, if so. */
void journal_check(struct tracer *t, struct tproc *p);
int proc_scan_modules(struct tracer *t, struct tproc *p);
void proc_forget_image(struct tracer *t, struct tproc *p);
/* A forked child's copy of parent's int3s and counts: those its memory has. */
void proc_copy_arming(struct tracer *t, struct tproc *child, struct tproc *parent);
int proc_disarm(struct tracer *t, struct tproc *p);
/* Whether p has an int3 of that kind (a loader hook, CPython's hook). */
bool proc_has_site_kind(const struct tproc *p, enum site_kind kind);
int dlhook_return(struct tracer *t, struct tthread *th, struct arch_regs *regs);
bool dlhook_consistent(struct tracer *t, struct tthread *th, const struct site *s);
/* The same for p's loader, whichever module it is. */
bool proc_loader_consistent(struct tproc *p);
void tracer_modules_free(struct tracer *t);

#endif

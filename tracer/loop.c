/*
 * The event loop: wait for any tracee to stop, classify the stop, act on
 * it, resume the thread.  One waitpid per stop; a probe hit then costs
 * one PTRACE_GETREGS, at most one memory read for all of its arguments
 * (tracer/argeval.c) and one PTRACE_CONT: the int3 replaced a one-byte
 * nop, so the thread resumes right after it with nothing to restore.
 *
 * Everything the loop must do besides (ticks for the consumer, the time
 * limit, a stop signal) is flagged by signal handlers: the handlers only
 * set flags, and waitpid returning EINTR brings the loop round to look at
 * them.  A periodic SIGALRM bounds how long a flag set just before
 * waitpid can wait.
 */
#include "tracer/internal.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "tracer/inject.h"

/*
 * Signals.  Every signal whose default action would end ptap takes the
 * one clean stop path (detach, restore), as SIGINT does: killed by one of
 * them with its int3s in place, ptap would leave an attached target to
 * die of SIGTRAP at its next hit.  SIGINT, SIGTERM and SIGHUP are always
 * caught; the others only when ptap did not inherit them ignored (a
 * background job of a script ignores SIGQUIT, and should).  Two come
 * from ptap's own writes, and are always caught too: SIGPIPE (the reader
 * went away) and SIGXFSZ (a file-size limit); the write then fails with
 * EPIPE or EFBIG, which the output check handles, so these are stops only
 * when someone else sends them.  A fault ptap itself made (SIGSEGV at a
 * bad address, abort()) goes to the handler that was there before (the
 * default, or the sanitizer's): nothing can be trusted to detach after it.
 * Job-control stops are in tracer_pause (tracee.c).
 *
 * The handlers set flags and sig_work, the one flag the loop tests on its
 * path (a hit costs no more than before).
 */
static const int stop_signals[] = {
	SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGXCPU, SIGXFSZ,
	SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
	SIGFPE, SIGSEGV, SIGSYS,
};

static const int job_signals[] = { SIGTSTP, SIGTTIN, SIGTTOU };

static volatile sig_atomic_t sig_stop_flag;     /* a stop signal came */
static volatile sig_atomic_t sig_stop_signo;
static volatile sig_atomic_t sig_stop_origin;   /* enum stop_origin */
static volatile sig_atomic_t sig_tick_flag;     /* SIGALRM came */
static volatile sig_atomic_t sig_stop_count;    /* stop signals so far */
static volatile sig_atomic_t sig_job_signo;     /* SIGTSTP, SIGTTIN or SIGTTOU came */
static volatile sig_atomic_t sig_work;          /* one of the flags above is set:
                                                   the one test on the loop's path */
static volatile sig_atomic_t sig_holding;       /* a tracer holds threads (tracer_jobctl_defer) */
static struct sigaction sig_previous[NSIG];     /* before ours, for faults */

enum stop_origin {
	ORIGIN_SENT,        /* kill(2) from another process: pass it on */
	ORIGIN_TTY,         /* the terminal, which signalled the command too */
	ORIGIN_KERNEL,      /* a limit (SIGXCPU): the command did not get it */
};

static bool is_fault_signal(int sig)
{
	return sig == SIGILL || sig == SIGTRAP || sig == SIGABRT || sig == SIGBUS ||
	       sig == SIGFPE || sig == SIGSEGV || sig == SIGSYS;
}

static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	/* si_code <= 0: sent by a process (kill, sigqueue, tgkill) */
	bool sent = si->si_code <= 0, own = sent && si->si_pid == getpid();

	(void)uc;
	if (is_fault_signal(sig) && (!sent || own)) {
		/* ours: let the previous handler have it when it recurs */
		sigaction(sig, &sig_previous[sig], NULL);
		if (sent)
			raise(sig);
		return;
	}
	if ((sig == SIGPIPE || sig == SIGXFSZ) && own)
		return;         /* our write failed: it says so itself */
	sig_stop_count++;
	if (sig_stop_flag)
		return;         /* the first one decides */
	sig_stop_signo = sig;
	sig_stop_origin = sent ? ORIGIN_SENT
		: sig == SIGINT || sig == SIGQUIT || sig == SIGHUP ? ORIGIN_TTY : ORIGIN_KERNEL;
	sig_stop_flag = 1;
	sig_work = 1;
}

void tracer_job_stop(int sig)
{
	sigset_t set, old;
	struct sigaction dfl, ours;
	int saved = errno;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, &ours);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, &old);
	raise(sig);             /* stops here until SIGCONT */
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(sig, &ours, NULL);
	errno = saved;
}

/* SIGTSTP, SIGTTIN, SIGTTOU: while a tracer holds threads, the loop lets
 * them go before ptap stops (tracer_pause); else stop at once, as the
 * default would. */
static void on_job_signal(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (!sig_holding) {
		tracer_job_stop(sig);
		return;
	}
	sig_job_signo = sig;
	sig_work = 1;
}

void tracer_jobctl_defer(bool on)
{
	sig_holding = on;
	if (!on && sig_job_signo) {
		int sig = sig_job_signo;

		sig_job_signo = 0;
		tracer_job_stop(sig);   /* came while the last threads were let go */
	}
}

int tracer_job_signal(void)
{
	int sig = sig_job_signo;

	sig_job_signo = 0;
	return sig;
}

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code <= 0 && si->si_pid != getpid()) {
		on_stop_signal(sig, si, uc);    /* kill -ALRM, not our timer */
		return;
	}
	sig_tick_flag = 1;
	sig_work = 1;
}

/* Whether sig is one of the stop signals: the table, and every real-time
 * signal the C library leaves to programs (their default ends a process
 * too). */
static bool is_stop_signal_no(int sig)
{
	size_t i;

	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		return true;
	for (i = 0; i < ARRAY_SIZE(stop_signals); i++)
		if (stop_signals[i] == sig)
			return true;
	return false;
}

/* Only to end ppoll when a tracee stops (idle_wait). */
static void on_child(int sig)
{
	(void)sig;
}

void tracer_signals_install(void)
{
	struct sigaction sa, old;
	sigset_t mask;
	int sig;

	sig_stop_flag = 0;
	sig_tick_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_stop_signal;
	sa.sa_flags = SA_SIGINFO;       /* no SA_RESTART: waitpid must return */
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (!is_stop_signal_no(sig) || sigaction(sig, NULL, &old))
			continue;
		if (old.sa_sigaction != on_stop_signal)
			sig_previous[sig] = old;
		if (old.sa_handler == SIG_IGN && sig != SIGINT && sig != SIGTERM && sig != SIGHUP &&
		    sig != SIGPIPE && sig != SIGXFSZ)
			continue;       /* ignored by whoever started us: stays so */
		sigaction(sig, &sa, NULL);
	}
	sa.sa_sigaction = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_job_signal;
	for (sig = 0; sig < (int)ARRAY_SIZE(job_signals); sig++) {
		if (sigaction(job_signals[sig], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;       /* ignored by whoever started us: stays so */
		if (old.sa_sigaction != on_job_signal)
			sig_previous[job_signals[sig]] = old;
		sigaction(job_signals[sig], &sa, NULL);
	}
}

unsigned tracer_stop_signals(void)
{
	return (unsigned)sig_stop_count;
}

bool tracer_signal_pending(void)
{
	return sig_stop_flag;
}

void tracer_signals_default(void)
{
	sigset_t all;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (is_stop_signal_no(sig) || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			/* as ptap inherited it (SIG_IGN stays) */
			signal(sig, sig_previous[sig].sa_handler == SIG_IGN ? SIG_IGN : SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

void tracer_notice(struct tracer *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (t->hooks->notice) {
		t->hooks->notice(t->ctx, msg);
	} else {
		fputs("ptap: ", stderr);
		fputs_safe(msg, stderr);     /* it may quote hostile names */
		fputc('\n', stderr);
	}
	free(msg);
}

/* What a stop means, and so how the thread goes on. */
enum stop_kind {
	SK_HIT,          /* int3 at an armed probe site: report it, resume past it */
	SK_DLHOOK,       /* int3 on _dl_debug_state's ret: rescan, return, resume */
	SK_CODEFREE,     /* int3 in CPython's code_dealloc: drop cached names, resume */
	SK_SIGNAL,       /* a signal for the target: resume delivering it */
	SK_GROUP_STOP,   /* SIGSTOP & co. stopped the process: PTRACE_LISTEN */
	SK_FIRST_STOP,   /* an auto-attached thread or child starts: resume */
	SK_EVENT_STOP,   /* our PTRACE_INTERRUPT, or a SIGCONT notification: resume */
	SK_CLONE,        /* a new thread (or CLONE_VM process): take it in, resume */
	SK_FORK,         /* a forked child: take it in (or clean it), resume */
	SK_VFORK,        /* a vforked child, sharing the parent's memory */
	SK_EXEC,         /* a new program: drop the old image, arm the new one */
	SK_OTHER,        /* any other ptrace event: resume */
};

/* How loop_handle ends a stop. */
enum {
	RESUME_LISTEN = -1,     /* PTRACE_LISTEN: stay in group-stop */
	RESUME_HOLD = -2,       /* leave it stopped (detaching) */
	RESUME_GONE = -3,       /* the thread was detached or forgotten */
};

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static enum stop_kind classify(struct tracer *t, struct tthread *th, int status, struct site **site)
{
	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
	struct tproc *mm;

	switch (event) {
	case 0:
		break;
	case PTRACE_EVENT_STOP:
		if (thread_is_new(th))
			return SK_FIRST_STOP;
		return is_stop_signal(sig) ? SK_GROUP_STOP : SK_EVENT_STOP;
	case PTRACE_EVENT_CLONE:
		return SK_CLONE;
	case PTRACE_EVENT_FORK:
		return SK_FORK;
	case PTRACE_EVENT_VFORK:
		return SK_VFORK;
	case PTRACE_EVENT_EXEC:
		return SK_EXEC;
	default:
		return SK_OTHER;
	}
	if (sig != SIGTRAP)
		return SK_SIGNAL;
	/* SIGTRAP right after one of our int3s is ours; anything else is the
	 * target's own (its own int3, a kill -TRAP) and is delivered. */
	mm = proc_mm(th->proc);
	if (!mm->sites.count || arch_regs_fetch(th->tid, &t->regs))
		return SK_SIGNAL;
	*site = u64map_get(&mm->sites, arch_regs_pc(&t->regs) - 1);
	if (!*site || (*site)->jump)
		return SK_SIGNAL;
	switch ((*site)->kind) {
	case SITE_DLHOOK:
		return SK_DLHOOK;
	case SITE_CODEFREE:
		return SK_CODEFREE;
	default:
		return SK_HIT;
	}
}

static void deliver_hit(struct tracer *t, struct tthread *th, const struct site *s)
{
	struct tproc *p = th->proc, *mm = proc_mm(p);
	const struct probe_info *pi = s->probe;
	uint64_t bias = s->bias, hits, misses;
	struct event *ev = &t->ev;
	int i;

	if (p->flags & TP_SHARED_MM && t->cfg.no_follow)
		return;         /* a vfork child we do not follow: silent */
	if (unlikely(pi->prog.need_vec) && arch_regs_fetch_vec(th->tid, &t->regs))
		return;
	/* this thread's earlier hits at jump sites come first */
	if (unlikely(mm->ip.state == IPS_ON))
		inproc_drain(t, mm);
	proc_mem_via(th);
	/* once per interpreter image; may add a site (s is stale after it) */
	if (unlikely(pi->prog.cache_mask && mm->strcache.state == STRCACHE_UNTRIED))
		python_strcache_try(t, mm, pi);
	/* the hit happened just before waitpid woke us */
	ev->time_ns = (t->woke_ns ? t->woke_ns : now_ns()) - t->start_ns;
	ev->pid = p->pid;
	ev->tid = th->tid;
	ev->probe = pi;
	ev->count = 1;
	ev->nargs = pi->prog.nargs;
	hits = mm->strcache.hits;
	misses = mm->strcache.misses;
	if (argeval_run(&pi->prog, &t->regs, bias, &mm->mem, &t->scratch, &mm->strcache,
			ev->args) == -ESRCH)
		return;
	t->stats.strcache_hits += mm->strcache.hits - hits;
	t->stats.strcache_misses += mm->strcache.misses - misses;
	for (i = 0; i < ev->nargs; i++)
		t->stats.arg_errors += ev->args[i].type == VAL_ERR;
	t->stats.hits++;
	p->hits++;
	if (t->hooks->event)
		t->hooks->event(t->ctx, ev);
	/* ev->probe stays set until the resume: loop_handle times the hit */
}

void proc_mark_started(struct tracer *t, struct tproc *p)
{
	if (p->flags & TP_STARTED)
		return;
	p->flags |= TP_STARTED;
	if (t->hooks->process_ready)
		t->hooks->process_ready(t->ctx, p->pid);
}

static int on_dlhook(struct tracer *t, struct tthread *th, const struct site *s, bool detaching)
{
	struct tproc *p = th->proc;
	int err;

	if (!detaching && !(p->flags & TP_SHARED_MM) && dlhook_consistent(t, th, s)) {
		err = proc_scan_modules(t, p);
		if (err && err != -ESRCH)
			tracer_notice(t, "pid %d: cannot rescan its modules: %s", p->pid, strerror(-err));
		proc_mark_started(t, p);
	}
	err = dlhook_return(t, th, &t->regs);
	if (err) {
		tracer_notice(t, "pid %d: cannot step over the loader hook: %s", p->pid, strerror(-err));
		return RESUME_GONE;
	}
	return 0;
}

/* A forked child's first stop, before it runs an instruction: it has
 * its parent's jumps and trampolines but a zeroed control page; give it
 * its own data region (or, unfollowed, let the jumps be undone). */
static void child_first_stop(struct tracer *t, struct tproc *c)
{
	struct tproc *parent = u64map_get(&t->procs, (uint64_t)c->forked_from);

	c->forked_from = 0;
	if (parent && parent->ip.state == IPS_ON)
		inproc_fork(t, c, parent, !(c->flags & TP_UNFOLLOWED));
	else if (!(c->flags & TP_UNFOLLOWED))
		proc_jumps_to_traps(t, c);      /* nothing to copy from: int3s */
}

/* Undo a --no-follow child's inherited int3s and semaphores and let it go. */
static int release_unfollowed(struct tracer *t, struct tthread *th)
{
	struct tproc *p = th->proc;

	proc_disarm(t, p);
	ptrace(PTRACE_DETACH, th->tid, NULL, NULL);
	thread_forget(t, th);
	if (!p->nthreads)
		proc_forget(t, p);
	return RESUME_GONE;
}

static void take_in_new_task(struct tracer *t, struct tthread *parent, enum stop_kind kind,
			     bool detaching)
{
	struct tproc *p = parent->proc, *c;
	const cpu_set_t *cpus = parent->pinned_cpu >= 0 ? &parent->saved_cpus : NULL;
	struct tthread *nt;
	unsigned long msg = 0;
	pid_t tid;
	void *early;
	bool found = false;
	long tgid = -1;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, NULL, &msg) < 0 || !msg)
		return;
	tid = (pid_t)msg;
	if (u64map_get(&t->threads, (uint64_t)tid))
		return;
	if (kind == SK_CLONE)
		tgid = (long)proc_status_field(tid, "Tgid:", 10, &found);
	if (!found)
		tgid = -1;
	if (kind == SK_CLONE && (tgid == p->pid || tgid < 0)) {
		nt = thread_add(t, tid, p, TT_NEW | TT_RUNNING);
	} else {
		/* a new process: a vfork or CLONE_VM child shares our memory */
		c = proc_add(t, tid, 0);
		c->exe = p->exe ? xstrdup(p->exe) : NULL;
		if (kind == SK_VFORK) {
			c->flags |= TP_SHARED_MM;
			c->mm_owner = proc_mm(p);
			c->vfork_parent = parent->tid;
			parent->vfork_child = tid;
		} else {
			proc_copy_arming(t, c, proc_mm(p));
			c->forked_from = proc_mm(p)->pid;
			if (t->cfg.no_follow)
				c->flags |= TP_UNFOLLOWED;
		}
		c->flags |= p->flags & TP_STARTED;
		nt = thread_add(t, tid, c, TT_NEW | TT_RUNNING);
		if (!t->cfg.no_follow && t->hooks->process_start)
			t->hooks->process_start(t->ctx, tid, p->pid);
	}
	thread_pin(t, nt, cpus);
	/* its first stop may have come before this event */
	early = u64map_del(&t->early, (uint64_t)tid);
	if (early)
		loop_handle(t, tid, (int)(uintptr_t)early - 1, detaching);
}

static int on_exec(struct tracer *t, struct tthread *th, bool detaching)
{
	struct tproc *p = th->proc;
	unsigned long former = 0;
	struct tthread *old;
	size_t i = 0;
	uint64_t k;
	void *v;
	int err;

	/* what the old image recorded comes first */
	if (p->ip.state == IPS_ON)
		inproc_drain(t, p);
	/* the thread that called execve now has the process's pid; every
	 * other thread is gone, the old leader without an exit report */
	ptrace(PTRACE_GETEVENTMSG, th->tid, NULL, &former);
	if ((pid_t)former != th->tid) {
		old = u64map_get(&t->threads, (uint64_t)former);
		if (old) {
			th->pinned_cpu = old->pinned_cpu;
			th->saved_cpus = old->saved_cpus;
			thread_forget(t, old);
		}
	}
	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *o = v;

		if (o->proc == p && o != th) {
			thread_forget(t, o);
			i = 0;
		}
	}
	proc_vfork_done(t, p);          /* its parent runs again */
	if (p->flags & TP_SHARED_MM) {
		p->flags &= ~TP_SHARED_MM;
		p->mm_owner = NULL;
		if (t->cfg.no_follow) {
			ptrace(PTRACE_DETACH, th->tid, NULL, NULL);
			thread_forget(t, th);
			proc_forget(t, p);
			return RESUME_GONE;
		}
		if (t->hooks->process_start)
			t->hooks->process_start(t->ctx, p->pid, 0);
	}
	proc_forget_image(t, p);
	mem_close(&p->mem);
	p->mem.pid = p->pid;
	journal_open(&p->journal, p->pid);      /* the old image's entries are void */
	thread_journal_pin(th);                 /* not that of its CPU */
	journal_check(t, p);
	p->flags &= ~(TP_STARTED | TP_UNREADABLE);
	free(p->exe);
	p->exe = procmaps_exe_path(p->pid);
	/* detaching (not only held for a moment): nothing to arm, it is let
	 * go next */
	detaching &= th->proc != t->hold_proc;
	/* system calls can be run in it once execve has returned */
	if (!detaching && inproc_enabled(t) && !t->cfg.no_arm && inject_leave_syscall(th) == -ESRCH)
		return RESUME_GONE;
	if (t->hooks->process_exec)
		t->hooks->process_exec(t->ctx, p->pid, p->exe ? p->exe : "?");
	if (detaching)
		return 0;
	err = proc_scan_modules(t, p);
	if (err && err != -ESRCH)
		tracer_notice(t, "pid %d: cannot read its memory map: %s", p->pid, strerror(-err));
	if (!err && !proc_has_site_kind(p, SITE_DLHOOK))
		proc_mark_started(t, p);     /* no loader: everything is mapped now */
	return 0;
}

static void on_task_exit(struct tracer *t, struct tthread *th, int status)
{
	struct tproc *p = th->proc;
	bool leader = th->tid == p->pid;

	thread_forget(t, th);
	if (leader && p->pid == t->launched)
		t->launched_status = status;
	if (p->nthreads)
		return;
	/* ptap's mapping of the ring outlives the process: read it to the end */
	if (p->ip.state == IPS_ON) {
		inproc_drain(t, p);
		if (t->cfg.aggregate)
			inproc_collect_counts(t);
	}
	if (t->hooks->process_exit && !(p->flags & (TP_UNFOLLOWED)) &&
	    !(t->cfg.no_follow && p->flags & TP_SHARED_MM))
		t->hooks->process_exit(t->ctx, p->pid, status);
	if (p->flags & TP_TEARDOWN)
		p->flags |= TP_GONE;    /* inproc_teardown still uses it */
	else
		proc_forget(t, p);
}

static int dispatch(struct tracer *t, struct tthread *th, int status, bool detaching)
{
	struct site *site = NULL;
	enum stop_kind kind = classify(t, th, status, &site);

	switch (kind) {
	case SK_HIT:
		deliver_hit(t, th, site);
		return 0;
	case SK_DLHOOK:
		return on_dlhook(t, th, site, detaching);
	case SK_CODEFREE:
		return python_code_freed(t, th, site, detaching) ? RESUME_GONE : 0;
	case SK_SIGNAL:
		return WSTOPSIG(status);
	case SK_GROUP_STOP:
		return RESUME_LISTEN;
	case SK_FIRST_STOP:
		th->flags &= ~TT_NEW;
		if (th->proc->forked_from)
			child_first_stop(t, th->proc);
		if (th->proc->flags & TP_UNFOLLOWED)
			return release_unfollowed(t, th);
		return 0;
	case SK_EVENT_STOP:
		return 0;
	case SK_CLONE:
	case SK_FORK:
	case SK_VFORK:
		take_in_new_task(t, th, kind, detaching);
		return 0;
	case SK_EXEC:
		return on_exec(t, th, detaching);
	case SK_OTHER:
		return 0;
	}
	return 0;
}

/* Whether th has a SIGTRAP pending (not yet reported) in its own queue. */
static bool sigtrap_pending(pid_t tid)
{
	bool found;

	return proc_status_field(tid, "SigPnd:", 16, &found) & (1ull << (SIGTRAP - 1));
}

/*
 * A thread that executed one of our int3s just as PTRACE_INTERRUPT
 * arrived reports the interrupt first and keeps the SIGTRAP pending;
 * detached like that, it would die of that SIGTRAP.  Such a thread sits
 * right after one of our sites with SIGTRAP pending: let it run once so
 * the trap is reported (and handled as a hit) before we let it go.
 */
static bool our_trap_pending(struct tracer *t, struct tthread *th)
{
	struct tproc *mm = proc_mm(th->proc);

	if (!mm->sites.count || arch_regs_fetch(th->tid, &t->regs))
		return false;
	return u64map_get(&mm->sites, arch_regs_pc(&t->regs) - 1) && sigtrap_pending(th->tid);
}

/* An event stop that happens inside the system call that caused it. */
static bool event_in_syscall(int status)
{
	switch ((unsigned)status >> 16) {
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_VFORK_DONE:
	case PTRACE_EVENT_EXEC:
		return true;
	default:
		return false;
	}
}

void loop_handle(struct tracer *t, pid_t tid, int status, bool detaching)
{

	struct tthread *th = u64map_get(&t->threads, (uint64_t)tid);
	int how;

	if (!th) {
		/* an auto-attached task whose parent has not reported it yet
		 * (kept until it does), or a thread we already forgot */
		if (WIFSTOPPED(status))
			u64map_put(&t->early, (uint64_t)tid, (void *)(uintptr_t)(status + 1));
		return;
	}
	if (th->flags & TT_DETACHED) {
		/* let go already: only a launched command's end is news */
		if (WIFEXITED(status) || WIFSIGNALED(status))
			on_task_exit(t, th, status);
		return;
	}
	th->flags &= ~TT_RUNNING;
	/* held (tracer_hold): handled as when detaching, and kept stopped */
	detaching |= t->hold_all || th->proc == t->hold_proc;
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		on_task_exit(t, th, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	how = dispatch(t, th, status, detaching);
	if (how == RESUME_GONE)
		return;
	if (detaching) {
		if ((unsigned)status >> 16 == PTRACE_EVENT_STOP && our_trap_pending(t, th)) {
			thread_resume(t, th, 0);
			return;
		}
		/* hold it; a signal it was to get goes with it, a group-stop
		 * goes on when it is let go */
		if (how > 0) {
			if (th->pending_sig && (th->flags & TT_SIG_AGAIN))
				thread_let_go_sig(th);  /* the earlier one, queued again */
			th->pending_sig = how;
		}
		if (how == RESUME_LISTEN)
			th->flags |= TT_LISTEN;
		if (event_in_syscall(status))
			th->flags |= TT_IN_SYSCALL;
		return;
	}
	thread_resume(t, th, how);
	if (t->ev.probe && t->woke_ns) {
		/* what this hit cost in ptap, from waking to resuming it */
		t->stats.handle_ns += now_ns() - t->woke_ns;
		t->ev.probe = NULL;
	}
}

/*
 * The signal to restart a held thread with as it is let go: its
 * pending_sig, or 0 when that signal's delivery-stop is over
 * (TT_SIG_AGAIN), where a restart would drop it: then it is queued for
 * the thread again, to come once the thread runs (and stop it, if it is a
 * stop signal, as it was meant to).
 */
int thread_let_go_sig(struct tthread *th)
{
	int sig = th->pending_sig;

	if (sig && (th->flags & TT_SIG_AGAIN)) {
		syscall(SYS_tgkill, th->proc->pid, th->tid, sig);
		sig = 0;
	}
	th->flags &= ~TT_SIG_AGAIN;
	th->pending_sig = 0;
	return sig;
}

/* The one place a stopped thread is set going again. */
int thread_resume(struct tracer *t, struct tthread *th, int how)
{
	long r;

	(void)t;
	if (how == RESUME_LISTEN) {
		r = ptrace(PTRACE_LISTEN, th->tid, NULL, NULL);
	} else {
		r = ptrace(PTRACE_CONT, th->tid, NULL, (void *)(long)(how > 0 ? how : 0));
	}
	if (r == 0) {
		th->flags |= TT_RUNNING;
		th->flags &= ~TT_IN_SYSCALL;
	}
	/* ESRCH: killed meanwhile; its exit is reported by waitpid */
	return r ? -errno : 0;
}

static void service_flags(struct tracer *t)
{
	uint64_t now;
	int job;

	sig_work = 0;
	if (sig_stop_flag && !t->stop) {
		t->stop = true;
		t->reason = TSTOP_SIGNAL;
	}
	job = t->stop ? 0 : tracer_job_signal();
	if (job)
		tracer_pause(t, job);
	if (!sig_tick_flag)
		return;
	sig_tick_flag = 0;
	now = now_ns();
	if (t->deadline_ns && now >= t->deadline_ns && !t->stop) {
		t->stop = true;
		t->reason = TSTOP_DURATION;
	}
	if (t->inproc_procs)
		inproc_clock_refine(t);
	if (t->nip_left)
		inproc_leftovers_retry(t);
	if (t->cfg.tick_ms && now >= t->next_tick_ns) {
		t->next_tick_ns += (uint64_t)t->cfg.tick_ms * 1000000u;
		if (t->next_tick_ns <= now)
			t->next_tick_ns = now + (uint64_t)t->cfg.tick_ms * 1000000u;
		if (t->inproc_procs) {
			inproc_poll(t);
			if (t->cfg.aggregate)
				inproc_collect_counts(t);
		}
		if (t->hooks->tick)
			t->hooks->tick(t->ctx, now);
	}
}

/*
 * Nothing in the rings, no stop to collect: sleep until a tracee stops
 * (SIGCHLD), a signal comes, or a little while has passed: 1 ms after
 * work, twice as long after each empty look, up to 8 ms.  An idle ptap
 * then wakes about 125 times a second, not up to 1000; what waits for it
 * in a target meanwhile (a dlopen, see dlhook in inproc/recorder.c) waits
 * at most 8 ms once after a quiet spell, and an 8 MiB ring takes longer
 * than that to fill from empty at any rate a thread can hit.
 */
#define IDLE_WAIT_MAX_SHIFT 3

static void idle_wait(unsigned shift)
{
	struct timespec ts = { 0, 1000000L << shift };
	sigset_t mask;

	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigdelset(&mask, SIGCHLD);
	ppoll(NULL, 0, &ts, &mask);
}

static void ticker_set(unsigned ms)
{
	struct itimerval it = { { ms / 1000, (ms % 1000) * 1000 }, { ms / 1000, (ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* After detaching: a launched command that is still running is ptap's
 * child; end it as documented in ptap(1) and collect its status. */
/* How long ptap waits, at its end, for the command it launched to act on
 * the signal it passed on (it may ignore it: then it is left running). */
#define LAUNCHED_GRACE_NS (2000ull * 1000 * 1000)

static void finish_launched(struct tracer *t)
{
	uint64_t deadline;
	sigset_t chld;
	int status;
	pid_t r;

	if (!t->launched || t->launched_status != -1)
		return;
	if (kill(t->launched, 0))
		return;
	if (t->reason == TSTOP_SIGNAL && sig_stop_origin == ORIGIN_SENT) {
		kill(t->launched, sig_stop_signo);      /* sent to ptap alone */
	} else if (t->reason == TSTOP_SIGNAL && sig_stop_origin == ORIGIN_TTY) {
		/* the terminal already sent it the same signal */
	} else {
		kill(t->launched, SIGTERM);
		kill(t->launched, SIGCONT);
	}
	if (proc_straggling(t, t->launched))
		return; /* traced still, it cannot act on the signal: no wait */
	sig_stop_flag = 0;
	deadline = now_ns() + LAUNCHED_GRACE_NS;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);      /* blocked: see tracer_signals_install */
	while ((r = waitpid(t->launched, &status, WNOHANG)) == 0) {
		uint64_t now = now_ns();
		struct timespec ts;

		if (sig_stop_flag)
			return; /* a second signal: stop waiting, leave it running */
		if (now >= deadline) {
			/* it ignores or handles the signal: its business */
			tracer_notice(t, "pid %d, the command, did not end within %d s of SIG%s; "
				      "left running", t->launched, (int)(LAUNCHED_GRACE_NS / 1000000000u),
				      sigabbrev_np(t->reason == TSTOP_SIGNAL && sig_stop_origin != ORIGIN_KERNEL
						   ? sig_stop_signo : SIGTERM) ?: "?");
			return;
		}
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		sigtimedwait(&chld, NULL, &ts);
	}
	if (r == t->launched)
		t->launched_status = status;
}

enum tracer_stop tracer_run(struct tracer *t)
{
	unsigned idle_shift = 0;
	int status;
	pid_t tid;

	/* no reset of the signal flags here: a Ctrl-C that came while
	 * attaching must still stop us */
	t->next_tick_ns = now_ns() + (uint64_t)t->cfg.tick_ms * 1000000u;
	ticker_set(t->cfg.tick_ms && t->cfg.tick_ms < 100 ? t->cfg.tick_ms : 100);
	while (!t->stop) {
		if (sig_work) {
			service_flags(t);
			if (t->stop)
				break;
		}
		if (!t->stats.threads && !t->early.count && !t->cfg.keep_running) {
			t->reason = TSTOP_TARGETS_GONE;
			break;
		}
		if (t->inproc_procs) {
			/* hits arrive in the rings, stops by SIGCHLD: look at both */
			size_t n = inproc_poll(t);

			tid = waitpid(-1, &status, __WALL | WNOHANG);
			if (n || tid)
				idle_shift = 0;
			if (tid == 0) {
				if (!n) {
					idle_wait(idle_shift);
					if (idle_shift < IDLE_WAIT_MAX_SHIFT)
						idle_shift++;
				}
				continue;
			}
		} else {
			tid = waitpid(-1, &status, __WALL);
		}
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			/* whole-system mode with nobody traced: the ticker's
			 * next SIGALRM (at most 100 ms away) wakes us */
			if (errno == ECHILD && t->cfg.keep_running) {
				if (!sig_work)
					pause();
				continue;
			}
			if (errno != ECHILD)
				tracer_notice(t, "waitpid: %s", strerror(errno));
			t->reason = errno == ECHILD ? TSTOP_TARGETS_GONE : TSTOP_ERROR;
			break;
		}
		t->woke_ns = now_ns();
		loop_handle(t, tid, status, false);
	}
	t->stop = true;
	t->woke_ns = 0;
	tracer_detach_all(t);
	tracer_jobctl_defer(false);     /* a job-control stop may be taken at once now */
	ticker_set(0);
	finish_launched(t);
	return t->reason;
}

void tracer_request_stop(struct tracer *t)
{
	if (!t->stop) {
		t->stop = true;
		t->reason = TSTOP_REQUEST;
	}
}

int tracer_stop_signal(const struct tracer *t)
{
	(void)t;
	return sig_stop_signo;
}

/*
 * The ptrace engine: launch a command or attach to processes, arm the
 * selected stapsdt probes in every thread and in followed children, and
 * hand each hit to a consumer with its arguments decoded; on stop, put
 * every byte and semaphore back and detach.
 *
 * A consumer (ptap trace, top, flow, monitor) fills a tracer_config,
 * creates the tracer, adds targets, and calls tracer_run(), which returns
 * when every target is gone, the time limit passes, a stop signal
 * arrives, or the consumer calls tracer_request_stop().  Callbacks run on
 * the tracer's thread, between two waits; the hit callback must be quick
 * and must not block (the traced thread is stopped until it returns).
 */
#ifndef PTAP_TRACER_TRACER_H
#define PTAP_TRACER_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/event.h"
#include "tracer/select.h"

struct tracer;

struct tracer_hooks {
	/* A probe hit.  Strings in ev are valid only during the call. */
	void (*event)(void *ctx, const struct event *ev);
	/* Every tick_ms, from the loop (not from a signal handler). */
	void (*tick)(void *ctx, uint64_t now_ns);
	/* A process began to be traced: launched, attached, or a followed
	 * child (parent is then its parent's pid, else 0). */
	void (*process_start)(void *ctx, pid_t pid, pid_t parent);
	/* A traced process executed a new program. */
	void (*process_exec)(void *ctx, pid_t pid, const char *exe);
	/* A traced process's startup is complete and its probes are armed:
	 * right after attach, or for a launched or exec'd program once the
	 * dynamic loader has mapped its libraries (before their constructors
	 * and before main). */
	void (*process_ready)(void *ctx, pid_t pid);
	/* A traced process ended; status as from waitpid, or -1 when unknown
	 * (it ended while ptap was stopped by job control, see paused). */
	void (*process_exit)(void *ctx, pid_t pid, int status);
	/* Job control (SIGTSTP, SIGTTIN, SIGTTOU) stops ptap: every target
	 * has been let go, restored, and ptap is about to stop (resumed
	 * false: give the terminal back); then it was continued (resumed
	 * true: take it again) and attaches to them again. */
	void (*paused)(void *ctx, bool resumed);
	/* Something the user should know, already a full sentence (no
	 * "ptap:" prefix).  NULL: printed on stderr. */
	void (*notice)(void *ctx, const char *msg);
};

/* How hits reach ptap (ptap(1), "Engines"). */
enum tracer_engine {
	TRACER_ENGINE_INPROC,       /* a jump into code ptap puts in the target, where a
	                               site allows it; an int3 elsewhere */
	TRACER_ENGINE_PTRACE,       /* an int3 and a ptrace stop at every site */
};

struct tracer_config {
	struct selection *sel;      /* probes to arm (borrowed) */
	enum tracer_engine engine;
	bool stopped_hits;          /* the event hook reads the stopped thread (--stack):
	                               every probe site takes an int3 */
	bool aggregate;             /* events may arrive counted (event.count > 1, the
	                               in-process engine counts inside the target):
	                               for consumers that only count */
	bool no_follow;             /* do not trace forked children */
	bool no_pin;                /* do not keep tracer and target on one CPU */
	double duration;            /* stop after this many seconds; 0 = never */
	unsigned tick_ms;           /* hooks->tick period; 0 = no ticks */
	size_t str_max;             /* bytes of a string argument shown; 0 = default */
	bool no_string_cache;       /* read CPython's code names on every hit */
	bool no_arm;                /* attach without arming anything (cleanup) */
	bool calibrate;             /* measure stats.stop_ns at start (a few ms) */
	bool child_redirect;        /* give a launched command child_fd[0..2] as its
	                               stdin, stdout and stderr (-1: keep ptap's) */
	int child_fd[3];
	bool quiet;                 /* no "attached"/"detached" lines on stderr */
	bool keep_running;          /* whole-system mode: with no process traced
	                               (yet, or any more), wait for the next tick
	                               instead of returning TSTOP_TARGETS_GONE;
	                               the tick hook attaches new ones */
};

enum tracer_stop {
	TSTOP_NONE,
	TSTOP_TARGETS_GONE,         /* every traced process ended */
	TSTOP_SIGNAL,               /* SIGINT, SIGTERM, SIGHUP or another signal whose
	                               default would end ptap (tracer_signals_install) */
	TSTOP_DURATION,             /* --duration passed */
	TSTOP_REQUEST,              /* the consumer asked (q, --iterations) */
	TSTOP_ERROR,                /* an internal error; see the message */
};

struct tracer_stats {
	uint64_t hits;              /* probe events delivered (counted ones included) */
	uint64_t dropped;           /* in-process hits lost: the ring stayed full */
	unsigned regions_left;      /* in-process regions left mapped at detach (a
	                               thread was inside) */
	uint64_t arg_errors;        /* arguments that could not be read */
	uint64_t sites_armed;       /* probe sites armed (int3s and jumps), all processes */
	uint64_t sites_jump;        /* ... of which jumps (the in-process engine) */
	uint64_t semaphores;        /* semaphores currently raised by ptap */
	uint64_t handle_ns;         /* ptap's time from waking at a hit to resuming it, summed */
	uint64_t stop_ns;           /* the kernel's share of one hit: trap, stop, wake-up
	                               and resume with no work, the median measured at
	                               start when cfg.calibrate (0 otherwise) */
	uint64_t strcache_hits;     /* string arguments answered by the cache */
	uint64_t strcache_misses;   /* cacheable string arguments read */
	unsigned processes;         /* currently traced */
	unsigned threads;
};

struct tracer *tracer_new(const struct tracer_config *cfg, const struct tracer_hooks *hooks,
			  void *ctx);
void tracer_free(struct tracer *t);

/*
 * Start argv[0] (searched in PATH like a shell) traced.  The probes of
 * the program and of its libraries are armed before any of its own code
 * runs.  Returns the pid, or -errno: -ENOENT (command not found),
 * -EACCES, ...; *why then names the problem in a sentence.
 */
pid_t tracer_launch(struct tracer *t, char *const argv[], const char **why);

/*
 * Attach to every thread of pid and arm it.  0, or -errno with *why: no
 * such process, not permitted (with the reason: another user's process,
 * yama ptrace_scope, already traced by another tracer), ...
 */
int tracer_attach(struct tracer *t, pid_t pid, char **why);

/* tracer_attach may also be called from the tick hook while tracer_run
 * runs (whole-system mode: a process found by a later scan of /proc);
 * it is then traced like one attached before. */

/* Run until a stop condition; returns why it stopped.  On return every
 * target is detached and restored (or gone). */
enum tracer_stop tracer_run(struct tracer *t);

/* Ask the loop to stop (safe from hooks). */
void tracer_request_stop(struct tracer *t);

/* Exit status of the launched command as waitpid reports it, or -1 if it
 * has not ended (ptap then detached from it and it goes on). */
int tracer_launched_status(const struct tracer *t);
/* The signal that stopped the tracer, for TSTOP_SIGNAL. */
int tracer_stop_signal(const struct tracer *t);

void tracer_get_stats(const struct tracer *t, struct tracer_stats *st);

struct tracer_proc_info {
	const char *exe;            /* as the target sees it, or NULL */
	unsigned python_version;    /* 0x030b0000 for 3.11; 0 if no CPython found */
	uint64_t hits;              /* events from this process so far */
	bool launched;              /* the command ptap started */
};

/* How a probe site is armed. */
enum tracer_site_how {
	TRACER_SITE_SEMAPHORE,      /* only its semaphore raised (no hits reported) */
	TRACER_SITE_INT3,           /* an int3: a ptrace stop per hit */
	TRACER_SITE_JUMP,           /* a jump into the in-process engine's code */
};
/* Every probe armed in pid, in module order: fn gets the probe, the
 * run-time site and semaphore addresses (0 if none), how it is armed and,
 * for an int3 where the in-process engine wanted a jump, why (else NULL).
 * 0, or -ESRCH. */
typedef void (*tracer_probe_fn)(void *ctx, const struct probe_info *pi, uint64_t site,
				uint64_t semaphore, enum tracer_site_how how, const char *why);
int tracer_for_each_probe(const struct tracer *t, pid_t pid, tracer_probe_fn fn, void *ctx);

/*
 * ptap cleanup: after tracer_attach() with cfg.no_arm, find what a ptap
 * that died without detaching left in pid (int3s, semaphore counts, and
 * from the journal alone threads pinned to one CPU; from its journal, and by
 * comparing every site ptap could have used with the mapped file, as a
 * journal may be short) and take it over, so that tracer_run() (stopped
 * at once) undoes it in the clean detach.  0 and the report, or -errno.
 */
struct cleanup_report {
	unsigned sites;             /* int3s or jumps found over probe sites */
	unsigned hooks;             /* int3s or jumps found over the loader's or CPython's hooks */
	unsigned semaphores;        /* semaphore counts to lower */
	unsigned regions;           /* memory regions the in-process engine mapped */
	uint64_t dropped;           /* events its recorders could not record */
	unsigned affinities;        /* threads to give their CPU affinity back */
	bool from_journal;          /* counts from ptap's journal, not inferred */
	unsigned from_files;        /* sites and hooks the journal did not list,
	                               found by comparing with the files (if the
	                               journal was read: it was cut short) */
	bool journal_bad;           /* a journal without its first line: not used */
	char *journal;              /* its path (to remove when all went well) */
};
int tracer_cleanup_adopt(struct tracer *t, pid_t pid, struct cleanup_report *r);
/* Let go of what was adopted without changing anything (--dry-run). */
void tracer_cleanup_forget(struct tracer *t, pid_t pid);

/* What the tracer knows of a traced process: 0, or -ESRCH if it is not
 * (or no longer) traced.  Strings stay valid until the next call into
 * the tracer. */
int tracer_process_info(const struct tracer *t, pid_t pid, struct tracer_proc_info *info);
/*
 * What tracing costs the traced threads, in a form every engine can
 * fill: the time they spent on tracing instead of their own work.
 *
 *   ptrace engine: the time they sat stopped at hits.  It is estimated
 *     hit by hit (the kernel's round trip of a breakpoint stop, measured
 *     at start when cfg.calibrate, plus ptap's handling of the hit,
 *     measured each time) and bounded by the clock: a stopped thread is
 *     off its CPU, so the ceiling is the threads' time off a CPU (wall
 *     time minus CPU time, from /proc, per thread).
 *   An engine whose hits run inside the target does not stop it: there
 *     the figure is the time the threads spent in its hit code, and the
 *     ceiling their CPU time.
 *
 * Neither counts what tracing costs beyond that: caches refilled after
 * a stop, or the interpreter's slower path while a semaphore is raised.
 * A sample holds sums since tracer_new; the cost of a stretch of time is
 * the difference of two samples (tracer_cost_held), and its share of the
 * threads' time that held time over the difference of thread_ns.
 */
struct tracer_cost {
	uint64_t events;            /* hits delivered */
	uint64_t estimate_ns;       /* the engine's estimate of the time held */
	uint64_t ceiling_ns;        /* the most the clock allows it to be */
	uint64_t thread_ns;         /* the traced threads' time while traced,
	                               summed over threads (wall x threads) */
};

/* Take a sample now (reads /proc for each traced thread). */
void tracer_cost_sample(struct tracer *t, struct tracer_cost *c);

/* The time held between two samples (from may be all zeros: since the
 * start): the estimate, never more than the clock allows.  *bounded, if
 * given, says whether the clock cut the estimate. */
static inline uint64_t tracer_cost_held(const struct tracer_cost *from, const struct tracer_cost *to,
					bool *bounded)
{
	uint64_t est = to->estimate_ns - from->estimate_ns, ceil = to->ceiling_ns - from->ceiling_ns;

	if (bounded)
		*bounded = est > ceil;
	return est > ceil ? ceil : est;
}

/*
 * What one hit adds to the elapsed time of the thread that hit, in ns:
 * between two consecutive events of a thread, the engine ran once on its
 * behalf (the first event's handling after its timestamp, the second's
 * trap and wake-up before it), so the thread's own code ran for the gap
 * less this.  Consumers that time frames (top, record) subtract it from
 * every gap.  An engine returns its own measure: the ptrace engine, the
 * calibrated stop and resume plus ptap's mean handling time (0 without
 * cfg.calibrate or before the first hit); an engine whose hits do not
 * stop the thread, the few instructions a hit runs in the target, or 0
 * when that is below what a clock shows.
 */
uint64_t tracer_hit_overhead_ns(const struct tracer *t);

/* Nanoseconds since tracer_new, on the events' clock. */
uint64_t tracer_elapsed_ns(const struct tracer *t);

/* Whether a stop signal has come (safe anywhere). */
bool tracer_signal_pending(void);

/* Install ptap's handlers: every signal whose default action ends a
 * process stops the tracer cleanly (SIGPIPE and SIGXFSZ that ptap's own
 * writes raise excepted: the write fails and says why), SIGALRM ticks.
 * A launched command gets back the dispositions ptap inherited. */
void tracer_signals_install(void);

#endif

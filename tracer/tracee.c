/*
 * The life of a tracee: launching a command, attaching to a running
 * process, and detaching from everything, leaving each process as ptap
 * found it.
 *
 * Every thread is traced with PTRACE_SEIZE (not ATTACH), which neither
 * stops it nor sends it a signal, and which lets group-stops be told from
 * other stops and answered with PTRACE_LISTEN (so kill -STOP works on a
 * traced process as on any other).  The options ask for new threads,
 * forked and vforked children (auto-attached from their first
 * instruction) and exec to be reported.  A launched command also gets
 * PTRACE_O_EXITKILL: if ptap dies without cleaning up, the command dies
 * with it instead of running into an int3 nobody handles.
 *
 * Detaching: every running thread is interrupted; the stops that arrive
 * meanwhile are handled in detach mode (a hit is still reported, a
 * signal is kept to be delivered at detach, a new child is taken in to
 * be cleaned too); once every thread of a process is stopped, its bytes
 * and semaphores are restored, its CPU affinity given back, and each
 * thread detached with the signal it was about to receive.  It takes
 * bounded time whatever the threads do (a thread held in vfork cannot
 * stop): see tracer_detach_all.  A job-control stop of ptap detaches the
 * same way, and attaches again after (tracer_pause).
 */
#include "tracer/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

#define SEIZE_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		       PTRACE_O_TRACESYSGOOD | \
		       PTRACE_O_TRACEEXEC)

struct tthread *thread_add(struct tracer *t, pid_t tid, struct tproc *p, unsigned flags)
{
	struct tthread *th = xcalloc(1, sizeof(*th));

	th->tid = tid;
	th->proc = p;
	th->flags = flags;
	th->pinned_cpu = -1;
	cost_thread_start(th);
	p->nthreads++;
	u64map_put(&t->threads, (uint64_t)tid, th);
	t->stats.threads++;
	return th;
}

void thread_forget(struct tracer *t, struct tthread *th)
{
	struct tproc *p = th->proc;

	cost_thread_sample(t, th);
	u64map_del(&t->threads, (uint64_t)th->tid);
	if (p->mem.pid == th->tid) {
		/* its memory was reached through this thread: through another
		 * of its threads from now on (not the leader, which may be a
		 * zombie), else through the process id */
		struct tthread *o;
		size_t i = 0;
		uint64_t k;
		void *v;

		p->mem.pid = p->pid;
		while (u64map_next(&t->threads, &i, &k, &v)) {
			o = v;
			if (o->proc == p && o->tid != p->pid) {
				p->mem.pid = o->tid;
				break;
			}
		}
	}
	p->nthreads--;
	t->stats.threads--;
	free(th);
}

struct tproc *proc_add(struct tracer *t, pid_t pid, unsigned flags)
{
	struct tproc *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->flags = flags;
	mem_init(&p->mem, pid);
	p->ip.memfd = -1;
	u64map_init(&p->sites);
	strcache_init(&p->strcache);
	journal_init(&p->journal);
	u64map_put(&t->procs, (uint64_t)pid, p);
	t->stats.processes++;
	return p;
}

void proc_forget(struct tracer *t, struct tproc *p)
{
	struct tproc *heir = NULL;
	size_t i = 0;
	uint64_t k;
	void *v;

	/* vfork children still sharing p's memory inherit its arming */
	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *c = v;

		if (c->mm_owner != p)
			continue;
		if (!heir) {
			heir = c;
			c->mm_owner = NULL;
			c->flags &= ~TP_SHARED_MM;
			c->mods = p->mods;
			c->nmods = p->nmods;
			c->cap_mods = p->cap_mods;
			c->sites = p->sites;
			c->strcache = p->strcache;
			strcache_init(&p->strcache);
			c->journal = p->journal;   /* the same memory: its journal */
			journal_init(&p->journal);
			p->mods = NULL;
			p->nmods = p->cap_mods = 0;
			u64map_init(&p->sites);
		} else {
			c->mm_owner = heir;
		}
	}
	proc_vfork_done(t, p);
	u64map_del(&t->procs, (uint64_t)p->pid);
	t->stats.processes--;
	proc_free(t, p, true);      /* the process is gone: so is its journal */
}

void proc_free(struct tracer *t, struct tproc *p, bool remove_journal)
{
	proc_forget_image(t, p);
	journal_close(&p->journal, remove_journal);
	mem_close(&p->mem);
	free(p->exe);
	free(p);
}

/* Whether set holds cpu alone. */
static bool cpus_only(const cpu_set_t *set, int cpu)
{
	return CPU_COUNT(set) == 1 && CPU_ISSET(cpu, set);
}

void thread_journal_pin(struct tthread *th)
{
	if (th->pinned_cpu >= 0)
		journal_cpus(&th->proc->journal, th->tid, th->pinned_cpu, &th->saved_cpus);
}

/*
 * Keep th on the tracer's CPU.  inherited is the affinity its creator had
 * before ptap pinned it: a new thread starts with its creator's mask, so
 * if it has ptap's one CPU, its own is the creator's; if it has another,
 * the program set that one itself, and it is its own.
 */
void thread_pin(struct tracer *t, struct tthread *th, const cpu_set_t *inherited)
{
	cpu_set_t now, one;

	if (t->pin_cpu < 0 || th->pinned_cpu >= 0 ||
	    sched_getaffinity(th->tid, sizeof(now), &now))
		return;
	th->saved_cpus = inherited && cpus_only(&now, t->pin_cpu) ? *inherited : now;
	if (!CPU_ISSET(t->pin_cpu, &th->saved_cpus))
		return;         /* not allowed there: leave it where it may run */
	CPU_ZERO(&one);
	CPU_SET(t->pin_cpu, &one);
	if (sched_setaffinity(th->tid, sizeof(one), &one))
		return;
	th->pinned_cpu = t->pin_cpu;
	thread_journal_pin(th);
}

void thread_unpin(struct tthread *th)
{
	cpu_set_t now;

	if (th->pinned_cpu < 0)
		return;
	/* only what ptap did, and only if the program has not changed it since */
	if (!sched_getaffinity(th->tid, sizeof(now), &now) && cpus_only(&now, th->pinned_cpu) &&
	    sched_setaffinity(th->tid, sizeof(th->saved_cpus), &th->saved_cpus))
		return;         /* gone, or not allowed now: leave the journal's line */
	th->pinned_cpu = -1;
	journal_cpus_done(&th->proc->journal, th->tid);
}

int tracee_seize(pid_t tid, bool launched)
{
	long opts = SEIZE_OPTIONS | (launched ? PTRACE_O_EXITKILL : 0);

	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)opts) < 0)
		return -errno;
	return 0;
}

/* A field of /proc/PID/status ("TracerPid:", "Uid:", "Tgid:") as a number. */
unsigned long long proc_status_field(pid_t pid, const char *field, int base, bool *found)
{
	char path[64], line[256];
	size_t len = strlen(field);
	unsigned long long v = 0;
	FILE *f;

	*found = false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len)) {
			v = strtoull(line + len, NULL, base);
			*found = true;
			break;
		}
	fclose(f);
	return v;
}

/* A decimal field, -1 if there is none. */
static long status_field(pid_t pid, const char *field)
{
	bool found;
	long v = (long)proc_status_field(pid, field, 10, &found);

	return found ? v : -1;
}

static int stat_proc(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, st);
}

/* Detach th, in a stop already collected, with the signal it was about to
 * receive and its own CPU affinity. */
static void detach_stopped(struct tthread *th)
{
	thread_unpin(th);
	ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)thread_let_go_sig(th));
	th->flags |= TT_DETACHED;
}

/*
 * Let go of the threads of p seized before attaching failed.  Nothing is
 * armed yet.  A thread held (tracer_hold: the in-process engine stops
 * them all before it writes) sits in a stop already collected, and is
 * detached with the signal it was about to receive; interrupting it again
 * would report nothing, and waiting for that would wait for ever.  Any
 * other runs (PTRACE_SEIZE does not stop it): it is interrupted, its stop
 * collected, and detached; a thread it started meanwhile (auto-attached)
 * is collected and detached too.
 */
static void attach_undo(struct tracer *t, struct tproc *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;
	int status;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;
		unsigned long msg = 0;
		pid_t r;

		if (th->proc != p)
			continue;
		if (!thread_running(th)) {
			detach_stopped(th);
			thread_forget(t, th);
			i = 0;
			continue;
		}
		if (!thread_is_new(th))
			ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
		do
			r = waitpid(th->tid, &status, __WALL);
		while (r < 0 && errno == EINTR);
		if (r == th->tid && WIFSTOPPED(status)) {
			int ev = (unsigned)status >> 16;

			if ((ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK ||
			     ev == PTRACE_EVENT_VFORK) &&
			    !ptrace(PTRACE_GETEVENTMSG, th->tid, NULL, &msg) && msg &&
			    !u64map_get(&t->threads, msg))
				thread_add(t, (pid_t)msg, p, TT_NEW | TT_RUNNING);
			ptrace(PTRACE_DETACH, th->tid, NULL,
			       (void *)(long)(ev || WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status)));
		}
		thread_forget(t, th);
		i = 0;
	}
}

/* Seize every thread of p not traced yet; repeat until a pass finds no
 * new one (threads created meanwhile by seized threads are auto-attached
 * by PTRACE_O_TRACECLONE; those made by not-yet-seized ones show up in
 * the next pass).  Returns the number of threads seized or -errno. */
static int attach_threads(struct tracer *t, struct tproc *p)
{
	char path[64];
	int total = 0, added, err;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	do {
		added = 0;
		dir = opendir(path);
		if (!dir)       /* a thread missed would die at its first hit */
			return errno == ENOENT ? (total ? total : -ESRCH) : -errno;
		while ((d = readdir(dir))) {
			pid_t tid = (pid_t)strtol(d->d_name, NULL, 10);

			if (tid <= 0 || u64map_get(&t->threads, (uint64_t)tid))
				continue;
			err = tracee_seize(tid, p->flags & TP_LAUNCHED);
			if (err == -ESRCH)
				continue;       /* the thread exited meanwhile */
			if (err == -EPERM && status_field(tid, "TracerPid:") == getpid()) {
				/* auto-attached through a clone we have not seen yet */
				thread_add(t, tid, p, TT_NEW | TT_RUNNING);
				continue;
			}
			if (err == -EPERM && thread_exiting(p->pid, tid))
				continue;       /* a thread on its way out cannot be seized,
				                   nor a leader that exited before the others */
			if (err) {
				closedir(dir);
				return err;
			}
			thread_add(t, tid, p, TT_RUNNING);
			added++;
			total++;
		}
		closedir(dir);
	} while (added);
	return total;
}

static int attach_process(struct tracer *t, pid_t pid, unsigned flags, char **why);

static struct tthread *first_thread(struct tracer *t, const struct tproc *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v))
		if (((struct tthread *)v)->proc == p)
			return v;
	return NULL;
}

/* Its threads seized: read what it maps and arm it.  0, or -errno when it
 * cannot be traced (out of file descriptors: nothing could be armed, and
 * "nothing to trace" would not be true). */
static int proc_start_tracing(struct tracer *t, struct tproc *p)
{
	int err;

	p->exe = procmaps_exe_path(p->mem.pid);
	if (!t->cfg.no_arm)
		journal_open(&p->journal, p->pid);
	journal_check(t, p);
	err = proc_scan_modules(t, p);
	if (err == -EMFILE || err == -ENFILE || err == -ENOMEM)
		return err;
	if (err)
		tracer_notice(t, "pid %d: cannot read its memory map: %s", p->pid, strerror(-err));
	return 0;
}

int tracer_attach(struct tracer *t, pid_t pid, char **why)
{
	return attach_process(t, pid, 0, why);
}

/* Attach to pid (flags: TP_LAUNCHED for the command ptap started, seized
 * again after a job-control stop). */
static int attach_process(struct tracer *t, pid_t pid, unsigned flags, char **why)
{
	struct stat st;
	struct tproc *p;
	long tgid;
	size_t i = 0;
	uint64_t k;
	void *v;
	int n;

	*why = NULL;
	if (pid <= 0 || stat_proc(pid, &st)) {
		*why = xasprintf("no process with pid %d", pid);
		return -ESRCH;
	}
	if (pid == getpid()) {
		*why = xasprintf("pid %d is ptap itself", pid);
		return -EINVAL;
	}
	tgid = status_field(pid, "Tgid:");
	if (tgid > 0 && tgid != pid) {
		*why = xasprintf("pid %d is a thread of process %ld: give the process's pid", pid, tgid);
		return -EINVAL;
	}
	if (u64map_get(&t->procs, (uint64_t)pid)) {
		*why = xasprintf("pid %d is already traced by this ptap", pid);
		return -EEXIST;
	}
	if (proc_is_kthread(pid) || proc_is_zombie(pid)) {
		*why = attach_diagnose(pid, -EPERM);
		return -EPERM;
	}
	p = proc_add(t, pid, flags);
	n = attach_threads(t, p);
	if (n > 0 && !u64map_get(&t->threads, (uint64_t)pid))
		proc_mem_via(first_thread(t, p));   /* its leader exited: /proc through another */
	if (n > 0 && inproc_enabled(t) && !t->cfg.no_arm) {
		/* jumps are written with every thread stopped */
		tracer_hold(t, p);
		if (u64map_get(&t->procs, (uint64_t)pid) != p) {
			/* it exited meanwhile, and the loop let go of it */
			*why = attach_diagnose(pid, -ESRCH);
			return -ESRCH;
		}
	}
	n = n > 0 ? proc_start_tracing(t, p) : n ? n : -ESRCH;
	if (n) {
		*why = attach_diagnose(pid, n);
		attach_undo(t, p);
		proc_forget(t, p);
		return n;
	}
	tracer_release(t, p);
	i = 0;
	while (u64map_next(&t->threads, &i, &k, &v))
		if (((struct tthread *)v)->proc == p)
			thread_pin(t, v, NULL);
	p->flags |= TP_STARTED;
	if (t->hooks->process_start)
		t->hooks->process_start(t->ctx, pid, 0);
	if (t->hooks->process_ready)
		t->hooks->process_ready(t->ctx, pid);
	return 0;
}

/* The file execvp would run for cmd, as a shell searches PATH. */
static int resolve_command(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *s, *end;
	int err = -ENOENT;
	struct stat st;

	if (strchr(cmd, '/')) {
		if (snprintf(out, len, "%s", cmd) >= (int)len)
			return -ENAMETOOLONG;
		if (stat(out, &st))
			return -errno;
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (s = path;; s = end + 1) {
		end = strchrnul(s, ':');
		if (snprintf(out, len, "%.*s%s%s", (int)(end - s), s, end == s ? "" : "/", cmd) <
			    (int)len &&
		    !stat(out, &st) && S_ISREG(st.st_mode)) {
			if (!access(out, X_OK))
				return 0;
			err = -EACCES;
		}
		if (!*end)
			break;
	}
	return err;
}

pid_t tracer_launch(struct tracer *t, char *const argv[], const char **why)
{
	char path[PATH_MAX];
	int go[2], report[2], err, status;
	struct tproc *p;
	struct tthread *th;
	pid_t pid;
	ssize_t r;

	err = resolve_command(argv[0], path, sizeof(path));
	if (err) {
		/* as a shell says it: a bare name is looked for in PATH */
		*why = err == -ENOENT && !strchr(argv[0], '/') ? "command not found" : strerror(-err);
		return err;
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
		*why = strerror(errno);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		*why = strerror(errno);
		return err;
	}
	if (pid == 0) {
		char c;

		tracer_signals_default();
		close(go[1]);
		close(report[0]);
		if (t->cfg.child_redirect)
			for (int fd = 0; fd < 3; fd++)
				if (t->cfg.child_fd[fd] >= 0 && dup2(t->cfg.child_fd[fd], fd) < 0)
					_exit(126);
		/* wait until the parent has seized us: exec is then reported */
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		execv(path, argv);
		err = errno;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(err == ENOENT ? 127 : 126);
	}
	close(go[0]);
	close(report[1]);
	err = tracee_seize(pid, true);
	if (err) {
		kill(pid, SIGKILL);
		close(go[1]);
		close(report[0]);
		waitpid(pid, &status, 0);
		*why = "cannot trace the command";
		return err;
	}
	p = proc_add(t, pid, TP_LAUNCHED);
	th = thread_add(t, pid, p, TT_RUNNING);
	/* the child inherited ptap's pinned affinity: its own is the one
	 * ptap had before pinning itself */
	thread_pin(t, th, t->pin_cpu >= 0 ? &t->own_cpus : NULL);
	t->launched = pid;
	close(go[1]);
	do
		r = read(report[0], &err, sizeof(err));
	while (r < 0 && errno == EINTR);
	close(report[0]);
	if (r == sizeof(err)) {
		/* exec failed: the child exits at once; collect it here */
		while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
			;
		thread_forget(t, th);
		proc_forget(t, p);
		t->launched = 0;
		*why = strerror(err);
		return -err;
	}
	if (t->hooks->process_start)
		t->hooks->process_start(t->ctx, pid, 0);
	return pid;
}

/*
 * How long detaching waits for the next thread to stop while none does:
 * a thread in an uninterruptible sleep, or held in vfork by a child that
 * does not run its program, cannot stop.  Past it, what stopped is
 * restored and let go all the same (see tracer_detach_all).
 */
#define DETACH_QUIET_NS (2000ull * 1000 * 1000)

static void release_stopped(struct tracer *t);

/* A thread detaching must see stop: running, not held by a vfork child
 * (which is itself stopped by then, so it would wait forever). */
static bool awaited(const struct tthread *th)
{
	return thread_running(th) && !thread_in_vfork(th);
}

/* Whether a thread (of p, or of any process if p is NULL) matches pred. */
static bool any_thread(struct tracer *t, const struct tproc *p, bool (*pred)(const struct tthread *))
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v))
		if ((!p || ((struct tthread *)v)->proc == p) && pred(v))
			return true;
	return false;
}

/*
 * Collect stops while a thread (of p, or of any process) matches pred,
 * handling whatever arrives first, as when detaching if detaching (else
 * as loop_handle decides for a hold), then release_stopped if asked.
 * True when none is left (or p ended); false when none stopped for
 * DETACH_QUIET_NS, or, given signals, another stop signal came.
 */
static bool collect(struct tracer *t, const struct tproc *p, bool (*pred)(const struct tthread *),
		    bool detaching, bool release, const unsigned *signals)
{
	uint64_t last = now_ns();
	pid_t pid = p ? p->pid : 0;
	pid_t tid;
	int status;

	while (any_thread(t, p, pred)) {
		tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno != EINTR)
				return true;    /* ECHILD: every tracee is gone */
			if (now_ns() - last > DETACH_QUIET_NS ||
			    (signals && tracer_stop_signals() != *signals))
				return false;
			continue;       /* the ticker: look at the clock again */
		}
		last = now_ns();
		loop_handle(t, tid, status, detaching);
		if (p && u64map_get(&t->procs, (uint64_t)pid) != p)
			return true;    /* it ended meanwhile */
		if (release)
			release_stopped(t);
	}
	return true;
}

/* Interrupt every running thread of p (of every process if NULL). */
static void interrupt_all(struct tracer *t, const struct tproc *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (thread_running(th) && !thread_is_new(th) && !(th->flags & TT_DETACHED) &&
		    (!p || th->proc == p))
			ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
	}
}

void tracer_hold(struct tracer *t, struct tproc *p)
{
	t->hold_all = !p;
	t->hold_proc = p;
	interrupt_all(t, p);
	/* other processes' stops go on as usual meanwhile; a thread held in
	 * vfork is in the kernel, not in any code being changed */
	collect(t, p, awaited, false, false, NULL);
	t->hold_all = false;
	t->hold_proc = NULL;
}

void tracer_release(struct tracer *t, struct tproc *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;
		int how;

		if (th->proc != p || thread_running(th) || thread_is_new(th) ||
		    (th->flags & TT_DETACHED))
			continue;
		how = thread_let_go_sig(th);
		if (th->flags & TT_LISTEN)
			how = -1;       /* RESUME_LISTEN */
		th->flags &= ~TT_LISTEN;
		if (thread_resume(t, th, how) == -EIO && how == -1)
			thread_resume(t, th, 0);   /* no longer in its group-stop */
	}
}

/* Detach every stopped thread (its process restored already), with the
 * signal it was about to receive. */
static void release_stopped(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (!thread_running(th) && !(th->flags & TT_DETACHED))
			detach_stopped(th);
	}
}

/* Say which threads could not be let go, and why. */
static void report_stragglers(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (!thread_straggling(th))
			continue;
		if (thread_in_vfork(th))
			tracer_notice(t, "pid %d: thread %d waits in vfork for pid %d, which has not run "
				      "its program yet: restored, it stays attached (and runs on) until "
				      "ptap exits", th->proc->pid, th->tid, th->vfork_child);
		else
			tracer_notice(t, "pid %d: thread %d did not stop (an uninterruptible wait?): "
				      "restored, it stays attached until ptap exits", th->proc->pid,
				      th->tid);
	}
}

/*
 * Detaching, in bounded time whatever the threads are doing:
 *  1. interrupt every running thread;
 *  2. collect the stops, handling whatever arrives first (a hit is still
 *     reported, a new child is taken in to be restored too); a thread
 *     held in vfork is not waited for: its child is stopped by then;
 *  3. restore every process (the in-process engine's regions removed,
 *     see inproc_teardown): the threads of each are stopped, or held in
 *     the kernel (vfork, an uninterruptible wait), and a thread with an
 *     interrupt pending runs no instruction of its own before it stops;
 *  4. detach every stopped thread, a vfork child too (the memory it shares
 *     is clean now); its parent, released when the child execs, stops on
 *     the interrupt and is detached then.  A thread that does not stop in
 *     DETACH_QUIET_NS (or after a second signal) stays attached, restored,
 *     and is let go by the kernel when ptap exits.
 */
void tracer_detach_all(struct tracer *t)
{
	unsigned signals = tracer_stop_signals();
	size_t i = 0;
	uint64_t k;
	void *v;

	t->hold_all = true;
	interrupt_all(t, NULL);
	collect(t, NULL, awaited, true, false, &signals);
	t->hold_all = false;
	i = 0;
	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *p = v;

		if (!(p->flags & TP_SHARED_MM))
			proc_disarm(t, p);
	}
	release_stopped(t);
	if (!collect(t, NULL, thread_straggling, true, true, &signals))
		report_stragglers(t);
	/* tasks that stopped before their parent's event told us whose they
	 * are: nothing of ours can be undone in them without knowing */
	i = 0;
	while (u64map_next(&t->early, &i, &k, &v)) {
		tracer_notice(t, "task %llu was detached before its parent reported it",
			      (unsigned long long)k);
		ptrace(PTRACE_DETACH, (pid_t)k, NULL, NULL);
	}
	u64map_free(&t->early);
}

bool proc_straggling(struct tracer *t, pid_t pid)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v))
		if (((struct tthread *)v)->proc->pid == pid && thread_straggling(v))
			return true;
	return false;
}

void tracer_forget_all(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v)) {
		thread_forget(t, v);
		i = 0;
	}
	i = 0;
	while (u64map_next(&t->procs, &i, &k, &v)) {
		u64map_del(&t->procs, k);
		t->stats.processes--;
		proc_free(t, v, true);
		i = 0;
	}
}

void proc_vfork_done(struct tracer *t, struct tproc *p)
{
	struct tthread *parent;

	if (!p->vfork_parent)
		return;
	parent = u64map_get(&t->threads, (uint64_t)p->vfork_parent);
	if (parent && parent->vfork_child == p->pid)
		parent->vfork_child = 0;
	p->vfork_parent = 0;
}

/*
 * Job control (SIGTSTP, SIGTTIN, SIGTTOU) while tracing: a ptap stopped
 * with its int3s in place would leave every target waiting at its next
 * hit until continued.  So ptap lets them go first, exactly as when it
 * stops (everything restored), stops itself, and once continued attaches
 * again to every process it traced that still runs.  What happens in
 * between is not seen; a process that ended meanwhile is reported ended
 * (with its status, for the command ptap started, its child).
 */
void tracer_pause(struct tracer *t, int sig)
{
	struct { pid_t pid; unsigned flags; } *was = NULL;
	size_t n = 0, i = 0;
	char *why, *comm;
	uint64_t k;
	void *v;
	int status, again = 0;

	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *p = v;

		if (p->flags & (TP_SHARED_MM | TP_UNFOLLOWED))
			continue;       /* a vfork child goes on with its parent */
		was = xrealloc(was, (n + 1) * sizeof(*was));
		was[n].pid = p->pid;
		was[n++].flags = p->flags & TP_LAUNCHED;
	}
	tracer_detach_all(t);
	tracer_forget_all(t);
	if (t->hooks->paused)
		t->hooks->paused(t->ctx, false);
	comm = xstrdup(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	tracer_notice(t, "stopped by SIG%s: every process let go, restored; ptap attaches again "
		      "when continued", comm);
	tracer_job_stop(sig);
	if (t->hooks->paused)
		t->hooks->paused(t->ctx, true);
	for (i = 0; i < n; i++) {
		if (was[i].pid == t->launched &&
		    waitpid(t->launched, &status, WNOHANG | __WALL) == t->launched) {
			t->launched_status = status;    /* it ended meanwhile */
			if (t->hooks->process_exit)
				t->hooks->process_exit(t->ctx, was[i].pid, status);
			continue;
		}
		if (!attach_process(t, was[i].pid, was[i].flags, &why)) {
			again++;
			continue;
		}
		if (kill(was[i].pid, 0) && t->hooks->process_exit)
			t->hooks->process_exit(t->ctx, was[i].pid, -1);
		else
			tracer_notice(t, "%s", why);
		free(why);
	}
	tracer_notice(t, "continued: tracing %d process%s again", again, again == 1 ? "" : "es");
	free(comm);
	free(was);
}

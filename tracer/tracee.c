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
 * thread detached with the signal it was about to receive.
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
		       PTRACE_O_TRACEEXEC)

struct tthread *thread_add(struct tracer *t, pid_t tid, struct tproc *p, unsigned flags)
{
	struct tthread *th = xcalloc(1, sizeof(*th));

	th->tid = tid;
	th->proc = p;
	th->flags = flags;
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

/* Keep th on the tracer's CPU; inherited is the affinity its creator had
 * before ptap pinned it (NULL: read the thread's own). */
void thread_pin(struct tracer *t, struct tthread *th, const cpu_set_t *inherited)
{
	cpu_set_t one;

	if (t->pin_cpu < 0 || th->pinned)
		return;
	if (inherited)
		th->saved_cpus = *inherited;
	else if (sched_getaffinity(th->tid, sizeof(th->saved_cpus), &th->saved_cpus))
		return;
	if (!CPU_ISSET(t->pin_cpu, &th->saved_cpus))
		return;         /* not allowed there: leave it where it may run */
	CPU_ZERO(&one);
	CPU_SET(t->pin_cpu, &one);
	if (!sched_setaffinity(th->tid, sizeof(one), &one))
		th->pinned = true;
}

static void thread_unpin(struct tthread *th)
{
	if (th->pinned && !sched_setaffinity(th->tid, sizeof(th->saved_cpus), &th->saved_cpus))
		th->pinned = false;
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

static char *proc_comm(pid_t pid)
{
	char path[64], buf[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return xstrdup(buf);
}

static int stat_proc(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, st);
}

/* Why PTRACE_SEIZE said EPERM, as a sentence with what to do. */
static char *diagnose_eperm(pid_t pid)
{
	long tracer = status_field(pid, "TracerPid:");
	long uid = status_field(pid, "Uid:");
	struct stat st;
	char *comm, *msg;
	FILE *f;
	int scope = -1;

	if (tracer > 0) {
		comm = proc_comm((pid_t)tracer);
		msg = xasprintf("pid %d is already traced by pid %ld (%s); a process can have only "
				"one tracer: stop that one first", pid, tracer, comm);
		free(comm);
		return msg;
	}
	if (uid >= 0 && (uid_t)uid != geteuid() && geteuid() != 0)
		return xasprintf("pid %d belongs to uid %ld and you are uid %u: run ptap as that "
				 "user, or as root", pid, uid, (unsigned)geteuid());
	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	if (scope == 1 && geteuid() != 0)
		return xasprintf("the kernel's Yama ptrace_scope is 1, so only a process's ancestors "
				 "may trace it: run ptap as root (or with CAP_SYS_PTRACE), launch "
				 "the program under ptap, or set kernel.yama.ptrace_scope=0");
	if (scope == 2 && geteuid() != 0)
		return xasprintf("the kernel's Yama ptrace_scope is 2: only root (CAP_SYS_PTRACE) "
				 "may attach to a process");
	if (scope == 3)
		return xasprintf("the kernel's Yama ptrace_scope is 3: no process may attach to "
				 "another until the next reboot");
	if (!stat_proc(pid, &st) && st.st_uid == 0 && uid > 0)
		return xasprintf("pid %d is not dumpable (a setuid program, or it called "
				 "prctl(PR_SET_DUMPABLE, 0)): only root may trace it", pid);
	return xasprintf("not permitted to trace pid %d (%s)", pid, strerror(EPERM));
}

/* Whether thread tid of pid is exiting or gone (zombie or dead). */
static bool thread_exiting(pid_t pid, pid_t tid)
{
	char path[64], line[64];
	bool dying = true;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6)) {
			dying = strchr(line, 'Z') || strchr(line, 'X');
			break;
		}
	fclose(f);
	return dying;
}

/*
 * Let go of the threads of p seized before attaching failed.  They run
 * (PTRACE_SEIZE does not stop them) and nothing is armed yet: each is
 * interrupted, its stop collected, and detached; a thread it started
 * meanwhile (auto-attached) is collected and detached too.
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
		if (!dir)
			return total ? total : -ESRCH;
		while ((d = readdir(dir))) {
			pid_t tid = (pid_t)strtol(d->d_name, NULL, 10);

			if (tid <= 0 || u64map_get(&t->threads, (uint64_t)tid))
				continue;
			err = tracee_seize(tid, false);
			if (err == -ESRCH)
				continue;       /* the thread exited meanwhile */
			if (err == -EPERM && status_field(tid, "TracerPid:") == getpid()) {
				/* auto-attached through a clone we have not seen yet */
				thread_add(t, tid, p, TT_NEW | TT_RUNNING);
				continue;
			}
			if (err == -EPERM && tid != p->pid && thread_exiting(p->pid, tid))
				continue;       /* a thread on its way out cannot be seized */
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

int tracer_attach(struct tracer *t, pid_t pid, char **why)
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
	p = proc_add(t, pid, 0);
	n = attach_threads(t, p);
	if (n <= 0) {
		*why = n == -EPERM ? diagnose_eperm(pid)
			: n == -ESRCH || n == 0 ? xasprintf("pid %d exited before it could be traced", pid)
			: xasprintf("cannot trace pid %d: %s", pid, strerror(-n));
		attach_undo(t, p);
		proc_forget(t, p);
		return n < 0 ? n : -ESRCH;
	}
	p->exe = procmaps_exe_path(pid);
	if (!t->cfg.no_arm)
		journal_open(&p->journal, pid);
	n = proc_scan_modules(t, p);
	if (n)
		tracer_notice(t, "pid %d: cannot read its memory map: %s", pid, strerror(-n));
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

static bool any_running(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v))
		if (thread_running(v))
			return true;
	return false;
}

void tracer_detach_all(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;
	pid_t tid;
	int status;

	/* 1. stop every thread */
	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		if (thread_running(th) && !thread_is_new(th)) {
			ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
		}
	}
	/* 2. collect the stops, handling whatever arrives first */
	while (any_running(t)) {
		tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;          /* ECHILD: every tracee is gone */
		}
		loop_handle(t, tid, status, true);
	}
	/* 3. restore each process, then let its threads go */
	i = 0;
	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *p = v;

		if (!(p->flags & TP_SHARED_MM))
			proc_disarm(t, p);
	}
	i = 0;
	while (u64map_next(&t->threads, &i, &k, &v)) {
		struct tthread *th = v;

		thread_unpin(th);
		ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)th->pending_sig);
	}
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

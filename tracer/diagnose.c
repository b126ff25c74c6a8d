/*
 * Why a process cannot be traced, as a sentence that names the program
 * and the kernel's rule that applies, with what to do about it.
 *
 * PTRACE_SEIZE says little: EPERM for a kernel thread, a zombie, a
 * process another tracer holds, another user's process, a process whose
 * capabilities the tracer lacks, a Yama policy, a security module; ESRCH
 * for a process that exited.  So the process is looked at in /proc, in the
 * order in which ptrace_attach() and __ptrace_may_access() check it:
 *
 *   kernel thread (PF_KTHREAD)      nothing to trace
 *   zombie (every thread exited)    nothing to trace
 *   TracerPid != 0                  one tracer at a time
 *   another user (without CAP_SYS_PTRACE)
 *   Yama ptrace_scope 1, 2, 3
 *   capabilities: the target's permitted set must be within ours, unless
 *                 we hold CAP_SYS_PTRACE in its user namespace
 *   not dumpable (setuid, PR_SET_DUMPABLE 0) without CAP_SYS_PTRACE
 *
 * and what is left is said as it is: a security module or a seccomp
 * filter on ptap.
 */
#include "tracer/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define PF_KTHREAD_FLAG 0x00200000u     /* include/linux/sched.h */
#define CAP_SYS_PTRACE_BIT 19

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* A field of /proc/PID/status, -1 if there is none. */
static long long status_num(pid_t pid, const char *field, int base)
{
	bool found;
	unsigned long long v = proc_status_field(pid, field, base, &found);

	return found ? (long long)v : -1;
}

char *proc_comm(pid_t pid)
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

/* The state letter of a thread ('R', 'S', 'Z'...), 'X' if it is gone,
 * '?' if it cannot be told (out of file descriptors: say nothing false). */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[80], line[64], state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT || errno == ESRCH ? 'X' : '?';
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "State: %c", &state) == 1)
			break;
	fclose(f);
	return state;
}

bool thread_exiting(pid_t pid, pid_t tid)
{
	char s = thread_state(pid, tid);

	return s == 'Z' || s == 'X';
}

bool proc_is_kthread(pid_t pid)
{
	char path[64], buf[512], *p;
	unsigned long flags = 0;
	int field;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* field 9 is flags; the name (field 2) may hold anything but ')' last */
	for (field = 2; p && field < 9; field++)
		p = strchr(p + 1, ' ');
	if (p)
		flags = strtoul(p + 1, NULL, 10);
	return flags & PF_KTHREAD_FLAG;
}

bool proc_is_zombie(pid_t pid)
{
	char path[64];
	struct dirent *d;
	bool dead = true;
	DIR *dir;

	/* every thread: a leader that exited while others run is a zombie
	 * too, but the process lives on */
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (dead && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			dead = thread_exiting(pid, (pid_t)strtol(d->d_name, NULL, 10));
	closedir(dir);
	return dead;
}

/* The capabilities pid may hold and ptap may not, named, or NULL. */
static char *caps_missing(pid_t pid)
{
	long long theirs = status_num(pid, "CapPrm:", 16), ours = status_num(getpid(), "CapPrm:", 16);
	unsigned long long missing;
	char *s = NULL, *n;
	unsigned i;

	if (theirs < 0 || ours < 0)
		return NULL;
	missing = (unsigned long long)theirs & ~(unsigned long long)ours;
	for (i = 0; i < 64 && missing; i++) {
		if (!(missing & (1ull << i)))
			continue;
		missing &= ~(1ull << i);
		n = i < ARRAY_SIZE(cap_names) ? xstrdup(cap_names[i]) : xasprintf("capability %u", i);
		if (s) {
			char *j = xasprintf("%s, %s", s, n);

			free(s);
			free(n);
			s = j;
		} else {
			s = n;
		}
	}
	return s;
}

static bool have_cap_sys_ptrace(void)
{
	long long eff = status_num(getpid(), "CapEff:", 16);

	return eff >= 0 && (eff & (1ll << CAP_SYS_PTRACE_BIT));
}

static int yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = -1;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	return scope;
}

/* Why PTRACE_SEIZE said EPERM for pid (named who), after the checks
 * common to every error. */
static char *why_eperm(pid_t pid, const char *who)
{
	long long tracer = status_num(pid, "TracerPid:", 10), uid = status_num(pid, "Uid:", 10);
	bool cap = have_cap_sys_ptrace();
	int scope = yama_scope();
	struct stat st;
	char path[64], *comm, *caps, *msg;

	if (tracer > 0) {
		comm = proc_comm((pid_t)tracer);
		msg = xasprintf("%s is already traced by pid %lld (%s); a process can have only one "
				"tracer: stop that one first", who, tracer, comm);
		free(comm);
		return msg;
	}
	if (uid >= 0 && (uid_t)uid != geteuid() && !cap)
		return xasprintf("%s belongs to uid %lld and you are uid %u: run ptap as that user, "
				 "or as root", who, uid, (unsigned)geteuid());
	if (scope == 3)
		return xasprintf("the kernel's Yama ptrace_scope is 3: no process may attach to "
				 "another until the next reboot (%s)", who);
	if (scope == 2 && !cap)
		return xasprintf("the kernel's Yama ptrace_scope is 2: only a process with "
				 "CAP_SYS_PTRACE (root) may attach to another (%s)", who);
	if (scope == 1 && !cap)
		return xasprintf("the kernel's Yama ptrace_scope is 1, so only a process's ancestors "
				 "may trace it (%s): run ptap as root (or with CAP_SYS_PTRACE), launch "
				 "the program under ptap, or set kernel.yama.ptrace_scope=0", who);
	caps = caps_missing(pid);
	if (caps) {
		msg = xasprintf("%s holds capabilities ptap does not (%s): the kernel lets a process "
				"trace another only if it holds all of that one's capabilities, or "
				"CAP_SYS_PTRACE in its user namespace%s", who, caps,
				cap ? ", which ptap has only in its own: the process is in a parent "
				      "user namespace (a container's host, or the sandbox's supervisor)"
				    : "; run ptap with those capabilities, or CAP_SYS_PTRACE");
		free(caps);
		return msg;
	}
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (!stat(path, &st) && st.st_uid == 0 && uid > 0 && !cap)
		return xasprintf("%s is not dumpable (a setuid program, or it called "
				 "prctl(PR_SET_DUMPABLE, 0)): only a process with CAP_SYS_PTRACE "
				 "(root) may trace it", who);
	return xasprintf("the kernel does not let ptap trace %s (Operation not permitted), though "
			 "no rule ptap knows forbids it (same user, Yama allows it, ptap holds its "
			 "capabilities): a security module (SELinux, AppArmor) or a seccomp filter "
			 "on ptap may forbid ptrace", who);
}

char *attach_diagnose(pid_t pid, int err)
{
	char *comm = proc_comm(pid), *parent, *msg;
	/* its name, unless it cannot be read (out of file descriptors) */
	char *who = strcmp(comm, "?") ? xasprintf("pid %d (%s)", pid, comm) : xasprintf("pid %d", pid);
	long long ppid;
	char path[64];
	struct stat st;
	bool zombie;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	zombie = proc_is_zombie(pid);
	ppid = zombie ? status_num(pid, "PPid:", 10) : 0;
	if (stat(path, &st) || ppid < 0) {
		/* (a zombie whose parent is unreadable has just been collected) */
		msg = xasprintf("pid %d exited before it could be traced", pid);
	} else if (proc_is_kthread(pid)) {
		msg = xasprintf("%s is a kernel thread: it runs no program of its own, so it has no "
				"probes to trace", who);
	} else if (zombie) {
		parent = proc_comm((pid_t)ppid);
		msg = xasprintf("%s is a zombie: it has exited, and stays in the process table until "
				"its parent, pid %lld (%s), collects its exit status; there is nothing "
				"left to trace", who, ppid, parent);
		free(parent);
	} else if (err == -EPERM) {
		msg = why_eperm(pid, who);
	} else if (err == -EMFILE || err == -ENFILE) {
		msg = xasprintf("cannot trace %s: %s: ptap keeps a few files open for each process "
				"it traces (its memory, its journal, the in-process engine's data); raise "
				"the limit (ulimit -n) or trace fewer processes", who, strerror(-err));
	} else if (err == -ESRCH) {
		msg = xasprintf("cannot trace %s: its threads exited as ptap attached to them", who);
	} else {
		msg = xasprintf("cannot trace %s: %s", who, strerror(-err));
	}
	free(comm);
	free(who);
	return msg;
}

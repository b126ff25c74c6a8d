/*
 * System calls run in a stopped thread of the target; see inject.h.
 */
#include "tracer/internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "tracer/inject.h"

uint64_t inject_entry_point(int pid)
{
	char path[64];
	uint64_t pair[2], entry = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, pair, sizeof(pair)) == sizeof(pair) && pair[0] != AT_NULL)
		if (pair[0] == AT_ENTRY)
			entry = pair[1];
	close(fd);
	return entry;
}

/* A signal for th arrived while it ran our code: keep it for th (the
 * first with its siginfo, later ones sent again). */
static void keep_signal(struct tthread *th, int sig, siginfo_t *info, bool *have_info)
{
	if (!th->pending_sig) {
		th->pending_sig = sig;
		*have_info = !ptrace(PTRACE_GETSIGINFO, th->tid, NULL, info);
		return;
	}
	syscall(SYS_tgkill, th->proc->pid, th->tid, sig);
}

/*
 * How long th may run our code before ptap gives up on it: a system call
 * ptap injects never blocks, nor does the rest of an execve, so a thread
 * that does not stop in this time is held somewhere ptap cannot see (it
 * is interrupted, and the injection fails: the process keeps its int3s).
 */
#define INJECT_WAIT_NS (3000ull * 1000 * 1000)

/* Wait for th's next stop until deadline (0: none): the pid, 0 on
 * timeout, or -1 and errno. */
static pid_t wait_until(struct tthread *th, int *status, uint64_t deadline)
{
	sigset_t chld, old;
	pid_t r;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);      /* blocked, so that it waits to be taken */
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (;;) {
		uint64_t now = now_ns();
		struct timespec ts;

		r = waitpid(th->tid, status, __WALL | WNOHANG);
		if (r != 0 || now >= deadline)
			break;
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		sigtimedwait(&chld, NULL, &ts);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* th's next stop: 0 and *status, -ESRCH if th ended, -ETIMEDOUT if it
 * did not stop in time (then stopped by an interrupt if it can be), or
 * -errno. */
static int next_stop(struct tthread *th, int *status)
{
	pid_t r = wait_until(th, status, now_ns() + INJECT_WAIT_NS);

	if (r == 0) {
		pr_info("inject", "pid %d tid %d: no stop in %llu ms; interrupted", th->proc->pid,
			th->tid, INJECT_WAIT_NS / 1000000);
		ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
		r = wait_until(th, status, now_ns() + INJECT_WAIT_NS);
		if (r > 0 && !WIFEXITED(*status) && !WIFSIGNALED(*status))
			return -ETIMEDOUT;
		if (r == 0) {
			th->flags |= TT_RUNNING;        /* it runs on, out of ptap's hands */
			return -ETIMEDOUT;
		}
	}
	if (r < 0)
		return -errno;
	return WIFEXITED(*status) || WIFSIGNALED(*status) ? -ESRCH : 0;
}

/* Let th run to the int3 after the syscall: 0, or -errno. */
static int run_to_trap(struct tthread *th, uint64_t scratch, struct arch_regs *regs,
		       siginfo_t *info, bool *have_info)
{
	int status, sig, event, err;

	if (ptrace(PTRACE_CONT, th->tid, NULL, NULL))
		return -errno;
	for (;;) {
		err = next_stop(th, &status);
		if (err)
			return err;
		sig = WSTOPSIG(status);
		event = (unsigned)status >> 16;
		if (!event && sig == SIGTRAP) {
			if (arch_regs_fetch(th->tid, regs))
				return -ESRCH;
			if (arch_regs_after_syscall(regs, scratch))
				return 0;
			/* a SIGTRAP that is not ours (a kill -TRAP): keep it */
			keep_signal(th, sig, info, have_info);
		} else if (!event) {
			keep_signal(th, sig, info, have_info);
		}
		/* an event stop (group-stop, our interrupt): go on */
		if (ptrace(PTRACE_CONT, th->tid, NULL, NULL))
			return -errno;
	}
}

int inject_leave_syscall(struct tthread *th)
{
	struct __ptrace_syscall_info si = { 0 };
	siginfo_t info;
	bool have_info = false;
	int status, sig, err;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, th->tid, NULL, NULL))
			return -errno;
		err = next_stop(th, &status);
		if (err)
			return err;
		sig = WSTOPSIG(status);
		if ((unsigned)status >> 16)
			continue;       /* an event stop: on to the syscall's end */
		/* syscall stops say SIGTRAP | 0x80 (PTRACE_O_TRACESYSGOOD) */
		if (sig == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, (void *)sizeof(si), &si) > 0 &&
			    si.op == PTRACE_SYSCALL_INFO_EXIT)
				break;
			continue;
		}
		keep_signal(th, sig, &info, &have_info);
	}
	if (have_info)
		ptrace(PTRACE_SETSIGINFO, th->tid, NULL, &info);
	th->flags &= ~TT_IN_SYSCALL;
	return 0;
}

int inject_syscall(struct tracer *t, struct tthread *th, uint64_t scratch, long nr,
		   const long args[6], long *ret)
{
	struct tproc *mm = proc_mm(th->proc);
	struct arch_regs saved, regs;
	uint8_t code[ARCH_SYSCALL_LEN];
	siginfo_t info;
	bool have_info;
	int err, err2;

	(void)t;
	if (thread_running(th))
		return -EBUSY;
	if (th->flags & TT_IN_SYSCALL) {
		err = inject_leave_syscall(th);
		if (err)
			return err;
	}
	err = arch_regs_fetch(th->tid, &saved);
	if (err)
		return err;
	/* the thread may sit in a signal-delivery-stop: its siginfo goes back too */
	have_info = !ptrace(PTRACE_GETSIGINFO, th->tid, NULL, &info);
	proc_mem_via(th);
	err = mem_read(&mm->mem, scratch, code, sizeof(code));
	if (err)
		return err;
	err = mem_write(&mm->mem, scratch, arch_syscall_insn, sizeof(arch_syscall_insn));
	if (err)
		return err;
	regs = saved;
	arch_regs_set_syscall(&regs, scratch, nr, args);
	err = arch_regs_store(th->tid, &regs);
	if (!err)
		err = run_to_trap(th, scratch, &regs, &info, &have_info);
	if (!err)
		*ret = arch_regs_syscall_result(&regs);
	/* put everything back, whatever happened (unless the thread is gone) */
	err2 = mem_write(&mm->mem, scratch, code, sizeof(code));
	if (err != -ESRCH) {
		arch_regs_store(th->tid, &saved);
		if (have_info)
			ptrace(PTRACE_SETSIGINFO, th->tid, NULL, &info);
	}
	if (!err && err2)
		err = err2;
	pr_debug("inject", "pid %d tid %d: syscall %ld -> %ld (%s)", th->proc->pid, th->tid, nr,
		 err ? 0 : *ret, err ? strerror(-err) : "ok");
	return err;
}

/*
 * Running system calls inside a traced process, by borrowing one of its
 * threads while ptap holds it stopped: no LD_PRELOAD, no dlopen, no libc
 * call in the target.
 *
 * The thread's registers and the few bytes of code at a scratch address
 * are saved; `syscall; int3` is written there; the registers are set for
 * the call (orig_rax -1, so that a thread stopped inside a system call of
 * its own does not have that one restarted in place of ours) and the
 * thread is let run until the int3 stops it; then bytes and registers are
 * put back exactly, orig_rax included, so the thread's own interrupted
 * call restarts as the kernel would have restarted it.  A signal that
 * arrives meanwhile is kept for the thread and delivered when ptap lets
 * it go.
 *
 * The scratch address is code nobody else runs meanwhile: the program's
 * entry point (AT_ENTRY) while every thread is stopped, later a few bytes
 * kept in one of ptap's own code regions.
 */
#ifndef PTAP_TRACER_INJECT_H
#define PTAP_TRACER_INJECT_H

#include <stdint.h>

struct tracer;
struct tthread;

/*
 * Run system call nr(args) in th (stopped, held by ptap), with the stub
 * at scratch.  0 and the call's own return value in *ret (a -errno from
 * the target's kernel is a result, not a failure), or -errno if ptap could
 * not run it (-ESRCH: the thread is gone).
 */
int inject_syscall(struct tracer *t, struct tthread *th, uint64_t scratch, long nr,
		   const long args[6], long *ret);

/*
 * A thread held at an event stop inside a system call (PTRACE_EVENT_EXEC)
 * has that call's return value still to be written into its registers:
 * let it finish the call and stop at its end (syscall-exit-stop), where
 * a call can be run.  0, or -errno.
 */
int inject_leave_syscall(struct tthread *th);

/* The process's entry point, from /proc/PID/auxv; 0 if unknown. */
uint64_t inject_entry_point(int pid);

#endif

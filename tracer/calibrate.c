/*
 * What a probe hit costs the kernel, apart from ptap's own work: the trap,
 * the ptrace stop, waking the tracer, and resuming the thread.
 *
 * A child forked from ptap (so with ptap's CPU placement, as a pinned
 * target has) executes int3 in a loop; ptap waits for each stop and
 * resumes it at once, doing nothing else.  The mean round trip, minus
 * nothing, is what every real hit costs on top of ptap's handling, which
 * the loop measures hit by hit.  A few hundred round trips take a few
 * milliseconds.
 */
#include "tracer/internal.h"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

#define ROUNDS 300

uint64_t calibrate_stop_ns(void)
{
	uint64_t t0, best = 0;
	int status, i, run;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		tracer_signals_default();
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		for (i = 0; i < 2 * ROUNDS; i++)
			__asm__ volatile("int3");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		goto out;
	/* two runs; the faster is the cost (the first warms caches up) */
	for (run = 0; run < 2; run++) {
		t0 = now_ns();
		for (i = 0; i < ROUNDS; i++) {
			if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0 ||
			    waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
				goto out;
		}
		t0 = (now_ns() - t0) / ROUNDS;
		if (!best || t0 < best)
			best = t0;
	}
out:
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return best;
}

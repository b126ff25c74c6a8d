/*
 * What tracing costs the traced threads: the ptrace engine's side of
 * tracer_cost_sample() (see tracer.h for what the figure means).
 *
 * A hit holds its thread stopped from the trap to the resume.  ptap
 * measures the middle of that, from waking in waitpid to resuming the
 * thread (stats.handle_ns, hit by hit); the rest (the trap, the stop,
 * waking ptap, and the thread running again) happens in the kernel out
 * of sight.  Its usual length is measured once at start: a child forked
 * from ptap (so with ptap's CPU placement, as a pinned target has)
 * executes int3 in a loop, ptap waits for each stop and resumes it at
 * once, doing nothing else, and the median round trip is taken (the
 * median, not the mean: one round trip that lost the CPU to another
 * program would otherwise count for hundreds).  A few hundred round
 * trips take a few milliseconds.
 *
 * Estimate = hits x that median + the handling measured.  Under load the
 * kernel's part of a hit may be longer or shorter than at start, so the
 * estimate is bounded by the clock: each traced thread's time since it
 * was first traced (wall clock) and its CPU time (schedstat, in ns; else
 * stat's utime + stime in clock ticks) are sampled when it is added,
 * when it goes, and whenever a consumer asks; a stopped thread is off
 * its CPU, so the time held can be at most wall - CPU, summed over the
 * threads (ceiling_ns).  A thread that is gone before its last sample
 * (its /proc entry reaped) adds its wall time alone since the previous
 * one: the ceiling then stays at most elapsed x threads.
 */
#include "tracer/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

#define ROUNDS 401

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t calibrate_stop_ns(void)
{
	static uint64_t trips[ROUNDS];
	uint64_t t0, median = 0;
	int status, i;
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
	/* the first round trips warm the caches up and are not counted */
	for (i = -ROUNDS / 4; i < ROUNDS; i++) {
		t0 = now_ns();
		if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			goto out;
		if (i >= 0)
			trips[i] = now_ns() - t0;
	}
	qsort(trips, ROUNDS, sizeof(trips[0]), cmp_u64);
	median = trips[ROUNDS / 2];
out:
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return median;
}

/* A thread's CPU time in ns, or -errno (gone). */
static int thread_cpu_ns(pid_t pid, pid_t tid, uint64_t *ns)
{
	char path[64], buf[512], *p;
	unsigned long long utime, stime;
	ssize_t n;
	long hz;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%" SCNu64, ns) == 1)
				return 0;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* after the command name in parentheses, which may hold anything:
	 * state is field 3, utime and stime are fields 14 and 15 */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 14; i++)
		p = strchr(p + 1, ' ');
	hz = sysconf(_SC_CLK_TCK);
	if (!p || hz <= 0 || sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return -EINVAL;
	*ns = (uint64_t)(utime + stime) * (1000000000u / (uint64_t)hz);
	return 0;
}

void cost_thread_start(struct tthread *th)
{
	th->cost_at_ns = now_ns();
	if (thread_cpu_ns(th->proc->pid, th->tid, &th->cost_cpu_ns))
		th->cost_cpu_ns = UINT64_MAX;   /* not known: the first sample sets it */
}

/* Add th's time since its last sample to the sums. */
void cost_thread_sample(struct tracer *t, struct tthread *th)
{
	uint64_t now = now_ns(), wall = now - th->cost_at_ns, cpu, ran;

	t->cost_thread_ns += wall;
	if (thread_cpu_ns(th->proc->pid, th->tid, &cpu)) {
		t->cost_ceiling_ns += wall;     /* gone: off its CPU, at most, all along */
		t->cost_cpu_ns += wall;         /* ... or on it */
	} else if (th->cost_cpu_ns != UINT64_MAX) {
		ran = cpu > th->cost_cpu_ns ? cpu - th->cost_cpu_ns : 0;
		t->cost_ceiling_ns += ran < wall ? wall - ran : 0;
		t->cost_cpu_ns += MIN(ran, wall);
		th->cost_cpu_ns = cpu;
	} else {
		t->cost_ceiling_ns += wall;     /* no CPU time to compare with yet */
		t->cost_cpu_ns += wall;
		th->cost_cpu_ns = cpu;
	}
	th->cost_at_ns = now;
}

void tracer_cost_sample(struct tracer *t, struct tracer_cost *c)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->threads, &i, &k, &v))
		cost_thread_sample(t, v);
	memset(c, 0, sizeof(*c));
	c->events = t->stats.hits;
	if (inproc_enabled(t)) {
		/* its events ran in the threads; its int3 hits (few) are not
		 * estimated (nothing calibrated them) */
		c->estimate_ns = t->inproc_cost_ns;
		c->ceiling_ns = t->cost_cpu_ns;
	} else {
		c->estimate_ns = t->stats.hits * t->stats.stop_ns + t->stats.handle_ns;
		c->ceiling_ns = t->cost_ceiling_ns;
	}
	c->thread_ns = t->cost_thread_ns;
}

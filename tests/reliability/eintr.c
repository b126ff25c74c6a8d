/*
 * Threads blocked in system calls, each counting the times its call
 * returned EINTR, for tests/reliability/eintr.t: a tracer that stops a
 * thread (ptrace's PTRACE_INTERRUPT at detach) makes the kernel end the
 * calls it does not restart with EINTR, visibly to the program.
 *
 *   eintr READY CMD     writes "ready PID" to READY, then reads commands
 *                       from CMD: "report" fires eintr:report (a probe for
 *                       the tracer to arm) and prints "CALL COUNT" per
 *                       call, then "end"; end of file exits.
 * Calls (each with a long timeout, in a loop): epoll_wait, sigtimedwait,
 * poll, read (of a pipe nobody writes), nanosleep, futex (a condition
 * variable nobody signals).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sdt.h>
#include <time.h>
#include <unistd.h>

enum { C_EPOLL, C_SIGTIMEDWAIT, C_POLL, C_READ, C_NANOSLEEP, C_FUTEX, NCALLS };
static const char *const names[NCALLS] = {
	"epoll_wait", "sigtimedwait", "poll", "read", "nanosleep", "futex",
};
static volatile int eintr[NCALLS];
static int pipefd[2], epfd;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *blocked(void *arg)
{
	int which = (int)(long)arg, r = 0;
	struct epoll_event ev;
	struct pollfd pfd = { pipefd[0], POLLIN, 0 };
	struct timespec ts = { 3600, 0 };
	sigset_t set;
	char c;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		switch (which) {
		case C_EPOLL: r = epoll_wait(epfd, &ev, 1, 3600 * 1000); break;
		case C_SIGTIMEDWAIT: r = sigtimedwait(&set, NULL, &ts); break;
		case C_POLL: r = poll(&pfd, 1, 3600 * 1000); break;
		case C_READ: r = (int)read(pipefd[0], &c, 1); break;
		case C_NANOSLEEP: r = nanosleep(&ts, NULL); break;
		case C_FUTEX:
			/* glibc's wait retries on EINTR itself: count wakes instead */
			pthread_mutex_lock(&mu);
			r = pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
			r = r ? -1 : 0;
			errno = r ? EINTR : 0;
			break;
		}
		if (r < 0 && errno == EINTR)
			eintr[which]++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char line[64];
	pthread_t th;
	sigset_t set;
	FILE *f;
	int i;

	if (argc != 3)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);     /* sigtimedwait's, inherited */
	if (pipe(pipefd) || (epfd = epoll_create1(0)) < 0)
		return 3;
	for (i = 0; i < NCALLS; i++)
		pthread_create(&th, NULL, blocked, (void *)(long)i);
	f = fopen(argv[1], "w");
	fprintf(f, "ready %d\n", getpid());
	fclose(f);
	f = fopen(argv[2], "r");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "report", 6))
			continue;
		STAP_PROBE(eintr, report);
		for (i = 0; i < NCALLS; i++)
			printf("%s %d\n", names[i], eintr[i]);
		printf("end\n");
		fflush(stdout);
	}
	return 0;
}

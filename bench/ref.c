/*
 * ref: the leanest ptrace consumer of one stapsdt probe, the yardstick
 * `make bench` holds ptap against.
 *
 *   build/bench/ref [--no-pin] [--read BYTES] [--profile] [-o FILE] --site ADDR
 *                   --semaphore ADDR [--semaphore ADDR]... --function NAME
 *                   -- COMMAND [ARGS...]
 *
 * It launches COMMAND under PTRACE_SEIZE, and when the command's first
 * exec is reported (the program is mapped, none of its code has run)
 * raises every semaphore given (+1, a read-modify-write of 2 bytes) and
 * writes an int3 over the one-byte nop at ADDR.  The addresses are
 * run-time addresses: bench/run takes them from `ptap list --json` of a
 * non-PIE executable (Debian's /usr/bin/python3.11), so this file needs
 * no ELF parsing.  For CPython 3.11, give the semaphores of both
 * python:function__entry and python:line (see /work/shared/USDT.md §6).
 *
 * A hit is then what ptap's is, and nothing more: waitpid, one
 * PTRACE_GETREGS (to know the stop is ours), one process_vm_readv with
 * two pieces for the strings CPython passes in %rbp (file name) and %r12
 * (function name), each at most BYTES long and never past the end of its
 * page, and one PTRACE_CONT.  It counts every hit and the hits whose
 * function name is NAME, and prints both when the command has ended
 * (with --read 0 it reads nothing, the floor of a ptrace consumer, and
 * cannot tell the functions apart):
 *
 *   ref: hits 57313 function fib 57313 unreadable 0
 *
 * --profile adds a clock reading around each step of a hit and prints
 * the mean time of each: how long waitpid blocked before the hit (the
 * target running, trapping and stopping, and the switch back), then
 * PTRACE_GETREGS, the read, and PTRACE_CONT (which includes waking the
 * target).
 *
 * CPU placement is ptap's: unless --no-pin, ref pins itself to the CPU
 * it started on before launching (the command inherits that), and pins
 * every new thread there too, so a ptrace stop wakes a tracer on the
 * same CPU.
 *
 * There is no cleanup on the way out: the command runs to its end, and
 * PTRACE_O_EXITKILL ends it if ref dies first.  Exit status: the
 * command's (128 + signal if it was killed), 2 for a usage error, 1 when
 * the probe could not be armed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEMAPHORES 8
#define PAGE 4096u

struct ref {
	uint64_t site;                  /* run-time address of the probe's nop */
	uint64_t sems[MAX_SEMAPHORES];  /* semaphores to raise at arm time */
	int nsems;
	const char *function;           /* hits whose 2nd string is this are counted apart */
	size_t read_max;                /* bytes read of each string */
	bool pin;                       /* keep ref and every thread on one CPU */
	cpu_set_t cpu;                  /* that CPU, when pin */
	bool armed;                     /* int3 written (at the first exec) */
	uint64_t hits, matched, unreadable;
	bool profile;                   /* time each step of a hit */
	uint64_t ns_wait, ns_regs, ns_read, ns_cont;   /* sums over the hits, --profile */
	char *file_buf, *func_buf;      /* read_max + 1 bytes each */
};

static int parse_addr(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end || !*out ? -EINVAL : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ref [--no-pin] [--read BYTES] [--profile] [-o FILE] --site ADDR\n"
		   "           --semaphore ADDR... --function NAME -- COMMAND [ARGS...]\n"
		   "The reference ptrace consumer of one probe site; see bench/README.\n");
}

/* 2 bytes at addr += 1, through the word that holds them (addr even). */
static int semaphore_raise(pid_t pid, uint64_t addr)
{
	uint64_t word_addr = addr & ~7ull;
	unsigned shift = (unsigned)(addr - word_addr) * 8;
	unsigned long word, count;

	if (addr & 1)
		return -EINVAL;
	errno = 0;
	word = (unsigned long)ptrace(PTRACE_PEEKDATA, pid, (void *)word_addr, NULL);
	if (errno)
		return -errno;
	count = ((word >> shift) + 1) & 0xffff;
	word = (word & ~(0xfffful << shift)) | count << shift;
	return ptrace(PTRACE_POKEDATA, pid, (void *)word_addr, (void *)word) ? -errno : 0;
}

/* Replace the nop at the site with an int3. */
static int site_arm(pid_t pid, uint64_t addr)
{
	uint64_t word_addr = addr & ~7ull;
	unsigned shift = (unsigned)(addr - word_addr) * 8;
	unsigned long word;

	errno = 0;
	word = (unsigned long)ptrace(PTRACE_PEEKDATA, pid, (void *)word_addr, NULL);
	if (errno)
		return -errno;
	if (((word >> shift) & 0xff) != 0x90)
		return -EILSEQ;         /* not a one-byte nop: not a stapsdt site */
	word = (word & ~(0xfful << shift)) | 0xccul << shift;
	return ptrace(PTRACE_POKEDATA, pid, (void *)word_addr, (void *)word) ? -errno : 0;
}

static int ref_arm(struct ref *r, pid_t pid)
{
	int i, err;

	for (i = 0; i < r->nsems; i++) {
		err = semaphore_raise(pid, r->sems[i]);
		if (err) {
			fprintf(stderr, "ref: pid %d: semaphore 0x%" PRIx64 ": %s\n", pid, r->sems[i],
				strerror(-err));
			return err;
		}
	}
	err = site_arm(pid, r->site);
	if (err)
		fprintf(stderr, "ref: pid %d: site 0x%" PRIx64 ": %s\n", pid, r->site,
			err == -EILSEQ ? "not a one-byte nop" : strerror(-err));
	return err;
}

static size_t page_rest(uint64_t addr)
{
	return PAGE - (size_t)(addr & (PAGE - 1));
}

/* The hit: both strings in one read; count the hit and a name match. */
static void ref_hit(struct ref *r, pid_t tid, const struct user_regs_struct *regs)
{
	struct iovec local[2], remote[2];
	size_t flen = page_rest(regs->rbp), nlen = page_rest(regs->r12);
	ssize_t got;

	r->hits++;
	if (!r->read_max)
		return;
	if (flen > r->read_max)
		flen = r->read_max;
	if (nlen > r->read_max)
		nlen = r->read_max;
	local[0] = (struct iovec){ r->file_buf, flen };
	local[1] = (struct iovec){ r->func_buf, nlen };
	remote[0] = (struct iovec){ (void *)regs->rbp, flen };
	remote[1] = (struct iovec){ (void *)regs->r12, nlen };
	got = process_vm_readv(tid, local, 2, remote, 2, 0);
	if (got != (ssize_t)(flen + nlen)) {
		r->unreadable++;
		return;
	}
	r->func_buf[nlen] = '\0';
	if (!strcmp(r->func_buf, r->function))
		r->matched++;
}

static void pin(const struct ref *r, pid_t tid)
{
	if (r->pin)
		sched_setaffinity(tid, sizeof(r->cpu), &r->cpu);
}

/* Start the command stopped before its exec, seized; its pid or -errno. */
static pid_t launch(const struct ref *r, char **argv)
{
	int go[2];
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		execvp(argv[0], argv);
		fprintf(stderr, "ref: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)(PTRACE_O_TRACECLONE |
		   PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL))) {
		int err = -errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	pin(r, pid);
	close(go[1]);           /* the child goes on to exec */
	return pid;
}

static uint64_t stamp(const struct ref *r)
{
	struct timespec ts;

	if (!r->profile)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run until every thread is gone; the launched pid's wait status. */
static int ref_loop(struct ref *r, pid_t pid)
{
	struct user_regs_struct regs;
	int status, main_status = 0, sig, event;
	unsigned long msg;
	pid_t tid;
	uint64_t t0, t1, t2, t3 = 0;   /* --profile: the steps of a hit */
	bool hit;

	for (;;) {
		t0 = stamp(r);
		tid = waitpid(-1, &status, __WALL);
		t1 = stamp(r);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			return main_status;     /* ECHILD: all gone */
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				main_status = status;
			continue;
		}
		sig = WSTOPSIG(status);
		event = (unsigned)status >> 16;
		hit = false;
		if (event == 0 && sig == SIGTRAP && r->armed &&
		    !ptrace(PTRACE_GETREGS, tid, NULL, &regs) && regs.rip - 1 == r->site) {
			t2 = stamp(r);
			ref_hit(r, tid, &regs);
			t3 = stamp(r);
			r->ns_wait += t1 - t0;
			r->ns_regs += t2 - t1;
			r->ns_read += t3 - t2;
			hit = true;
			sig = 0;
		} else if (event == PTRACE_EVENT_EXEC) {
			if (!r->armed && ref_arm(r, tid)) {
				kill(pid, SIGKILL);
				return -1;
			}
			r->armed = true;
			sig = 0;
		} else if (event == PTRACE_EVENT_CLONE) {
			if (!ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg))
				pin(r, (pid_t)msg);
			sig = 0;
		} else if (event) {
			sig = 0;        /* a new thread's first stop, or another event */
		}
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
		if (hit)
			r->ns_cont += stamp(r) - t3;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "semaphore", required_argument, NULL, 'S' },
		{ "function", required_argument, NULL, 'f' },
		{ "read", required_argument, NULL, 'r' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "profile", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ref r = { .read_max = 256, .pin = true };
	const char *output = NULL;
	FILE *out = stdout;
	int c, status, cpu;
	long n;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_addr(optarg, &r.site))
				goto bad;
			break;
		case 'S':
			if (r.nsems == MAX_SEMAPHORES || parse_addr(optarg, &r.sems[r.nsems++]))
				goto bad;
			break;
		case 'f':
			r.function = optarg;
			break;
		case 'r':
			n = strtol(optarg, NULL, 10);
			if (n < 0 || n > 65536)
				goto bad;
			r.read_max = (size_t)n;
			break;
		case 'P':
			r.pin = false;
			break;
		case 'o':
			output = optarg;
			break;
		case 'T':
			r.profile = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!r.site || !r.function || optind >= argc)
		goto bad;
	r.file_buf = malloc(r.read_max + 1);
	r.func_buf = malloc(r.read_max + 1);
	if (!r.file_buf || !r.func_buf)
		return 1;
	if (output && !(out = fopen(output, "we"))) {
		fprintf(stderr, "ref: %s: %s\n", output, strerror(errno));
		return 1;
	}
	cpu = sched_getcpu();
	if (r.pin && cpu >= 0) {
		CPU_ZERO(&r.cpu);
		CPU_SET(cpu, &r.cpu);
		if (sched_setaffinity(0, sizeof(r.cpu), &r.cpu))
			r.pin = false;
	} else {
		r.pin = false;
	}
	pid = launch(&r, argv + optind);
	if (pid < 0) {
		fprintf(stderr, "ref: cannot trace %s: %s\n", argv[optind], strerror(-pid));
		return 1;
	}
	status = ref_loop(&r, pid);
	if (status < 0)
		return 1;
	fprintf(out, "ref: hits %" PRIu64 " function %s %" PRIu64 " unreadable %" PRIu64 "\n",
		r.hits, r.function, r.matched, r.unreadable);
	if (r.profile && r.hits)
		fprintf(out, "ref: mean per hit, us: waitpid blocked %.2f, PTRACE_GETREGS %.2f, "
			"read %.2f, PTRACE_CONT %.2f\n", r.ns_wait / 1e3 / r.hits,
			r.ns_regs / 1e3 / r.hits, r.ns_read / 1e3 / r.hits, r.ns_cont / 1e3 / r.hits);
	if (out != stdout)
		fclose(out);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
bad:
	usage(stderr);
	return 2;
}

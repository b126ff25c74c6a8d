/*
 * sitecheck: markers placed where a jump over the site would be wrong,
 * for the in-process engine's site check (tests/trace/sitecheck.t).
 *
 * Each marker is provider "sitecheck", one argument -4@%edi (the
 * function's int argument), and sits in a small function written in
 * assembly so that the bytes after its nop are exactly what the case
 * needs.  Every case but "plain" must be refused a jump, with the reason
 * in parentheses, and still be traced, by int3:
 *
 *   plain       nop; mov %edi,%eax; add $3,%eax; ret: a jump is fine
 *   branch_in   a jne elsewhere in the function lands on the mov right
 *               after the nop (a branch into the bytes after it)
 *   table_abs   the mov after the nop is reached through a table of
 *               absolute addresses in .rodata (a data word; in a PIE a
 *               relocation)
 *   table_rel   the same through a table of 32-bit offsets from its
 *               start, GCC's form in PIC code (a relative jump table)
 *   lea_in      the function takes the address of the mov (lea): a
 *               computed goto
 *   riprel      the instruction after the nop loads through %rip (a
 *               displaced %rip-relative load)
 *   call_next   the instruction after the nop is a call (a displaced call)
 *   twin_a      two markers one byte apart: the first one's jump would
 *   twin_b      overwrite the second one's nop (twin_b itself is fine)
 *   at_end      nop; ret as the last bytes of an executable section of
 *               their own (a site at the end of its section)
 *
 * Every function returns a value the driver checks (the program exits 3
 * if one is wrong: a bad patch shows), and each firing is announced on
 * --expect.  With --jump-into the driver also takes each detour into the
 * middle (branch_in with x != 0, the tables with index 1, lea_in with
 * x != 0), where no marker fires.
 *
 * --park READY GO: a thread calls plain() in a loop while a timer
 * interrupts it, until a signal arrives while it is inside the bytes after
 * plain's nop; the handler then writes "parked ADDR" (the interrupted pc)
 * into READY and waits, in the handler, for a line on GO, then the
 * program exits 0.  A jump written over plain now would be wrong when the
 * handler returns: plain must keep its int3.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sample.h"

int plain(int x);
int branch_in(int x);
int table_abs(int x);
int table_rel(int x);
int lea_in(int x);
int riprel(int x);
int call_next(int x);
int twin(int x);
int at_end(int x);
int sitecheck_helper(int x);

int sitecheck_value = 100;

int sitecheck_helper(int x)
{
	return x * 2;
}

#define FN(name) ".globl " #name "\n.type " #name ",@function\n" #name ":\n"
#define PROBE(name) STAP_PROBE_ASM(sitecheck, name, -4@%edi) "\n"

__asm__(
	".text\n"
	/* plain(x) = x + 3 */
	FN(plain)
	PROBE(plain)
	"	mov %edi, %eax\n"
	"	add $3, %eax\n"
	"	ret\n"

	/* branch_in(x) = x + 3; x != 0 skips the marker, into the mov */
	FN(branch_in)
	"	test %edi, %edi\n"
	"	jne 1f\n"
	PROBE(branch_in)
	"1:	mov %edi, %eax\n"
	"	add $3, %eax\n"
	"	ret\n"

	/* table_abs(x) = 10 + x: index 0 enters at the marker, 1 after it */
	FN(table_abs)
	"	movslq %edi, %rax\n"
	"	lea sitecheck_tab_abs(%rip), %rdx\n"
	"	jmp *(%rdx,%rax,8)\n"
	"2:\n"
	PROBE(table_abs)
	"3:	mov $10, %eax\n"
	"	add %edi, %eax\n"
	"	ret\n"
	".section .data.rel.ro,\"aw\"\n"
	".balign 8\n"
	"sitecheck_tab_abs: .quad 2b, 3b\n"
	".text\n"

	/* table_rel(x) = 20 + x, through offsets from the table's start */
	FN(table_rel)
	"	movslq %edi, %rax\n"
	"	lea sitecheck_tab_rel(%rip), %rdx\n"
	"	movslq (%rdx,%rax,4), %rax\n"
	"	add %rdx, %rax\n"
	"	jmp *%rax\n"
	"4:\n"
	PROBE(table_rel)
	"5:	mov $20, %eax\n"
	"	add %edi, %eax\n"
	"	ret\n"
	".section .rodata\n"
	".balign 4\n"
	"sitecheck_tab_rel: .long 4b - sitecheck_tab_rel, 5b - sitecheck_tab_rel\n"
	".text\n"

	/* lea_in(x) = x + 30; x != 0 goes through the address taken */
	FN(lea_in)
	"	lea 6f(%rip), %rcx\n"
	"	test %edi, %edi\n"
	"	je 7f\n"
	"	jmp *%rcx\n"
	"7:\n"
	PROBE(lea_in)
	"6:	lea 30(%rdi), %eax\n"
	"	ret\n"

	/* riprel(x) = sitecheck_value + x */
	FN(riprel)
	PROBE(riprel)
	"	mov sitecheck_value(%rip), %eax\n"
	"	add %edi, %eax\n"
	"	ret\n"

	/* call_next(x) = 2x + 1 */
	FN(call_next)
	"	sub $8, %rsp\n"
	PROBE(call_next)
	"	call sitecheck_helper\n"
	"	add $1, %eax\n"
	"	add $8, %rsp\n"
	"	ret\n"

	/* twin(x) = x + 40, past two markers in a row */
	FN(twin)
	PROBE(twin_a)
	PROBE(twin_b)
	"	mov %edi, %eax\n"
	"	add $40, %eax\n"
	"	ret\n"

	/* at_end(x) = x, its marker the second-last byte of its section */
	".section .sitecheck_end,\"ax\",@progbits\n"
	FN(at_end)
	"	mov %edi, %eax\n"
	PROBE(at_end)
	"	ret\n"
	".text\n");

static long loops = 1;
static int jump_into;
static int wrong;
static const char *park_ready, *park_go;
static volatile sig_atomic_t parked;
/* plain's address, read at run time: an immediate plain+N in the code
 * would itself make the site check refuse plain (an address taken) */
static int (*volatile plain_at)(int) = plain;

static void check(const char *what, int got, int want)
{
	if (got != want) {
		fprintf(stderr, "sitecheck: %s gave %d, not %d\n", what, got, want);
		wrong = 1;
	}
}

/* f(x) fires probe with x (announced) and must return want. */
#define FIRE(probe, call, x, want) do {                                 \
		expect_fire("sitecheck:" probe, "i", (int64_t)(x));     \
		check(#call, call, want);                               \
	} while (0)

static void fire_all(int index, long iteration)
{
	int x = (int)(iteration % 7) + index;

	FIRE("plain", plain(x), x, x + 3);
	FIRE("branch_in", branch_in(0), 0, 3);
	FIRE("table_abs", table_abs(0), 0, 10);
	FIRE("table_rel", table_rel(0), 0, 20);
	FIRE("lea_in", lea_in(0), 0, 30);
	FIRE("riprel", riprel(x), x, 100 + x);
	FIRE("call_next", call_next(x), x, 2 * x + 1);
	expect_fire("sitecheck:twin_a", "i", (int64_t)x);
	FIRE("twin_b", twin(x), x, x + 40);
	FIRE("at_end", at_end(x), x, x);
	if (jump_into) {        /* detours that pass no marker */
		check("branch_in(5)", branch_in(5), 8);
		check("table_abs(1)", table_abs(1), 11);
		check("table_rel(1)", table_rel(1), 21);
		check("lea_in(2)", lea_in(2), 32);
	}
}

/* SIGALRM: if the thread was interrupted inside plain's displaced bytes,
 * say so and wait there (in the handler) until told to go. */
static void on_alarm(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], site = (uintptr_t)plain_at;
	char line[64], c;
	int fd, n;

	(void)sig;
	(void)si;
	if (parked || pc - site - 1 >= 4)      /* outside (site, site + 5) */
		return;
	parked = 1;
	n = snprintf(line, sizeof(line), "parked %#lx\n", (unsigned long)pc);
	fd = open(park_ready, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			_exit(1);
		close(fd);
	}
	fd = open(park_go, O_RDONLY);
	while (fd >= 0 && read(fd, &c, 1) == 1 && c != '\n')
		;
	_exit(fd >= 0 ? 0 : 1);
}

static void *spin(void *arg)
{
	volatile int x = 0;

	(void)arg;
	for (;;)
		x = plain(x) - 3;
	return NULL;
}

static int park(void)
{
	struct sigaction sa = { 0 };
	struct itimerval it = { { 0, 997 }, { 0, 997 } };
	pthread_t th;
	sigset_t all;

	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	if (pthread_create(&th, NULL, spin, NULL))
		return 1;
	/* the timer's signal must go to the spinning thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;)
		pause();
}

static int extra(const char *opt, const char *val, void *ctx)
{
	(void)ctx;
	if (!strcmp(opt, "--jump-into")) {
		jump_into = 1;
		return 1;
	}
	if (!strcmp(opt, "--park") && val) {
		park_ready = val;
		return 2;
	}
	if (!strcmp(opt, "--park-go") && val) {
		park_go = val;
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sample_opts o;

	sample_parse(argc, argv, &o, extra, NULL,
		     "  --jump-into   also enter each function past its marker\n"
		     "  --park READY --park-go GO   wait in a signal handler that interrupted\n"
		     "                plain() inside its displaced bytes\n");
	if (park_ready && park_go)
		return park();
	loops = o.loops;
	sample_expect_open(&o);
	sample_run(&o, fire_all);
	sample_wait_linger(&o);
	if (wrong)
		return 3;
	return 0;
}

/*
 * hostile: probes whose arguments point where a tracer must not trust
 * them, for tests/reliability/hostile_memory.t.
 *
 * Every probe is provider "hostile", without a semaphore.  The string
 * probes take one char pointer each (a register: "8@%rdi" or similar),
 * to be traced with -e 'hostile:str_*(str)':
 *
 *   str_unmapped   a page that was mapped, then unmapped (between two
 *                  PROT_NONE pages)
 *   str_null       NULL
 *   str_kernel     0xffff800000000000, kernel space
 *   str_noncanon   0x0000800000000000, just above user space
 *   str_wrap       0xfffffffffffffffd: the page's rest wraps past 2^64
 *   str_guard      the first byte of a PROT_NONE page
 *   str_nonul      8192 'A's and no NUL, running into a PROT_NONE page
 *   str_edge       one 'Z', the last readable byte before a PROT_NONE page
 *   str_page_end   "end", whose NUL is the last byte before a PROT_NONE page
 *   str_long       3000 'L's and a NUL, across page boundaries
 *   str_race       a page of 'z's, before a PROT_NONE page, through which
 *                  another thread keeps moving one NUL while the probe
 *                  fires (--race N firings, default 2000): every read sees
 *                  a string of another length, and for a moment now and
 *                  then no NUL at all
 *
 * Operands that reach memory through hostile registers, written by hand
 * with STAP_PROBE_ASM (traced with their default types):
 *
 *   deref          8@8(%bad) -4@-4(%zero) 2@(%bad,%huge,8) 1@-1(%zero)
 *                  bad is the unmapped page, zero is 0 (so -4(%zero) is
 *                  0xfffffffffffffffc and -1(%zero) is 2^64 - 1), huge is
 *                  0x1000000000000001 (bad + huge * 8 wraps mod 2^64)
 *   indirect       8@(%pp) 8@8(%pp) 8@(%bad): string pointers that are
 *                  themselves in memory, traced as (str,str,str): pp[0] is
 *                  the unmapped page, pp[1] "indirect ok"; the third
 *                  pointer cannot be read at all
 *   numbers        -8@ INT64_MIN, 8@ UINT64_MAX, -4@ INT32_MIN, -1@ -1
 *
 * Expectations (--expect FILE): not JSON, but for each firing other than
 * str_race the exact text `ptap trace` prints after its time and pid/tid
 * columns, e.g. "hostile:str_null(NULL)", given the string bound ptap
 * uses (--string-size N, ptap's -s, default 512).  Last, one line
 * "intact": the sample checked, after firing, that its strings and pages
 * are as it wrote them (a tracer only reads); otherwise it exits with 3.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sdt.h>
#include <unistd.h>

#include "sample.h"

#define FIRE __attribute__((noipa))
#define PAGE 4096
#define NONUL_LEN (2 * PAGE)
#define LONG_LEN 3000

static long string_size = 512;
static long race_firings = 2000;

static char *unmapped;          /* a page no longer mapped */
static char *nonul;             /* NONUL_LEN 'A's, then a PROT_NONE page */
static char *edge_page;         /* a 'Z' at its end, then a PROT_NONE page */
static char *end_page;          /* "end\0" at its end, then a PROT_NONE page */
static char *race_page;         /* rewritten by the racer; PROT_NONE page after */
static char *long_str;
static const char *indirect[2];
static atomic_int racing = 1;
static atomic_long race_rounds;

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

/* n readable pages followed by a PROT_NONE page. */
static char *pages_then_guard(size_t n)
{
	char *p = mmap(NULL, (n + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap");
	if (mprotect(p + n * PAGE, PAGE, PROT_NONE))
		fail("mprotect");
	return p;
}

static void expect_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void expect_line(const char *fmt, ...)
{
	va_list ap;
	int fd = sample_expect_fd();

	if (fd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
	dprintf(fd, "\n");
}

/* "<unreadable 0x...>" as ptap prints an argument it cannot read. */
static const char *unreadable(uint64_t addr)
{
	static char buf[4][48];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "<unreadable 0x%" PRIx64 ">", addr);
	return buf[i];
}

/* A NUL-terminated string as ptap prints it, cut at the string bound. */
static const char *quoted(const char *s)
{
	static char buf[2][256];
	static int i;
	size_t len = strlen(s);

	i = (i + 1) % 2;
	if (len < (size_t)string_size)
		snprintf(buf[i], sizeof(buf[i]), "\"%s\"", s);
	else
		snprintf(buf[i], sizeof(buf[i]), "\"%.*s\"...", (int)string_size, s);
	return buf[i];
}

/* A string of n copies of c, quoted as ptap prints it (truncated: "..."...). */
static void expect_run(const char *probe, char c, size_t n, size_t readable, int has_nul)
{
	size_t shown = n < (size_t)string_size ? n : (size_t)string_size;
	/* the NUL after exactly string_size bytes is not read: truncated too */
	int truncated = n >= (size_t)string_size || !has_nul;
	char *s;

	if (!has_nul && readable < (size_t)string_size)
		shown = readable;
	s = malloc(shown + 1);
	if (!s)
		fail("malloc");
	memset(s, c, shown);
	s[shown] = '\0';
	expect_line("hostile:%s(\"%s\"%s)", probe, s, truncated ? "..." : "");
	free(s);
}

FIRE static void fire_str(int which, const char *p)
{
	switch (which) {
	case 0: STAP_PROBE1(hostile, str_unmapped, p); break;
	case 1: STAP_PROBE1(hostile, str_null, p); break;
	case 2: STAP_PROBE1(hostile, str_kernel, p); break;
	case 3: STAP_PROBE1(hostile, str_noncanon, p); break;
	case 4: STAP_PROBE1(hostile, str_wrap, p); break;
	case 5: STAP_PROBE1(hostile, str_guard, p); break;
	case 6: STAP_PROBE1(hostile, str_nonul, p); break;
	case 7: STAP_PROBE1(hostile, str_edge, p); break;
	case 8: STAP_PROBE1(hostile, str_page_end, p); break;
	case 9: STAP_PROBE1(hostile, str_long, p); break;
	default: STAP_PROBE1(hostile, str_race, p); break;
	}
}

FIRE static void fire_deref(const void *bad, const void *zero, uint64_t huge)
{
	__asm__ __volatile__(STAP_PROBE_ASM(hostile, deref,
		8@8(%[bad]) -4@-4(%[zero]) 2@(%[bad],%[huge],8) 1@-1(%[zero]))
		:
		: [bad] "r"(bad), [zero] "r"(zero), [huge] "r"(huge));
}

FIRE static void fire_indirect(const void *pp, const void *bad)
{
	__asm__ __volatile__(STAP_PROBE_ASM(hostile, indirect, 8@(%[pp]) 8@8(%[pp]) 8@(%[bad]))
		:
		: [pp] "r"(pp), [bad] "r"(bad), "m"(*(const char (*)[16])pp));
}

FIRE static void fire_numbers(int64_t a, uint64_t b, int32_t c, int8_t d)
{
	STAP_PROBE4(hostile, numbers, a, b, c, d);
}

/* Move the NUL one byte on; every other round the old one goes first, so
 * that for an instant the page has no NUL. */
static void *racer(void *arg)
{
	volatile char *page = race_page;
	size_t k = 0, next;
	long round = 0;

	(void)arg;
	page[0] = '\0';
	while (atomic_load_explicit(&racing, memory_order_relaxed)) {
		next = (k + 1) % PAGE;
		if (round++ & 1) {
			page[k] = 'z';
			page[next] = '\0';
		} else {
			page[next] = '\0';
			page[k] = 'z';
		}
		k = next;
		atomic_fetch_add_explicit(&race_rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

static void fire_sequence(int index, long iteration)
{
	static const char *const names[] = {
		"str_unmapped", "str_null", "str_kernel", "str_noncanon", "str_wrap", "str_guard",
	};
	const char *bad_ptrs[] = {
		unmapped, NULL, (const char *)0xffff800000000000ULL,
		(const char *)0x0000800000000000ULL, (const char *)0xfffffffffffffffdULL,
		nonul + NONUL_LEN,
	};
	const uint64_t huge = 0x1000000000000001ULL;

	(void)index;
	(void)iteration;
	for (int i = 0; i < 6; i++) {
		fire_str(i, bad_ptrs[i]);
		if (bad_ptrs[i])
			expect_line("hostile:%s(%s)", names[i], unreadable((uint64_t)(uintptr_t)bad_ptrs[i]));
		else
			expect_line("hostile:%s(NULL)", names[i]);
	}
	fire_str(6, nonul);
	expect_run("str_nonul", 'A', NONUL_LEN, NONUL_LEN, 0);
	fire_str(7, edge_page + PAGE - 1);
	expect_run("str_edge", 'Z', 1, 1, 0);
	fire_str(8, end_page + PAGE - 4);
	expect_line("hostile:str_page_end(%s)", quoted("end"));
	fire_str(9, long_str);
	expect_run("str_long", 'L', LONG_LEN, LONG_LEN + 1, 1);

	fire_deref(unmapped, NULL, huge);
	expect_line("hostile:deref(%s, %s, %s, %s)", unreadable((uintptr_t)unmapped + 8),
		    unreadable(UINT64_MAX - 3), unreadable((uintptr_t)unmapped + huge * 8),
		    unreadable(UINT64_MAX));
	fire_indirect(indirect, unmapped);
	expect_line("hostile:indirect(%s, %s, %s)", unreadable((uintptr_t)unmapped),
		    quoted(indirect[1]), unreadable((uintptr_t)unmapped));
	fire_numbers(INT64_MIN, UINT64_MAX, INT32_MIN, -1);
	expect_line("hostile:numbers(-9223372036854775808, 18446744073709551615, -2147483648, -1)");

	for (long i = 0; i < race_firings; i++)
		fire_str(10, race_page);
}

static int extra_option(const char *opt, const char *val, void *ctx)
{
	(void)ctx;
	if (!strcmp(opt, "--string-size") || !strcmp(opt, "--race")) {
		char *end;
		long n = val ? strtol(val, &end, 10) : -1;

		if (!val || *end || n < 0) {
			fprintf(stderr, "hostile: %s needs a number\n", opt);
			exit(2);
		}
		*(opt[2] == 's' ? &string_size : &race_firings) = n;
		return 2;
	}
	return 0;
}

/* After firing: everything the tracer could have touched is as written. */
static int intact(void)
{
	for (size_t i = 0; i < NONUL_LEN; i++)
		if (nonul[i] != 'A')
			return 0;
	if (edge_page[PAGE - 1] != 'Z' || memcmp(end_page + PAGE - 4, "end", 4) ||
	    strcmp(indirect[1], "indirect ok"))
		return 0;
	for (size_t i = 0; i < LONG_LEN; i++)
		if (long_str[i] != 'L')
			return 0;
	return long_str[LONG_LEN] == '\0';
}

int main(int argc, char **argv)
{
	struct sample_opts o;
	pthread_t racer_thread;
	int err;

	sample_parse(argc, argv, &o, extra_option, NULL,
		     "  --string-size N the string bound ptap uses (its -s), for the expectations\n"
		     "  --race N        fire str_race N times per sequence (2000)\n");
	nonul = pages_then_guard(2);
	memset(nonul, 'A', NONUL_LEN);
	edge_page = pages_then_guard(1);
	memset(edge_page, 'e', PAGE);
	edge_page[PAGE - 1] = 'Z';
	end_page = pages_then_guard(1);
	memset(end_page, 'e', PAGE);
	memcpy(end_page + PAGE - 4, "end", 4);
	race_page = pages_then_guard(1);
	memset(race_page, 'z', PAGE);
	long_str = malloc(LONG_LEN + 1);
	if (!long_str)
		fail("malloc");
	memset(long_str, 'L', LONG_LEN);
	long_str[LONG_LEN] = '\0';
	/* A hole of one page between two PROT_NONE pages, made last: no
	 * later mapping of the sample (a thread stack) fits in it. */
	unmapped = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped == MAP_FAILED)
		fail("mmap");
	unmapped += PAGE;
	if (munmap(unmapped, PAGE))
		fail("munmap");
	indirect[0] = unmapped;
	indirect[1] = "indirect ok";
	sample_expect_open(&o);
	err = pthread_create(&racer_thread, NULL, racer, NULL);
	if (err)
		fail("pthread_create");
	/* the racer writes while the probe fires: let it start first (on a
	 * busy machine it may not run before a short run is over) */
	while (race_firings && !atomic_load(&race_rounds))
		sched_yield();
	sample_run(&o, fire_sequence);
	atomic_store(&racing, 0);
	pthread_join(racer_thread, NULL);
	if (!intact() || (race_firings && !atomic_load(&race_rounds)))
		return 3;
	expect_line("intact");
	sample_wait_linger(&o);
	return 0;
}

/*
 * A few TAP macros for ptap's C unit tests.  Each test binary prints
 * "ok N - what" / "not ok N - what" and ends with the plan "1..N"; the
 * runner (tests/run) counts the results.  On failure the expected and
 * actual values are printed as TAP diagnostics.
 */
#ifndef PTAP_TESTS_TAP_H
#define PTAP_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline __attribute__((format(printf, 4, 5))) int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return pass;
}

#define is_int(got, want, ...)                                                       \
	do {                                                                         \
		long long g_ = (long long)(got), w_ = (long long)(want);             \
		if (!ok(g_ == w_, __VA_ARGS__))                                      \
			printf("#   got %lld, expected %lld\n", g_, w_);             \
	} while (0)

#define is_u64(got, want, ...)                                                       \
	do {                                                                         \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                \
		if (!ok(g_ == w_, __VA_ARGS__))                                      \
			printf("#   got 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", g_, w_); \
	} while (0)

#define is_str(got, want, ...)                                                       \
	do {                                                                         \
		const char *g_ = (got), *w_ = (want);                                \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))     \
			printf("#   got '%s', expected '%s'\n", g_ ? g_ : "(null)",   \
			       w_ ? w_ : "(null)");                                  \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif

/*
 * Small helpers shared by every part of ptap: allocation that cannot fail
 * quietly, a clock, logging with a module prefix, and growable arrays.
 *
 * Error convention (see README "Code layout"): functions return 0 or a
 * negative errno and never exit; only main() prints the final message and
 * picks the exit status.  Running out of memory is the one exception: the
 * x*alloc helpers print a message and abort, as there is nothing sensible a
 * tracer can do half-way through an allocation on the hit path.
 */
#ifndef PTAP_COMMON_UTIL_H
#define PTAP_COMMON_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

/* Grow *vec (of *cap elements of size elem) so that it holds at least need. */
void grow_array(void **vec, size_t *cap, size_t need, size_t elem);
#define VEC_RESERVE(ptr, cap, need) \
	grow_array((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

/* Monotonic time in nanoseconds. */
uint64_t now_ns(void);

/*
 * Diagnostics.  Every line starts with "ptap: " and, for library modules,
 * the module's name ("ptap: elf: ..."), so a user can tell who speaks.
 * pr_info and pr_debug print only with PTAP_VERBOSE=1 or 2 (ui/main.c).
 */
extern int log_level;   /* 0 quiet, 1 normal, 2 verbose, 3 debug */
void log_msg(int level, const char *module, const char *fmt, ...) PRINTF_LIKE(3, 4);
#define pr_warn(mod, ...)  log_msg(1, mod, __VA_ARGS__)
#define pr_info(mod, ...)  log_msg(2, mod, __VA_ARGS__)
#define pr_debug(mod, ...) log_msg(3, mod, __VA_ARGS__)

/*
 * Print text that may come from a hostile file or process (probe names,
 * paths, messages quoting them): every byte of a control character is
 * written \xHH, so that nothing can drive or reorder the terminal: C0 and
 * DEL, the C1 controls as UTF-8 (U+0080-U+009F) and as lone bytes
 * 0x80-0x9F, and the bidirectional overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069).  Other bytes >= 0x80 pass (UTF-8 names).
 */
void fputs_safe(const char *s, FILE *f);
/*
 * The same for len bytes, with more escaped as asked: ESC_C adds C's
 * escapes (\" \\ \n \t \r) for text inside double quotes; ESC_FIELD writes
 * blanks as \x20 and a backslash as \\, for blank-separated fields.
 */
enum { ESC_C = 1, ESC_FIELD = 2 };
void fput_escaped(FILE *f, const char *s, size_t len, unsigned how);
/* The columns fput_escaped's output takes (a character one). */
size_t escaped_width(const char *s, size_t len, unsigned how);
/* The same, as a malloc'd string (for text printed many times). */
char *xstrdup_safe(const char *s);

/* Write v in decimal (printf's %llu, %lld), for output written once per
 * event, where printf's parsing of its format is most of the cost. */
void fput_u64(FILE *f, uint64_t v);
void fput_i64(FILE *f, int64_t v);
/* The code point of the valid UTF-8 sequence at s (at most n bytes) and
 * its length; 0 if it is not valid (overlong, surrogate, cut short). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Whether a code point is one fputs_safe escapes (C0, DEL, C1, bidi). */
bool unicode_is_control(uint32_t cp);

/* Parse a decimal or 0x-prefixed unsigned number; 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *out);
/* Parse a non-negative duration in seconds ("1", "0.25"); 0 or -EINVAL. */
int parse_seconds(const char *s, double *out);

/* Shell-style glob match ('*', '?', '[...]'), as fnmatch(3) without flags. */
bool glob_match(const char *pattern, const char *s);

#endif

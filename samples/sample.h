/*
 * What every C sample shares: its command line, the attach handshake, and
 * the expectation file.
 *
 * A sample announces what it fires so a test can compare ptap's output
 * against it (STYLE.md, strace's way).  Each firing appends one line to the
 * --expect file, a JSON array:
 *
 *	["provider:name",arg1,arg2,...]
 *
 * with each argument as a spec decoder would decode it from the note:
 * integers in exact decimal (unsigned for "N@", signed for "-N@"), floats
 * and doubles as "%.17g" of the double value, strings as JSON strings,
 * pointers as unsigned decimals.  A line is built in a buffer and written
 * with one write(2) on an O_APPEND descriptor, so lines from several
 * threads (or from the library and the program) never interleave.
 *
 * The handshake lets a test attach before anything fires, without sleeping:
 * the sample writes "ready PID\n" into the --ready fifo, then blocks until
 * it reads one line from the --go fifo.
 */
#ifndef PTAP_SAMPLES_SAMPLE_H
#define PTAP_SAMPLES_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_LINE_MAX 4000    /* below PIPE_BUF: one write is atomic on a pipe too */

struct sample_opts {
	long loops;             /* --loops N: repeat the firing sequence N times (1) */
	const char *expect;     /* --expect FILE: where expectation lines go, or NULL */
	const char *ready;      /* --ready FIFO: write "ready PID\n" here after startup */
	const char *go;         /* --go FIFO: read one line from here before firing */
	const char *linger;     /* --linger FIFO: read one line from here before exiting */
	int threads;            /* --threads N: fire from N threads (0: the main thread) */
};

/*
 * A sample's own options: called for each argument the common parser does
 * not know, with the next argument (or NULL) in val.  Returns how many
 * arguments it used (1 or 2), 0 if it does not know opt either.
 */
typedef int (*sample_extra_fn)(const char *opt, const char *val, void *ctx);

/*
 * Parse argv into *o; exits with status 2 and a message on a usage error.
 * usage is the sample's own option summary, printed after the common one.
 */
void sample_parse(int argc, char **argv, struct sample_opts *o,
		  sample_extra_fn extra, void *ctx, const char *usage);

/* Open o->expect (truncating it); exits with status 1 on failure. */
void sample_expect_open(const struct sample_opts *o);
/* The expectation descriptor, -1 when there is no --expect file. */
int sample_expect_fd(void);
/* Make expectation lines go to fd (a library gets the program's). */
void sample_expect_use_fd(int fd);

/* The handshake; each half does nothing when its fifo is not given.
 * Exits with status 1 if a fifo cannot be used. */
void sample_ready(const struct sample_opts *o);
void sample_wait_go(const struct sample_opts *o);
void sample_wait_linger(const struct sample_opts *o);

/*
 * The handshake, then fn(index, iteration) for iteration 0 .. loops-1:
 * from the calling thread (index 0) when o->threads is 0, else from
 * o->threads threads (index 0 .. threads-1) at once.  The threads are
 * created before the handshake, so a tracer that attaches on "ready" must
 * find them in /proc/PID/task; they start firing only after --go.
 */
void sample_run(const struct sample_opts *o, void (*fn)(int index, long iteration));

/*
 * One expectation line.  Build it with the expect_* calls in argument
 * order, then expect_end() writes it (or drops it when there is no
 * --expect file).  Overlong lines are cut and marked so a test fails loudly.
 */
struct expect {
	char buf[SAMPLE_LINE_MAX];
	size_t len;
	int overflow;
};

void expect_begin(struct expect *e, const char *probe);
void expect_i64(struct expect *e, int64_t v);
void expect_u64(struct expect *e, uint64_t v);
void expect_double(struct expect *e, double v);
void expect_str(struct expect *e, const char *s);
void expect_ptr(struct expect *e, const void *p);
void expect_end(struct expect *e);

/*
 * The whole line in one call: types has one letter per argument, and each
 * argument must have exactly the type of its letter (varargs do not
 * convert): 'i' int64_t, 'u' uint64_t, 'f' double, 's' const char *,
 * 'p' const void *.
 */
void expect_fire(const char *probe, const char *types, ...);

/* Append s as a JSON string at buf + *len (used by expect_str, and by
 * embed.c for its object lines). */
void sample_json_str(char *buf, size_t size, size_t *len, const char *s);

#endif

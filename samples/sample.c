/*
 * The C samples' common part: options, handshake, threads and the
 * expectation writer; see sample.h for the formats.
 *
 * Kept free of stapsdt probes so that every probe a test sees comes from
 * the sample's own file.  Errors here are the test's setup going wrong, so
 * they print "SAMPLE: what" and exit rather than return codes.
 */
#define _GNU_SOURCE
#include "sample.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int expect_fd = -1;

static const char common_usage[] =
	"  --loops N       repeat the firing sequence N times (default 1)\n"
	"  --expect FILE   write one JSON line per firing to FILE\n"
	"  --ready FIFO    after startup, write \"ready PID\" into FIFO\n"
	"  --go FIFO       then wait for one line from FIFO before firing\n"
	"  --linger FIFO   after firing, wait for one line from FIFO before exiting\n"
	"  --threads N     fire the sequence from N threads at once\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_exit(const char *usage, const char *fmt, const char *what)
{
	if (fmt) {
		fprintf(stderr, "%s: ", program_invocation_short_name);
		fprintf(stderr, fmt, what);
		fputc('\n', stderr);
	}
	fprintf(fmt ? stderr : stdout, "usage: %s [options]\n%s%s",
		program_invocation_short_name, common_usage, usage ? usage : "");
	exit(fmt ? 2 : 0);
}

static long parse_count(const char *opt, const char *val, long min, const char *usage)
{
	char *end;
	long n;

	if (!val)
		usage_exit(usage, "%s needs a number", opt);
	errno = 0;
	n = strtol(val, &end, 10);
	if (errno || end == val || *end || n < min || n > INT_MAX)
		usage_exit(usage, "bad number for %s", opt);
	return n;
}

void sample_parse(int argc, char **argv, struct sample_opts *o,
		  sample_extra_fn extra, void *ctx, const char *usage)
{
	int i, used;

	memset(o, 0, sizeof(*o));
	o->loops = 1;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help"))
			usage_exit(usage, NULL, NULL);
		if (!strcmp(opt, "--loops")) {
			o->loops = parse_count(opt, val, 0, usage);
		} else if (!strcmp(opt, "--threads")) {
			o->threads = (int)parse_count(opt, val, 0, usage);
		} else if (!strcmp(opt, "--expect") || !strcmp(opt, "--ready") ||
			   !strcmp(opt, "--go") || !strcmp(opt, "--linger")) {
			if (!val)
				usage_exit(usage, "%s needs a file name", opt);
			if (opt[2] == 'e')
				o->expect = val;
			else if (opt[2] == 'r')
				o->ready = val;
			else if (opt[2] == 'g')
				o->go = val;
			else
				o->linger = val;
		} else {
			used = extra ? extra(opt, val, ctx) : 0;
			if (!used)
				usage_exit(usage, "unknown option %s", opt);
			i += used - 1;
			continue;
		}
		i++;
	}
}

void sample_expect_open(const struct sample_opts *o)
{
	if (!o->expect)
		return;
	expect_fd = open(o->expect, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (expect_fd < 0)
		die("%s: %s", o->expect, strerror(errno));
}

int sample_expect_fd(void)
{
	return expect_fd;
}

void sample_expect_use_fd(int fd)
{
	expect_fd = fd;
}

void sample_ready(const struct sample_opts *o)
{
	char line[64];
	int fd, n;

	if (!o->ready)
		return;
	fd = open(o->ready, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", o->ready, strerror(errno));
	n = snprintf(line, sizeof(line), "ready %ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n)
		die("%s: short write", o->ready);
	close(fd);
}

/* Block until one line (or end of file) arrives on fifo. */
static void wait_line(const char *fifo)
{
	char c;
	ssize_t n;
	int fd;

	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", fifo, strerror(errno));
	do {
		n = read(fd, &c, 1);
	} while ((n == 1 && c != '\n') || (n < 0 && errno == EINTR));
	close(fd);
}

void sample_wait_go(const struct sample_opts *o)
{
	if (o->go)
		wait_line(o->go);
}

void sample_wait_linger(const struct sample_opts *o)
{
	if (o->linger)
		wait_line(o->linger);
}

/* The threads' start line: they wait on started until the handshake is over. */
struct runner {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started;
	const struct sample_opts *o;
	void (*fn)(int index, long iteration);
};

struct worker {
	struct runner *r;
	int index;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct runner *r = w->r;
	long i;

	pthread_mutex_lock(&r->lock);
	while (!r->started)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->o->loops; i++)
		r->fn(w->index, i);
	return NULL;
}

void sample_run(const struct sample_opts *o, void (*fn)(int index, long iteration))
{
	struct runner r = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
		.o = o,
		.fn = fn,
	};
	struct worker *w;
	long i;
	int t, err;

	if (!o->threads) {
		sample_ready(o);
		sample_wait_go(o);
		for (i = 0; i < o->loops; i++)
			fn(0, i);
		return;
	}
	w = calloc((size_t)o->threads, sizeof(*w));
	if (!w)
		die("out of memory");
	for (t = 0; t < o->threads; t++) {
		w[t].r = &r;
		w[t].index = t;
		err = pthread_create(&w[t].thread, NULL, worker_main, &w[t]);
		if (err)
			die("pthread_create: %s", strerror(err));
	}
	sample_ready(o);
	sample_wait_go(o);
	pthread_mutex_lock(&r.lock);
	r.started = 1;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	for (t = 0; t < o->threads; t++)
		pthread_join(w[t].thread, NULL);
	free(w);
}

/* Length of a valid UTF-8 sequence at s, 0 when the bytes are not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size) {
		*len = size;    /* marks the overflow; see expect_end */
		return;
	}
	memcpy(buf + *len, s, n);
	*len += n;
}

/*
 * JSON string: the two mandatory escapes, the short forms of \n \r \t,
 * \u00XX for other control bytes and DEL, valid UTF-8 as is, and each byte
 * of invalid UTF-8 as \u00XX of the byte (the convention ptap's own JSON
 * output uses, so the two compare equal).
 */
void sample_json_str(char *buf, size_t size, size_t *len, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];
	size_t n;

	put(buf, size, len, "\"", 1);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s++;
			put(buf, size, len, esc, 2);
		} else if (*s == '\n' || *s == '\r' || *s == '\t') {
			put(buf, size, len, *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : "\\t", 2);
			s++;
		} else if (*s < 0x20 || *s == 0x7f || !(n = utf8_seq_len(s))) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s++);
			put(buf, size, len, esc, 6);
		} else {
			put(buf, size, len, (const char *)s, n);
			s += n;
		}
	}
	put(buf, size, len, "\"", 1);
}

void expect_begin(struct expect *e, const char *probe)
{
	e->len = 0;
	e->overflow = 0;
	put(e->buf, sizeof(e->buf), &e->len, "[", 1);
	sample_json_str(e->buf, sizeof(e->buf), &e->len, probe);
}

static void expect_text(struct expect *e, const char *text)
{
	put(e->buf, sizeof(e->buf), &e->len, ",", 1);
	put(e->buf, sizeof(e->buf), &e->len, text, strlen(text));
}

void expect_i64(struct expect *e, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	expect_text(e, num);
}

void expect_u64(struct expect *e, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	expect_text(e, num);
}

void expect_double(struct expect *e, double v)
{
	char num[40];

	snprintf(num, sizeof(num), "%.17g", v);
	expect_text(e, num);
}

void expect_str(struct expect *e, const char *s)
{
	put(e->buf, sizeof(e->buf), &e->len, ",", 1);
	sample_json_str(e->buf, sizeof(e->buf), &e->len, s);
}

void expect_ptr(struct expect *e, const void *p)
{
	expect_u64(e, (uint64_t)(uintptr_t)p);
}

void expect_end(struct expect *e)
{
	static const char cut[] = "...CUT\"]\n";
	size_t room = sizeof(e->buf) - sizeof(cut);

	if (e->len >= sizeof(e->buf) - 2) {
		memcpy(e->buf + room, cut, sizeof(cut) - 1);
		e->len = room + sizeof(cut) - 1;
	} else {
		e->buf[e->len++] = ']';
		e->buf[e->len++] = '\n';
	}
	if (expect_fd >= 0 && write(expect_fd, e->buf, e->len) != (ssize_t)e->len)
		die("expectation file: %s", strerror(errno));
}

void expect_fire(const char *probe, const char *types, ...)
{
	struct expect e;
	va_list ap;

	expect_begin(&e, probe);
	va_start(ap, types);
	for (; *types; types++) {
		switch (*types) {
		case 'i': expect_i64(&e, va_arg(ap, int64_t)); break;
		case 'u': expect_u64(&e, va_arg(ap, uint64_t)); break;
		case 'f': expect_double(&e, va_arg(ap, double)); break;
		case 's': expect_str(&e, va_arg(ap, const char *)); break;
		case 'p': expect_ptr(&e, va_arg(ap, const void *)); break;
		default: die("expect_fire(%s): bad type letter '%c'", probe, *types);
		}
	}
	va_end(ap);
	expect_end(&e);
}

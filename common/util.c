/*
 * Shared helpers; see util.h.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int log_level = 1;

static void oom(size_t size)
{
	fprintf(stderr, "ptap: out of memory (%zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom(0);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void grow_array(void **vec, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*vec = xrealloc(*vec, n * elem);
	memset((char *)*vec + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void log_msg(int level, const char *module, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fputs("ptap: ", stderr);
	if (module)
		fprintf(stderr, "%s: ", module);
	fputs_safe(msg, stderr);    /* messages quote paths and names from files */
	fputc('\n', stderr);
	free(msg);
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

bool glob_match(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

static bool escape_needed(unsigned char c, unsigned how)
{
	if (c < 0x20 || c == 0x7f)
		return true;
	if (how & ESC_C)
		return c == '"' || c == '\\';
	if (how & ESC_FIELD)
		return c == ' ' || c == '\\';
	return false;
}

void fput_escaped(FILE *f, const char *s, size_t len, unsigned how)
{
	size_t i = 0, run;
	unsigned char c;

	while (i < len) {
		/* the bytes that go out as they are, in one write */
		for (run = i; run < len && !escape_needed((unsigned char)s[run], how); run++)
			;
		if (run > i)
			fwrite(s + i, 1, run - i, f);
		if (run == len)
			break;
		c = (unsigned char)s[run];
		if (c == '\\')
			fputs("\\\\", f);
		else if ((how & ESC_C) && c == '"')
			fputs("\\\"", f);
		else if ((how & ESC_C) && c == '\n')
			fputs("\\n", f);
		else if ((how & ESC_C) && c == '\t')
			fputs("\\t", f);
		else if ((how & ESC_C) && c == '\r')
			fputs("\\r", f);
		else
			fprintf(f, "\\x%02x", c);
		i = run + 1;
	}
}

void fputs_safe(const char *s, FILE *f)
{
	fput_escaped(f, s, strlen(s), 0);
}

char *xstrdup_safe(const char *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		oom(strlen(s));
	fputs_safe(s, f);
	if (fclose(f))
		oom(len);
	return buf;
}

void fput_u64(FILE *f, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

void fput_i64(FILE *f, int64_t v)
{
	if (v < 0) {
		fputc('-', f);
		fput_u64(f, -(uint64_t)v);
	} else {
		fput_u64(f, (uint64_t)v);
	}
}

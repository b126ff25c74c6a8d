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

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* reject overlong forms, surrogates and values past U+10FFFF */
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

bool unicode_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||     /* C0, DEL, C1 */
	       (cp >= 0x202a && cp <= 0x202e) ||              /* LRE RLE PDF LRO RLO */
	       (cp >= 0x2066 && cp <= 0x2069);                /* LRI RLI FSI PDI */
}

/*
 * How many bytes at s (n of them) go out escaped, 0 if s[0] goes out as
 * it is; *plain gets the length of a sequence that goes out as it is.
 * Beyond C0 and DEL: the UTF-8 forms of the C1 controls (U+0080-U+009F;
 * U+009B is a CSI to a terminal) and of the bidirectional overrides and
 * isolates, which reorder what a terminal shows; and a byte 0x80-0x9F
 * outside valid UTF-8, which is a C1 control to an 8-bit terminal.
 * Other bytes >= 0x80 pass (UTF-8 names; Latin-1 letters).
 */
static size_t escape_len(const unsigned char *s, size_t n, unsigned how, size_t *plain)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t len;

	*plain = 1;
	if (c < 0x80) {
		if (c < 0x20 || c == 0x7f)
			return 1;
		if (how & ESC_C)
			return c == '"' || c == '\\';
		if (how & ESC_FIELD)
			return c == ' ' || c == '\\';
		return 0;
	}
	len = utf8_decode(s, n, &cp);
	if (!len)
		return c <= 0x9f;
	if (unicode_is_control(cp))
		return len;
	*plain = len;
	return 0;
}

void fput_escaped(FILE *f, const char *str, size_t len, unsigned how)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, esc = 0, plain;
	unsigned char c;

	while (i < len) {
		/* the bytes that go out as they are, in one write */
		for (run = i; run < len; run += plain)
			if ((esc = escape_len(s + run, len - run, how, &plain)))
				break;
		if (run > i)
			fwrite(s + i, 1, run - i, f);
		if (run == len)
			break;
		c = s[run];
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
			for (size_t k = 0; k < esc; k++)
				fprintf(f, "\\x%02x", s[run + k]);
		i = run + esc;
	}
}

size_t escaped_width(const char *str, size_t len, unsigned how)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, w = 0, esc, plain;

	while (i < len) {
		esc = escape_len(s + i, len - i, how, &plain);
		if (esc && (s[i] == '\\' || ((how & ESC_C) && strchr("\"\n\t\r", s[i]))))
			w += 2;
		else if (esc)
			w += 4 * esc;
		else
			w++;    /* a character: one column (wide ones are rare in names) */
		i += esc ? esc : plain;
	}
	return w;
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

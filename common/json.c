/*
 * JSON value printing; see json.h.
 */
#include "json.h"

#include "util.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void json_string_n(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len;
	uint32_t cp;

	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];

		switch (c) {
		case '"': fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		len = utf8_decode(s + i, n - i, &cp);
		if (!len) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		if (unicode_is_control(cp))
			fprintf(f, "\\u%04x", cp);    /* exact, and safe on a terminal */
		else
			fwrite(s + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

void json_string(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_string_n(f, s, strlen(s));
}

void json_hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%" PRIx64 "\"", v);
}

void json_double(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else
		fprintf(f, "%.17g", v);
}

/*
 * Escaping of text that may come from a hostile file or process
 * (common/util.c) and JSON strings (common/json.c): control characters,
 * C1 as UTF-8 or as lone bytes, bidirectional overrides; and the columns
 * the escaped text takes, which top's batch tables pad by.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "tap.h"

static char *escaped(const char *s, size_t len, unsigned how)
{
	char *buf = NULL;
	size_t n;
	FILE *f = open_memstream(&buf, &n);

	fput_escaped(f, s, len, how);
	fclose(f);
	return buf;
}

static char *json(const char *s, size_t len)
{
	char *buf = NULL;
	size_t n;
	FILE *f = open_memstream(&buf, &n);

	json_string_n(f, s, len);
	fclose(f);
	return buf;
}

/* Columns of text already escaped: one per character (a UTF-8 lead byte
 * or an ASCII byte, not a continuation byte). */
static size_t columns(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void check(const char *s, unsigned how, const char *want, const char *what)
{
	char *got = escaped(s, strlen(s), how);

	is_str(got, want, "%s", what);
	is_int(escaped_width(s, strlen(s), how), columns(want), "%s: its width", what);
	free(got);
}

int main(void)
{
	char *j;

	check("plain text", 0, "plain text", "plain ASCII passes");
	check("caf\xc3\xa9 \xe2\x82\xac", 0, "caf\xc3\xa9 \xe2\x82\xac", "UTF-8 letters pass");
	is_int(escaped_width("caf\xc3\xa9", 5, 0), 4, "a two-byte letter takes one column");
	check("a\033[2Jb", 0, "a\\x1b[2Jb", "ESC (C0) escaped");
	check("\x7f", 0, "\\x7f", "DEL escaped");
	check("x\xc2\x9b" "2J", 0, "x\\xc2\\x9b2J", "U+009B CSI, as UTF-8, escaped byte by byte");
	check("\xc2\x85", 0, "\\xc2\\x85", "U+0085 NEL escaped");
	check("\xc2\x80\xc2\x9f\xc2\xa0", 0, "\\xc2\\x80\\xc2\\x9f\xc2\xa0",
	      "C1 bounds U+0080 and U+009F escaped, U+00A0 not");
	check("a\xe2\x80\xae" "b", 0, "a\\xe2\\x80\\xaeb", "U+202E RLO escaped");
	check("\xe2\x80\xaa\xe2\x80\xa9\xe2\x80\xaf", 0, "\\xe2\\x80\\xaa\xe2\x80\xa9\xe2\x80\xaf",
	      "U+202A escaped; U+2029 and U+202F are not overrides");
	check("\xe2\x81\xa6\xe2\x81\xa9\xe2\x81\xaa", 0, "\\xe2\\x81\\xa6\\xe2\\x81\\xa9\xe2\x81\xaa",
	      "isolates U+2066-U+2069 escaped, U+206A not");
	check("\x9b" "2J", 0, "\\x9b2J", "a lone 0x9B (CSI to an 8-bit terminal) escaped");
	check("\xe9t\xe9", 0, "\xe9t\xe9", "Latin-1 letters outside UTF-8 pass");
	check("\xc2", 0, "\xc2", "a sequence cut short at the end passes");
	check("a \"b\"\\\n", ESC_C, "a \\\"b\\\"\\\\\\n", "ESC_C: C's escapes");
	check("a b\\\xc2\x9b", ESC_FIELD, "a\\x20b\\\\\\xc2\\x9b", "ESC_FIELD: blanks, backslash, C1");

	j = json("a\xc2\x9b\xe2\x80\xae\xe2\x81\xa6z\x1b\xff", 12);
	is_str(j, "\"a\\u009b\\u202e\\u2066z\\u001b\\u00ff\"",
	       "JSON: C1 and bidi as \\u of the character (exact), C0 and a bad byte too");
	free(j);
	j = json("caf\xc3\xa9", 5);
	is_str(j, "\"caf\xc3\xa9\"", "JSON: other UTF-8 as it is");
	free(j);
	return done_testing();
}

/*
 * Minimal JSON output: string escaping and number formatting onto a FILE.
 * ptap only writes JSON (one array for `list --json`, one object per line
 * for event streams), so there is no parser and no tree: callers print
 * the punctuation themselves and use these for the values.
 */
#ifndef PTAP_COMMON_JSON_H
#define PTAP_COMMON_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Print s (len bytes, may hold any byte) as a JSON string.  Bytes that are
 * not valid UTF-8 are written as \u00XX of the byte, so output stays valid;
 * control characters (C0, DEL, C1, bidirectional overrides: see
 * unicode_is_control) as \uXXXX of the character, exact and harmless to a
 * terminal that shows the JSON. */
void json_string_n(FILE *f, const char *s, size_t len);
void json_string(FILE *f, const char *s);        /* NULL prints null */
void json_hex(FILE *f, uint64_t v);              /* "0x..." as a string */
void json_double(FILE *f, double v);             /* NaN/inf print null */

#endif

/*
 * Printing decoded argument values, as text and as JSON, shared by every
 * command that shows events.
 */
#ifndef PTAP_UI_FORMAT_H
#define PTAP_UI_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "tracer/event.h"

/* The bytes of a string argument; false if it is not one (unreadable,
 * a null pointer, a number).  Inline: on the per-event path. */
static inline bool value_str(const struct value *v, const char **s, size_t *len)
{
	if (v->type != VAL_STR || !v->str)
		return false;
	*s = v->str;
	*len = v->len;
	return true;
}

/* An integer argument however it is rendered; false if it is none. */
static inline bool value_int(const struct value *v, int64_t *n)
{
	switch (v->type) {
	case VAL_S64:
		*n = v->i;
		return true;
	case VAL_U64:
	case VAL_HEX:
		*n = (int64_t)v->u;
		return true;
	default:
		return false;
	}
}

/* Text: integers in decimal, hex as 0x..., doubles with %g precision 17,
 * strings in double quotes with C escapes ("..." appended when
 * truncated), NULL for a null string pointer, <error: reason 0xADDR> for
 * an argument that could not be read. */
void format_value(FILE *f, const struct value *v);
/* JSON: numbers, strings, hex as a "0x..." string, null for errors. */
void format_value_json(FILE *f, const struct value *v);
/* Write a string with C escapes, without quotes. */
void format_escaped(FILE *f, const char *s, size_t len);
/* A string argument as a JSON string; null if it is not one. */
void format_str_json(FILE *f, const struct value *v);
/* A short reason for a VAL_ERR value. */
const char *format_value_error(const struct value *v);

/* "128+signal" or the exit code, as a shell reports a wait status. */
int exit_status_of(int wait_status);

#endif

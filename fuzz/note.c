/*
 * libFuzzer harness: the stapsdt note descriptor parser (elf/sdt_note.c).
 *
 * The input is one raw descriptor, as it sits in .note.stapsdt after the
 * "stapsdt\0" name (fuzz/corpus/note/ holds real ones, cut out of
 * python3.11, libpython3.11 and the samples).  Each input is parsed four
 * times, as a 32- and a 64-bit file in both byte orders, from a heap copy
 * of exactly its size so that AddressSanitizer sees any read past the end.
 *
 * Beyond "no crash", the harness checks what callers rely on: a
 * descriptor parses exactly when sdt_note_diagnose() finds nothing wrong
 * with it; the three strings of a parsed one are non-empty (provider,
 * name), lie inside the descriptor and end there; and the argument string
 * then goes through the argument-spec parser as module.c would send it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf/argspec.h"
#include "elf/sdt_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A string that starts inside [buf, buf + size) and ends there too. */
static bool inside(const uint8_t *buf, size_t size, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	return p >= buf && p < buf + size && memchr(p, '\0', (size_t)(buf + size - p)) != NULL;
}

static void parse_as(const uint8_t *buf, size_t size, bool is64, bool msb)
{
	struct argspec specs[ARGSPEC_MAX_ARGS];
	struct sdt_note n;
	const char *why;
	int rc;

	memset(&n, 0, sizeof(n));
	rc = sdt_note_parse(buf, size, is64, msb, &n);
	why = sdt_note_diagnose(buf, size, is64);
	if ((rc == 0) != (why == NULL))
		abort();   /* parse and diagnose disagree */
	if (rc) {
		if (rc != -EINVAL || !why[0])
			abort();
		return;
	}
	if (size < (is64 ? 24u : 12u))
		abort();
	if (!inside(buf, size, n.provider) || !inside(buf, size, n.name) ||
	    !inside(buf, size, n.args) || !n.provider[0] || !n.name[0])
		abort();
	if (!is64 && (n.pc > UINT32_MAX || n.base > UINT32_MAX || n.semaphore > UINT32_MAX))
		abort();
	argspec_parse_all(n.args, specs, ARGSPEC_MAX_ARGS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	parse_as(buf, size, true, false);
	parse_as(buf, size, true, true);
	parse_as(buf, size, false, false);
	parse_as(buf, size, false, true);
	free(buf);
	return 0;
}

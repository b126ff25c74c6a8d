/*
 * The stapsdt note descriptor (see sdt_note.h for a readelf sample).
 *
 * The note section is only 4-byte aligned, so on a 64-bit file the three
 * addresses are often at offsets that are not multiples of 8: each field
 * is assembled byte by byte in the file's byte order, which is also what
 * makes a big-endian file readable on a little-endian host.  The three
 * strings are found with memchr bounded by the descriptor, never strlen,
 * since a damaged or hostile file need not contain a NUL at all.
 */
#include "elf/sdt_note.h"

#include <errno.h>
#include <string.h>

static uint64_t read_addr(const uint8_t *p, size_t n, bool msb)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned shift = (unsigned)(msb ? n - 1 - i : i) * 8;

		v |= (uint64_t)p[i] << shift;
	}
	return v;
}

/* The NUL-terminated string at *pos, which must end inside size; *pos moves past it. */
static const char *take_string(const uint8_t *desc, size_t size, size_t *pos)
{
	const uint8_t *nul;
	const char *s;

	if (*pos >= size)
		return NULL;
	nul = memchr(desc + *pos, '\0', size - *pos);
	if (!nul)
		return NULL;
	s = (const char *)desc + *pos;
	*pos = (size_t)(nul - desc) + 1;
	return s;
}

static const char *check(const uint8_t *desc, size_t size, bool is64, bool msb,
			 struct sdt_note *out)
{
	size_t asize = is64 ? 8 : 4;
	size_t pos = 3 * asize;

	if (!desc || size < 3 * asize)
		return "descriptor too short for its three addresses";
	out->pc = read_addr(desc, asize, msb);
	out->base = read_addr(desc + asize, asize, msb);
	out->semaphore = read_addr(desc + 2 * asize, asize, msb);
	out->provider = take_string(desc, size, &pos);
	if (!out->provider)
		return "provider string runs past the descriptor";
	out->name = take_string(desc, size, &pos);
	if (!out->name)
		return "name string runs past the descriptor";
	out->args = take_string(desc, size, &pos);
	if (!out->args)
		return "argument string runs past the descriptor";
	if (!out->provider[0])
		return "empty provider";
	if (!out->name[0])
		return "empty probe name";
	return NULL;
}

int sdt_note_parse(const uint8_t *desc, size_t size, bool is64, bool msb, struct sdt_note *out)
{
	struct sdt_note n = { 0 };

	if (check(desc, size, is64, msb, &n))
		return -EINVAL;
	*out = n;
	return 0;
}

const char *sdt_note_diagnose(const uint8_t *desc, size_t size, bool is64)
{
	struct sdt_note n;

	/* Byte order does not change whether the descriptor is well formed. */
	return check(desc, size, is64, false, &n);
}

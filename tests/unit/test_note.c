/*
 * The stapsdt note descriptor parser (elf/sdt_note.c) on raw bytes: both
 * classes, both byte orders, unaligned fields, and every way a descriptor
 * can be cut short or lose a terminator.  Buffers handed to the parser
 * are heap copies of exactly the descriptor's size, so that the sanitizer
 * build catches any read past it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf/addr.h"
#include "elf/sdt_note.h"
#include "tap.h"

/* python3.11's gc__start descriptor, as readelf -x .note.stapsdt shows it
 * (64-bit little-endian), after the 8-byte name "stapsdt\0". */
static const uint8_t gc_start64[] = {
	0xc1, 0x6f, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00,   /* pc 0x426fc1 */
	0xc0, 0x99, 0x8c, 0x00, 0x00, 0x00, 0x00, 0x00,   /* base 0x8c99c0 */
	0x4e, 0xed, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x00,   /* semaphore 0xa7ed4e */
	'p', 'y', 't', 'h', 'o', 'n', 0,
	'g', 'c', '_', '_', 's', 't', 'a', 'r', 't', 0,
	'-', '4', '@', '1', '1', '2', '(', '%', 'r', 's', 'p', ')', 0,
};

/* A 32-bit little-endian descriptor without a semaphore or arguments. */
static const uint8_t plain32[] = {
	0x10, 0x80, 0x04, 0x08,   /* pc 0x8048010 */
	0x00, 0xa0, 0x04, 0x08,   /* base 0x804a000 */
	0x00, 0x00, 0x00, 0x00,   /* no semaphore */
	'a', 'p', 'p', 0, 't', 'i', 'c', 'k', 0, 0,
};

/* 64-bit big-endian (ppc64, s390x). */
static const uint8_t be64[] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x06, 0x44,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x00, 0x0a,
	'l', 'i', 'b', 'c', 0, 's', 'e', 't', 'j', 'm', 'p', 0,
	'8', '@', '3', 0,
};

/* 32-bit big-endian. */
static const uint8_t be32[] = {
	0x00, 0x40, 0x01, 0x23,
	0x00, 0x40, 0x80, 0x00,
	0x00, 0x41, 0x00, 0x02,
	'p', 0, 'n', 0, '-', '4', '@', '$', '5', 0,
};

static uint8_t *copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	memcpy(c, p, n);
	return c;
}

/* Parse a heap copy; out's strings are then moved to static buffers,
 * as they point into the copy, which is freed. */
static int parse_copy(const uint8_t *p, size_t n, bool is64, bool msb, struct sdt_note *out)
{
	static char prov[64], name[64], args[64];
	uint8_t *c = copy(p, n);
	int rc = sdt_note_parse(c, n, is64, msb, out);

	if (!rc) {
		snprintf(prov, sizeof(prov), "%s", out->provider);
		snprintf(name, sizeof(name), "%s", out->name);
		snprintf(args, sizeof(args), "%s", out->args);
		out->provider = prov;
		out->name = name;
		out->args = args;
	}
	free(c);
	return rc;
}

static void test_valid(void)
{
	struct sdt_note n;

	is_int(parse_copy(gc_start64, sizeof(gc_start64), true, false, &n), 0, "64-bit LE descriptor parses");
	is_u64(n.pc, 0x426fc1, "pc");
	is_u64(n.base, 0x8c99c0, "base");
	is_u64(n.semaphore, 0xa7ed4e, "semaphore");
	is_str(n.provider, "python", "provider");
	is_str(n.name, "gc__start", "name");
	is_str(n.args, "-4@112(%rsp)", "arguments");

	is_int(parse_copy(plain32, sizeof(plain32), false, false, &n), 0, "32-bit LE descriptor parses");
	is_u64(n.pc, 0x8048010, "32-bit pc");
	is_u64(n.base, 0x804a000, "32-bit base");
	is_u64(n.semaphore, 0, "a zero semaphore stays zero");
	is_str(n.provider, "app", "32-bit provider");
	is_str(n.name, "tick", "32-bit name");
	is_str(n.args, "", "no arguments: an empty string");

	is_int(parse_copy(be64, sizeof(be64), true, true, &n), 0, "64-bit BE descriptor parses");
	is_u64(n.pc, 0x10000644, "BE pc");
	is_u64(n.base, 0x10010000, "BE base");
	is_u64(n.semaphore, 0x1002000a, "BE semaphore");
	is_str(n.provider, "libc", "BE provider");
	is_str(n.name, "setjmp", "BE name");
	is_str(n.args, "8@3", "BE args");

	is_int(parse_copy(be32, sizeof(be32), false, true, &n), 0, "32-bit BE descriptor parses");
	is_u64(n.pc, 0x00400123, "32-bit BE pc");
	is_u64(n.semaphore, 0x00410002, "32-bit BE semaphore");
	is_str(n.args, "-4@$5", "32-bit BE args");

	/* The same bytes read with the wrong order give other numbers, not a failure. */
	is_int(parse_copy(gc_start64, sizeof(gc_start64), true, true, &n), 0, "byte order only changes numbers");
	is_u64(n.pc, 0xc16f420000000000ULL, "pc read big-endian");
}

static void test_unaligned(void)
{
	uint8_t *buf = malloc(sizeof(gc_start64) + 3);
	struct sdt_note n;

	/* Descriptors are 4-byte aligned in the file: 8-byte fields may not
	 * be; at offset 1 not even 2-byte ones are.  UBSan would object to
	 * a misaligned load. */
	for (size_t off = 1; off <= 3; off++) {
		memcpy(buf + off, gc_start64, sizeof(gc_start64));
		ok(sdt_note_parse(buf + off, sizeof(gc_start64), true, false, &n) == 0 &&
		   n.pc == 0x426fc1 && n.semaphore == 0xa7ed4e && strcmp(n.name, "gc__start") == 0,
		   "descriptor at offset %zu parses", off);
	}
	free(buf);
}

static void test_truncated(const char *what, const uint8_t *p, size_t size, bool is64, bool msb)
{
	struct sdt_note n;
	size_t bad = 0;

	/* Every descriptor above ends with its argument string's NUL, so
	 * any shorter length must be refused. */
	for (size_t len = size; len-- > 0;) {
		memset(&n, 0x5a, sizeof(n));
		if (parse_copy(p, len, is64, msb, &n) != -EINVAL)
			bad++;
	}
	is_int(bad, 0, "%s: every length from %zu down to 0 is refused", what, size - 1);
}

static void test_malformed(void)
{
	uint8_t buf[sizeof(gc_start64) + 8];
	struct sdt_note n;
	size_t strings = 24, nuls = 0, refused = 0;

	/* Each of the three NULs replaced in turn. */
	for (size_t i = strings; i < sizeof(gc_start64); i++) {
		if (gc_start64[i])
			continue;
		nuls++;
		memcpy(buf, gc_start64, sizeof(gc_start64));
		buf[i] = 'x';
		if (parse_copy(buf, sizeof(gc_start64), true, false, &n) == -EINVAL)
			refused++;
	}
	is_int(nuls, 3, "the fixture has three string terminators");
	is_int(refused, 3, "a descriptor missing any of them is refused");

	memcpy(buf, gc_start64, sizeof(gc_start64));
	buf[sizeof(gc_start64) - 1] = 'x';
	is_str(sdt_note_diagnose(buf, sizeof(gc_start64), true),
	       "argument string runs past the descriptor", "diagnosis: unterminated arguments");

	/* Empty provider: "\0gc__start\0args\0". */
	{
		static const uint8_t d[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 0, 0, 0, 0, 0, 0, 'n', 0, 0 };
		is_int(parse_copy(d, sizeof(d), true, false, &n), -EINVAL, "empty provider is refused");
		is_str(sdt_note_diagnose(d, sizeof(d), true), "empty provider", "diagnosis: empty provider");
	}
	{
		static const uint8_t d[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'p', 0, 0, 0 };
		is_int(parse_copy(d, sizeof(d), false, false, &n), -EINVAL, "empty name is refused");
		is_str(sdt_note_diagnose(d, sizeof(d), false), "empty probe name", "diagnosis: empty name");
	}
	{
		static const uint8_t d[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'p', 0, 'n', 0 };
		is_int(parse_copy(d, sizeof(d), false, false, &n), -EINVAL,
		       "two strings where three are due is refused");
		is_str(sdt_note_diagnose(d, sizeof(d), false), "argument string runs past the descriptor",
		       "diagnosis: missing argument string");
	}
	is_int(parse_copy(plain32, sizeof(plain32), true, false, &n), -EINVAL,
	       "a 32-bit descriptor read as 64-bit is refused (its strings are eaten by the addresses)");
	is_str(sdt_note_diagnose(gc_start64, 23, true), "descriptor too short for its three addresses",
	       "diagnosis: too short");
	ok(sdt_note_diagnose(gc_start64, sizeof(gc_start64), true) == NULL, "a good descriptor has no diagnosis");
	is_int(sdt_note_parse(NULL, 0, true, false, &n), -EINVAL, "NULL is refused");

	/* Bytes after the argument string (padding) are allowed. */
	memcpy(buf, gc_start64, sizeof(gc_start64));
	memset(buf + sizeof(gc_start64), 0xee, 8);
	is_int(parse_copy(buf, sizeof(buf), true, false, &n), 0, "trailing bytes after the strings are ignored");
	is_str(n.args, "-4@112(%rsp)", "and the arguments end at their NUL");
}

static void test_huge(void)
{
	uint8_t d[32] = { 0 };
	struct sdt_note n;

	memset(d, 0xff, 24);
	memcpy(d + 24, "p\0n\0a\0", 6);
	is_int(parse_copy(d, 30, true, false, &n), 0, "all-ones addresses parse");
	ok(n.pc == UINT64_MAX && n.base == UINT64_MAX && n.semaphore == UINT64_MAX,
	   "and read as 2^64-1, not truncated");
	memset(d, 0xff, 12);
	memcpy(d + 12, "p\0n\0a\0", 6);
	is_int(parse_copy(d, 18, false, true, &n), 0, "32-bit all-ones addresses parse");
	ok(n.pc == 0xffffffffu && n.semaphore == 0xffffffffu, "and are zero-extended, not sign-extended");
}

static void test_prelink(void)
{
	struct sdt_note n;
	uint64_t pc, sem;

	/* The note says base 0x8c99c0; pretend prelink moved .stapsdt.base
	 * up by 0x10000 and then down by 0x800000. */
	parse_copy(gc_start64, sizeof(gc_start64), true, false, &n);
	pc = addr_prelink(n.pc, n.base, true, 0x8d99c0);
	sem = addr_prelink(n.semaphore, n.base, true, 0x8d99c0);
	is_u64(pc, 0x436fc1, "prelinked up: pc moves with the base");
	is_u64(sem, 0xa8ed4e, "prelinked up: the semaphore too");
	is_u64(addr_prelink(n.pc, n.base, true, 0x4c99c0), 0x26fc1, "prelinked down: the delta is negative");
	is_u64(addr_prelink(0x10, 0x1000, true, 0), UINT64_MAX - 0xfef,
	       "a nonsense correction wraps modulo 2^64 (and then fits no segment)");
	is_u64(addr_prelink(0, n.base, true, 0x8d99c0), 0, "a zero semaphore is never relocated");
	is_u64(addr_prelink(n.pc, n.base, false, 0), n.pc, "no .stapsdt.base: no correction");
	is_u64(addr_prelink(n.pc, 0, true, 0x8d99c0), n.pc, "a note without a base: no correction");
	is_u64(addr_prelink(n.pc, n.base, true, n.base), n.pc, "same base: no change");
}

int main(void)
{
	test_valid();
	test_unaligned();
	test_truncated("64-bit LE", gc_start64, sizeof(gc_start64), true, false);
	test_truncated("32-bit LE", plain32, sizeof(plain32), false, false);
	test_truncated("64-bit BE", be64, sizeof(be64), true, true);
	test_truncated("32-bit BE", be32, sizeof(be32), false, true);
	test_malformed();
	test_huge();
	test_prelink();
	return done_testing();
}

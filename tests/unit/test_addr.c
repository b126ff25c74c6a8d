/*
 * Address arithmetic (elf/addr.c): prelink correction, link-time address
 * to file offset and back, and file offset to run-time address in one
 * mapping.  The segments are python3.11's (Debian, readelf -lW), plus
 * hostile ones whose sums wrap past 2^64.
 */
#include <elf.h>
#include <errno.h>

#include "elf/addr.h"
#include "tap.h"

/* python3.11's PT_LOADs: address != offset in the data segment. */
static const struct elf_segment py[] = {
	{ 0x400000, 0x1e468, 0x000000, 0x1e468, PF_R },
	{ 0x41f000, 0x2afe49, 0x01f000, 0x2afe49, PF_R | PF_X },
	{ 0x6cf000, 0x2700a0, 0x2cf000, 0x2700a0, PF_R },
	{ 0x940dc8, 0x182db0, 0x53fdc8, 0x13df90, PF_R | PF_W },
};
#define NPY (sizeof(py) / sizeof(py[0]))

static void test_to_offset(void)
{
	uint64_t off = 0;

	is_int(addr_to_offset(py, NPY, 0x426fc1, PF_X, &off), 0, "gc__start's site is in the text segment");
	is_u64(off, 0x26fc1, "at file offset 0x26fc1");
	is_int(addr_to_offset(py, NPY, 0xa7ed4e, PF_W, &off), 0, "its semaphore is in the data segment");
	is_u64(off, 0x67dd4e, "at file offset 0x67dd4e (address != offset)");
	is_int(addr_to_offset(py, NPY, 0x8c99c0, PF_X, &off), -ERANGE,
	       ".stapsdt.base is not executable");
	is_int(addr_to_offset(py, NPY, 0x8c99c0, 0, &off), 0, "but with no flags required it is found");
	is_u64(off, 0x4c99c0, "in the read-only segment");
	is_int(addr_to_offset(py, NPY, 0xa7ed4e, PF_X, &off), -ERANGE, "a semaphore is not a site");
	is_int(addr_to_offset(py, NPY, 0x426fc1, PF_W, &off), -ERANGE, "a site is not a semaphore");
	is_int(addr_to_offset(py, NPY, 0x41f000, PF_X, &off), 0, "the first byte of a segment is in it");
	is_u64(off, 0x1f000, "at its p_offset");
	is_int(addr_to_offset(py, NPY, 0x41f000 + 0x2afe48, PF_X, &off), 0, "so is the last");
	is_int(addr_to_offset(py, NPY, 0x41f000 + 0x2afe49, PF_X, &off), -ERANGE, "vaddr + memsz is not");
	is_int(addr_to_offset(py, NPY, 0x940dc8 + 0x13df90, PF_W, &off), -ERANGE,
	       ".bss (past filesz, within memsz) has no file offset");
	is_int(addr_to_offset(py, NPY, 0x940dc8 + 0x13df8f, PF_W, &off), 0, "the last byte of filesz has");
	is_int(addr_to_offset(py, NPY, 0, 0, &off), -ERANGE, "address 0 is in no segment");
	is_int(addr_to_offset(py, NPY, UINT64_MAX, 0, &off), -ERANGE, "nor is 2^64-1");
	is_int(addr_to_offset(py, 0, 0x426fc1, 0, &off), -ERANGE, "no segments: nothing is found");
	is_int(addr_to_offset(NULL, 0, 0x426fc1, 0, &off), -ERANGE, "NULL segments with count 0 are fine");
}

static void test_hostile_segments(void)
{
	/* vaddr + memsz wraps: a naive "v < vaddr + memsz" would accept
	 * everything below the wrap point. */
	static const struct elf_segment wrap[] = {
		{ 0xfffffffffffff000ULL, 0x2000, 0x1000, 0x2000, PF_R | PF_X },
	};
	/* offset + (v - vaddr) wraps. */
	static const struct elf_segment off_wrap[] = {
		{ 0x1000, 0x1000, 0xffffffffffffff00ULL, 0x1000, PF_R | PF_X },
	};
	/* filesz larger than memsz: memsz still bounds the segment. */
	static const struct elf_segment fat[] = {
		{ 0x1000, 0x10, 0x0, 0x1000, PF_R | PF_W },
	};
	uint64_t off = 0, v = 0;

	is_int(addr_to_offset(wrap, 1, 0x10, PF_X, &off), -ERANGE, "a wrapping segment does not cover low addresses");
	is_int(addr_to_offset(wrap, 1, 0xfffffffffffff010ULL, PF_X, &off), 0, "it covers its own start");
	is_u64(off, 0x1010, "with the right offset");
	is_int(addr_to_offset(off_wrap, 1, 0x1000 + 0xff, PF_X, &off), 0, "an offset just below 2^64 is fine");
	is_u64(off, UINT64_MAX, "and is 2^64-1");
	is_int(addr_to_offset(off_wrap, 1, 0x1000 + 0x100, PF_X, &off), -ERANGE, "one more would wrap: refused");
	is_int(addr_to_offset(fat, 1, 0x1010, PF_W, &off), -ERANGE, "memsz bounds even when filesz is larger");

	is_int(addr_from_offset(off_wrap, 1, UINT64_MAX, &v), 0, "reverse: the last offset maps back");
	is_u64(v, 0x10ff, "to its address");
	{
		static const struct elf_segment vwrap[] = {
			{ 0xffffffffffffff00ULL, 0x1000, 0x0, 0x1000, PF_R },
		};
		is_int(addr_from_offset(vwrap, 1, 0xff, &v), 0, "reverse: an address just below 2^64");
		is_u64(v, UINT64_MAX, "is 2^64-1");
		is_int(addr_from_offset(vwrap, 1, 0x100, &v), -ERANGE, "one more would wrap: refused");
	}
}

static void test_from_offset(void)
{
	uint64_t v = 0, off = 0;

	is_int(addr_from_offset(py, NPY, 0x26fc1, &v), 0, "offset 0x26fc1 is in a segment");
	is_u64(v, 0x426fc1, "address 0x426fc1");
	is_int(addr_from_offset(py, NPY, 0x67dd4e, &v), 0, "offset 0x67dd4e");
	is_u64(v, 0xa7ed4e, "is the semaphore's address");
	is_int(addr_from_offset(py, NPY, 0x53fdc8 + 0x13df90, &v), -ERANGE, "past the last file byte: none");
	is_int(addr_from_offset(py, NPY, 0x1e468, &v), -ERANGE, "a gap between segments: none");

	/* Round trips over every segment's edges. */
	for (size_t i = 0; i < NPY; i++) {
		uint64_t a = py[i].vaddr, b = py[i].vaddr + py[i].filesz - 1;

		ok(addr_to_offset(py, NPY, a, py[i].flags, &off) == 0 &&
		   addr_from_offset(py, NPY, off, &v) == 0 && v == a &&
		   addr_to_offset(py, NPY, b, py[i].flags, &off) == 0 &&
		   addr_from_offset(py, NPY, off, &v) == 0 && v == b,
		   "segment %zu: first and last file bytes round-trip", i);
	}
}

static void test_in_mapping(void)
{
	uint64_t a = 0;

	/* A PIE's text mapping: 55d0c0a1f000-55d0c0cce000 r-xp 0001f000. */
	ok(addr_in_mapping(0x55d0c0a1f000, 0x55d0c0cce000, 0x1f000, 0x26fc1, &a), "the site's offset is mapped");
	is_u64(a, 0x55d0c0a26fc1, "at start - map_offset + off");
	ok(!addr_in_mapping(0x55d0c0a1f000, 0x55d0c0cce000, 0x1f000, 0x1efff, &a), "below map_offset: not here");
	ok(addr_in_mapping(0x55d0c0a1f000, 0x55d0c0cce000, 0x1f000, 0x1f000 + 0x2aefff, &a),
	   "the last byte of the mapping is in it");
	ok(!addr_in_mapping(0x55d0c0a1f000, 0x55d0c0cce000, 0x1f000, 0x1f000 + 0x2af000, &a),
	   "end is not");
	/* A non-PIE executable: the mapping starts at the link-time address. */
	ok(addr_in_mapping(0x41f000, 0x6cf000, 0x1f000, 0x26fc1, &a) && a == 0x426fc1,
	   "non-PIE: the run-time address is the link-time one");
	/* RELRO split: the semaphore lies in the second of two data mappings. */
	ok(!addr_in_mapping(0x940000, 0x941000, 0x53f000, 0x67dd4e, &a), "RELRO part: not there");
	ok(addr_in_mapping(0x941000, 0xa7f000, 0x540000, 0x67dd4e, &a) && a == 0xa7ed4e,
	   "the writable part holds the semaphore");
	ok(!addr_in_mapping(0x2000, 0x1000, 0, 0x1000, &a), "end before start: nothing");
	ok(!addr_in_mapping(0x1000, 0x1000, 0, 0, &a), "an empty mapping: nothing");
	ok(!addr_in_mapping(0x1000, 0x2000, UINT64_MAX, UINT64_MAX - 1, &a), "offsets near 2^64: no wrap");
	ok(addr_in_mapping(0x1000, 0x2000, UINT64_MAX - 0x10, UINT64_MAX, &a) && a == 0x1010,
	   "an offset of 2^64-1 inside a mapping works");
}

int main(void)
{
	test_to_offset();
	test_hostile_segments();
	test_from_offset();
	test_in_mapping();
	return done_testing();
}

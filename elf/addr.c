/*
 * Address arithmetic for probes; the three formulas are in addr.h.
 *
 * Every value here may come from a hostile file: a segment whose vaddr +
 * memsz wraps past 2^64, a note whose pc sits just below the wrap.  So no
 * sum is formed before it is known not to overflow: ranges are tested as
 * "v - start < size" after "v >= start", which cannot wrap, and the final
 * offset or address is added with an overflow check.
 *
 * The prelink correction is the exception: it is arithmetic modulo 2^64
 * on purpose, because prelink may have moved the file down as well as up
 * (B - base "negative"), and a nonsense result simply falls outside every
 * segment afterwards.
 */
#include "elf/addr.h"

#include <errno.h>

uint64_t addr_prelink(uint64_t v, uint64_t note_base, bool have_base, uint64_t base_addr)
{
	/* 0 means "no semaphore" and is never relocated; a note without a
	 * recorded base (or a file without .stapsdt.base) was not prelinked. */
	if (v == 0 || !have_base || note_base == 0)
		return v;
	return v + (base_addr - note_base);
}

/* Whether v is in [start, start + size), without forming start + size. */
static bool in_range(uint64_t v, uint64_t start, uint64_t size)
{
	return v >= start && v - start < size;
}

int addr_to_offset(const struct elf_segment *segs, size_t nsegs, uint64_t v,
		   uint32_t need_flags, uint64_t *off)
{
	for (size_t i = 0; i < nsegs; i++) {
		const struct elf_segment *s = &segs[i];
		uint64_t o;

		if ((s->flags & need_flags) != need_flags)
			continue;
		if (!in_range(v, s->vaddr, s->memsz))
			continue;
		/* Past filesz is zero-fill (.bss): no file offset behind it. */
		if (v - s->vaddr >= s->filesz)
			continue;
		if (__builtin_add_overflow(s->offset, v - s->vaddr, &o))
			continue;
		*off = o;
		return 0;
	}
	return -ERANGE;
}

int addr_from_offset(const struct elf_segment *segs, size_t nsegs, uint64_t off, uint64_t *v)
{
	for (size_t i = 0; i < nsegs; i++) {
		const struct elf_segment *s = &segs[i];
		uint64_t a;

		if (!in_range(off, s->offset, s->filesz))
			continue;
		if (__builtin_add_overflow(s->vaddr, off - s->offset, &a))
			continue;
		*v = a;
		return 0;
	}
	return -ERANGE;
}

bool addr_in_mapping(uint64_t start, uint64_t end, uint64_t map_offset, uint64_t off, uint64_t *addr)
{
	if (end <= start || !in_range(off, map_offset, end - start))
		return false;
	/* off - map_offset < end - start, so this stays below end. */
	*addr = start + (off - map_offset);
	return true;
}

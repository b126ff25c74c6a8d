/*
 * Which functions have exception landing pads, from .eh_frame.
 *
 * C++ (and C built with -fexceptions and cleanups) code is entered not only
 * through branches: the unwinder resumes a function at a landing pad that
 * its LSDA (.gcc_except_table) names, from outside any instruction.  Such
 * a landing pad may lie right after a marker's nop, where a jump over the
 * site would overwrite it.  The site check does not parse LSDAs; it
 * refuses sites in every function whose frame description (FDE) points to
 * one.  This module finds those functions: every FDE of .eh_frame whose
 * augmentation has a non-zero LSDA pointer, as the range of code it
 * covers.
 *
 *   $ readelf --debug-dump=frames prog | grep -A3 'FDE'
 *   00000090 000000000000002c 00000094 FDE cie=00000000 pc=0000000000001179..00000000000011e6
 *     Augmentation data:     13 00 00 00
 *
 * (the four augmentation bytes are the LSDA pointer, pc-relative.)  Pure:
 * bytes in, ranges out; every length is checked against the section.
 */
#ifndef PTAP_ELF_EHFRAME_H
#define PTAP_ELF_EHFRAME_H

#include <stddef.h>
#include <stdint.h>

struct eh_range {
	uint64_t lo, hi;        /* [lo, hi), link-time addresses */
};

/*
 * The code ranges of .eh_frame's FDEs that have an LSDA.  data is the
 * section's len bytes, loaded at vaddr; 64-bit little-endian only.
 * Returns the number of ranges (in *out, malloc'd; NULL if 0), or
 * -EINVAL if the section is malformed (the caller then treats every
 * function as having one).
 */
int ehframe_lsda_ranges(const uint8_t *data, size_t len, uint64_t vaddr, struct eh_range **out);

#endif

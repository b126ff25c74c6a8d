/*
 * Address arithmetic for probes, in one place.
 *
 * Let pc, base, sem be a note's fields and B the sh_addr of .stapsdt.base
 * in the same file.
 *
 * 1. Prelink correction.  If the file has .stapsdt.base and base != 0:
 *        pc' = pc + (B - base),   sem' = sem + (B - base) if sem != 0.
 *    (prelink moved the file; the note still holds the old addresses).
 *
 * 2. Link-time address to file offset.  Find the PT_LOAD with
 *        p_vaddr <= v < p_vaddr + p_memsz,   off = v - p_vaddr + p_offset.
 *    The site must lie in an executable segment and within p_filesz; the
 *    semaphore in a writable one.  Never assume address == offset.
 *
 * 3. File offset to run-time address in a process.  Find the mapping of
 *    the same file (same device and inode) whose file range covers off:
 *        addr = map_start - map_offset + off.
 *    This is also right for a non-PIE executable (the mapping then starts
 *    at the link-time address) and survives RELRO splitting the data
 *    segment into several mappings.
 */
#ifndef PTAP_ELF_ADDR_H
#define PTAP_ELF_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"

uint64_t addr_prelink(uint64_t v, uint64_t note_base, bool have_base, uint64_t base_addr);

/* 0 and *off, or -ERANGE if no PT_LOAD with all of need_flags covers v
 * within its file image. */
int addr_to_offset(const struct elf_segment *segs, size_t nsegs, uint64_t v,
		   uint32_t need_flags, uint64_t *off);

/* Inverse of addr_to_offset for the segment covering off: 0 and *v, or -ERANGE. */
int addr_from_offset(const struct elf_segment *segs, size_t nsegs, uint64_t off, uint64_t *v);

/* Rule 3 for one mapping: whether off falls in [map_offset, map_offset +
 * (end - start)) and, if so, the run-time address. */
bool addr_in_mapping(uint64_t start, uint64_t end, uint64_t map_offset, uint64_t off, uint64_t *addr);

#endif

/*
 * The site check of the in-process engine: may a jump stand over this
 * marker site (or hook), or must it keep the int3?
 *
 * A jump at a site overwrites ARCH_JUMP_LEN bytes and displaces the
 * instructions that begin in them (arch_jump_plan decides whether those
 * can be moved).  That is only safe if nothing ever enters those bytes
 * except through the site itself.  So, over the whole file, a site is
 * refused when any of these points strictly inside its displaced bytes:
 *
 *  1. a direct branch or call anywhere in the executable sections (a
 *     sweep with the decoder, GCC moves cold paths far away);
 *  2. a %rip-relative address or an absolute immediate in code (the
 *     address of a label taken: computed gotos, hand-made tables);
 *  3. a data word of any allocated section (absolute jump tables and
 *     function pointers), 8 bytes at every 4-byte step, and 4 bytes for
 *     a non-PIE file;
 *  4. a relocation's target (R_X86_64_RELATIVE addends, symbol values):
 *     where a PIE or a library keeps its pointers;
 *  5. an entry of a relative jump table (32-bit offsets from the table's
 *     start, GCC's form in PIC code), read from every address code takes
 *     with lea, for as long as the entries land in code;
 *  6. a symbol (an exported function other modules may call);
 *  7. another address ptap may write (a second marker within 5 bytes);
 *
 * and a site in a function with exception landing pads (elf/ehframe.h) is
 * refused whole.  A site refused keeps the int3 and stays exact.
 *
 * Verdicts are kept per build-id in $XDG_CACHE_HOME/ptap/sites/ (or
 * ~/.cache/ptap/sites/), so a second run of the same binary decodes
 * nothing; a cached "yes" is checked again by arch_jump_plan, which is
 * cheap.
 */
#ifndef PTAP_TRACER_SITECHECK_H
#define PTAP_TRACER_SITECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

struct site_verdict {
	uint64_t addr;              /* link-time address asked about */
	bool ok;                    /* a jump may stand there */
	bool cached;                /* the verdict came from the cache */
	struct arch_plan plan;      /* ok: what the jump displaces */
	char why[160];              /* !ok: the reason, a sentence */
};

/*
 * Check n addresses of the ELF file open on fd (path names it in
 * messages).  Every address ptap may write in this file must be among
 * them (rule 7).  out[i] gets the verdict on addrs[i].  0, or -errno if
 * the file cannot be read (then every verdict says so).
 */
int sitecheck_file(const char *path, int fd, const uint64_t *addrs, size_t n,
		   struct site_verdict *out);

/* The directory of the cache, malloc'd, or NULL if there is none. */
char *sitecheck_cache_dir(void);

#endif

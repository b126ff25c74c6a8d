/*
 * The function symbols of one ELF file, to name the addresses of a native
 * stack: link-time address -> "function" + offset.
 *
 * A symtab holds the defined functions of .dynsym and of .symtab, the
 * latter from a separate debug file when there is one (Debian's stripped
 * binaries keep only .dynsym; the -dbg and -dbgsym packages put a full
 * .symtab under /usr/lib/debug), sorted by address with one name per
 * address.  It also keeps the file's PT_LOAD segments, so that a caller
 * holding a run-time address and the mapping it falls in can get back to
 * the link-time address (elf/addr.h, rule 3 backwards).
 */
#ifndef PTAP_ELF_SYMBOLS_H
#define PTAP_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"

struct symbol {
	uint64_t addr;             /* link-time start */
	uint64_t size;             /* 0 when the table does not say */
	uint32_t name;             /* offset in symtab.names */
	uint8_t rank;              /* which name wins at a shared address; higher wins */
};

struct symtab {
	struct elf_segment *segs;  /* the file's PT_LOADs */
	size_t nsegs;
	struct symbol *syms;       /* sorted by addr, addresses unique */
	size_t nsyms;
	char *names;               /* NUL-terminated names, back to back */
	size_t names_len, names_cap;
	char *debug_file;          /* the separate debug file read, or NULL */
};

/*
 * Read the symbols of path (or of fd if fd >= 0; path then names it and
 * places a .gnu_debuglink relative to it).  debug_dir is the root of the
 * separate debug files ("/usr/lib/debug"), NULL or "" for none; a debug
 * file is looked for by build-id (debug_dir/.build-id/xx/rest.debug),
 * then by .gnu_debuglink (next to path, in its .debug/ directory, and
 * under debug_dir + path's directory), and used only if its build-id (or,
 * without one, its CRC) is the file's.  Returns 0 and *out, -ENOEXEC if
 * the file is not ELF, or -errno; a file without any symbol is no error.
 */
int symtab_load(const char *path, int fd, const char *debug_dir, struct symtab **out);
void symtab_free(struct symtab *st);

/*
 * The function containing link-time address v: its name, with *offset =
 * v - start; or NULL when no symbol covers v (a sized symbol must contain
 * it; an unsized one stands until the next symbol).
 */
const char *symtab_lookup(const struct symtab *st, uint64_t v, uint64_t *offset);

#endif

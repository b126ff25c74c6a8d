/*
 * Opening an ELF file with libelf, as elf/module.c and elf/symbols.c both
 * need it: our own look at the magic first (to tell "not ELF" from
 * "damaged ELF"), ELF_C_READ (pread, not mmap: a file truncated under us
 * gives errors, never SIGBUS), and every section checked to lie inside
 * the file before libelf is asked for its bytes.
 */
#ifndef PTAP_ELF_FILE_H
#define PTAP_ELF_FILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "elf/module.h"

/* An ELF file opened for reading, and the fd to close if we opened it. */
struct elf_file {
	int own_fd;
	Elf *elf;
	uint64_t size;         /* of the file, to check sections against */
	Elf_Scn *symtab;       /* .symtab (SHT_SYMTAB), or NULL: elf/module.c's */
	Elf_Scn *dynsym;       /* .dynsym (SHT_DYNSYM), or NULL */
};

/*
 * Open path (or use fd, which stays the caller's) with libelf; st (if
 * not NULL) gets the file's stat.  -errno of open, -EISDIR, -ENOEXEC if the file is not
 * ELF (or an ELF flavour libelf does not know), -EINVAL if it starts like
 * ELF but libelf cannot read its headers.
 */
int elf_file_open(const char *path, int fd, struct elf_file *f, struct stat *st);
void elf_file_close(struct elf_file *f);

/*
 * Whether a section's bytes lie inside the file.  libelf would find out
 * too, but only after allocating sh_size bytes, and a hostile sh_size is
 * anything up to 2^64.
 */
bool elf_section_in_file(const struct elf_file *f, const GElf_Shdr *sh);

/*
 * The PT_LOAD segments, appended to *segs (grown as needed, *cap its
 * room).  A program header libelf cannot read is an error (-EINVAL), or
 * skipped with skip_bad.
 */
int elf_file_segments(const struct elf_file *f, bool skip_bad, struct elf_segment **segs,
		      size_t *nsegs, size_t *cap);

/* A section's bytes, checked to lie in the file (sh gets its header);
 * NULL if scn is NULL or they cannot be read. */
Elf_Data *elf_section_data(const struct elf_file *f, Elf_Scn *scn, GElf_Shdr *sh);
/* The section called want, or NULL. */
Elf_Scn *elf_section_named(const struct elf_file *f, const char *want);

/* The GNU build-id note's bytes into id (ELF_BUILD_ID_MAX of room): their
 * number, or 0 if there is none. */
#define ELF_BUILD_ID_MAX 64
size_t elf_file_build_id(const struct elf_file *f, uint8_t *id);

#endif

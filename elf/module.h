/*
 * One ELF file's stapsdt probes, read with libelf.
 *
 * elf_module_open() reads the ELF header and program headers, every
 * .note.stapsdt note (SHT_NOTE sections named .note.stapsdt; not
 * SHF_ALLOC, which is why they survive strip), the address of
 * .stapsdt.base, and resolves each probe's addresses into file offsets
 * (elf/addr.h).  Each note becomes one struct sdt_probe: several notes may
 * share provider:name (inlined copies, several call sites) and each keeps
 * its own site, semaphore and argument string.
 *
 * A probe that cannot be traced (site outside every executable segment,
 * semaphore outside every writable one, an argument that does not parse)
 * is kept and listed, with the problem recorded, never dropped silently.
 */
#ifndef PTAP_ELF_MODULE_H
#define PTAP_ELF_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "argspec.h"

struct elf_segment {           /* one PT_LOAD */
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
	uint64_t filesz;
	uint32_t flags;            /* PF_R | PF_W | PF_X */
};

struct sdt_probe {
	char *provider;
	char *name;
	char *args;                /* the raw argument string, "" if none */
	uint64_t pc;               /* link-time address, prelink-corrected */
	uint64_t pc_offset;        /* file offset of the site (valid if !problem) */
	uint64_t semaphore;        /* link-time address, prelink-corrected; 0 none */
	uint64_t sem_offset;       /* file offset of the semaphore (if semaphore) */
	int nargs;                 /* specs in args (invalid ones included) */
	struct argspec *argv;      /* nargs parsed specs */
	uint64_t *sym_value;       /* per arg: link-time value of a SYMBOL spec's
	                              symbol (+ its displacement), 0 otherwise */
	char *problem;             /* why the probe cannot be armed, or NULL;
	                              a bad argument alone is not a problem: the
	                              probe is armed and that argument reads as
	                              an error value */
};

struct elf_module {
	char *path;                /* as given to elf_module_open */
	dev_t dev;                 /* of the opened file (fstat) */
	ino_t ino;
	uint8_t elf_class;         /* ELFCLASS32 or ELFCLASS64 */
	bool big_endian;
	uint16_t machine;          /* e_machine */
	uint16_t type;             /* e_type: ET_EXEC, ET_DYN, ... */
	struct elf_segment *segs;  /* every PT_LOAD, in file order */
	size_t nsegs;
	struct sdt_probe *probes;  /* in note order */
	size_t nprobes;
	bool have_base;            /* .stapsdt.base exists */
	uint64_t base_addr;        /* its sh_addr */
	uint64_t dl_debug_state;   /* link-time address of _dl_debug_state (the
	                              dynamic loader's hook), 0 if not defined */
	char **warnings;           /* problems with the file itself, e.g. a
	                              malformed note (kept to be reported) */
	size_t nwarnings;
};

/*
 * Open path (or read the already-open fd if fd >= 0; path then only names
 * it) and read its probes.  Returns 0 and *out, or:
 *   -ENOENT, -EACCES, ... from open
 *   -ENOEXEC  not an ELF file (or an ELF libelf cannot read)
 *   -EINVAL   an ELF file too damaged to read its section or program headers
 * A file without stapsdt notes is not an error: nprobes is 0.
 */
int elf_module_open(const char *path, int fd, struct elf_module **out);
void elf_module_free(struct elf_module *m);

/* Whether ptap can trace code of this machine (e_machine == arch_elf_machine
 * and the right class); if not, *why says so in a sentence. */
bool elf_module_traceable(const struct elf_module *m, const char **why);

/*
 * Value of a symbol by name, from .symtab, then .dynsym: 0 and *value, or
 * -ENOENT.  Used for SYMBOL argument specs and for _dl_debug_state.
 */
int elf_module_symbol(const char *path, int fd, const char *name, uint64_t *value);

#endif

/*
 * libFuzzer harness: reading an ELF file's probes (elf/module.c) and its
 * function symbols (elf/symbols.c), both on libelf.
 *
 * The input is a whole file (fuzz/corpus/elf/ holds small real and
 * deliberately broken ones).  It is written to a memfd, which both
 * readers take as an already-open descriptor.  symtab_load is told the
 * file lives in a directory that does not exist, with a debug directory
 * that does not exist either: a build-id or .gnu_debuglink in the input
 * makes it build the names of candidate debug files (a link may not hold
 * a '/'), and every open of one fails.  Each module that loads is
 * checked the way tests/unit/test_module.c checks its hostile fixtures
 * (probes named, argument counts in range, every invalid argument and
 * every warning saying something) and then used as `ptap list` uses it:
 * traceability, argument descriptions, symbol lookups.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/addr.h"
#include "elf/module.h"
#include "elf/symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Where the input claims to be: nowhere, so no debug file is ever found. */
#define NOWHERE "/nonexistent-ptap-fuzz"

static int input_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	input_fd = memfd_create("ptap-fuzz-elf", MFD_CLOEXEC);
	if (input_fd < 0)
		abort();
	return 0;
}

static void check_module(const struct elf_module *m)
{
	char desc[256];
	const char *why;

	for (size_t i = 0; i < m->nprobes; i++) {
		const struct sdt_probe *p = &m->probes[i];
		uint64_t v;

		if (!p->provider || !p->name || !p->args || !p->provider[0] || !p->name[0])
			abort();
		if (p->nargs < 0 || p->nargs > ARGSPEC_MAX_ARGS || (p->nargs && (!p->argv || !p->sym_value)))
			abort();
		for (int a = 0; a < p->nargs; a++) {
			if (p->argv[a].kind == ARGSPEC_INVALID && !p->argv[a].error[0])
				abort();
			argspec_describe(&p->argv[a], desc, sizeof(desc));
		}
		if (p->problem && !p->problem[0])
			abort();
		/* What `ptap list -p` does with a site's offset. */
		if (!p->problem)
			addr_from_offset(m->segs, m->nsegs, p->pc_offset, &v);
	}
	for (size_t i = 0; i < m->nwarnings; i++) {
		if (!m->warnings[i] || !m->warnings[i][0])
			abort();
		/* a stale libelf error once made a warning of nothing */
		if (strstr(m->warnings[i], ": no error"))
			abort();
	}
	elf_module_traceable(m, &why);
}

static void check_symbols(const struct symtab *st)
{
	uint64_t off;

	for (size_t i = 0; i < st->nsyms; i++) {
		if (i && st->syms[i].addr <= st->syms[i - 1].addr)
			abort();   /* sorted, one name per address */
		if (!symtab_lookup(st, st->syms[i].addr, &off) || off != 0)
			abort();
		symtab_lookup(st, st->syms[i].addr + st->syms[i].size, &off);
		symtab_lookup(st, st->syms[i].addr - 1, &off);
	}
	for (size_t i = 0; i < st->nsegs; i++)
		symtab_lookup(st, st->segs[i].vaddr, &off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_module *m = NULL;
	struct symtab *st = NULL;
	uint64_t v;
	int rc;

	if (ftruncate(input_fd, 0) || (size && pwrite(input_fd, data, size, 0) != (ssize_t)size))
		abort();
	rc = elf_module_open("fuzz-input", input_fd, &m);
	if (rc == 0) {
		if (!m)
			abort();
		check_module(m);
		elf_module_free(m);
	} else if (rc != -ENOEXEC && rc != -EINVAL) {
		abort();   /* the documented errors of a file that is open */
	}
	if (symtab_load(NOWHERE "/input", input_fd, NOWHERE "-debug", &st) == 0) {
		check_symbols(st);
		symtab_free(st);
	}
	elf_module_symbol(NULL, input_fd, "_dl_debug_state", &v);
	return 0;
}

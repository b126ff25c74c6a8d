/*
 * libFuzzer harness: the in-process engine's site check over a whole ELF
 * file (tracer/sitecheck.c): its sections, symbols, relocations, code and
 * data as the sweep reads them.
 *
 * The input is written to a memfd.  The addresses checked are the file's
 * own probe sites (when elf/module.c can read any) and a few taken from
 * the input's first bytes, so that sites land anywhere, in code or not.
 * No cache: HOME and XDG_CACHE_HOME point nowhere.  Every verdict must
 * be either a refusal with a reason or a plan that covers the jump's
 * bytes with whole instructions, and the trampoline for it must build.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/module.h"
#include "tracer/sitecheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int input_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("HOME", "/nonexistent-ptap-fuzz", 1);
	setenv("XDG_CACHE_HOME", "/nonexistent-ptap-fuzz", 1);
	input_fd = memfd_create("ptap-fuzz-sitecheck", MFD_CLOEXEC);
	if (input_fd < 0)
		abort();
	return 0;
}

static void check_verdict(const struct site_verdict *v)
{
	uint8_t tramp[ARCH_TRAMP_MAX];
	struct arch_tramp_args a = { v->addr, v->addr + 0x100000, v->addr + 0x200000, 7, true,
				     &v->plan };

	if (!v->ok) {
		if (!v->why[0] || !memchr(v->why, '\0', sizeof(v->why)))
			abort();
		return;
	}
	if (!v->plan.len || v->plan.len > sizeof(v->plan.code) || v->plan.span < ARCH_JUMP_LEN ||
	    (!v->plan.terminal && v->plan.len < ARCH_JUMP_LEN) || !v->plan.ninsn)
		abort();
	if (arch_tramp_build(&a, tramp) > ARCH_TRAMP_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct site_verdict v[16];
	struct elf_module *m = NULL;
	uint64_t addrs[16];
	size_t n = 0, i;

	if (ftruncate(input_fd, 0) || pwrite(input_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (!elf_module_open("fuzz", input_fd, &m)) {
		for (i = 0; i < m->nprobes && n < 12; i++)
			addrs[n++] = m->probes[i].pc;
		elf_module_free(m);
	}
	for (i = 0; i + 8 <= size && i < 32 && n < 16; i += 8)
		memcpy(&addrs[n++], data + i, 8);
	if (!sitecheck_file("fuzz", input_fd, addrs, n, v))
		for (i = 0; i < n; i++)
			check_verdict(&v[i]);
	return 0;
}

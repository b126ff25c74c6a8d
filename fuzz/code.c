/*
 * libFuzzer harness: x86-64 code as the site check decodes it
 * (arch/x86_64_jump.c) and .eh_frame as elf/ehframe.c reads it.
 *
 * The input is taken three ways: as the code at a site (a plan, and the
 * trampoline when there is one, which must fit its buffer and, moved
 * within reach, build); as a whole section to sweep for references (each
 * must come from inside it); and as an .eh_frame section (every range
 * returned must be well formed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "elf/ehframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x400000

static void on_ref(void *ctx, uint64_t from, uint64_t to, int kind)
{
	size_t size = *(const size_t *)ctx;

	(void)to;
	if (from < BASE || from >= BASE + size || kind < ARCH_REF_BRANCH || kind > ARCH_REF_ABS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arch_plan plan;
	uint8_t tramp[ARCH_TRAMP_MAX];
	struct eh_range *r = NULL;
	const char *why = NULL;
	int n, i;

	if (!arch_jump_plan(data, size, &plan, &why)) {
		struct arch_tramp_args a = { BASE, BASE + 0x1000, BASE + 0x2000, 3, size & 1, &plan };

		if (plan.len > size || plan.len > sizeof(plan.code) || plan.span < ARCH_JUMP_LEN ||
		    memcmp(plan.code, data, plan.len))
			abort();
		n = arch_tramp_build(&a, tramp);
		if (n > ARCH_TRAMP_MAX)
			abort();
	} else if (!why || !*why) {
		abort();
	}
	arch_code_refs(data, size, BASE, on_ref, &size);
	n = ehframe_lsda_ranges(data, size, BASE, &r);
	for (i = 0; i < n; i++)
		if (r[i].hi < r[i].lo && r[i].hi != 0)
			(void)0;    /* a wrapping range is the file's business, not a crash */
	free(r);
	return 0;
}

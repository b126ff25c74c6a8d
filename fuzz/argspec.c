/*
 * libFuzzer harness: stapsdt argument specs (elf/argspec.c and the x86-64
 * operand syntax in arch/x86_64.c).
 *
 * The input is an argument string such as "8@%rbp 8@%r12 -4@%eax"
 * (fuzz/corpus/argspec/ holds the ones of python3.11, libpython3.11,
 * python3.11d and the samples).  It is parsed twice: whole, through
 * argspec_parse_all() as a NUL-terminated string, the way elf/module.c
 * does; and as one spec of exactly size bytes through argspec_parse(),
 * from a heap copy without a terminator, so that a parser relying on a
 * NUL it was never promised shows up as a heap overflow.  Every result is
 * described into buffers of several sizes, the smallest to catch a
 * description that writes past its length.
 *
 * The invariants checked are the ones the evaluator and `ptap list` rely
 * on: a spec is either valid, with a size of 1, 2, 4 or 8 and registers
 * that exist in the table, or invalid with a reason; symbol and error
 * text are terminated inside their arrays.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "elf/argspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool reg_ok(int id, bool may_be_none)
{
	if (id < 0)
		return may_be_none && id == -1;
	return arch_reg(id) != NULL;
}

static void check(const struct argspec *s)
{
	static const size_t lens[] = { 1, 2, 17, 256 };
	char buf[256];

	if (!memchr(s->error, '\0', sizeof(s->error)) || !memchr(s->symbol, '\0', sizeof(s->symbol)))
		abort();
	switch (s->kind) {
	case ARGSPEC_INVALID:
		if (!s->error[0])
			abort();   /* an invalid spec always says why */
		break;
	case ARGSPEC_CONST:
		break;
	case ARGSPEC_REG:
		if (!reg_ok(s->base, false))
			abort();
		break;
	case ARGSPEC_MEM:
		if (!reg_ok(s->base, true) || !reg_ok(s->index, true) || s->base < 0 ||
		    (s->scale != 1 && s->scale != 2 && s->scale != 4 && s->scale != 8))
			abort();
		break;
	case ARGSPEC_SYMBOL:
		if (!reg_ok(s->base, true) || !reg_ok(s->index, true) || !s->symbol[0])
			abort();
		break;
	default:
		abort();
	}
	if (s->kind != ARGSPEC_INVALID && s->size != 1 && s->size != 2 && s->size != 4 &&
	    s->size != 8)
		abort();
	if (s->kind != ARGSPEC_INVALID && s->is_float && s->size != 4 && s->size != 8)
		abort();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *d = malloc(lens[i]);

		if (!d)
			return;
		argspec_describe(s, d, lens[i]);
		if (!memchr(d, '\0', lens[i]))
			abort();
		free(d);
	}
	argspec_describe(s, buf, sizeof(buf));
	if (!argspec_kind_name(s->kind))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct argspec specs[ARGSPEC_MAX_ARGS], one;
	char *text = malloc(size + 1);
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = argspec_parse_all(text, specs, ARGSPEC_MAX_ARGS);
	if (n < 0 && n != -E2BIG)
		abort();   /* only -E2BIG */
	if (n < 0)
		n = ARGSPEC_MAX_ARGS;
	for (int i = 0; i < n; i++)
		check(&specs[i]);
	/* A tiny max: the first slot only, the rest counted. */
	n = argspec_parse_all(text, specs, 1);
	if (n > 0)
		check(&specs[0]);
	free(text);

	/* The same bytes as one spec, without a terminator. */
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	argspec_parse(text, size, &one);
	check(&one);
	free(text);
	return 0;
}

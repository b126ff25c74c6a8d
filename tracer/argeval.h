/*
 * Argument evaluation on the hit path.
 *
 * At arm time each probe's parsed specs are compiled into arg_ops: the
 * register table lookup, shift and mask, the symbol's link-time address
 * and the wanted rendering are all resolved then.  On a hit,
 * argeval_run() turns the stopped thread's registers into values with one
 * gathered memory read for all memory operands and every string whose
 * pointer is in a register (each string read up to the end of its page).
 * Only a string whose pointer is itself in memory, or one that runs past
 * its page, costs another read; a CPython code name found in the string
 * cache (tracer/strcache.h) costs none.
 */
#ifndef PTAP_TRACER_ARGEVAL_H
#define PTAP_TRACER_ARGEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "elf/argspec.h"
#include "tracer/event.h"
#include "tracer/mem.h"
#include "tracer/strcache.h"

#define ARGEVAL_STR_DEFAULT 512 /* bytes of a string argument shown by default */
#define ARGEVAL_STR_LIMIT (1 << 20)
#define ARGEVAL_STR_PRE 64      /* room for a str header read before a name */
#define REG_NONE 0xffff

struct arg_op {
	uint8_t kind;           /* enum argspec_kind */
	uint8_t size;           /* bytes */
	bool is_signed;
	bool is_float;
	uint8_t render;         /* enum render */
	uint8_t base_shift;     /* REG: bit shift of the named part */
	uint8_t base_width;     /* REG: bytes of the named part */
	uint8_t scale;
	uint16_t base_off;      /* byte offset in struct arch_regs, or REG_NONE */
	uint16_t index_off;
	int64_t imm;            /* CONST: value; MEM: displacement;
	                           SYMBOL: link-time address incl. displacement */
	const char *error;      /* INVALID: the parser's reason */
};

struct arg_prog {
	int nargs;
	bool need_vec;          /* some operand is a vector register */
	uint16_t cache_mask;    /* bit i: argument i is a CPython code name
	                           that the string cache may answer */
	struct arg_op op[ARGSPEC_MAX_ARGS];
};

/*
 * Compile nargs specs with their resolved symbol values and wanted
 * renderings (render may be NULL: all default).
 */
void argeval_compile(struct arg_prog *prog, const struct argspec *specs, const uint64_t *sym_value,
		     int nargs, const uint8_t *render);

/* Per-hit scratch space: string bytes live here until the next hit.
 * Each argument has max bytes at buf + i * max. */
struct arg_scratch {
	char *buf;
	size_t max;             /* longest string shown, in bytes */
};

void arg_scratch_init(struct arg_scratch *s, size_t max);
void arg_scratch_free(struct arg_scratch *s);

/*
 * Evaluate every argument into out[0..nargs).  bias is the module's load
 * bias in this process; cache (may be NULL) answers the arguments in
 * prog->cache_mask.  Returns 0, or -ESRCH if the process vanished;
 * unreadable memory is reported per argument as VAL_ERR.
 */
int argeval_run(const struct arg_prog *prog, const struct arch_regs *regs, uint64_t bias,
		struct mem *mem, struct arg_scratch *scratch, struct strcache *cache,
		struct value *out);

/* Turn an argument's raw bits (as read, not yet truncated) into its value
 * as op renders it: what argeval_run does for each non-string value, and
 * what the in-process engine does with the bits its recorder read. */
void argeval_finish(const struct arg_op *op, uint64_t raw, struct value *v);

/* Parse a type name of a -e type list ("str", "u64", "hex", ...):
 * 0 and *render, or -EINVAL. */
int render_parse(const char *name, size_t len, uint8_t *render);
const char *render_name(uint8_t render);

#endif

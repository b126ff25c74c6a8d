/*
 * stapsdt argument specs: "-4@%eax 8@-8(%rbp) 8@gvar(%rip)".
 *
 * The note's argument string holds up to 12 specs separated by spaces.
 * Each is [-]N[f]@OPERAND: N bytes (1, 2, 4 or 8), '-' for signed, 'f' for
 * floating point.  Hand-written asm may give a bare OPERAND, which means
 * 8 bytes unsigned.  The operand syntax belongs to the architecture
 * (arch_operand_parse); this module handles the prefix, the splitting,
 * and keeps a spec that does not parse in its slot, marked invalid with a
 * reason, so later arguments keep their numbers.
 *
 * Pure functions: strings in, structs out, no I/O and no globals.
 */
#ifndef PTAP_ELF_ARGSPEC_H
#define PTAP_ELF_ARGSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARGSPEC_MAX_ARGS 12
#define ARGSPEC_SYMBOL_MAX 128
#define ARGSPEC_ERROR_MAX 96

enum argspec_kind {
	ARGSPEC_INVALID,   /* did not parse; error says why */
	ARGSPEC_CONST,     /* $imm: the value is imm itself */
	ARGSPEC_REG,       /* %reg: the register's low bytes (or %ah-style high byte) */
	ARGSPEC_MEM,       /* disp(%base,%index,scale): size bytes at that address */
	ARGSPEC_SYMBOL,    /* sym+disp(%rip), or in non-PIE code sym+disp(%base,%index,scale):
	                      size bytes at sym's value + disp + load bias + registers */
};

struct argspec {
	enum argspec_kind kind;
	uint8_t size;          /* 1, 2, 4 or 8 bytes */
	bool is_signed;        /* sign-extend the size bytes */
	bool is_float;         /* reinterpret the bits as float (4) or double (8) */
	bool size_implied;     /* no N@ prefix was given */
	int64_t imm;           /* CONST: the literal; MEM, SYMBOL: displacement */
	int16_t base;          /* REG, MEM, SYMBOL: register id (arch_reg_lookup),
	                          else -1 (always -1 for sym(%rip)) */
	int16_t index;         /* MEM, SYMBOL: index register id, or -1 */
	uint8_t scale;         /* MEM, SYMBOL: 1, 2, 4 or 8 */
	char symbol[ARGSPEC_SYMBOL_MAX];   /* SYMBOL: the symbol's name */
	char error[ARGSPEC_ERROR_MAX];     /* INVALID: why */
};

/*
 * Parse one spec of len bytes.  Always fills *out: on failure kind is
 * ARGSPEC_INVALID, error holds the reason, and -EINVAL is returned.
 */
int argspec_parse(const char *text, size_t len, struct argspec *out);

/* The next spec of an argument string at s (its text and *len; 0 at the
 * end): blanks separate specs, except inside [...]. */
const char *argspec_next(const char *s, size_t *len);

/*
 * Split an argument string with argspec_next and parse each spec into
 * out[0..]: returns the number of specs (invalid ones included), or
 * -E2BIG if there are more than max (out still holds the first max).
 */
int argspec_parse_all(const char *args, struct argspec *out, int max);

/* Human description of a parsed spec for `ptap list`, e.g.
 * "signed 32-bit, register %eax" or "unsigned 64-bit, memory -8(%rbp)". */
void argspec_describe(const struct argspec *spec, char *buf, size_t len);
/* A stable word for the location kind: "const", "register", "memory",
 * "symbol" or "invalid" (used by --json). */
const char *argspec_kind_name(enum argspec_kind kind);

#endif

/*
 * stapsdt argument specs: the N@ prefix, splitting, and descriptions.
 *
 *   $ readelf -n /usr/bin/python3.11 | grep -A4 function__entry
 *       Name: function__entry
 *       ...
 *       Arguments: 8@%rbp 8@%r12 -4@%eax
 *
 * sys/sdt.h writes each argument as [-]N[f]@OPERAND, where N is sizeof the
 * C expression, '-' says it is signed and 'f' that it is a float or double
 * (as doubles are signed, "-8f@%xmm0" is the usual spelling).  N is what
 * counts: GCC happily writes "8@%eax" when the upper half is known to be
 * zero, so the evaluator reads N bytes whatever register name it is given.
 * The operand after '@' is architecture syntax and is parsed by
 * arch_operand_parse.
 *
 * A spec that does not parse is kept in its slot as ARGSPEC_INVALID with a
 * reason: argument 3 stays argument 3 even when argument 2 is something we
 * cannot read, and the probe can still be traced.
 *
 * Constants are folded here, once: "1@$-127" is the byte 0x81, which is
 * 129 read unsigned, so imm holds 129 and nobody has to redo the
 * truncation at every hit.
 */
#include "elf/argspec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "common/util.h"

#define QUOTE_MAX 40

static void spec_reset(struct argspec *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = ARGSPEC_INVALID;
	out->base = -1;
	out->index = -1;
}

static int spec_fail(struct argspec *out, const char *why, const char *text, size_t len)
{
	snprintf(out->error, sizeof(out->error), "%s in '%.*s'", why,
		 (int)MIN(len, QUOTE_MAX), text);
	out->kind = ARGSPEC_INVALID;
	return -EINVAL;
}

/* "[-]N[f]" before the '@': size, sign and float flag. */
static int parse_prefix(const char *text, size_t len, const char *whole, size_t whole_len,
			struct argspec *out)
{
	size_t i = 0;
	unsigned n = 0;

	if (i < len && text[i] == '-') {
		out->is_signed = true;
		i++;
	}
	if (i == len || text[i] < '0' || text[i] > '9')
		return spec_fail(out, "missing size before '@'", whole, whole_len);
	/* Two digits are plenty to reject "16@"; stop before n can grow. */
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
		if (n > 99)
			break;
		n = n * 10 + (unsigned)(text[i] - '0');
	}
	if (i < len && text[i] == 'f') {
		out->is_float = true;
		i++;
	}
	if (i != len)
		return spec_fail(out, "bad size prefix", whole, whole_len);
	if (n != 1 && n != 2 && n != 4 && n != 8) {
		snprintf(out->error, sizeof(out->error), "size %u is not 1, 2, 4 or 8 in '%.*s'",
			 n, (int)MIN(whole_len, QUOTE_MAX), whole);
		return -EINVAL;
	}
	if (out->is_float && n != 4 && n != 8) {
		snprintf(out->error, sizeof(out->error),
			 "a float of %u bytes is not supported (4 or 8) in '%.*s'",
			 n, (int)MIN(whole_len, QUOTE_MAX), whole);
		return -EINVAL;
	}
	out->size = (uint8_t)n;
	return 0;
}

/* Truncate a constant to the spec's width, then sign- or zero-extend.
 * A float constant keeps its bits: they are reinterpreted, not converted. */
static int64_t fold_constant(int64_t imm, const struct argspec *spec)
{
	uint64_t v = (uint64_t)imm;
	unsigned bits = spec->size * 8u;
	uint64_t mask;

	if (bits >= 64)
		return imm;
	mask = (UINT64_C(1) << bits) - 1;
	v &= mask;
	if (spec->is_signed && !spec->is_float && (v >> (bits - 1)) & 1)
		v |= ~mask;
	return (int64_t)v;
}

int argspec_parse(const char *text, size_t len, struct argspec *out)
{
	const char *at, *operand;
	size_t operand_len;
	int err;

	spec_reset(out);
	if (!text || len == 0) {
		snprintf(out->error, sizeof(out->error), "empty argument spec");
		return -EINVAL;
	}
	at = memchr(text, '@', len);
	if (at) {
		err = parse_prefix(text, (size_t)(at - text), text, len, out);
		if (err) {
			out->kind = ARGSPEC_INVALID;
			return err;
		}
		operand = at + 1;
		operand_len = len - (size_t)(at - text) - 1;
	} else {
		/* Hand-written asm may give just the operand: a 64-bit word. */
		out->size = 8;
		out->size_implied = true;
		operand = text;
		operand_len = len;
	}
	if (operand_len == 0)
		return spec_fail(out, "missing operand after '@'", text, len);
	err = arch_operand_parse(operand, operand_len, out);
	if (err) {
		out->kind = ARGSPEC_INVALID;
		if (!out->error[0])
			spec_fail(out, "operand does not parse", text, len);
		return -EINVAL;
	}
	if (out->kind == ARGSPEC_CONST)
		out->imm = fold_constant(out->imm, out);
	if (out->kind == ARGSPEC_MEM && out->scale == 0)
		out->scale = 1;
	return 0;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

const char *argspec_next(const char *s, size_t *len)
{
	const char *p;
	int depth = 0;

	while (is_space(*s))
		s++;
	/* a space inside [...] belongs to the operand (aarch64 writes
	 * -4@[sp, 96]): it must not split it, nor shift what follows */
	for (p = s; *p && (depth || !is_space(*p)); p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
	}
	*len = (size_t)(p - s);
	return s;
}

int argspec_parse_all(const char *args, struct argspec *out, int max)
{
	const char *p = args;
	size_t len;
	int n = 0;

	if (!args)
		return 0;
	for (;; p += len) {
		p = argspec_next(p, &len);
		if (!len)
			break;
		if (n < max)
			argspec_parse(p, len, &out[n]);
		n++;
	}
	return n > max ? -E2BIG : n;
}

const char *argspec_kind_name(enum argspec_kind kind)
{
	switch (kind) {
	case ARGSPEC_CONST:   return "const";
	case ARGSPEC_REG:     return "register";
	case ARGSPEC_MEM:     return "memory";
	case ARGSPEC_SYMBOL:  return "symbol";
	case ARGSPEC_INVALID: break;
	}
	return "invalid";
}

static const char *reg_name(int id)
{
	const struct arch_reg *reg = arch_reg(id);

	return reg ? reg->name : "?";
}

/* "signed 32-bit", "unsigned 8-bit", "float", "double". */
static void describe_type(const struct argspec *spec, char *buf, size_t len)
{
	if (spec->is_float)
		snprintf(buf, len, "%s", spec->size == 4 ? "float" : "double");
	else
		snprintf(buf, len, "%s %u-bit", spec->is_signed ? "signed" : "unsigned",
			 spec->size * 8u);
}

/* "(%base)", "(%base,%index,scale)", "(,%index,scale)", or for a symbol
 * without registers "(%rip)". */
static void describe_registers(const struct argspec *spec, char *buf, size_t len)
{
	const char *base = spec->base >= 0 ? reg_name(spec->base) : "";

	if (spec->base < 0 && spec->index < 0)
		snprintf(buf, len, "(%%rip)");
	else if (spec->index < 0)
		snprintf(buf, len, "(%%%s)", base);
	else
		snprintf(buf, len, spec->scale > 1 ? "(%s%s,%%%s,%u)" : "(%s%s,%%%s)",
			 spec->base >= 0 ? "%" : "", base, reg_name(spec->index), spec->scale);
}

void argspec_describe(const struct argspec *spec, char *buf, size_t len)
{
	char type[24], where[ARGSPEC_SYMBOL_MAX + 96], regs[48];
	char disp[24] = "";

	if (!buf || len == 0)
		return;
	if (spec->kind == ARGSPEC_INVALID) {
		snprintf(buf, len, "invalid: %s", spec->error[0] ? spec->error : "unknown reason");
		return;
	}
	describe_type(spec, type, sizeof(type));
	switch (spec->kind) {
	case ARGSPEC_CONST:
		if (spec->is_float)
			snprintf(where, sizeof(where), "constant with bits 0x%" PRIx64,
				 (uint64_t)spec->imm);
		else if (spec->is_signed)
			snprintf(where, sizeof(where), "constant %" PRId64, spec->imm);
		else
			snprintf(where, sizeof(where), "constant %" PRIu64, (uint64_t)spec->imm);
		break;
	case ARGSPEC_REG:
		snprintf(where, sizeof(where), "register %%%s", reg_name(spec->base));
		break;
	case ARGSPEC_MEM:
		if (spec->imm)
			snprintf(disp, sizeof(disp), "%" PRId64, spec->imm);
		describe_registers(spec, regs, sizeof(regs));
		snprintf(where, sizeof(where), "memory %s%s", disp, regs);
		break;
	case ARGSPEC_SYMBOL:
		if (spec->imm)
			snprintf(disp, sizeof(disp), "%+" PRId64, spec->imm);
		describe_registers(spec, regs, sizeof(regs));
		snprintf(where, sizeof(where), "symbol %.*s%s%s",
			 (int)strnlen(spec->symbol, sizeof(spec->symbol)), spec->symbol, disp, regs);
		break;
	case ARGSPEC_INVALID:
		break;
	}
	snprintf(buf, len, "%s, %s", type, where);
}

/*
 * Argument specs and the x86-64 operand grammar (elf/argspec.c,
 * arch/x86_64.c): every form of USDT.md section 4, every register family,
 * and the malformed specs that must come back invalid with a reason.
 *
 * Each spec is copied into a heap buffer of exactly its length, without a
 * NUL, so that the sanitizer build catches a parser reading past len.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "elf/argspec.h"
#include "tap.h"

#define NONE NULL

struct good {
	const char *text;
	enum argspec_kind kind;
	int size;
	bool is_signed, is_float, implied;
	const char *base, *index;   /* register names, NONE for -1 */
	int scale;
	int64_t imm;
	const char *symbol;
	const char *describe;
};

static const struct good goods[] = {
	/* USDT.md section 4, row by row. */
	{ "-4@$-9", ARGSPEC_CONST, 4, 1, 0, 0, NONE, NONE, 0, -9, "", "signed 32-bit, constant -9" },
	{ "1@$-127", ARGSPEC_CONST, 1, 0, 0, 0, NONE, NONE, 0, 129, "", "unsigned 8-bit, constant 129" },
	{ "8@$-2147483647", ARGSPEC_CONST, 8, 0, 0, 0, NONE, NONE, 0, -2147483647LL, "",
	  "unsigned 64-bit, constant 18446744071562067969" },
	{ "8@%rdx", ARGSPEC_REG, 8, 0, 0, 0, "rdx", NONE, 0, 0, "", "unsigned 64-bit, register %rdx" },
	{ "-4@%eax", ARGSPEC_REG, 4, 1, 0, 0, "eax", NONE, 0, 0, "", "signed 32-bit, register %eax" },
	{ "-2@%cx", ARGSPEC_REG, 2, 1, 0, 0, "cx", NONE, 0, 0, "", "signed 16-bit, register %cx" },
	{ "-1@%sil", ARGSPEC_REG, 1, 1, 0, 0, "sil", NONE, 0, 0, "", "signed 8-bit, register %sil" },
	{ "-1@%r9b", ARGSPEC_REG, 1, 1, 0, 0, "r9b", NONE, 0, 0, "", "signed 8-bit, register %r9b" },
	{ "4@%r8d", ARGSPEC_REG, 4, 0, 0, 0, "r8d", NONE, 0, 0, "", "unsigned 32-bit, register %r8d" },
	{ "1@%ah", ARGSPEC_REG, 1, 0, 0, 0, "ah", NONE, 0, 0, "", "unsigned 8-bit, register %ah" },
	{ "%bh", ARGSPEC_REG, 8, 0, 0, 1, "bh", NONE, 0, 0, "", "unsigned 64-bit, register %bh" },
	{ "%ch", ARGSPEC_REG, 8, 0, 0, 1, "ch", NONE, 0, 0, "", "unsigned 64-bit, register %ch" },
	{ "%dh", ARGSPEC_REG, 8, 0, 0, 1, "dh", NONE, 0, 0, "", "unsigned 64-bit, register %dh" },
	{ "8@%xmm1", ARGSPEC_REG, 8, 0, 0, 0, "xmm1", NONE, 0, 0, "", "unsigned 64-bit, register %xmm1" },
	{ "8f@%xmm0", ARGSPEC_REG, 8, 0, 1, 0, "xmm0", NONE, 0, 0, "", "double, register %xmm0" },
	{ "-4@-1204(%rbp)", ARGSPEC_MEM, 4, 1, 0, 0, "rbp", NONE, 1, -1204, "",
	  "signed 32-bit, memory -1204(%rbp)" },
	{ "8@(%rsp)", ARGSPEC_MEM, 8, 0, 0, 0, "rsp", NONE, 1, 0, "", "unsigned 64-bit, memory (%rsp)" },
	{ "-4@112(%rsp)", ARGSPEC_MEM, 4, 1, 0, 0, "rsp", NONE, 1, 112, "",
	  "signed 32-bit, memory 112(%rsp)" },
	{ "-4@-12+4(%rbp)", ARGSPEC_MEM, 4, 1, 0, 0, "rbp", NONE, 1, -8, "",
	  "signed 32-bit, memory -8(%rbp)" },
	{ "-8@-88(%rsp,%rax,8)", ARGSPEC_MEM, 8, 1, 0, 0, "rsp", "rax", 8, -88, "",
	  "signed 64-bit, memory -88(%rsp,%rax,8)" },
	{ "4@(%rbx,%rcx)", ARGSPEC_MEM, 4, 0, 0, 0, "rbx", "rcx", 1, 0, "",
	  "unsigned 32-bit, memory (%rbx,%rcx)" },
	{ "-4@gvar(%rip)", ARGSPEC_SYMBOL, 4, 1, 0, 0, NONE, NONE, 1, 0, "gvar",
	  "signed 32-bit, symbol gvar(%rip)" },
	{ "-8@8+gs(%rip)", ARGSPEC_SYMBOL, 8, 1, 0, 0, NONE, NONE, 1, 8, "gs",
	  "signed 64-bit, symbol gs+8(%rip)" },
	{ "8@24+mp_(%rip)", ARGSPEC_SYMBOL, 8, 0, 0, 0, NONE, NONE, 1, 24, "mp_",
	  "unsigned 64-bit, symbol mp_+24(%rip)" },
	{ "4f@%eax", ARGSPEC_REG, 4, 0, 1, 0, "eax", NONE, 0, 0, "", "float, register %eax" },
	{ "8f@-240(%rbp)", ARGSPEC_MEM, 8, 0, 1, 0, "rbp", NONE, 1, -240, "",
	  "double, memory -240(%rbp)" },

	/* What CPython 3.11 and sys/sdt.h really emit. */
	{ "8@%rbp", ARGSPEC_REG, 8, 0, 0, 0, "rbp", NONE, 0, 0, "", "unsigned 64-bit, register %rbp" },
	{ "8@%r12", ARGSPEC_REG, 8, 0, 0, 0, "r12", NONE, 0, 0, "", "unsigned 64-bit, register %r12" },
	{ "-8@%r12", ARGSPEC_REG, 8, 1, 0, 0, "r12", NONE, 0, 0, "", "signed 64-bit, register %r12" },
	{ "-4@%ebp", ARGSPEC_REG, 4, 1, 0, 0, "ebp", NONE, 0, 0, "", "signed 32-bit, register %ebp" },
	{ "-8f@%xmm0", ARGSPEC_REG, 8, 1, 1, 0, "xmm0", NONE, 0, 0, "", "double, register %xmm0" },
	{ "-4f@%xmm15", ARGSPEC_REG, 4, 1, 1, 0, "xmm15", NONE, 0, 0, "", "float, register %xmm15" },

	/* Immediates: truncation to the width, then sign or zero extension. */
	{ "-2@$65535", ARGSPEC_CONST, 2, 1, 0, 0, NONE, NONE, 0, -1, "", "signed 16-bit, constant -1" },
	{ "2@$-1", ARGSPEC_CONST, 2, 0, 0, 0, NONE, NONE, 0, 65535, "", "unsigned 16-bit, constant 65535" },
	{ "-1@$128", ARGSPEC_CONST, 1, 1, 0, 0, NONE, NONE, 0, -128, "", "signed 8-bit, constant -128" },
	{ "-1@$127", ARGSPEC_CONST, 1, 1, 0, 0, NONE, NONE, 0, 127, "", "signed 8-bit, constant 127" },
	{ "4@$0x10", ARGSPEC_CONST, 4, 0, 0, 0, NONE, NONE, 0, 16, "", "unsigned 32-bit, constant 16" },
	{ "4@$0XfF", ARGSPEC_CONST, 4, 0, 0, 0, NONE, NONE, 0, 255, "", "unsigned 32-bit, constant 255" },
	{ "8@$010", ARGSPEC_CONST, 8, 0, 0, 0, NONE, NONE, 0, 8, "", "unsigned 64-bit, constant 8" },
	{ "4@$0", ARGSPEC_CONST, 4, 0, 0, 0, NONE, NONE, 0, 0, "", "unsigned 32-bit, constant 0" },
	{ "-4@$+7", ARGSPEC_CONST, 4, 1, 0, 0, NONE, NONE, 0, 7, "", "signed 32-bit, constant 7" },
	{ "-4@$4294967295", ARGSPEC_CONST, 4, 1, 0, 0, NONE, NONE, 0, -1, "", "signed 32-bit, constant -1" },
	{ "8@$18446744073709551615", ARGSPEC_CONST, 8, 0, 0, 0, NONE, NONE, 0, -1, "",
	  "unsigned 64-bit, constant 18446744073709551615" },
	{ "-8@$-9223372036854775808", ARGSPEC_CONST, 8, 1, 0, 0, NONE, NONE, 0, INT64_MIN, "",
	  "signed 64-bit, constant -9223372036854775808" },
	{ "-8@$0x7fffffffffffffff", ARGSPEC_CONST, 8, 1, 0, 0, NONE, NONE, 0, INT64_MAX, "",
	  "signed 64-bit, constant 9223372036854775807" },
	{ "$5", ARGSPEC_CONST, 8, 0, 0, 1, NONE, NONE, 0, 5, "", "unsigned 64-bit, constant 5" },
	{ "8f@$1", ARGSPEC_CONST, 8, 0, 1, 0, NONE, NONE, 0, 1, "", "double, constant with bits 0x1" },
	{ "-4f@$-1", ARGSPEC_CONST, 4, 1, 1, 0, NONE, NONE, 0, 0xffffffff, "",
	  "float, constant with bits 0xffffffff" },

	/* Memory: hex, split and indexed forms. */
	{ "8@0x10(%rax)", ARGSPEC_MEM, 8, 0, 0, 0, "rax", NONE, 1, 16, "", "unsigned 64-bit, memory 16(%rax)" },
	{ "-8(%rbp)", ARGSPEC_MEM, 8, 0, 0, 1, "rbp", NONE, 1, -8, "", "unsigned 64-bit, memory -8(%rbp)" },
	{ "4@+8(%rdi)", ARGSPEC_MEM, 4, 0, 0, 0, "rdi", NONE, 1, 8, "", "unsigned 32-bit, memory 8(%rdi)" },
	{ "4@1-2+3-4(%r15)", ARGSPEC_MEM, 4, 0, 0, 0, "r15", NONE, 1, -2, "",
	  "unsigned 32-bit, memory -2(%r15)" },
	{ "-4@(%r12,%r13,4)", ARGSPEC_MEM, 4, 1, 0, 0, "r12", "r13", 4, 0, "",
	  "signed 32-bit, memory (%r12,%r13,4)" },
	{ "-2@16(%rax,%r15,2)", ARGSPEC_MEM, 2, 1, 0, 0, "rax", "r15", 2, 16, "",
	  "signed 16-bit, memory 16(%rax,%r15,2)" },
	{ "1@(%rsp,%rbp,1)", ARGSPEC_MEM, 1, 0, 0, 0, "rsp", "rbp", 1, 0, "",
	  "unsigned 8-bit, memory (%rsp,%rbp)" },
	{ "-4@-9223372036854775808(%rax)", ARGSPEC_MEM, 4, 1, 0, 0, "rax", NONE, 1, INT64_MIN, "",
	  "signed 32-bit, memory -9223372036854775808(%rax)" },

	/* Symbols, every way of placing the offset. */
	{ "4@sym+8(%rip)", ARGSPEC_SYMBOL, 4, 0, 0, 0, NONE, NONE, 1, 8, "sym",
	  "unsigned 32-bit, symbol sym+8(%rip)" },
	{ "4@sym-8(%rip)", ARGSPEC_SYMBOL, 4, 0, 0, 0, NONE, NONE, 1, -8, "sym",
	  "unsigned 32-bit, symbol sym-8(%rip)" },
	{ "4@-8+sym(%rip)", ARGSPEC_SYMBOL, 4, 0, 0, 0, NONE, NONE, 1, -8, "sym",
	  "unsigned 32-bit, symbol sym-8(%rip)" },
	{ "-4@gvar+4(%rip)", ARGSPEC_SYMBOL, 4, 1, 0, 0, NONE, NONE, 1, 4, "gvar",
	  "signed 32-bit, symbol gvar+4(%rip)" },
	{ "8@4+gvar+4(%rip)", ARGSPEC_SYMBOL, 8, 0, 0, 0, NONE, NONE, 1, 8, "gvar",
	  "unsigned 64-bit, symbol gvar+8(%rip)" },
	{ "8@state.lto_priv.0(%rip)", ARGSPEC_SYMBOL, 8, 0, 0, 0, NONE, NONE, 1, 0, "state.lto_priv.0",
	  "unsigned 64-bit, symbol state.lto_priv.0(%rip)" },
	{ "8@_ZL4gvar(%rip)", ARGSPEC_SYMBOL, 8, 0, 0, 0, NONE, NONE, 1, 0, "_ZL4gvar",
	  "unsigned 64-bit, symbol _ZL4gvar(%rip)" },
	/* non-PIE code: the symbol's absolute address as the displacement */
	{ "-8@garr(,%rdi,8)", ARGSPEC_SYMBOL, 8, 1, 0, 0, NONE, "rdi", 8, 0, "garr",
	  "signed 64-bit, symbol garr(,%rdi,8)" },
	{ "1@gbytes(%rdi)", ARGSPEC_SYMBOL, 1, 0, 0, 0, "rdi", NONE, 1, 0, "gbytes",
	  "unsigned 8-bit, symbol gbytes(%rdi)" },
	{ "-8@grecs+16(%rdx)", ARGSPEC_SYMBOL, 8, 1, 0, 0, "rdx", NONE, 1, 16, "grecs",
	  "signed 64-bit, symbol grecs+16(%rdx)" },
	{ "4@gvar(%rax,%rbx,2)", ARGSPEC_SYMBOL, 4, 0, 0, 0, "rax", "rbx", 2, 0, "gvar",
	  "unsigned 32-bit, symbol gvar(%rax,%rbx,2)" },
	{ "4@8+CheckpointStats(%rip)", ARGSPEC_SYMBOL, 4, 0, 0, 0, NONE, NONE, 1, 8, "CheckpointStats",
	  "unsigned 32-bit, symbol CheckpointStats+8(%rip)" },
};

struct bad {
	const char *text;
	const char *reason;   /* a substring of spec->error */
};

static const struct bad bads[] = {
	{ "", "empty" },
	{ "4@", "missing operand" },
	{ "-4@", "missing operand" },
	{ "@%eax", "missing size" },
	{ "-@%eax", "missing size" },
	{ "x4@%eax", "missing size" },
	{ "4x@%eax", "bad size prefix" },
	{ "4ff@%eax", "bad size prefix" },
	{ "f4@%eax", "missing size" },
	{ "3@%eax", "size 3 is not 1, 2, 4 or 8" },
	{ "0@%eax", "size 0" },
	{ "16@%xmm0", "size 16" },
	{ "-16f@%xmm0", "size 16" },
	{ "123456789012345678901234567890@%eax", "bad size prefix" },
	{ "2f@%ax", "float of 2 bytes" },
	{ "1f@%al", "float of 1 bytes" },
	{ "4@%nosuch", "unknown register %nosuch" },
	{ "4@%RAX", "unknown register %RAX" },
	{ "4@%", "missing register name" },
	{ "4@%r16", "unknown register %r16" },
	{ "4@%xmm16", "unknown register %xmm16" },
	{ "-4@%eax junk", "unexpected ' junk' after %eax" },
	{ "4@%eax,", "unexpected ','" },
	{ "4@%rip", "%rip is only valid" },
	{ "4@(%rax", "missing ')'" },
	{ "4@8(%rax", "missing ')'" },
	{ "4@(%rax,%rbx", "missing ')'" },
	{ "4@5(%rax)x", "unexpected 'x' after ')'" },
	{ "4@5(%rax),", "unexpected ','" },
	{ "4@5(%rax,)", "expected a register" },
	{ "4@5(%rax,%rbx,)", "bad scale" },
	{ "4@5(%rax,%rbx,3)", "scale 3" },
	{ "4@5(%rax,%rbx,16)", "scale 16" },
	{ "4@5(%rax,%rbx,0x)", "bad scale" },
	{ "4@(%rax,%rsp)", "%rsp cannot be an index" },
	{ "4@(%rax,%xmm0)", "%xmm0 cannot be an index" },
	{ "4@(%rax,%eax)", "%eax cannot be an index" },
	{ "4@(%rax,%rip)", "%rip cannot be an index" },
	{ "4@(%eax)", "%eax cannot be a base" },
	{ "4@(%xmm1)", "%xmm1 cannot be a base" },
	{ "4@(%al)", "%al cannot be a base" },
	{ "4@(,%rax,4)", "without a base register" },
	{ "4@8(,%rax,4)", "without a base register" },
	{ "4@()", "expected a register" },
	{ "4@(rax)", "expected a register" },
	{ "4@$", "bad immediate" },
	{ "4@$-", "bad immediate" },
	{ "4@$0x", "bad immediate" },
	{ "4@$08", "bad immediate" },
	{ "4@$12abc", "bad immediate" },
	{ "4@$1(%rax)", "bad immediate" },
	{ "4@$gvar", "symbolic immediate" },
	{ "8@$18446744073709551616", "does not fit in 64 bits" },
	{ "4@$99999999999999999999", "does not fit in 64 bits" },
	{ "4@8(%rip)", "rip-relative operand without a symbol" },
	{ "4@-12+4(%rip)", "rip-relative operand without a symbol" },
	{ "4@(%rip)", "rip-relative operand without a symbol" },
	{ "4@gvar(%rip,%rax)", "%rip cannot be used with an index" },
	{ "4@gvar", "is not an operand" },
	{ "4@1234", "is not an operand" },
	{ "4@-8", "is not an operand" },
	{ "4@a+b(%rip)", "two symbols" },
	{ "4@-gvar(%rip)", "negated symbol" },
	{ "4@8-gvar(%rip)", "negated symbol" },
	{ "4@5 (%rax)", "expected '+', '-' or '('" },
	{ "4@5*2(%rax)", "expected '+', '-' or '('" },
	{ "4@0x(%rax)", "bad displacement" },
	{ "4@--8(%rax)", "bad displacement" },
	{ "4@8+(%rax)", "bad displacement" },
	{ "4@99999999999999999999(%rax)", "displacement out of range" },
	{ "4@9223372036854775808(%rax)", "displacement out of range" },
	{ "4@9223372036854775807+1(%rax)", "displacement out of range" },
	{ "4@-9223372036854775808-1(%rax)", "displacement out of range" },
	{ "4@[sp, 96]", "bad displacement" },
	{ "-8@x4", "is not an operand" },
	{ "4@sym@GOTPCREL(%rip)", "expected '+', '-' or '('" },
};

/* A heap copy of exactly len bytes, no NUL: overreads trip the sanitizer. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	memcpy(p, s, len);
	return p;
}

static int reg_id(const char *name)
{
	return name ? arch_reg_lookup(name, strlen(name)) : -1;
}

static void test_good(const struct good *g)
{
	size_t len = strlen(g->text);
	char *text = exact_copy(g->text, len);
	struct argspec s;
	char buf[256];
	int rc;

	rc = argspec_parse(text, len, &s);
	is_int(rc, 0, "'%s' parses", g->text);
	if (rc)
		printf("#   error: %s\n", s.error);
	is_str(argspec_kind_name(s.kind), argspec_kind_name(g->kind), "'%s': kind", g->text);
	is_int(s.size, g->size, "'%s': size", g->text);
	ok(s.is_signed == g->is_signed && s.is_float == g->is_float && s.size_implied == g->implied,
	   "'%s': signed %d, float %d, implied %d", g->text, g->is_signed, g->is_float, g->implied);
	is_int(s.base, reg_id(g->base), "'%s': base %s", g->text, g->base ? g->base : "none");
	is_int(s.index, reg_id(g->index), "'%s': index %s", g->text, g->index ? g->index : "none");
	if (g->kind == ARGSPEC_MEM)
		is_int(s.scale, g->scale, "'%s': scale", g->text);
	is_u64(s.imm, g->imm, "'%s': imm", g->text);
	is_str(s.symbol, g->symbol, "'%s': symbol", g->text);
	argspec_describe(&s, buf, sizeof(buf));
	is_str(buf, g->describe, "'%s': described", g->text);
	free(text);
}

static void test_bad(const struct bad *b)
{
	size_t len = strlen(b->text);
	char *text = exact_copy(b->text, len);
	struct argspec s;
	char buf[256];
	int rc;

	memset(&s, 0x5a, sizeof(s));
	rc = argspec_parse(text, len, &s);
	ok(rc == -EINVAL && s.kind == ARGSPEC_INVALID, "'%s' is invalid", b->text);
	ok(strstr(s.error, b->reason) != NULL, "'%s': error says '%s'", b->text, b->reason);
	if (!strstr(s.error, b->reason))
		printf("#   error: %s\n", s.error);
	ok(memchr(s.error, '\0', sizeof(s.error)) != NULL, "'%s': error is terminated", b->text);
	argspec_describe(&s, buf, sizeof(buf));
	ok(strncmp(buf, "invalid: ", 9) == 0 && strstr(buf, b->reason),
	   "'%s': described as invalid", b->text);
	free(text);
}

/* A register's entry in the table, checked against the kernel's structs. */
static void check_reg(const char *name, enum arch_regfile file, size_t offset, int shift, int width)
{
	int id = arch_reg_lookup(name, strlen(name));
	const struct arch_reg *r = arch_reg(id);

	ok(r && r->file == file && r->offset == offset && r->shift == shift && r->width == width &&
	   strcmp(r->name, name) == 0, "register %%%s: file %d, offset %zu, shift %d, width %d",
	   name, file, offset, shift, width);
}

#define GPR_OFF(f) offsetof(struct user_regs_struct, f)
#define XMM_OFF(i) (offsetof(struct user_fpregs_struct, xmm_space) + 16 * (i))

static void test_registers(void)
{
	static const char *const legacy[][5] = {
		{ "rax", "eax", "ax", "al", "ah" }, { "rbx", "ebx", "bx", "bl", "bh" },
		{ "rcx", "ecx", "cx", "cl", "ch" }, { "rdx", "edx", "dx", "dl", "dh" },
		{ "rsi", "esi", "si", "sil", NULL }, { "rdi", "edi", "di", "dil", NULL },
		{ "rbp", "ebp", "bp", "bpl", NULL }, { "rsp", "esp", "sp", "spl", NULL },
	};
	static const size_t legacy_off[] = {
		GPR_OFF(rax), GPR_OFF(rbx), GPR_OFF(rcx), GPR_OFF(rdx),
		GPR_OFF(rsi), GPR_OFF(rdi), GPR_OFF(rbp), GPR_OFF(rsp),
	};
	static const size_t rn_off[] = {
		GPR_OFF(r8), GPR_OFF(r9), GPR_OFF(r10), GPR_OFF(r11),
		GPR_OFF(r12), GPR_OFF(r13), GPR_OFF(r14), GPR_OFF(r15),
	};
	char name[16];
	size_t n = 0;

	for (size_t i = 0; i < 8; i++) {
		check_reg(legacy[i][0], REGFILE_GPR, legacy_off[i], 0, 8);
		check_reg(legacy[i][1], REGFILE_GPR, legacy_off[i], 0, 4);
		check_reg(legacy[i][2], REGFILE_GPR, legacy_off[i], 0, 2);
		check_reg(legacy[i][3], REGFILE_GPR, legacy_off[i], 0, 1);
		n += 4;
		if (legacy[i][4]) {
			check_reg(legacy[i][4], REGFILE_GPR, legacy_off[i], 8, 1);
			n++;
		}
	}
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "r%d", i + 8);
		check_reg(name, REGFILE_GPR, rn_off[i], 0, 8);
		snprintf(name, sizeof(name), "r%dd", i + 8);
		check_reg(name, REGFILE_GPR, rn_off[i], 0, 4);
		snprintf(name, sizeof(name), "r%dw", i + 8);
		check_reg(name, REGFILE_GPR, rn_off[i], 0, 2);
		snprintf(name, sizeof(name), "r%db", i + 8);
		check_reg(name, REGFILE_GPR, rn_off[i], 0, 1);
		n += 4;
	}
	check_reg("rip", REGFILE_IP, GPR_OFF(rip), 0, 8);
	n++;
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "xmm%d", i);
		check_reg(name, REGFILE_VEC, XMM_OFF(i), 0, 16);
		n++;
	}
	is_int(arch_reg_count(), n, "the table has exactly the %zu names checked", n);
	for (size_t i = 0; i < arch_reg_count(); i++) {
		const struct arch_reg *r = arch_reg((int)i);

		if (arch_reg_lookup(r->name, strlen(r->name)) != (int)i) {
			ok(0, "register %%%s is found at its own id", r->name);
			break;
		}
	}
	ok(1, "every name in the table is found at its own id");
	ok(arch_reg(-1) == NULL && arch_reg((int)arch_reg_count()) == NULL, "ids out of range give NULL");
	is_int(arch_reg_lookup("rax", 2), -1, "a prefix of a name is not the name");
	is_int(arch_reg_lookup("raxx", 3), reg_id("rax"), "lookup honours len");
	is_int(arch_reg_lookup("", 0), -1, "the empty name is unknown");

	/* Every register name as an operand, all sizes. */
	for (size_t i = 0; i < arch_reg_count(); i++) {
		const struct arch_reg *r = arch_reg((int)i);
		struct argspec s;
		char spec[32];
		int rc;

		if (r->file == REGFILE_IP)
			continue;
		snprintf(spec, sizeof(spec), "-2@%%%s", r->name);
		rc = argspec_parse(spec, strlen(spec), &s);
		if (rc || s.kind != ARGSPEC_REG || s.base != (int)i || s.size != 2 || !s.is_signed) {
			ok(0, "'%s' parses to register id %zu", spec, i);
			return;
		}
	}
	ok(1, "every register name parses as a register operand");
}

static void test_register_values(void)
{
	struct arch_regs r;

	memset(&r, 0, sizeof(r));
	r.gpr.rax = 0x1122334455667788ULL;
	r.gpr.r9 = 0xfedcba9876543210ULL;
	r.gpr.rip = 0x401000;
	r.gpr.rsp = 0x7ffd0000;
	r.gpr.rbp = 0x7ffd0040;
	memcpy((uint8_t *)r.vec.xmm_space + 16 * 3, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10);

	is_u64(arch_reg_value(&r, reg_id("rax")), 0x1122334455667788ULL, "%%rax reads the full register");
	is_u64(arch_reg_value(&r, reg_id("eax")), 0x1122334455667788ULL,
	       "%%eax reads the full register too (the spec size truncates)");
	is_u64(arch_reg_value(&r, reg_id("ah")) & 0xff, 0x77, "%%ah is bits 8..15");
	is_u64(arch_reg_value(&r, reg_id("r9b")) & 0xff, 0x10, "%%r9b is the low byte of r9");
	is_u64(arch_reg_value(&r, reg_id("xmm3")), 0, "the vector file reads 0 when not fetched");
	r.have_vec = true;
	is_u64(arch_reg_value(&r, reg_id("xmm3")), 0x0807060504030201ULL,
	       "%%xmm3 reads the low 64 bits of its lane");
	is_u64(arch_reg_value(&r, -1), 0, "an unknown id reads 0");
	is_u64(arch_regs_pc(&r), 0x401000, "pc is rip");
	is_u64(arch_regs_sp(&r), 0x7ffd0000, "sp is rsp");
	is_u64(arch_regs_fp(&r), 0x7ffd0040, "fp is rbp");
	arch_regs_emulate_return(&r, 0x402233);
	ok(r.gpr.rip == 0x402233 && r.gpr.rsp == 0x7ffd0008, "emulated return pops the return address");
	is_u64(arch_pc_after_trap(0x401000), 0x401001, "a thread resumes one byte past the int3");
	is_int(arch_trap_insn, 0xcc, "the trap is int3");
	is_int(arch_site_insn, 0x90, "the probe site is a 1-byte nop");
}

static void test_return_site(void)
{
	static const uint8_t ret[] = { 0xc3 };
	static const uint8_t rep_ret[] = { 0xf3, 0xc3 };
	static const uint8_t endbr_ret[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xc3, 0xcc };
	static const uint8_t endbr_only[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const uint8_t endbr_push[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	static const uint8_t push[] = { 0x55, 0xc3 };

	is_int(arch_return_site(ret, sizeof(ret)), 0, "ret: trap at 0");
	is_int(arch_return_site(rep_ret, sizeof(rep_ret)), 0, "rep ret: trap at 0");
	is_int(arch_return_site(endbr_ret, sizeof(endbr_ret)), 4, "endbr64; ret: trap at 4");
	is_int(arch_return_site(endbr_ret, 4), -1, "endbr64 with ret cut off: no site");
	is_int(arch_return_site(endbr_only, sizeof(endbr_only)), -1, "endbr64 alone: no site");
	is_int(arch_return_site(endbr_push, sizeof(endbr_push)), -1, "endbr64; push: no site");
	is_int(arch_return_site(push, sizeof(push)), -1, "push; ret: no site");
	is_int(arch_return_site(ret, 0), -1, "no bytes: no site");
}

static void test_machine_names(void)
{
	is_int(arch_elf_machine, 62, "ptap traces EM_X86_64");
	is_str(arch_machine_name(62), "x86-64", "EM_X86_64");
	is_str(arch_machine_name(183), "aarch64", "EM_AARCH64");
	is_str(arch_machine_name(3), "i386", "EM_386");
	is_str(arch_machine_name(243), "riscv", "EM_RISCV");
	is_str(arch_machine_name(22), "s390", "EM_S390");
	is_str(arch_machine_name(21), "ppc64", "EM_PPC64");
	is_str(arch_machine_name(40), "arm", "EM_ARM");
	is_str(arch_machine_name(4242), "machine 4242", "an unknown machine by number");
}

static void test_parse_all(void)
{
	struct argspec out[ARGSPEC_MAX_ARGS + 1];
	char line[512];
	int n;

	n = argspec_parse_all("8@%rbp 8@%r12 -4@%eax", out, ARGSPEC_MAX_ARGS);
	is_int(n, 3, "CPython's function__entry has 3 specs");
	ok(out[0].kind == ARGSPEC_REG && out[0].base == reg_id("rbp") && out[1].base == reg_id("r12") &&
	   out[2].base == reg_id("eax") && out[2].is_signed && out[2].size == 4,
	   "and they are %%rbp, %%r12, -4@%%eax");

	n = argspec_parse_all("  8@%rax   3@%eax\t-4@%ebx  ", out, ARGSPEC_MAX_ARGS);
	is_int(n, 3, "runs of spaces and tabs separate specs; leading and trailing ones do not count");
	ok(out[0].kind == ARGSPEC_REG && out[1].kind == ARGSPEC_INVALID && out[2].kind == ARGSPEC_REG,
	   "an invalid spec keeps its slot");
	ok(strstr(out[1].error, "size 3") != NULL, "and says why");
	ok(out[2].base == reg_id("ebx") && out[2].size == 4 && out[2].is_signed,
	   "the spec after it keeps its number");

	is_int(argspec_parse_all("", out, ARGSPEC_MAX_ARGS), 0, "an empty string has no specs");
	is_int(argspec_parse_all("   ", out, ARGSPEC_MAX_ARGS), 0, "nor do spaces");
	is_int(argspec_parse_all(NULL, out, ARGSPEC_MAX_ARGS), 0, "nor NULL");

	line[0] = '\0';
	for (int i = 0; i < ARGSPEC_MAX_ARGS; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s$%d", i ? " " : "", i);
	is_int(argspec_parse_all(line, out, ARGSPEC_MAX_ARGS), ARGSPEC_MAX_ARGS, "12 specs fit");
	strcat(line, " $12 $13");
	memset(out, 0x5a, sizeof(out));
	is_int(argspec_parse_all(line, out, ARGSPEC_MAX_ARGS), -E2BIG, "14 specs are too many");
	ok(out[ARGSPEC_MAX_ARGS - 1].kind == ARGSPEC_CONST && out[ARGSPEC_MAX_ARGS - 1].imm == 11,
	   "the first 12 are still parsed");
	ok(((unsigned char *)&out[ARGSPEC_MAX_ARGS])[0] == 0x5a, "nothing is written past max");
	is_int(argspec_parse_all("$1 $2", out, 1), -E2BIG, "max is honoured");
	is_int(argspec_parse_all("$1", out, 0), -E2BIG, "even when it is 0");
}

static void test_describe_edges(void)
{
	struct argspec s;
	char buf[256], small[12];

	argspec_parse("-4@%eax", 7, &s);
	memset(small, 'x', sizeof(small));
	argspec_describe(&s, small, sizeof(small));
	is_str(small, "signed 32-b", "a short buffer gets a truncated, terminated description");
	argspec_describe(&s, small, 0);
	ok(1, "a zero-length buffer is left alone");
	memset(&s, 0, sizeof(s));
	s.kind = ARGSPEC_INVALID;
	argspec_describe(&s, buf, sizeof(buf));
	is_str(buf, "invalid: unknown reason", "an invalid spec without a reason");

	is_str(argspec_kind_name(ARGSPEC_CONST), "const", "kind name const");
	is_str(argspec_kind_name(ARGSPEC_REG), "register", "kind name register");
	is_str(argspec_kind_name(ARGSPEC_MEM), "memory", "kind name memory");
	is_str(argspec_kind_name(ARGSPEC_SYMBOL), "symbol", "kind name symbol");
	is_str(argspec_kind_name(ARGSPEC_INVALID), "invalid", "kind name invalid");
	is_str(argspec_kind_name((enum argspec_kind)99), "invalid", "an unknown kind is invalid");
}

static void test_lengths(void)
{
	char sym[ARGSPEC_SYMBOL_MAX + 32];
	struct argspec s;

	/* len, not the NUL, ends the spec. */
	is_int(argspec_parse("8@%rax", 4, &s), -EINVAL, "'8@%%rax' cut to 4 bytes is '8@%%r'");
	ok(strstr(s.error, "unknown register %r") != NULL, "which is an unknown register");
	is_int(argspec_parse("-4@%eax 8@%rbx", 7, &s), 0, "a spec followed by more text parses alone");

	/* Symbol names up to ARGSPEC_SYMBOL_MAX - 1 bytes. */
	memset(sym, 0, sizeof(sym));
	strcpy(sym, "8@");
	memset(sym + 2, 's', ARGSPEC_SYMBOL_MAX - 1);
	strcat(sym, "(%rip)");
	is_int(argspec_parse(sym, strlen(sym), &s), 0, "a 127-byte symbol fits");
	is_int(strlen(s.symbol), ARGSPEC_SYMBOL_MAX - 1, "and is kept whole");
	memset(sym, 0, sizeof(sym));
	strcpy(sym, "8@");
	memset(sym + 2, 's', ARGSPEC_SYMBOL_MAX);
	strcat(sym, "(%rip)");
	is_int(argspec_parse(sym, strlen(sym), &s), -EINVAL, "a 128-byte symbol does not");
	ok(strstr(s.error, "too long") != NULL, "and the error says it is too long");
	is_int(argspec_parse("-4@%eax", 7, &s), 0, "a valid spec after an invalid one parses");
	is_str(s.error, "", "with no stale error");
}

/* aarch64 writes "-4@[sp, 96]": a space inside brackets is no separator */
static void test_split_brackets(void)
{
	struct argspec out[ARGSPEC_MAX_ARGS];
	int n = argspec_parse_all("-8@x4 -4@[sp, 96] 8@%rax", out, ARGSPEC_MAX_ARGS);

	is_int(n, 3, "a bracketed operand with a space is one argument");
	ok(n == 3 && out[2].kind == ARGSPEC_REG, "the argument after it keeps its number");
	n = argspec_parse_all("-4@[sp, 96", out, ARGSPEC_MAX_ARGS);
	is_int(n, 1, "an unclosed bracket runs to the end: one argument");

	/* the texts list --json prints, split the same way */
	const char *s = " -8@x4  -4@[sp, 96]\t8@%rax ";
	char text[32];
	size_t len;

	s = argspec_next(s, &len);
	snprintf(text, sizeof(text), "%.*s", (int)len, s);
	is_str(text, "-8@x4", "argspec_next: the first spec, blanks skipped");
	s = argspec_next(s + len, &len);
	snprintf(text, sizeof(text), "%.*s", (int)len, s);
	is_str(text, "-4@[sp, 96]", "argspec_next: a bracketed operand whole");
	s = argspec_next(s + len, &len);
	snprintf(text, sizeof(text), "%.*s", (int)len, s);
	is_str(text, "8@%rax", "argspec_next: after a tab");
	s = argspec_next(s + len, &len);
	is_int(len, 0, "argspec_next: 0 at the end");
}

int main(void)
{
	test_split_brackets();
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		test_good(&goods[i]);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		test_bad(&bads[i]);
	test_registers();
	test_register_values();
	test_return_site();
	test_machine_names();
	test_parse_all();
	test_describe_edges();
	test_lengths();
	return done_testing();
}

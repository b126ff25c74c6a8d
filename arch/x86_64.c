/*
 * x86-64: the register table, the AT&T operand syntax of stapsdt argument
 * specs, and the few instructions and registers the tracer touches.
 *
 * The register table is what makes "-4@%eax" and "8@-8(%rbp)" mean the
 * same thing to the parser and to the evaluator.  Each name points at its
 * full register in the struct the kernel fills (user_regs_struct for
 * PTRACE_GETREGS, user_fpregs_struct for PTRACE_GETFPREGS) and says which
 * bits the name covers: %eax, %ax and %al are the low bytes of rax, %ah is
 * bits 8..15, %xmm3 is 16 bytes of xmm_space.  The spec's own size (the N
 * of N@) decides how many bytes are used; the name only picks the
 * register, because GCC writes "8@%eax" when it knows the upper half is
 * zero.
 *
 * The operand grammar is the subset of AT&T syntax that compilers put in
 * the note (through sys/sdt.h's "nor" constraint) plus what hand-written
 * asm uses:
 *
 *   $-9  $0x1f                     immediate
 *   %rdx  %r9b  %ah  %xmm0         register
 *   -1204(%rbp)  (%rsp)            memory at base + displacement
 *   -12+4(%rbp)                    displacement given as a sum of terms
 *   -88(%rsp,%rax,8)  (%rbx,%rcx)  base + index * scale (+ displacement)
 *   gvar(%rip)  8+gs(%rip)  mp_+24(%rip)
 *                                  a symbol's link-time value + offset
 *
 * A rip-relative operand is resolved through the symbol, never through
 * the thread's rip at the trap: the offset GCC printed is relative to the
 * instruction that would have used the operand, which does not exist.
 * Numbers follow the assembler: decimal, 0x hex, a leading 0 for octal.
 * Forms left out on purpose: absolute addresses ("1234", "gvar(,%rax,4)")
 * and a memory operand without a base register, which non-PIC code might
 * use but no probe we know of does; they are reported, not guessed.
 */
#include "arch/arch.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>

#include "common/util.h"
#include "elf/argspec.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

const uint16_t arch_elf_machine = EM_X86_64;
const uint8_t arch_trap_insn = 0xcc;   /* int3 */
const uint8_t arch_site_insn = 0x90;   /* nop */

#define GPR(n, field, sh, w) \
	{ n, REGFILE_GPR, offsetof(struct user_regs_struct, field), sh, w }
#define XMM(i) \
	{ "xmm" #i, REGFILE_VEC, offsetof(struct user_fpregs_struct, xmm_space) + 16 * (i), 0, 16 }

/* The four names of one of r8..r15. */
#define RNN(n) \
	GPR("r" #n, r##n, 0, 8), GPR("r" #n "d", r##n, 0, 4), \
	GPR("r" #n "w", r##n, 0, 2), GPR("r" #n "b", r##n, 0, 1)

static const struct arch_reg x86_regs[] = {
	GPR("rax", rax, 0, 8), GPR("eax", rax, 0, 4), GPR("ax", rax, 0, 2),
	GPR("al", rax, 0, 1), GPR("ah", rax, 8, 1),
	GPR("rbx", rbx, 0, 8), GPR("ebx", rbx, 0, 4), GPR("bx", rbx, 0, 2),
	GPR("bl", rbx, 0, 1), GPR("bh", rbx, 8, 1),
	GPR("rcx", rcx, 0, 8), GPR("ecx", rcx, 0, 4), GPR("cx", rcx, 0, 2),
	GPR("cl", rcx, 0, 1), GPR("ch", rcx, 8, 1),
	GPR("rdx", rdx, 0, 8), GPR("edx", rdx, 0, 4), GPR("dx", rdx, 0, 2),
	GPR("dl", rdx, 0, 1), GPR("dh", rdx, 8, 1),
	GPR("rsi", rsi, 0, 8), GPR("esi", rsi, 0, 4), GPR("si", rsi, 0, 2),
	GPR("sil", rsi, 0, 1),
	GPR("rdi", rdi, 0, 8), GPR("edi", rdi, 0, 4), GPR("di", rdi, 0, 2),
	GPR("dil", rdi, 0, 1),
	GPR("rbp", rbp, 0, 8), GPR("ebp", rbp, 0, 4), GPR("bp", rbp, 0, 2),
	GPR("bpl", rbp, 0, 1),
	GPR("rsp", rsp, 0, 8), GPR("esp", rsp, 0, 4), GPR("sp", rsp, 0, 2),
	GPR("spl", rsp, 0, 1),
	RNN(8), RNN(9), RNN(10), RNN(11), RNN(12), RNN(13), RNN(14), RNN(15),
	{ "rip", REGFILE_IP, offsetof(struct user_regs_struct, rip), 0, 8 },
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
};

int arch_reg_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(x86_regs); i++) {
		if (strlen(x86_regs[i].name) == len && memcmp(x86_regs[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

const struct arch_reg *arch_reg(int id)
{
	if (id < 0 || (size_t)id >= ARRAY_SIZE(x86_regs))
		return NULL;
	return &x86_regs[id];
}

size_t arch_reg_count(void)
{
	return ARRAY_SIZE(x86_regs);
}

const char *arch_machine_name(uint16_t e_machine)
{
	/* Per thread, so that two messages built at once do not share it. */
	static __thread char other[24];

	switch (e_machine) {
	case EM_X86_64:  return "x86-64";
	case EM_AARCH64: return "aarch64";
	case EM_386:     return "i386";
	case EM_RISCV:   return "riscv";
	case EM_S390:    return "s390";
	case EM_PPC64:   return "ppc64";
	case EM_PPC:     return "ppc";
	case EM_ARM:     return "arm";
	case EM_MIPS:    return "mips";
	}
	snprintf(other, sizeof(other), "machine %u", (unsigned)e_machine);
	return other;
}

/* ---- operand parsing ---------------------------------------------------- */

/* The operand being parsed: [p, end), plus the whole text for messages. */
struct cursor {
	const char *p;
	const char *end;
	const char *text;
	size_t len;
};

/* Longest piece of offending text quoted in a message: error is 96 bytes.
 * The text is not NUL-terminated, so every "%.*s" gets an explicit length. */
#define QUOTE_MAX 40
#define QUOTE(c) (int)MIN((c)->len, QUOTE_MAX), (c)->text
#define QUOTE_REST(c) (int)MIN((size_t)((c)->end - (c)->p), QUOTE_MAX), (c)->p

static PRINTF_LIKE(2, 3) int fail(struct argspec *spec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec->error, sizeof(spec->error), fmt, ap);
	va_end(ap);
	spec->kind = ARGSPEC_INVALID;
	return -EINVAL;
}

static bool at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

static int peek(const struct cursor *c)
{
	return at_end(c) ? -1 : (unsigned char)*c->p;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_symbol_start(int ch)
{
	return is_alpha(ch) || ch == '_' || ch == '.';
}

static bool is_symbol_char(int ch)
{
	return is_symbol_start(ch) || is_digit(ch) || ch == '$';
}

static int digit_value(int ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return 99;
}

/*
 * An unsigned number as the assembler reads it: 0x hex, 0 octal, else
 * decimal.  0 and *out, or -EINVAL (not a number) or -ERANGE (over 64 bits).
 */
static int parse_magnitude(struct cursor *c, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *start;

	if (!is_digit(peek(c)))
		return -EINVAL;
	if (c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X')) {
		base = 16;
		c->p += 2;
	} else if (c->p[0] == '0') {
		base = 8;
	}
	start = c->p;
	while (!at_end(c) && (is_digit(peek(c)) || is_alpha(peek(c)))) {
		int d = digit_value(peek(c));

		if (d >= (int)base)
			return -EINVAL;
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, (unsigned)d, &v))
			return -ERANGE;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;   /* "0x" alone */
	*out = v;
	return 0;
}

/* "%name": the register id, or fail() naming the text. */
static int parse_register(struct cursor *c, struct argspec *spec, int *id)
{
	const char *name;

	if (peek(c) != '%')
		return fail(spec, "expected a register in '%.*s'", QUOTE(c));
	name = ++c->p;
	while (!at_end(c) && (is_alpha(peek(c)) || is_digit(peek(c))))
		c->p++;
	*id = arch_reg_lookup(name, (size_t)(c->p - name));
	if (*id < 0) {
		if (c->p == name)
			return fail(spec, "missing register name after '%%' in '%.*s'",
				    QUOTE(c));
		return fail(spec, "unknown register %%%.*s", (int)MIN(c->p - name, QUOTE_MAX), name);
	}
	return 0;
}

static int parse_immediate(struct cursor *c, struct argspec *spec)
{
	bool negative = false;
	uint64_t mag;
	int err;

	c->p++;   /* '$' */
	if (peek(c) == '-' || peek(c) == '+')
		negative = *c->p++ == '-';
	if (is_symbol_start(peek(c)))
		return fail(spec, "symbolic immediate '%.*s' is not supported", QUOTE(c));
	err = parse_magnitude(c, &mag);
	if (err == -ERANGE)
		return fail(spec, "immediate '%.*s' does not fit in 64 bits", QUOTE(c));
	if (err || !at_end(c))
		return fail(spec, "bad immediate '%.*s'", QUOTE(c));
	/* Two's complement over 64 bits; the spec's width truncates it later. */
	spec->imm = (int64_t)(negative ? -mag : mag);
	spec->kind = ARGSPEC_CONST;
	return 0;
}

static int parse_register_operand(struct cursor *c, struct argspec *spec)
{
	int id, err;

	err = parse_register(c, spec, &id);
	if (err)
		return err;
	if (!at_end(c))
		return fail(spec, "unexpected '%.*s' after %%%s",
			    QUOTE_REST(c), x86_regs[id].name);
	if (x86_regs[id].file == REGFILE_IP)
		return fail(spec, "%%rip is only valid as the base of sym(%%rip)");
	spec->kind = ARGSPEC_REG;
	spec->base = (int16_t)id;
	return 0;
}

/*
 * The displacement before '(': terms joined by '+' and '-', each a number
 * or (at most once, added) a symbol.  The numbers are summed into *disp.
 */
static int parse_displacement(struct cursor *c, struct argspec *spec, int64_t *disp,
			      const char **sym, size_t *sym_len)
{
	bool first = true;

	*disp = 0;
	*sym = NULL;
	*sym_len = 0;
	while (!at_end(c) && peek(c) != '(') {
		bool negative = false;
		uint64_t mag;
		int64_t term;
		int err;

		if (peek(c) == '-' || peek(c) == '+')
			negative = *c->p++ == '-';
		else if (!first)
			return fail(spec, "expected '+', '-' or '(' at '%.*s'",
				    QUOTE_REST(c));
		first = false;

		if (is_symbol_start(peek(c))) {
			const char *s = c->p;

			while (!at_end(c) && is_symbol_char(peek(c)))
				c->p++;
			if (*sym)
				return fail(spec, "two symbols in '%.*s'", QUOTE(c));
			if (negative)
				return fail(spec, "negated symbol in '%.*s'", QUOTE(c));
			*sym = s;
			*sym_len = (size_t)(c->p - s);
			continue;
		}
		err = parse_magnitude(c, &mag);
		if (err == -ERANGE || (!err && mag > (uint64_t)INT64_MAX + negative))
			return fail(spec, "displacement out of range in '%.*s'", QUOTE(c));
		if (err)
			return fail(spec, "bad displacement in '%.*s'", QUOTE(c));
		/* mag is 2^63 only when negative, and -(2^63) fits. */
		term = negative ? (int64_t)(0 - mag) : (int64_t)mag;
		if (__builtin_add_overflow(*disp, term, disp))
			return fail(spec, "displacement out of range in '%.*s'", QUOTE(c));
	}
	return 0;
}

/* An address register: one of the 64-bit general-purpose ones (or rip). */
static bool is_address_reg(int id)
{
	return x86_regs[id].file == REGFILE_IP ||
	       (x86_regs[id].file == REGFILE_GPR && x86_regs[id].width == 8);
}

static int parse_memory(struct cursor *c, struct argspec *spec)
{
	const char *sym;
	size_t sym_len;
	int64_t disp;
	int base, index = -1;
	uint64_t scale = 1;
	int err;

	err = parse_displacement(c, spec, &disp, &sym, &sym_len);
	if (err)
		return err;
	if (at_end(c))
		return fail(spec, "'%.*s' is not an operand (no register, no '$', no '(')",
			    QUOTE(c));
	c->p++;   /* '(' */
	if (peek(c) == ',' && !sym)
		return fail(spec, "memory operand without a base register: '%.*s'",
			    QUOTE(c));
	if (peek(c) == ',') {
		base = -1;      /* sym(,%index,scale): a non-PIE global array */
	} else {
		err = parse_register(c, spec, &base);
		if (err)
			return err;
		if (!is_address_reg(base))
			return fail(spec, "%%%s cannot be a base register (64-bit registers only)",
				    x86_regs[base].name);
	}
	if (peek(c) == ',') {
		c->p++;
		err = parse_register(c, spec, &index);
		if (err)
			return err;
		if (!is_address_reg(index) || x86_regs[index].file == REGFILE_IP ||
		    strcmp(x86_regs[index].name, "rsp") == 0)
			return fail(spec, "%%%s cannot be an index register", x86_regs[index].name);
		if (peek(c) == ',') {
			c->p++;
			err = parse_magnitude(c, &scale);
			if (err)
				return fail(spec, "bad scale in '%.*s'", QUOTE(c));
			if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
				return fail(spec, "scale %llu in '%.*s' is not 1, 2, 4 or 8",
					    (unsigned long long)scale, QUOTE(c));
		}
	}
	if (peek(c) != ')')
		return fail(spec, "missing ')' in '%.*s'", QUOTE(c));
	c->p++;
	if (!at_end(c))
		return fail(spec, "unexpected '%.*s' after ')'",
			    QUOTE_REST(c));

	if (base >= 0 && x86_regs[base].file == REGFILE_IP) {
		if (index >= 0)
			return fail(spec, "%%rip cannot be used with an index register");
		if (!sym)
			return fail(spec, "rip-relative operand without a symbol: '%.*s'",
				    QUOTE(c));
		base = -1;      /* sym(%rip) is the symbol's own address */
	}
	spec->imm = disp;
	spec->base = (int16_t)base;
	spec->index = (int16_t)index;
	spec->scale = (uint8_t)scale;
	if (!sym) {
		spec->kind = ARGSPEC_MEM;
		return 0;
	}
	/* A symbol: sym(%rip) in PIC code, sym(%reg) and sym(,%reg,8) in
	 * non-PIE code where the symbol's absolute address is the
	 * displacement.  Either way the address is sym + bias + registers. */
	if (sym_len >= sizeof(spec->symbol))
		return fail(spec, "symbol name of %zu bytes is too long (at most %zu)",
			    sym_len, sizeof(spec->symbol) - 1);
	memcpy(spec->symbol, sym, sym_len);
	spec->symbol[sym_len] = '\0';
	spec->kind = ARGSPEC_SYMBOL;
	return 0;
}

int arch_operand_parse(const char *text, size_t len, struct argspec *spec)
{
	struct cursor c = { .p = text, .end = text + len, .text = text, .len = len };

	spec->kind = ARGSPEC_INVALID;
	spec->imm = 0;
	spec->base = -1;
	spec->index = -1;
	spec->scale = 0;
	spec->symbol[0] = '\0';
	spec->error[0] = '\0';
	if (len > INT32_MAX)
		return fail(spec, "operand too long");
	if (len == 0)
		return fail(spec, "missing operand");
	switch (text[0]) {
	case '$':
		return parse_immediate(&c, spec);
	case '%':
		return parse_register_operand(&c, spec);
	default:
		return parse_memory(&c, spec);
	}
}

/* ---- breakpoints and registers --------------------------------------- */

uint64_t arch_pc_after_trap(uint64_t site)
{
	/* int3 is one byte and traps after executing: rip points past it. */
	return site + 1;
}

uint64_t arch_regs_pc(const struct arch_regs *r)
{
	return r->gpr.rip;
}

uint64_t arch_regs_sp(const struct arch_regs *r)
{
	return r->gpr.rsp;
}

uint64_t arch_regs_fp(const struct arch_regs *r)
{
	return r->gpr.rbp;
}

uint64_t arch_reg_value(const struct arch_regs *r, int id)
{
	const struct arch_reg *reg = arch_reg(id);
	uint64_t v = 0;

	if (!reg)
		return 0;
	if (reg->file == REGFILE_VEC) {
		/* The low 64 bits of the lane: a float or double argument
		 * lives there, and so may an integer the compiler parked. */
		if (r->have_vec)
			memcpy(&v, (const uint8_t *)&r->vec + reg->offset, sizeof(v));
		return v;
	}
	memcpy(&v, (const uint8_t *)&r->gpr + reg->offset, sizeof(v));
	return v >> reg->shift;
}

int arch_regs_fetch(pid_t tid, struct arch_regs *r)
{
	r->have_vec = false;
	return ptrace(PTRACE_GETREGS, tid, NULL, &r->gpr) == -1 ? -errno : 0;
}

/* The vector file is 512 bytes and a second system call: fetched only for
 * probes that have an argument there. */
int arch_regs_fetch_vec(pid_t tid, struct arch_regs *r)
{
	if (ptrace(PTRACE_GETFPREGS, tid, NULL, &r->vec) == -1)
		return -errno;
	r->have_vec = true;
	return 0;
}

int arch_regs_store(pid_t tid, const struct arch_regs *r)
{
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r->gpr) == -1)
		return -errno;
	return 0;
}

void arch_regs_emulate_return(struct arch_regs *r, uint64_t return_address)
{
	r->gpr.rip = return_address;
	r->gpr.rsp += 8;
}

int arch_return_site(const uint8_t *code, size_t len)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	if (!code || len == 0)
		return -1;
	/* "ret", or "rep ret" (the old AMD-friendly spelling): the trap
	 * replaces the first byte and the thread never executes the rest. */
	if (code[0] == 0xc3 || (len >= 2 && code[0] == 0xf3 && code[1] == 0xc3))
		return 0;
	if (len >= sizeof(endbr64) + 1 && memcmp(code, endbr64, sizeof(endbr64)) == 0 &&
	    code[sizeof(endbr64)] == 0xc3)
		return (int)sizeof(endbr64);
	return -1;
}

/* ---- a function-entry hook without single-stepping ------------------- */

/* user_regs_struct offsets of the 16 general registers in encoding order */
static const uint16_t gpr_by_number[16] = {
	offsetof(struct user_regs_struct, rax), offsetof(struct user_regs_struct, rcx),
	offsetof(struct user_regs_struct, rdx), offsetof(struct user_regs_struct, rbx),
	offsetof(struct user_regs_struct, rsp), offsetof(struct user_regs_struct, rbp),
	offsetof(struct user_regs_struct, rsi), offsetof(struct user_regs_struct, rdi),
	offsetof(struct user_regs_struct, r8), offsetof(struct user_regs_struct, r9),
	offsetof(struct user_regs_struct, r10), offsetof(struct user_regs_struct, r11),
	offsetof(struct user_regs_struct, r12), offsetof(struct user_regs_struct, r13),
	offsetof(struct user_regs_struct, r14), offsetof(struct user_regs_struct, r15),
};

int arch_arg0_copy_site(const uint8_t *code, size_t len, struct arch_copy_hook *hook)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	size_t i = 0;
	unsigned reg, rm;

	if (len >= sizeof(endbr64) && !memcmp(code, endbr64, sizeof(endbr64)))
		i = sizeof(endbr64);
	/* push %reg (50+r), push %r8..%r15 (41 50+r), and the frame's
	 * sub $imm8,%rsp (48 83 ec ib) or sub $imm32,%rsp (48 81 ec id): they
	 * run before the trap, which stands only in for the copy after them */
	while (i < len) {
		if (code[i] >= 0x50 && code[i] <= 0x57)
			i += 1;
		else if (i + 1 < len && code[i] == 0x41 && code[i + 1] >= 0x50 && code[i + 1] <= 0x57)
			i += 2;
		else if (i + 3 < len && code[i] == 0x48 && code[i + 1] == 0x83 && code[i + 2] == 0xec)
			i += 4;
		else if (i + 6 < len && code[i] == 0x48 && code[i + 1] == 0x81 && code[i + 2] == 0xec)
			i += 7;
		else
			break;
	}
	/* mov %r64,%r64: REX.W (+R, +B) 89 /r with mod 11 */
	if (i + 3 > len || (code[i] & 0xfa) != 0x48 || code[i + 1] != 0x89 || (code[i + 2] >> 6) != 3)
		return -1;
	reg = ((code[i + 2] >> 3) & 7) | ((code[i] & 0x04) ? 8 : 0);
	rm = (code[i + 2] & 7) | ((code[i] & 0x01) ? 8 : 0);
	if (reg != 7 || rm == 4)        /* from %rdi, and never into %rsp */
		return -1;
	hook->len = 3;
	hook->dst_off = gpr_by_number[rm];
	return (int)i;
}

uint64_t arch_regs_arg0(const struct arch_regs *r)
{
	return r->gpr.rdi;
}

void arch_regs_emulate_copy(struct arch_regs *r, const struct arch_copy_hook *hook, uint64_t site)
{
	memcpy((uint8_t *)&r->gpr + hook->dst_off, &r->gpr.rdi, sizeof(r->gpr.rdi));
	r->gpr.rip = site + hook->len;
}

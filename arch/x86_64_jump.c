/*
 * x86-64 code for the in-process engine: deciding whether a 5-byte jmp
 * can stand over a marker site, finding every reference into code by a
 * sweep of the executable sections, building the trampoline a site jumps
 * to, and running system calls in a stopped thread.
 *
 * Instructions are decoded by Zydis, never by hand.  Zydis was chosen over
 * Capstone because it is an x86-only decoder checked against Intel's own
 * (XED) on every opcode, it tells where in an instruction its
 * displacement and immediates lie (what re-encoding a moved instruction
 * needs), and it decodes without allocating, which matters when a sweep
 * decodes a whole libpython (~3 MiB) in one go.
 *
 * A jump at a site overwrites ARCH_JUMP_LEN bytes: the one-byte nop of
 * sys/sdt.h and the start of what follows.  Every instruction that begins
 * in those bytes is "displaced": the trampoline runs it, moved, after the
 * recorder, and jumps back to the first instruction not displaced.  A
 * displaced instruction can be moved if it does not depend on where it
 * lies, or only through a relative operand that can be re-encoded for
 * its new place (jmp and jcc become their rel32 forms, a lea through %rip
 * gets a new displacement).  An access to memory through %rip is refused:
 * it could be moved the same way, but ptap keeps to what it need not
 * reason about (none of CPython's sites has one, and a read of the code
 * near the site would see the jump).  A call is refused: its return
 * address would point into the trampoline, where an unwinder, a debugger
 * or a later removal of the region would not expect it.  So are
 * interrupts and system calls (a thread stopped there would have its pc
 * inside the trampoline), loops on %rcx and transactional begins.  A
 * displaced ret or jmp ends the displaced code: the bytes after it up to
 * ARCH_JUMP_LEN must then be padding (nops or int3) that nothing reaches.
 */
#define _GNU_SOURCE
#include "arch/arch.h"

#include <errno.h>
#include <string.h>
#include <sys/user.h>

#include <Zydis/Zydis.h>

#include "common/util.h"
#include "inproc/abi.h"

static const ZydisDecoder *decoder(void)
{
	static ZydisDecoder d;
	static bool ready;

	if (!ready) {
		ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		ready = true;
	}
	return &d;
}

static bool decode(const uint8_t *code, size_t len, ZydisDecodedInstruction *in)
{
	return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(decoder(), NULL, code, len, in));
}

/* A memory operand addressed relative to %rip (ModRM mod 00, r/m 101,
 * no SIB), as decoded without operands. */
static bool rip_relative(const ZydisDecodedInstruction *in)
{
	return (in->attributes & ZYDIS_ATTRIB_HAS_MODRM) && in->raw.modrm.mod == 0 &&
	       in->raw.modrm.rm == 5 && in->address_width == 64 && in->raw.disp.size == 32;
}

/* The relative immediate of a branch, if it has one. */
static const struct ZydisDecodedInstructionRawImm_ *rel_imm(const ZydisDecodedInstruction *in)
{
	int i;

	for (i = 0; i < 2; i++)
		if (in->raw.imm[i].size && in->raw.imm[i].is_relative)
			return &in->raw.imm[i];
	return NULL;
}

static bool is_padding(const ZydisDecodedInstruction *in)
{
	return in->mnemonic == ZYDIS_MNEMONIC_NOP || in->mnemonic == ZYDIS_MNEMONIC_INT3;
}

static bool is_terminal(const ZydisDecodedInstruction *in)
{
	return in->meta.category == ZYDIS_CATEGORY_RET ||
	       in->meta.category == ZYDIS_CATEGORY_UNCOND_BR;
}

/* Why insn (displaced) cannot be moved, or NULL. */
static const char *unmovable(const ZydisDecodedInstruction *in)
{
	const struct ZydisDecodedInstructionRawImm_ *rel = rel_imm(in);

	switch (in->meta.category) {
	case ZYDIS_CATEGORY_CALL:
		return "a call is displaced (its return address would point into the trampoline)";
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSTEM:
		return "a system call, an interrupt or an int3 is displaced";
	default:
		break;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_INT3 || in->mnemonic == ZYDIS_MNEMONIC_UD2)
		return "an int3 or ud2 is displaced";
	if (rel && !(in->mnemonic == ZYDIS_MNEMONIC_JMP ||
		     in->meta.category == ZYDIS_CATEGORY_COND_BR))
		return "a displaced instruction has a relative operand that cannot be re-encoded";
	if (rel && (in->mnemonic == ZYDIS_MNEMONIC_JRCXZ || in->mnemonic == ZYDIS_MNEMONIC_JECXZ ||
		    in->mnemonic == ZYDIS_MNEMONIC_JCXZ || in->mnemonic == ZYDIS_MNEMONIC_LOOP ||
		    in->mnemonic == ZYDIS_MNEMONIC_LOOPE || in->mnemonic == ZYDIS_MNEMONIC_LOOPNE))
		return "a displaced loop or jrcxz has only an 8-bit form";
	if (in->mnemonic == ZYDIS_MNEMONIC_XBEGIN)
		return "a transaction begins in the displaced bytes";
	if (rip_relative(in) && in->mnemonic != ZYDIS_MNEMONIC_LEA)
		return "a displaced instruction reads or writes memory through %rip";
	return NULL;
}

int arch_jump_plan(const uint8_t *code, size_t avail, struct arch_plan *plan, const char **why)
{
	ZydisDecodedInstruction in;
	size_t off = 0;

	memset(plan, 0, sizeof(*plan));
	if (avail < ARCH_JUMP_LEN) {
		*why = "the site is at the end of its executable section";
		return -EINVAL;
	}
	while (off < ARCH_JUMP_LEN) {
		if (!decode(code + off, avail - off, &in)) {
			*why = avail - off < ZYDIS_MAX_INSTRUCTION_LENGTH
				? "the site is at the end of its executable section"
				: "the bytes after the site do not decode";
			return -EINVAL;
		}
		if (plan->terminal) {
			/* past a ret or jmp: only padding may be overwritten */
			if (!is_padding(&in)) {
				*why = "the code after a displaced ret or jmp is not padding";
				return -EINVAL;
			}
			off += in.length;
			continue;
		}
		*why = unmovable(&in);
		if (*why)
			return -EINVAL;
		if (off + in.length > sizeof(plan->code)) {
			*why = "the displaced instructions are too long";
			return -EINVAL;
		}
		off += in.length;
		plan->len = (uint8_t)off;
		plan->ninsn++;
		plan->terminal = is_terminal(&in);
	}
	memcpy(plan->code, code, plan->len);
	plan->span = (uint8_t)MAX(plan->len, ARCH_JUMP_LEN);
	return 0;
}

void arch_code_refs(const uint8_t *code, size_t len, uint64_t vaddr, arch_ref_fn fn, void *ctx)
{
	ZydisDecodedInstruction in;
	const struct ZydisDecodedInstructionRawImm_ *rel;
	size_t off = 0;
	uint64_t pc, next;
	int i;

	while (off < len) {
		if (!decode(code + off, len - off, &in)) {
			off++;          /* data in code, or a cut instruction: resync */
			continue;
		}
		pc = vaddr + off;
		next = pc + in.length;
		rel = rel_imm(&in);
		if (rel)
			fn(ctx, pc, next + (uint64_t)rel->value.s, ARCH_REF_BRANCH);
		if (rip_relative(&in))
			fn(ctx, pc, next + (uint64_t)in.raw.disp.value,
			   in.mnemonic == ZYDIS_MNEMONIC_LEA ? ARCH_REF_TABLE : ARCH_REF_ADDR);
		else if (in.raw.disp.size >= 32 && in.raw.disp.value > 0)
			fn(ctx, pc, (uint64_t)in.raw.disp.value, ARCH_REF_ABS);
		for (i = 0; i < 2; i++)
			if (in.raw.imm[i].size >= 32 && !in.raw.imm[i].is_relative)
				fn(ctx, pc, in.raw.imm[i].value.u, ARCH_REF_ABS);
		off += in.length;
	}
}

/* ---- trampolines ---------------------------------------------------- */

static uint8_t *emit(uint8_t *p, const void *bytes, size_t n)
{
	memcpy(p, bytes, n);
	return p + n;
}

static uint8_t *emit_rel32(uint8_t *p, uint64_t next, uint64_t target, bool *fits)
{
	int64_t d = (int64_t)(target - next);
	int32_t r = (int32_t)d;

	if (d != r)
		*fits = false;
	memcpy(p, &r, 4);
	return p + 4;
}

/* Move one displaced instruction from old_pc to the trampoline at p
 * (whose run-time address is at). */
static uint8_t *move_insn(uint8_t *p, uint64_t at, const uint8_t *code,
			  const ZydisDecodedInstruction *in, uint64_t old_pc, bool *fits)
{
	const struct ZydisDecodedInstructionRawImm_ *rel = rel_imm(in);
	uint64_t target;
	int64_t d;
	int32_t disp;

	if (rel) {
		target = old_pc + in->length + (uint64_t)rel->value.s;
		if (in->mnemonic == ZYDIS_MNEMONIC_JMP) {
			*p++ = 0xe9;
			return emit_rel32(p, at + 5, target, fits);
		}
		/* jcc: its condition is the low nibble of the opcode, in the
		 * short (0x7x) and the near (0x0f 0x8x) forms alike */
		*p++ = 0x0f;
		*p++ = (uint8_t)(0x80 | (in->opcode & 0x0f));
		return emit_rel32(p, at + 6, target, fits);
	}
	p = emit(p, code, in->length);
	if (rip_relative(in)) {
		target = old_pc + in->length + (uint64_t)in->raw.disp.value;
		d = (int64_t)(target - (at + in->length));
		disp = (int32_t)d;
		if (d != disp)
			*fits = false;
		memcpy(p - in->length + in->raw.disp.offset, &disp, 4);
	}
	return p;
}

int arch_tramp_build(const struct arch_tramp_args *a, uint8_t *out)
{
	static const uint8_t save[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80,   /* lea -128(%rsp),%rsp: the red zone */
		0x9c,                           /* pushfq */
		0x57, 0x56, 0x52, 0x51, 0x50,   /* push rdi rsi rdx rcx rax */
		0x41, 0x50, 0x41, 0x51, 0x41, 0x52, 0x41, 0x53,   /* push r8-r11 */
		0x53, 0x55,                     /* push rbx rbp */
		0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,   /* push r12-r15 */
	};
	static const uint8_t restore[] = {
		0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,   /* pop r15-r12 */
		0x5d, 0x5b,                     /* pop rbp rbx */
		0x41, 0x5b, 0x41, 0x5a, 0x41, 0x59, 0x41, 0x58,   /* pop r11-r8 */
		0x58, 0x59, 0x5a, 0x5e, 0x5f,   /* pop rax rcx rdx rsi rdi */
		0x9d,                           /* popfq */
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00,   /* lea 128(%rsp),%rsp */
	};
	static const uint8_t lea_down[] = { 0x48, 0x8d, 0xa4, 0x24, 0x80, 0xff, 0xff, 0xff };
	static const uint8_t lea_up[] = { 0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00 };
	static const uint8_t frame_vec[] = { 0x48, 0x8d, 0xbc, 0x24, 0x80, 0x00, 0x00, 0x00 };
	static const uint8_t frame[] = { 0x48, 0x89, 0xe7 };        /* mov %rsp,%rdi */
	static const uint8_t align[] = {
		0x48, 0x89, 0xe3,               /* mov %rsp,%rbx */
		0x48, 0x83, 0xe4, 0xf0,         /* and $-16,%rsp */
		0xfc,                           /* cld */
	};
	static const uint8_t unalign[] = { 0x48, 0x89, 0xdc };      /* mov %rbx,%rsp */
	const struct arch_plan *plan = a->plan;
	ZydisDecodedInstruction in;
	uint8_t *p = out;
	bool fits = true;
	size_t off;
	int n;

	p = emit(p, save, sizeof(save));
	if (a->save_vec) {
		p = emit(p, lea_down, sizeof(lea_down));
		for (n = 0; n < 16; n++) {
			/* movq %xmmN,8N(%rsp) */
			*p++ = 0x66;
			*p++ = (uint8_t)(0x48 | (n >= 8 ? 0x04 : 0));
			*p++ = 0x0f;
			*p++ = 0x7e;
			*p++ = (uint8_t)(0x44 | (n & 7) << 3);
			*p++ = 0x24;
			*p++ = (uint8_t)(8 * n);
		}
		p = emit(p, frame_vec, sizeof(frame_vec));
	} else {
		p = emit(p, frame, sizeof(frame));
	}
	*p++ = 0xbe;                            /* mov $index,%esi */
	memcpy(p, &a->index, 4);
	p += 4;
	p = emit(p, align, sizeof(align));
	*p++ = 0xe8;                            /* call ip_hit */
	p = emit_rel32(p, a->tramp + (uint64_t)(p - out) + 4, a->hit, &fits);
	p = emit(p, unalign, sizeof(unalign));
	if (a->save_vec)
		p = emit(p, lea_up, sizeof(lea_up));
	p = emit(p, restore, sizeof(restore));
	for (off = 0; off < plan->len; off += in.length) {
		if (!decode(plan->code + off, plan->len - off, &in))
			return -EINVAL;
		p = move_insn(p, a->tramp + (uint64_t)(p - out), plan->code + off, &in,
			      a->site + off, &fits);
	}
	if (!plan->terminal) {
		*p++ = 0xe9;                    /* jmp back */
		p = emit_rel32(p, a->tramp + (uint64_t)(p - out) + 4, a->site + plan->len, &fits);
	}
	if (!fits)
		return -ERANGE;
	return (int)(p - out);
}

int arch_jump_encode(uint64_t site, uint64_t tramp, uint8_t *out)
{
	bool fits = true;

	out[0] = arch_jump_insn;
	emit_rel32(out + 1, site + ARCH_JUMP_LEN, tramp, &fits);
	return fits ? 0 : -ERANGE;
}

/* The byte offset, in the recorder's frame, of the register at byte
 * offset off of struct arch_regs (argeval's base_off), or IP_REG_*. */
uint16_t arch_frame_reg(uint16_t off)
{
	size_t xmm0 = offsetof(struct arch_regs, vec) + offsetof(struct user_fpregs_struct, xmm_space);

	if (off < IP_FLAGS * 8 && off % 8 == 0)
		return off;     /* r15 .. rdi: the same order as user_regs_struct */
	if (off == offsetof(struct arch_regs, gpr) + offsetof(struct user_regs_struct, rsp))
		return IP_REG_SP;
	if (off >= xmm0 && off < xmm0 + 16 * 16 && (off - xmm0) % 16 == 0)
		return (uint16_t)(IP_REG_XMM0 + (off - xmm0) / 16);
	return IP_REG_NONE;
}

/* ---- system calls in a stopped thread ------------------------------- */

const uint8_t arch_syscall_insn[ARCH_SYSCALL_LEN] = { 0x0f, 0x05, 0xcc };  /* syscall; int3 */
const uint8_t arch_jump_insn = 0xe9;     /* jmp rel32 */

void arch_regs_set_syscall(struct arch_regs *r, uint64_t pc, long nr, const long args[6])
{
	r->gpr.rip = pc;
	r->gpr.rax = (unsigned long long)nr;
	r->gpr.orig_rax = (unsigned long long)-1;  /* no restart of what it was in */
	r->gpr.rdi = (unsigned long long)args[0];
	r->gpr.rsi = (unsigned long long)args[1];
	r->gpr.rdx = (unsigned long long)args[2];
	r->gpr.r10 = (unsigned long long)args[3];
	r->gpr.r8 = (unsigned long long)args[4];
	r->gpr.r9 = (unsigned long long)args[5];
}

long arch_regs_syscall_result(const struct arch_regs *r)
{
	return (long)r->gpr.rax;
}

bool arch_regs_after_syscall(const struct arch_regs *r, uint64_t pc)
{
	return r->gpr.rip == pc + ARCH_SYSCALL_LEN;
}

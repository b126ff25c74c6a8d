/*
 * The in-process engine's x86-64 code (arch/x86_64_jump.c) and .eh_frame
 * reading (elf/ehframe.c): which bytes after a site a jump may displace,
 * how a trampoline moves them (checked by decoding the trampoline again
 * with Zydis: every moved branch and %rip-relative address must reach the
 * same place as before), what a sweep finds in code, and which functions
 * have landing pads.  Byte sequences are those of Debian's python3.11 and
 * ld.so where they are real.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch/arch.h"
#include "elf/ehframe.h"
#include "inproc/abi.h"
#include "tap.h"

static const char *why;

static int plan(const uint8_t *code, size_t len, struct arch_plan *p)
{
	why = NULL;
	return arch_jump_plan(code, len, p, &why);
}

/* The plan for code must be refused with a reason naming what. */
static void refused(const uint8_t *code, size_t len, const char *what, const char *desc)
{
	struct arch_plan p;
	int r = plan(code, len, &p);

	if (!ok(r < 0 && why && strstr(why, what), "%s: refused", desc))
		printf("#   %d, '%s'\n", r, why ? why : "(none)");
}

static void test_plans(void)
{
	/* python3.11 function__entry: nop; pop rbx; pop rbp; pop r12; ret */
	static const uint8_t entry[] = { 0x90, 0x5b, 0x5d, 0x41, 0x5c, 0xc3 };
	/* python3.11 gc__start: nop; jmp rel32 */
	static const uint8_t gc[] = { 0x90, 0xe9, 0x10, 0x20, 0x00, 0x00, 0x90 };
	/* ld.so _dl_debug_state: ret, then a padding nopw */
	static const uint8_t dl[] = { 0xc3, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 };
	static const uint8_t call[] = { 0x90, 0xe8, 1, 2, 3, 4, 0xc3 };
	static const uint8_t riprel[] = { 0x90, 0x8b, 0x05, 1, 2, 3, 4, 0xc3 };
	static const uint8_t riplea[] = { 0x90, 0x48, 0x8d, 0x05, 1, 2, 3, 4, 0xc3 };
	static const uint8_t syscall[] = { 0x90, 0x0f, 0x05, 0x90, 0x90, 0x90 };
	static const uint8_t trap[] = { 0x90, 0xcc, 0x90, 0x90, 0x90 };
	static const uint8_t loop[] = { 0x90, 0xe2, 0xfd, 0x90, 0x90, 0x90 };
	static const uint8_t ret_code[] = { 0x90, 0xc3, 0x48, 0x89, 0xf8, 0xc3 };
	struct arch_plan p;

	is_int(plan(entry, sizeof(entry), &p), 0, "function__entry: a jump fits");
	is_int(p.len, 5, "  ... displacing the nop and three pops (5 bytes)");
	ok(!p.terminal && p.span == 5 && p.ninsn == 4, "  ... then jumps back; nothing may enter 5 bytes");
	is_int(plan(gc, sizeof(gc), &p), 0, "gc__start: a jump fits");
	ok(p.len == 6 && p.terminal, "  ... displacing the jmp, which ends the moved code");
	is_int(plan(dl, sizeof(dl), &p), 0, "_dl_debug_state: a jump fits");
	ok(p.len == 1 && p.terminal && p.span == 5, "  ... the ret moved, 4 bytes of padding overwritten");
	refused(call, sizeof(call), "call", "a displaced call");
	refused(riprel, sizeof(riprel), "%rip", "a displaced memory access through %rip");
	is_int(plan(riplea, sizeof(riplea), &p), 0, "a displaced lea through %%rip: moved");
	refused(syscall, sizeof(syscall), "system call", "a displaced syscall");
	refused(trap, sizeof(trap), "int3", "a displaced int3");
	refused(loop, sizeof(loop), "loop", "a displaced loop");
	refused(ret_code, sizeof(ret_code), "padding", "code, not padding, after a displaced ret");
	refused(entry, 4, "end", "four bytes left in the section");
}

/* Decode the trampoline tr (at address at) and return the target of the
 * n-th relative branch or %rip-relative lea in it. */
static uint64_t nth_target(const uint8_t *tr, int len, uint64_t at, int n)
{
	ZydisDecoder d;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanU64 addr;
	int off = 0, i;

	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	while (off < len && ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, tr + off, (ZyanUSize)(len - off),
							       &in, ops))) {
		for (i = 0; i < in.operand_count_visible; i++) {
			bool rel = (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[i].imm.is_relative) ||
				   (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
				    ops[i].mem.base == ZYDIS_REGISTER_RIP);
			if (rel && in.mnemonic != ZYDIS_MNEMONIC_CALL && n-- == 0 &&
			    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[i], at + (uint64_t)off, &addr)))
				return addr;
		}
		off += in.length;
	}
	return 0;
}

static void test_trampolines(void)
{
	/* nop; je +0x10 (rel8); mov %edi,%eax: the jcc must become rel32 */
	static const uint8_t jcc[] = { 0x90, 0x74, 0x10, 0x89, 0xf8, 0x90, 0xc3 };
	/* nop; jmp +0x20 (rel8) */
	static const uint8_t jmp8[] = { 0x90, 0xeb, 0x20, 0x90, 0x90, 0x90 };
	/* nop; lea 0x100(%rip),%rax */
	static const uint8_t lea[] = { 0x90, 0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00, 0xc3 };
	const uint64_t site = 0x400000, tramp = 0x3f0000, hit = 0x3e0000;
	uint8_t tr[ARCH_TRAMP_MAX], jmp[ARCH_JUMP_LEN];
	struct arch_tramp_args a = { site, tramp, hit, 7, false, NULL };
	struct arch_plan p;
	int32_t rel;
	int len;

	plan(jcc, sizeof(jcc), &p);
	a.plan = &p;
	len = arch_tramp_build(&a, tr);
	ok(len > 0 && len <= ARCH_TRAMP_MAX, "a trampoline for nop; je; mov (%d bytes)", len);
	is_u64(nth_target(tr, len, tramp, 0), site + 3 + 0x10, "  ... its je still goes where it went");
	is_u64(nth_target(tr, len, tramp, 1), site + 5, "  ... and it jumps back after the mov");
	plan(jmp8, sizeof(jmp8), &p);
	len = arch_tramp_build(&a, tr);
	is_u64(nth_target(tr, len, tramp, 0), site + 3 + 0x20, "a short jmp, moved: the same target");
	ok(nth_target(tr, len, tramp, 1) == 0, "  ... and no jump back after it");
	plan(lea, sizeof(lea), &p);
	len = arch_tramp_build(&a, tr);
	is_u64(nth_target(tr, len, tramp, 0), site + 8 + 0x100, "a lea through %%rip, moved: the same address");
	a.save_vec = true;
	ok(arch_tramp_build(&a, tr) > len, "saving the vector registers makes it longer");
	a.tramp = site + 0x90000000ull;
	ok(arch_tramp_build(&a, tr) == -ERANGE, "a trampoline 2.25 GiB away: out of reach");
	is_int(arch_jump_encode(site, tramp, jmp), 0, "the jump over the site");
	memcpy(&rel, jmp + 1, 4);
	ok(jmp[0] == 0xe9 && site + 5 + (uint64_t)(int64_t)rel == tramp, "  ... a jmp rel32 to the trampoline");
	is_int(arch_frame_reg(offsetof(struct arch_regs, gpr) + offsetof(struct user_regs_struct, rdi)),
	       IP_RDI * 8, "%%rdi: the frame's slot, in user_regs_struct's order");
	is_int(arch_frame_reg(offsetof(struct arch_regs, gpr) + offsetof(struct user_regs_struct, rsp)),
	       IP_REG_SP, "%%rsp: the site's stack pointer, computed");
}

struct refs {
	uint64_t to[8];
	int kind[8];
	int n;
};

static void on_ref(void *ctx, uint64_t from, uint64_t to, int kind)
{
	struct refs *r = ctx;

	(void)from;
	if (r->n < 8) {
		r->to[r->n] = to;
		r->kind[r->n++] = kind;
	}
}

static void test_sweep(void)
{
	/* jmp +2; call -5; lea 0x10(%rip),%rax; mov $0x401234,%eax */
	static const uint8_t code[] = { 0xeb, 0x02, 0xe8, 0xfb, 0xff, 0xff, 0xff,
					0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00,
					0xb8, 0x34, 0x12, 0x40, 0x00 };
	struct refs r = { 0 };

	arch_code_refs(code, sizeof(code), 0x1000, on_ref, &r);
	is_int(r.n, 4, "a sweep finds four references");
	ok(r.kind[0] == ARCH_REF_BRANCH && r.to[0] == 0x1004, "  ... the jmp's target");
	ok(r.kind[1] == ARCH_REF_BRANCH && r.to[1] == 0x1002, "  ... the call's target");
	ok(r.kind[2] == ARCH_REF_TABLE && r.to[2] == 0x100e + 0x10, "  ... the address lea takes");
	ok(r.kind[3] == ARCH_REF_ABS && r.to[3] == 0x401234, "  ... an absolute immediate");
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_ehframe(void)
{
	/* a CIE "zPLR" and two FDEs, the first with an LSDA, pc-relative */
	uint8_t f[128] = { 0 };
	struct eh_range *r = NULL;
	size_t o = 0, cie;
	int n;

	cie = o;
	put32(f + o, 24);               /* CIE: length */
	o += 4;
	put32(f + o, 0);                /* CIE id */
	o += 4;
	f[o++] = 1;                     /* version */
	memcpy(f + o, "zLR", 4);        /* augmentation */
	o += 4;
	f[o++] = 1;                     /* code alignment */
	f[o++] = 0x78;                  /* data alignment -8 */
	f[o++] = 16;                    /* return address register */
	f[o++] = 2;                     /* augmentation data length */
	f[o++] = 0x1b;                  /* L: pcrel sdata4 */
	f[o++] = 0x1b;                  /* R: pcrel sdata4 */
	while (o < cie + 28)
		f[o++] = 0;             /* instructions: nops */
	/* FDE 1: pc 0x2000..0x2100 with an LSDA */
	put32(f + o, 17);
	o += 4;
	put32(f + o, (uint32_t)(o - cie));
	o += 4;
	put32(f + o, (uint32_t)(0x2000 - (0x1000 + o)));
	o += 4;
	put32(f + o, 0x100);
	o += 4;
	f[o++] = 4;                     /* augmentation data: the LSDA */
	put32(f + o, 0x40);
	o += 4;
	/* FDE 2: no LSDA (0) */
	put32(f + o, 17);
	o += 4;
	put32(f + o, (uint32_t)(o - cie));
	o += 4;
	put32(f + o, (uint32_t)(0x3000 - (0x1000 + o)));
	o += 4;
	put32(f + o, 0x80);
	o += 4;
	f[o++] = 4;
	put32(f + o, 0);
	o += 4;
	put32(f + o, 0);                /* terminator */
	o += 4;
	n = ehframe_lsda_ranges(f, o, 0x1000, &r);
	is_int(n, 1, "an .eh_frame with two functions, one with landing pads: one range");
	ok(n == 1 && r[0].lo == 0x2000 && r[0].hi == 0x2100, "  ... 0x2000..0x2100");
	free(r);
	put32(f + cie, 200);            /* a length past the end */
	ok(ehframe_lsda_ranges(f, o, 0x1000, &r) == -EINVAL, "a record running past the section: -EINVAL");
}

int main(void)
{
	test_plans();
	test_trampolines();
	test_sweep();
	test_ehframe();
	return done_testing();
}

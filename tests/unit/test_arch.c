/*
 * The x86-64 pieces of arch/ that the tracer's hooks rely on: finding the
 * instruction a function-entry trap may stand in for, emulating it, and
 * the loader hook's return site.  Prologues are taken from real builds
 * (Debian's python3.11 and python3.11d code_dealloc, ld.so's
 * _dl_debug_state).
 */
#include <stddef.h>
#include <string.h>
#include <sys/user.h>

#include "arch/arch.h"
#include "tap.h"

static void test_copy_site(void)
{
	/* python3.11: push r13; push r12; push rbp; push rbx; mov %rdi,%rbx */
	static const uint8_t release[] = { 0x41, 0x55, 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb,
					   0x48, 0x83, 0xec, 0x08 };
	/* python3.11d: ... push rbx; sub $8,%rsp; mov %rdi,%rbp */
	static const uint8_t debug[] = { 0x41, 0x55, 0x41, 0x54, 0x55, 0x53, 0x48, 0x83, 0xec,
					 0x08, 0x48, 0x89, 0xfd, 0x48 };
	/* endbr64; push rbp; mov %rdi,%r12 (REX.WB 49 89 fc) */
	static const uint8_t cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x49, 0x89, 0xfc };
	static const uint8_t from_rsi[] = { 0x55, 0x48, 0x89, 0xf3 };   /* mov %rsi,%rbx */
	static const uint8_t to_rsp[] = { 0x48, 0x89, 0xfc };            /* mov %rdi,%rsp */
	static const uint8_t load[] = { 0x55, 0x48, 0x8b, 0x1f };        /* mov (%rdi),%rbx */
	static const uint8_t cut[] = { 0x55, 0x48, 0x89 };
	struct arch_copy_hook h;
	struct arch_regs r;

	is_int(arch_arg0_copy_site(release, sizeof(release), &h), 6, "python3.11 code_dealloc: the mov at +6");
	is_int(h.len, 3, "  ... 3 bytes");
	is_int(h.dst_off, offsetof(struct user_regs_struct, rbx), "  ... into %%rbx");
	memset(&r, 0, sizeof(r));
	r.gpr.rdi = 0x1234;
	r.gpr.rip = 0x1000 + 6 + 1;
	arch_regs_emulate_copy(&r, &h, 0x1000 + 6);
	is_u64(r.gpr.rbx, 0x1234, "emulated: %%rbx = %%rdi");
	is_u64(r.gpr.rip, 0x1000 + 9, "emulated: pc after the mov");
	is_u64(arch_regs_arg0(&r), 0x1234, "arg0 is %%rdi");

	is_int(arch_arg0_copy_site(debug, sizeof(debug), &h), 10, "python3.11d code_dealloc: past sub $8,%%rsp");
	is_int(h.dst_off, offsetof(struct user_regs_struct, rbp), "  ... into %%rbp");
	is_int(arch_arg0_copy_site(cet, sizeof(cet), &h), 5, "after endbr64 and a push, into %%r12");
	is_int(h.dst_off, offsetof(struct user_regs_struct, r12), "  ... REX.B decoded");
	is_int(arch_arg0_copy_site(from_rsi, sizeof(from_rsi), &h), -1, "a copy of %%rsi is refused");
	is_int(arch_arg0_copy_site(to_rsp, sizeof(to_rsp), &h), -1, "a copy into %%rsp is refused");
	is_int(arch_arg0_copy_site(load, sizeof(load), &h), -1, "a load from memory is refused");
	is_int(arch_arg0_copy_site(cut, sizeof(cut), &h), -1, "a truncated instruction is refused");
	is_int(arch_arg0_copy_site(release, 0, &h), -1, "no bytes: refused");
}

static void test_return_site(void)
{
	static const uint8_t ret[] = { 0xc3 };
	static const uint8_t endbr_ret[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xc3 };
	static const uint8_t other[] = { 0x55, 0xc3 };

	is_int(arch_return_site(ret, sizeof(ret)), 0, "_dl_debug_state as a bare ret");
	is_int(arch_return_site(endbr_ret, sizeof(endbr_ret)), 4, "endbr64; ret: the ret at +4");
	is_int(arch_return_site(other, sizeof(other)), -1, "anything else: refused");
}

int main(void)
{
	test_copy_site();
	test_return_site();
	return done_testing();
}

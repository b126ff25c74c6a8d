/*
 * Everything ptap knows about one machine architecture lives behind this
 * header: the register table (names, where each lives in the register file
 * and which bits it covers), the operand syntax of stapsdt argument specs,
 * the breakpoint and nop encodings, and how to read and change the
 * registers of a stopped thread.  x86-64 is the only implementation
 * (arch/x86_64.c); aarch64 will add arch/aarch64.c with the same functions.
 *
 * The argument-spec parser (elf/argspec.c) and the evaluator
 * (tracer/argeval.c) both go through arch_reg_*, so a register name means
 * the same thing when it is parsed and when it is read.
 */
#ifndef PTAP_ARCH_ARCH_H
#define PTAP_ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__x86_64__)
#include <sys/user.h>
/* A stopped thread's registers.  The vector file is fetched only when one
 * of the probe's arguments lives there (arch_regs_fetch_vec). */
struct arch_regs {
	struct user_regs_struct gpr;
	struct user_fpregs_struct vec;
	bool have_vec;
};
#else
#error "ptap supports x86-64 only for now; see arch/arch.h"
#endif

struct argspec;

enum arch_regfile {
	REGFILE_GPR,    /* general-purpose registers (PTRACE_GETREGS) */
	REGFILE_VEC,    /* vector registers (PTRACE_GETFPREGS) */
	REGFILE_IP,     /* the program counter, named only in pc-relative operands */
};

/* One register name.  The value of the name is
 * (full register >> shift) truncated to width bytes. */
struct arch_reg {
	const char *name;      /* without the '%' */
	uint8_t file;          /* enum arch_regfile */
	uint16_t offset;       /* byte offset of the full register in its file's struct */
	uint8_t shift;         /* 8 for the legacy high bytes %ah..%dh, else 0 */
	uint8_t width;         /* bytes covered by the name: 1, 2, 4, 8 or 16 */
};

/* The ELF e_machine ptap can trace, and a name for any e_machine value. */
extern const uint16_t arch_elf_machine;
const char *arch_machine_name(uint16_t e_machine);

/* Register table access.  Ids are stable indexes into the table. */
int arch_reg_lookup(const char *name, size_t len);   /* id, or -1 */
const struct arch_reg *arch_reg(int id);
size_t arch_reg_count(void);

/*
 * Parse the operand part of one argument spec (what follows "N@"), filling
 * kind, imm, base, index, scale and symbol of *spec.  Returns 0, or
 * -EINVAL with a short reason in spec->error.  Pure: no I/O, no globals.
 */
int arch_operand_parse(const char *text, size_t len, struct argspec *spec);

/* Breakpoints. */
extern const uint8_t arch_trap_insn;     /* int3 */
extern const uint8_t arch_site_insn;     /* the 1-byte nop sdt.h emits */
/* Program counter after a trap at site: where the thread resumes. */
uint64_t arch_pc_after_trap(uint64_t site);
uint64_t arch_regs_pc(const struct arch_regs *r);
uint64_t arch_regs_sp(const struct arch_regs *r);
uint64_t arch_regs_fp(const struct arch_regs *r);

/* Raw value of register id (shifted, not yet truncated to the spec size). */
uint64_t arch_reg_value(const struct arch_regs *r, int id);

/* Read a stopped thread's general registers; then, when an argument
 * needs them, its vector registers as well. */
int arch_regs_fetch(pid_t tid, struct arch_regs *r);
int arch_regs_fetch_vec(pid_t tid, struct arch_regs *r);
int arch_regs_store(pid_t tid, const struct arch_regs *r);

/*
 * Make a thread stopped at a trap placed over a function's return
 * instruction behave as if it had returned: pc = [sp], sp += 8.  The word
 * at sp is supplied by the caller (read through tracer/mem).  Used for
 * the dynamic loader's _dl_debug_state hook.
 */
void arch_regs_emulate_return(struct arch_regs *r, uint64_t return_address);

/*
 * Offset, within a function whose first bytes are code, of a return
 * instruction on which a trap may stand in for the whole function
 * (the function is only "ret", perhaps after a CET endbr64).  -1 if the
 * code is anything else.
 */
int arch_return_site(const uint8_t *code, size_t len);

/*
 * A function-entry hook that needs no single-step: find, in the first len
 * bytes of a function, the first instruction that copies the first
 * argument register into another register (after any pushes and a CET
 * endbr64), which a trap can stand in for exactly.  Returns its offset
 * and fills *hook, or -1 if the prologue is anything else.
 */
struct arch_copy_hook {
	uint8_t len;            /* bytes of the replaced instruction */
	uint16_t dst_off;       /* byte offset of the destination in the gpr file */
};
int arch_arg0_copy_site(const uint8_t *code, size_t len, struct arch_copy_hook *hook);
/* The first integer argument of a function stopped at its entry hook. */
uint64_t arch_regs_arg0(const struct arch_regs *r);
/* Do what the replaced instruction would have done; the trap was at site. */
void arch_regs_emulate_copy(struct arch_regs *r, const struct arch_copy_hook *hook, uint64_t site);

/* ---- jumps over marker sites: the in-process engine (x86_64_jump.c) ---- */

#define ARCH_JUMP_LEN 5         /* bytes a jump over a site overwrites */
#define ARCH_TRAMP_MAX 320      /* longest trampoline arch_tramp_build writes */
#define ARCH_SYSCALL_LEN 3      /* arch_syscall_insn */
extern const uint8_t arch_jump_insn;     /* the first byte of a jump over a site */

/* What a jump at a site displaces, decided once per build. */
struct arch_plan {
	uint8_t len;            /* bytes of the displaced instructions, from the site */
	uint8_t span;           /* bytes nothing may jump into: len, or
	                           ARCH_JUMP_LEN when padding follows a ret/jmp */
	uint8_t ninsn;          /* instructions displaced */
	bool terminal;          /* they end in a ret or jmp: no jump back */
	uint8_t code[24];       /* their original bytes */
};

/*
 * Whether a jump can stand at a site whose code (and the rest of its
 * executable section) is code[0..avail): 0 and *plan, or -EINVAL and
 * *why, a sentence.  This looks at the displaced instructions only; that
 * nothing else jumps into them is for the caller to find (arch_code_refs).
 */
int arch_jump_plan(const uint8_t *code, size_t avail, struct arch_plan *plan, const char **why);

/* What a reference found in code is. */
enum arch_ref {
	ARCH_REF_BRANCH,        /* the target of a relative jump, jcc or call */
	ARCH_REF_ADDR,          /* the address of a %rip-relative operand */
	ARCH_REF_TABLE,         /* the same, taken by lea: maybe a table's start */
	ARCH_REF_ABS,           /* an absolute immediate or displacement */
};
typedef void (*arch_ref_fn)(void *ctx, uint64_t from, uint64_t to, int kind);
/* Decode code[0..len), loaded at vaddr, from its start to its end and
 * report every reference an instruction makes to an address. */
void arch_code_refs(const uint8_t *code, size_t len, uint64_t vaddr, arch_ref_fn fn, void *ctx);

struct arch_tramp_args {
	uint64_t site;          /* run-time address of the site */
	uint64_t tramp;         /* run-time address of the trampoline */
	uint64_t hit;           /* run-time address of the recorder's entry */
	uint32_t index;         /* the site's index, passed to the recorder */
	bool save_vec;          /* the arguments read vector registers */
	const struct arch_plan *plan;
};
/* Write the trampoline into out (ARCH_TRAMP_MAX bytes): its length, or
 * -ERANGE if something it must reach is more than 2 GiB away. */
int arch_tramp_build(const struct arch_tramp_args *a, uint8_t *out);
/* The ARCH_JUMP_LEN bytes written over the site; -ERANGE if out of reach. */
int arch_jump_encode(uint64_t site, uint64_t tramp, uint8_t *out);
/* Where the recorder finds the register that argeval reads at byte
 * offset off of struct arch_regs: an inproc/abi.h frame offset or IP_REG_*. */
uint16_t arch_frame_reg(uint16_t off);

/* System calls run in a stopped thread (tracer/inject.c): the code to
 * place at pc, the registers to set, the result once it trapped. */
extern const uint8_t arch_syscall_insn[ARCH_SYSCALL_LEN];
void arch_regs_set_syscall(struct arch_regs *r, uint64_t pc, long nr, const long args[6]);
long arch_regs_syscall_result(const struct arch_regs *r);
/* Whether a thread that ran the code at pc stopped at its end. */
bool arch_regs_after_syscall(const struct arch_regs *r, uint64_t pc);

#endif

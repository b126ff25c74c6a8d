/*
 * libFuzzer harness: evaluating probe arguments against hostile memory
 * (tracer/argeval.c through tracer/mem.c), and printing the values
 * (ui/format.c).
 *
 * The "target" is this very process: tracer/mem reads it with
 * process_vm_readv (or /proc/self/mem), which a process may always do to
 * itself, so no child and no ptrace are needed.  Its memory is an arena
 * of four pages, the first and last PROT_NONE, the middle two filled from
 * the input: pointers into the arena land on text the input chose, on
 * strings that run into a PROT_NONE page without a NUL, or on nothing.
 *
 * Input layout (shorter inputs are padded with zeros):
 *   byte 0        bits 0-5: string bound (8 * (b & 63) + 1); bits 6-7:
 *                 read path (0, 3: process_vm_readv; 1: /proc/self/mem;
 *                 2: PTRACE_PEEKDATA, which fails: we are not traced)
 *   byte 1        fill byte for the two arena pages
 *   byte 2        the string cache: 0 none, 1 present but off, else on,
 *                 with CPython 3.11's str layout (tracer/python.c)
 *   bytes 3-4     which arguments the cache may answer (cache_mask)
 *   bytes 5-16    12 renderings (mod the number of enum render values)
 *   27 words      struct user_regs_struct, rax and all
 *   12 words      each argument's resolved symbol value
 *   1 word        the load bias
 *   1 word        the address of "PyUnicode_Type", for the cache's check
 *   then          the argument string up to a '\n', then bytes copied to
 *                 the start of the arena's first readable page
 * Each word is 8 bytes, little-endian: if its top two bits are 0 it means
 * arena + (low 14 bits), anywhere in the four pages, guard pages
 * included; otherwise it is taken as it is.  With a cache the arguments
 * are evaluated twice, so that the second run may answer from it.
 *
 * Checked: a string value lies inside its scratch slot (or is the text of
 * a cache entry for its pointer) and, unless truncated, ends with a NUL
 * there; every error value is negative.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/argspec.h"
#include "tracer/argeval.h"
#include "tracer/mem.h"
#include "tracer/strcache.h"
#include "ui/format.h"

#define PAGE 4096
#define NWORDS (27 + ARGSPEC_MAX_ARGS + 2)
#define RENDERS 5
#define HEADER (RENDERS + ARGSPEC_MAX_ARGS + 8 * NWORDS)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t *arena;      /* [PROT_NONE][rw][rw][PROT_NONE] */
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || mprotect(arena + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE))
		abort();
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	return 0;
}

static uint64_t word(const uint8_t *p)
{
	uint64_t w = 0;

	for (int i = 0; i < 8; i++)
		w |= (uint64_t)p[i] << (8 * i);
	if (w >> 62)
		return w;
	return (uint64_t)(uintptr_t)arena + (w & 0x3fff);
}

static void check(const struct arg_prog *prog, const struct arg_scratch *scratch,
		  const struct strcache *cache, const struct value *out)
{
	size_t slot_size = scratch->max + ARGEVAL_STR_PRE;

	for (int i = 0; i < prog->nargs; i++) {
		const struct value *v = &out[i];
		const char *slot = scratch->buf + (size_t)i * slot_size;
		const struct cstr *e = cache ? strcache_get(cache, v->u) : NULL;

		if (v->type == VAL_STR) {
			if (e && v->str == e->text) {
				if (v->len != e->len || v->truncated)
					abort();
			} else if (v->str < slot || v->len > scratch->max ||
				   v->str + v->len > slot + slot_size) {
				abort();   /* outside its scratch slot */
			}
			if (!v->truncated && (v->str + v->len >= slot + slot_size || v->str[v->len]) &&
			    !(e && v->str == e->text))
				abort();   /* complete, but no NUL after it */
		} else if (v->type == VAL_ERR) {
			if (v->err >= 0)
				abort();
		} else if (v->type > VAL_ERR) {
			abort();
		}
		format_value(sink, v);
		format_value_json(sink, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t head[HEADER] = { 0 };
	struct argspec specs[ARGSPEC_MAX_ARGS];
	uint64_t words[NWORDS], sym_value[ARGSPEC_MAX_ARGS];
	uint8_t render[ARGSPEC_MAX_ARGS];
	struct value out[ARGSPEC_MAX_ARGS];
	struct arg_scratch scratch;
	struct strcache cache;
	struct arch_regs regs;
	struct arg_prog prog;
	struct mem mem;
	const uint8_t *rest;
	const uint8_t *nl;
	char *args;
	size_t rest_len, args_len;
	int n;

	memcpy(head, data, size < HEADER ? size : HEADER);
	rest = size > HEADER ? data + HEADER : data;
	rest_len = size > HEADER ? size - HEADER : 0;
	for (int i = 0; i < NWORDS; i++)
		words[i] = word(head + RENDERS + ARGSPEC_MAX_ARGS + 8 * i);
	for (int i = 0; i < ARGSPEC_MAX_ARGS; i++) {
		render[i] = (uint8_t)(head[RENDERS + i] % (RENDER_F64 + 1));
		sym_value[i] = words[27 + i];
	}
	memset(&regs, 0, sizeof(regs));
	memcpy(&regs.gpr, words, sizeof(regs.gpr));
	/* The vector file: the same words again, for %xmm arguments. */
	for (size_t i = 0; i < sizeof(regs.vec.xmm_space) / 8; i++)
		memcpy((uint8_t *)regs.vec.xmm_space + 8 * i, &words[i % NWORDS], 8);

	nl = memchr(rest, '\n', rest_len);
	args_len = nl ? (size_t)(nl - rest) : rest_len;
	args = malloc(args_len + 1);
	if (!args)
		return 0;
	memcpy(args, rest, args_len);
	args[args_len] = '\0';
	memset(arena + PAGE, head[1], 2 * PAGE);
	if (nl)
		memcpy(arena + PAGE, nl + 1, rest_len - args_len - 1 < 2 * PAGE ?
		       rest_len - args_len - 1 : 2 * PAGE);

	n = argspec_parse_all(args, specs, ARGSPEC_MAX_ARGS);
	if (n < 0)
		n = ARGSPEC_MAX_ARGS;
	argeval_compile(&prog, specs, sym_value, n, render);
	regs.have_vec = prog.need_vec;
	arg_scratch_init(&scratch, 8 * (size_t)(head[0] & 63) + 1);
	mem_init(&mem, getpid());
	mem.read_mode = (head[0] >> 6) == 1 ? MEM_PROCFS : (head[0] >> 6) == 2 ? MEM_PEEK : MEM_VM;
	prog.cache_mask = (uint16_t)(head[3] | head[4] << 8);
	if (head[2]) {
		strcache_init(&cache);
		cache.state = head[2] == 1 ? STRCACHE_OFF : STRCACHE_ON;
		cache.lay.unicode_type = words[NWORDS - 1];
		cache.lay.type_off = 8;
		cache.lay.length_off = 16;
		cache.lay.state_off = 32;
		cache.lay.state_mask = 1u << 5 | 1u << 6;
		cache.lay.header = 48;
	}
	for (int run = 0; run < (head[2] ? 2 : 1); run++) {
		memset(out, 0x5a, sizeof(out));
		if (argeval_run(&prog, &regs, words[NWORDS - 2], &mem, &scratch, head[2] ? &cache : NULL,
				out))
			break;
		check(&prog, &scratch, head[2] ? &cache : NULL, out);
	}
	if (head[2])
		strcache_reset(&cache, STRCACHE_OFF);
	mem_close(&mem);
	arg_scratch_free(&scratch);
	free(args);
	return 0;
}

/*
 * operands: stapsdt probes whose argument specs cover the operand forms
 * a compiler writes into .note.stapsdt on x86-64, with known values.
 *
 * Every probe is provider "sample", without a semaphore (plain STAP_PROBEn
 * and DTRACE_PROBEn).  Each function that fires one is noipa, so each
 * probe has exactly one note and gcc cannot fold the values into
 * constants; the values come from globals set at startup.  Built twice,
 * -no-pie (operands-nopie) and -pie (operands-pie), both at -O2; twelve_o0
 * is compiled at -O0 for its %rbp-relative specs.  The specs gcc 12 writes
 * (readelf -n; register choices may differ with another compiler):
 *
 *   loop            -4@%edi 8@%rsi                 thread index, iteration
 *   noargs          (no arguments)
 *   signed_regs     -1@%dil -2@%si -4@%r8d -8@%rcx  fired 4 times
 *   unsigned_regs   1@%dil 2@%si 4@%r8d 8@%rcx      fired 3 times
 *   narrow_regs     -8@%rdi 8@%rsi -4@%edx 4@%ecx -1@%r8b -2@%r9w
 *   consts          -1@$-127 1@$-127 -4@$-9 -8@$-2147483647 8@$-1 2@$-1
 *                   -8@$-9223372036854775808 -4@$0   (DTRACE_PROBE8; gcc
 *                   prints an unsigned immediate sign-extended from its
 *                   width, so 1@$-127 is 129 and 8@$-1 is 2^64-1)
 *   consts2         -1@$-128 -2@$-32768 -4@$-2147483648
 *                   -8@$9223372036854775807 4@$-1 1@$-128 8@%rbx -4@$65
 *   strings         8@%rbx 8@%rax: arg1 STRING, arg2 its length; 7 times,
 *                   the last string ends at the last byte of a page whose
 *                   next page is PROT_NONE
 *   long_string     8@%rbx 8@%rax: arg1 STRING (1000 bytes), arg2 length
 *   pointers        8@%rdi 8@%rsi 8@%rdx 8@%rcx (global, stack, NULL, heap)
 *   struct_fields   -1@(%rdi) 1@1(%rdi) -2@2(%rdi) 2@4(%rdi) -4@8(%rdi)
 *                   4@12(%rdi) -8@16(%rdi) 8@24(%rdi) 8f@32(%rdi) 4f@40(%rdi)
 *   stack_fields    -1@(%rsp) 1@1(%rsp) ... 8f@32(%rsp) 4f@40(%rsp)
 *   indexed         PIE:    -8@(%r8,%rdi,8) 2@(%r9,%rdi,2) 1@(%rsi,%rdi)
 *                           -8@16(%rax) 8f@32(%rax) 2@4(%rax) -8@(%rsp,%rdx,8)
 *                   no-PIE: -8@garr(,%rdi,8) 2@(%rsi,%rdi,2) 1@gbytes(%rdi)
 *                           -8@grecs+16(%rdx) 8f@grecs+32(%rdx)
 *                           2@grecs+4(%rdx) -8@(%rsp,%rax,8)
 *                   (no-PIE code addresses globals absolutely: a symbol
 *                   as displacement of a base/index form, no %rip)
 *   globals         -4@gvar(%rip) 8@8+gs(%rip) -2@svar(%rip)
 *                   4@8+sarr(%rip) -4@counter.1(%rip) 8f@gdbl(%rip)
 *                   4f@gflt(%rip) 8@guvar(%rip)   (no-PIE writes gs+8 and
 *                   sarr+8; svar, sarr and counter.1 are file statics,
 *                   named only in .symtab)
 *   floats          4f@%esi 8f@%rax 4f@%edi 8f@%rdx 8f@%rcx 4f@%r8d; twice
 *   xmm_regs        8f@%xmm0 4f@%xmm1 8@%xmm2 1@%ah -1@%r9b -2@%r10w
 *                   4@%r11d   (written by hand with STAP_PROBE_ASM: gcc
 *                   itself never names a vector or high-byte register)
 *   twelve          -1@%al 1@%sil -2@%dx 2@%cx -4@%r8d 4@%r9d -8@%r10 8@%r11
 *                   8@%rbx 8@%r12 4f@%r14d 8f@%rdi: arg10 is a STRING
 *   twelve_o0       -1@-4(%rbp) 1@-8(%rbp) ... -8@16(%rbp) 8@24(%rbp)
 *                   8@32(%rbp) 8@40(%rbp) 4f@-28(%rbp) 8f@-40(%rbp):
 *                   arg10 is a STRING
 *   twin            one name at two sites: -4@%edi, then -4@$7
 *
 * String arguments, for ptap's type lists: sample:strings arg1,
 * sample:long_string arg1, sample:twelve arg10, sample:twelve_o0 arg10
 * (e.g. -e 'sample:strings(str,u64)').  Everything else is a number.
 *
 * One firing sequence is 32 firings; --loops and --threads multiply it.
 * The order of lines across threads is not fixed: compare sorted.
 */
#define _GNU_SOURCE
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sdt.h>
#include <unistd.h>

#include "sample.h"

#define FIRE __attribute__((noipa))

/* A record read field by field through a pointer, and by index. */
struct rec {
	int8_t c;
	uint8_t uc;
	int16_t s;
	uint16_t us;
	int32_t i;
	uint32_t ui;
	int64_t l;
	uint64_t ul;
	double d;
	float f;
};

struct gpair {
	int64_t a;
	uint64_t b;
};

/* Read through %rip; written once by values_init, before any thread. */
int32_t gvar;
struct gpair gs;
uint64_t guvar;
double gdbl;
float gflt;
int64_t garr[8];
uint8_t gbytes[8];
struct rec grecs[4];
static int16_t svar;
static uint32_t sarr[4];
static uint16_t sarr16[8];

/* A string that ends at the last byte of a page whose next page is not
 * readable: a tracer reading a fixed-size block past it gets EFAULT. */
static const char *page_end_str;
static char long_str[1001];

static const char *const strings[] = {
	"hello",
	"",
	"quote \" backslash \\ slash / tab \t newline \n cr \r end",
	"utf-8: h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\x8d",
	"controls \x01\x1f\x7f end",
	"bad utf-8 \xff\xfe \xc3( end",
	NULL,                   /* page_end_str */
};

FIRE static void fire_counter(int set, int32_t value)
{
	static int32_t counter;   /* a function static: the symbol is "counter.0" */

	if (set) {
		counter = value;
		return;
	}
	STAP_PROBE8(sample, globals, gvar, gs.b, svar, sarr[2], counter, gdbl, gflt, guvar);
	expect_fire("sample:globals", "iuiuiffu", (int64_t)gvar, gs.b, (int64_t)svar,
		    (uint64_t)sarr[2], (int64_t)counter, gdbl, (double)gflt, guvar);
}

FIRE static void values_init(void)
{
	static const char tail[] = "at the page end";
	long page = sysconf(_SC_PAGESIZE);
	char *map;
	int i;

	gvar = -123456789;
	gs.a = 1;
	gs.b = 0xfedcba9876543210ull;
	guvar = UINT64_MAX;
	gdbl = -1.0 / 3.0;
	gflt = 0.1f;
	svar = INT16_MIN;
	for (i = 0; i < 4; i++)
		sarr[i] = 0x80000000u + (uint32_t)i;
	for (i = 0; i < 8; i++) {
		garr[i] = INT64_MIN + i;
		sarr16[i] = (uint16_t)(0xfff0 + i);
		gbytes[i] = (uint8_t)(0xf8 + i);
	}
	for (i = 0; i < 4; i++) {
		grecs[i] = (struct rec){
			.c = (int8_t)(-100 - i), .uc = (uint8_t)(200 + i),
			.s = (int16_t)(-30000 - i), .us = (uint16_t)(60000 + i),
			.i = -2000000000 - i, .ui = 4000000000u + (uint32_t)i,
			.l = -9000000000000000000 - i, .ul = 18000000000000000000ull + (uint64_t)i,
			.d = 1.0 / (i + 3), .f = 1.0f / (float)(i + 7),
		};
	}
	fire_counter(1, -77);

	map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + page, (size_t)page, PROT_NONE)) {
		perror("operands: mmap");
		exit(1);
	}
	memcpy(map + page - sizeof(tail), tail, sizeof(tail));
	page_end_str = map + page - sizeof(tail);

	for (i = 0; i < 1000; i++)
		long_str[i] = (char)('a' + i % 26);
}

FIRE static void fire_loop(int32_t index, uint64_t iteration)
{
	STAP_PROBE2(sample, loop, index, iteration);
	expect_fire("sample:loop", "iu", (int64_t)index, iteration);
}

FIRE static void fire_noargs(void)
{
	STAP_PROBE(sample, noargs);
	expect_fire("sample:noargs", "");
}

FIRE static void fire_signed(int8_t a, int16_t b, int32_t c, int64_t d)
{
	STAP_PROBE4(sample, signed_regs, a, b, c, d);
	expect_fire("sample:signed_regs", "iiii", (int64_t)a, (int64_t)b, (int64_t)c, d);
}

FIRE static void fire_unsigned(uint8_t a, uint16_t b, uint32_t c, uint64_t d)
{
	STAP_PROBE4(sample, unsigned_regs, a, b, c, d);
	expect_fire("sample:unsigned_regs", "uuuu", (uint64_t)a, (uint64_t)b, (uint64_t)c, d);
}

/* The fifth and sixth arguments arrive in %r8 and %r9. */
FIRE static void fire_narrow(int64_t a, uint64_t b, int32_t c, uint32_t d, int8_t e, int16_t f)
{
	STAP_PROBE6(sample, narrow_regs, a, b, c, d, e, f);
	expect_fire("sample:narrow_regs", "iuiuii", a, b, (int64_t)c, (uint64_t)d,
		    (int64_t)e, (int64_t)f);
}

FIRE static void fire_consts(void)
{
	DTRACE_PROBE8(sample, consts, (int8_t)-127, (uint8_t)129, -9, (long)-2147483647,
		      UINT64_MAX, (uint16_t)65535, INT64_MIN, 0);
	expect_fire("sample:consts", "iuiiuuii", (int64_t)-127, (uint64_t)129, (int64_t)-9,
		    (int64_t)-2147483647, UINT64_MAX, (uint64_t)65535, INT64_MIN, (int64_t)0);
	DTRACE_PROBE8(sample, consts2, (int8_t)INT8_MIN, (int16_t)INT16_MIN, INT32_MIN,
		      INT64_MAX, (uint32_t)UINT32_MAX, (uint8_t)0x80, (uint64_t)1 << 63, 'A');
	expect_fire("sample:consts2", "iiiiuuui", (int64_t)INT8_MIN, (int64_t)INT16_MIN,
		    (int64_t)INT32_MIN, INT64_MAX, (uint64_t)UINT32_MAX, (uint64_t)0x80,
		    (uint64_t)1 << 63, (int64_t)'A');
}

FIRE static void fire_string(const char *s)
{
	STAP_PROBE2(sample, strings, s, (uint64_t)strlen(s));
	expect_fire("sample:strings", "su", s, (uint64_t)strlen(s));
}

FIRE static void fire_long_string(const char *s)
{
	STAP_PROBE2(sample, long_string, s, (uint64_t)strlen(s));
	expect_fire("sample:long_string", "su", s, (uint64_t)strlen(s));
}

FIRE static void fire_pointers(const void *global, const void *stack, const void *null,
			       const void *heap)
{
	STAP_PROBE4(sample, pointers, global, stack, null, heap);
	expect_fire("sample:pointers", "pppp", global, stack, null, heap);
}

FIRE static void fire_struct(const struct rec *r)
{
	STAP_PROBE10(sample, struct_fields, r->c, r->uc, r->s, r->us, r->i, r->ui, r->l, r->ul,
		     r->d, r->f);
	expect_fire("sample:struct_fields", "iuiuiuiuff", (int64_t)r->c, (uint64_t)r->uc,
		    (int64_t)r->s, (uint64_t)r->us, (int64_t)r->i, (uint64_t)r->ui, r->l, r->ul,
		    r->d, (double)r->f);
}

/* A volatile copy on the stack: gcc names its fields relative to %rsp. */
FIRE static void fire_stack(const struct rec *r)
{
	volatile struct rec v = *r;

	STAP_PROBE8(sample, stack_fields, v.c, v.uc, v.s, v.us, v.i, v.l, v.d, v.f);
	expect_fire("sample:stack_fields", "iuiuiiff", (int64_t)r->c, (uint64_t)r->uc,
		    (int64_t)r->s, (uint64_t)r->us, (int64_t)r->i, r->l, r->d, (double)r->f);
}

/* Elements chosen by a runtime index: base + index * scale forms. */
FIRE static void fire_indexed(int i)
{
	volatile int64_t local[4] = { -1, -2, -3, -4 };

	STAP_PROBE7(sample, indexed, garr[i], sarr16[i], gbytes[i], grecs[i & 3].l,
		    grecs[i & 3].d, grecs[i & 3].us, local[i & 3]);
	expect_fire("sample:indexed", "iuuifui", garr[i], (uint64_t)sarr16[i], (uint64_t)gbytes[i],
		    grecs[i & 3].l, grecs[i & 3].d, (uint64_t)grecs[i & 3].us,
		    (int64_t)-1 - (i & 3));
}

FIRE static void fire_floats(float a, double b, float c, double d, double e, float f)
{
	STAP_PROBE6(sample, floats, a, b, c, d, e, f);
	expect_fire("sample:floats", "ffffff", (double)a, b, (double)c, d, e, (double)f);
}

/*
 * gcc never puts a probe argument in a vector register or names a high
 * byte register by itself ("nor" constraints), so these specs are written
 * by hand around asm operands: %[x] becomes %xmmN, %h[...] %ah-style, and
 * the explicit register variables pin r9, r10 and r11.
 */
FIRE static void fire_xmm(double d, float f, uint64_t bits, uint32_t ax, int8_t b,
			  int16_t w, uint32_t k)
{
	register int64_t r9 __asm__("r9") = b;
	register int64_t r10 __asm__("r10") = w;
	register uint64_t r11 __asm__("r11") = k;

	__asm__ __volatile__(STAP_PROBE_ASM(sample, xmm_regs,
		8f@%[d] 4f@%[f] 8@%[bits] 1@%h[ax] -1@%b[r9] -2@%w[r10] 4@%k[r11])
		:
		: [d] "x"(d), [f] "x"(f), [bits] "x"(bits), [ax] "Q"(ax),
		  [r9] "r"(r9), [r10] "r"(r10), [r11] "r"(r11));
	expect_fire("sample:xmm_regs", "ffuuiiu", d, (double)f, bits, (uint64_t)((ax >> 8) & 0xff),
		    (int64_t)b, (int64_t)w, (uint64_t)k);
}

#define TWELVE_PARAMS int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, \
	int64_t g, uint64_t h, const void *p, const char *s, float x, double y
#define TWELVE_EXPECT(name) \
	expect_fire(name, "iuiuiuiupsff", (int64_t)a, (uint64_t)b, (int64_t)c, (uint64_t)d, \
		    (int64_t)e, (uint64_t)f, g, h, p, s, (double)x, y)

FIRE static void fire_twelve(TWELVE_PARAMS)
{
	STAP_PROBE12(sample, twelve, a, b, c, d, e, f, g, h, p, s, x, y);
	TWELVE_EXPECT("sample:twelve");
}

/* Unoptimised: gcc spills the parameters and names them by %rbp. */
FIRE __attribute__((optimize("O0"))) static void fire_twelve_o0(TWELVE_PARAMS)
{
	STAP_PROBE12(sample, twelve_o0, a, b, c, d, e, f, g, h, p, s, x, y);
	TWELVE_EXPECT("sample:twelve_o0");
}

/* Two sites, two notes, one name. */
FIRE static void fire_twin_a(int32_t v)
{
	STAP_PROBE1(sample, twin, v);
	expect_fire("sample:twin", "i", (int64_t)v);
}

FIRE static void fire_twin_b(void)
{
	STAP_PROBE1(sample, twin, 7);
	expect_fire("sample:twin", "i", (int64_t)7);
}

static void fire_sequence(int index, long iteration)
{
	int64_t on_stack = iteration;
	void *heap = malloc(16);
	size_t i;

	fire_loop(index, (uint64_t)iteration);
	fire_noargs();

	fire_signed(INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN);
	fire_signed(INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX);
	fire_signed(-1, -1, -1, -1);
	fire_signed(0, 0, 0, 0);
	fire_unsigned(UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX);
	fire_unsigned(0, 0, 0, 0);
	fire_unsigned(0x80, 0x8000, 0x80000000u, 0x8000000000000000ull);
	fire_narrow(-1, UINT64_MAX, -1, UINT32_MAX, -1, -1);
	fire_consts();

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		fire_string(strings[i] ? strings[i] : page_end_str);
	fire_long_string(long_str);
	fire_pointers(&gvar, &on_stack, NULL, heap);

	fire_struct(&grecs[0]);
	fire_stack(&grecs[1]);
	fire_indexed((int)(iteration % 8));
	fire_counter(0, 0);

	fire_floats(1.5f, -2.25, 0.1f, 0.1, 1e300, -0.0f);
	fire_floats(FLT_MAX, DBL_MIN, FLT_MIN, DBL_MAX, 4.9406564584124654e-324, -3.0f);
	fire_xmm(-0.5, 3.25f, 0x8000000000000001ull, 0x1234abcd, -2, -3, 0xfffffffe);

	fire_twelve(INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		    INT64_MIN, UINT64_MAX, &gs, "twelfth", 2.5f, -1e-300);
	fire_twelve_o0(-1, 1, -2, 2, -3, 3, -4, 4, NULL, "o0 \"quoted\"", -0.25f, 1e10);

	fire_twin_a(index);
	fire_twin_b();
	free(heap);
}

int main(int argc, char **argv)
{
	struct sample_opts o;

	sample_parse(argc, argv, &o, NULL, NULL, NULL);
	sample_expect_open(&o);
	values_init();
	sample_run(&o, fire_sequence);
	sample_wait_linger(&o);
	return 0;
}

/*
 * A minimal program with stapsdt probes, for fuzz/corpus/elf/ (built by
 * fuzz/mkcorpus.py with -nostdlib, about 2 KB): a probe with register and
 * rip-relative arguments, one gated by a semaphore in .probes, one written
 * by hand with operand forms gcc does not produce itself.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#define SEMAPHORE(name) unsigned short name __attribute__((section(".probes"), used))
SEMAPHORE(t_plain_semaphore);
SEMAPHORE(t_gated_semaphore);
SEMAPHORE(t_handwritten_semaphore);
int gvar = 7;
static long svar = 9;
void _start(void);
long work(long a, const char *s);

__attribute__((noinline)) long work(long a, const char *s)
{
	STAP_PROBE3(t, plain, a, s, gvar);
	if (t_gated_semaphore)
		STAP_PROBE2(t, gated, svar, s[1]);
	__asm__ __volatile__(STAP_PROBE_ASM(t, handwritten,
		8@%rdi -4@-12+4(%rbp) 8@gvar(%rip) 1@%ah 8f@%xmm0 -8@-88(%rsp,%rax,8)));
	return a + svar;
}

void _start(void)
{
	work(1, "hello");
	__asm__ __volatile__("mov $60, %eax; xor %edi, %edi; syscall");
}

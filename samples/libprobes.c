/*
 * libprobes.so: probes that live in a shared library (ET_DYN at an
 * unknown base, like a PIE, but mapped by the dynamic loader, possibly
 * after the program started, possibly unmapped again by dlclose).
 *
 * Per libprobes_run(), in order (specs from gcc 12 -O2 -fPIC):
 *
 *   libprobes:call    -8@%rsi 8@%rdi          iteration, arg2 is a STRING
 *   libprobes:state   -4@lib_static(%rip) 8@lib_hidden(%rip) -8@(%rax)
 *                     a file static, a hidden global, and an exported
 *                     global read through the GOT (so a plain memory form)
 *   libprobes:gated   -8@%rsi 8@%rdi          only while its semaphore
 *                     (libprobes_gated_semaphore, from libprobes.d) is
 *                     raised; iteration, arg2 is a STRING.  It lives in
 *                     libprobes_gated.c: the dtrace -h header gives every
 *                     probe of the file it is included in a semaphore.
 *
 * The state values are set by libprobes_init and never change, so threads
 * may call libprobes_run concurrently.
 */
#include <stdint.h>

#include <sys/sdt.h>

#include "libprobes.h"
#include "sample.h"

#define API __attribute__((visibility("default")))

void libprobes_gated(const char *who, long iteration);   /* libprobes_gated.c */

static int32_t lib_static;
uint64_t lib_hidden;            /* hidden: the library builds with -fvisibility=hidden */
API int64_t lib_exported;       /* interposable, so the code reaches it via the GOT */

API void libprobes_init(int expect_fd)
{
	sample_expect_use_fd(expect_fd);
	lib_static = -42;
	lib_hidden = 0xdeadbeefcafef00dull;
	lib_exported = -4200000000;
}

API void libprobes_run(const char *who, long iteration)
{
	STAP_PROBE2(libprobes, call, iteration, who);
	expect_fire("libprobes:call", "is", (int64_t)iteration, who);

	STAP_PROBE3(libprobes, state, lib_static, lib_hidden, lib_exported);
	expect_fire("libprobes:state", "iui", (int64_t)lib_static, lib_hidden, lib_exported);

	libprobes_gated(who, iteration);
}

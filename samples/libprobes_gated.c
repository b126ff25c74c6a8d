/*
 * The semaphore-guarded half of libprobes.so (see libprobes.c): apart
 * because the `dtrace -h` header turns on semaphores for every probe in the
 * file that includes it.
 */
#include <stdint.h>

#include "libprobes-sdt.h"
#include "sample.h"

void libprobes_gated(const char *who, long iteration);

__attribute__((noipa)) void libprobes_gated(const char *who, long iteration)
{
	if (LIBPROBES_GATED_ENABLED()) {
		LIBPROBES_GATED(iteration, who);
		expect_fire("libprobes:gated", "is", (int64_t)iteration, who);
	}
}

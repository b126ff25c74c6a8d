/*
 * linked: a program linked against libprobes.so (found through
 * DT_RUNPATH $ORIGIN), so the library's probes are mapped before main.
 *
 * Per iteration: linked:iteration (-4@%edi -8@%rsi: thread index,
 * iteration; no strings), then the library's sequence (libprobes.c) with
 * "linked" as the caller's name.
 */
#include <stdint.h>
#include <sys/sdt.h>

#include "libprobes.h"
#include "sample.h"

__attribute__((noipa)) static void fire_sequence(int index, long iteration)
{
	STAP_PROBE2(linked, iteration, index, iteration);
	expect_fire("linked:iteration", "ii", (int64_t)index, (int64_t)iteration);
	libprobes_run("linked", iteration);
}

int main(int argc, char **argv)
{
	struct sample_opts o;

	sample_parse(argc, argv, &o, NULL, NULL, NULL);
	sample_expect_open(&o);
	libprobes_init(sample_expect_fd());
	sample_run(&o, fire_sequence);
	sample_wait_linger(&o);
	return 0;
}

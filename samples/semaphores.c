/*
 * semaphores: probes guarded by semaphores, the way CPython guards its
 * markers.  Each site fires only while a tracer has raised its semaphore
 * (SEMA_X_ENABLED()), and the sample writes an expectation line only for
 * what it actually fired, so a tracer's output must equal the --expect file.
 *
 * The probes come from semaphores.d through `dtrace -h` (header) and
 * `dtrace -G` (the object defining the semaphores).  gcc 12 -O2 gives:
 *
 *   sema:tick      -4@$1 -8@%rdi   site 1     \  two notes, one semaphore
 *   sema:tick      -4@$2 -8@%rdi   site 2     /  (sema_tick_semaphore)
 *   sema:message   8@%rbx 8@%rax   arg1 is a STRING, arg2 its length
 *   sema:idle      (no arguments)
 *
 * Per iteration: tick (site 1), message, tick (site 2), idle, each only
 * when enabled.  Run with nothing attached, the expect file stays empty.
 *
 * --show-semaphores prints the counters at exit (after --linger), as
 * {"sema:tick":N,"sema:message":N,"sema:idle":N}, so a test can check that
 * a tracer lowered what it raised.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sample.h"
#include "semaphores-sdt.h"

#define FIRE __attribute__((noipa))

/* The counters change behind the compiler's back: read them afresh. */
#define SEMA_VALUE(name) (*(volatile unsigned short *)&sema_##name##_semaphore)

FIRE static void tick_site1(long iteration)
{
	if (SEMA_TICK_ENABLED()) {
		SEMA_TICK(1, iteration);
		expect_fire("sema:tick", "ii", (int64_t)1, (int64_t)iteration);
	}
}

FIRE static void tick_site2(long iteration)
{
	if (SEMA_TICK_ENABLED()) {
		SEMA_TICK(2, iteration);
		expect_fire("sema:tick", "ii", (int64_t)2, (int64_t)iteration);
	}
}

FIRE static void message(int index, long iteration)
{
	char text[64];
	unsigned long len;

	if (!SEMA_MESSAGE_ENABLED())
		return;
	snprintf(text, sizeof(text), "thread %d iteration %ld", index, iteration);
	len = strlen(text);
	SEMA_MESSAGE(text, len);
	expect_fire("sema:message", "su", text, (uint64_t)len);
}

FIRE static void idle(void)
{
	if (SEMA_IDLE_ENABLED()) {
		SEMA_IDLE();
		expect_fire("sema:idle", "");
	}
}

static void fire_sequence(int index, long iteration)
{
	tick_site1(iteration);
	message(index, iteration);
	tick_site2(iteration);
	idle();
}

static int extra_option(const char *opt, const char *val, void *ctx)
{
	(void)val;
	if (!strcmp(opt, "--show-semaphores")) {
		*(int *)ctx = 1;
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sample_opts o;
	int show = 0;

	sample_parse(argc, argv, &o, extra_option, &show,
		     "  --show-semaphores  print the semaphore counters before exiting\n");
	sample_expect_open(&o);
	sample_run(&o, fire_sequence);
	sample_wait_linger(&o);
	if (show)
		printf("{\"sema:tick\":%u,\"sema:message\":%u,\"sema:idle\":%u}\n",
		       SEMA_VALUE(tick), SEMA_VALUE(message), SEMA_VALUE(idle));
	return 0;
}

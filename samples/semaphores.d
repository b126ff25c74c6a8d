/*
 * Probes with semaphores for the semaphores sample: `dtrace -h` turns this
 * into SEMA_TICK() and SEMA_TICK_ENABLED(), `dtrace -G` into the object that
 * defines the 2-byte counters sema_tick_semaphore, ... in section .probes.
 */
provider sema {
	/* site (1 or 2: two call sites share one semaphore), iteration */
	probe tick(int, long);
	/* arg1 is a STRING, arg2 its length */
	probe message(char *, unsigned long);
	/* never enabled by the tests unless they ask for it */
	probe idle();
};

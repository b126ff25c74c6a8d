/*
 * The semaphore-guarded probe of libprobes.so (`dtrace -h` header,
 * `dtrace -G` object defining libprobes_gated_semaphore in the library).
 */
provider libprobes {
	/* iteration, arg2 is a STRING (the caller's name) */
	probe gated(long, char *);
};

/*
 * libprobes.so: a shared library with probes of its own, for tests of
 * probes in libraries loaded at startup (linked) or later (dlopen).  The
 * programs call it through these two functions only; dlopen.c looks them
 * up by name, so their types are spelled out here as typedefs too.
 */
#ifndef PTAP_SAMPLES_LIBPROBES_H
#define PTAP_SAMPLES_LIBPROBES_H

/* Once per load: expectation lines go to expect_fd (-1: none). */
void libprobes_init(int expect_fd);
/* Fire the library's sequence once; who names the caller (a string arg). */
void libprobes_run(const char *who, long iteration);

typedef void (*libprobes_init_fn)(int expect_fd);
typedef void (*libprobes_run_fn)(const char *who, long iteration);

#endif

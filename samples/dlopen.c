/*
 * dlopen: loads libprobes.so with dlopen(3) after the handshake, so its
 * probes appear only once the program runs: a tracer must notice the new
 * mapping (the loader's r_debug hook) and arm them then.
 *
 *   --lib PATH   the library (default: libprobes.so next to this program,
 *                found through /proc/self/exe)
 *   --reopen     dlclose the library at the end of every iteration and
 *                dlopen it again at the start of the next.  After each
 *                dlclose the range the library occupied is reserved
 *                (PROT_NONE) until the following dlclose, so consecutive
 *                loads land at different addresses (A, B, A, B, ...).
 *
 * Per iteration: [dlopen:opened] dlopen:iteration, the library's sequence
 * (libprobes.c) with "dlopen" as the caller's name, [dlopen:closed].
 * Probes of the program itself (gcc 12 -O2):
 *
 *   dlopen:opened     8@%rdi 8@%rsi   arg1 is a STRING (the path), arg2
 *                                     the library's load base (l_addr)
 *   dlopen:iteration  -8@%rdi         iteration
 *   dlopen:closed     8@%rdi          arg1 is a STRING (the path)
 *
 * Single-threaded: --threads is refused.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sdt.h>
#include <unistd.h>

#include "libprobes.h"
#include "sample.h"

#define FIRE __attribute__((noipa))

static struct {
	char path[PATH_MAX];
	int reopen;
	void *handle;           /* NULL while closed */
	uintptr_t base;         /* l_addr of the open library */
	libprobes_run_fn run;
	void *reserved;         /* PROT_NONE placeholder over the last range, or NULL */
	size_t reserved_len;
} lib;

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "dlopen: %s: %s\n", what, why);
	exit(1);
}

static int extra_option(const char *opt, const char *val, void *ctx)
{
	(void)ctx;
	if (!strcmp(opt, "--reopen")) {
		lib.reopen = 1;
		return 1;
	}
	if (!strcmp(opt, "--lib") && val) {
		if (snprintf(lib.path, sizeof(lib.path), "%s", val) >= (int)sizeof(lib.path))
			fail(val, "path too long");
		return 2;
	}
	return 0;
}

static void default_path(void)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		fail("/proc/self/exe", strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(lib.path, sizeof(lib.path), "%s/libprobes.so", slash ? exe : ".") >=
	    (int)sizeof(lib.path))
		fail(exe, "path too long");
}

FIRE static void fire_opened(const char *path, uint64_t base)
{
	STAP_PROBE2(dlopen, opened, path, base);
	expect_fire("dlopen:opened", "su", path, base);
}

FIRE static void fire_iteration(long iteration)
{
	STAP_PROBE1(dlopen, iteration, iteration);
	expect_fire("dlopen:iteration", "i", (int64_t)iteration);
}

FIRE static void fire_closed(const char *path)
{
	STAP_PROBE1(dlopen, closed, path);
	expect_fire("dlopen:closed", "s", path);
}

static void lib_open(void)
{
	struct link_map *map;
	libprobes_init_fn init;

	lib.handle = dlopen(lib.path, RTLD_NOW | RTLD_LOCAL);
	if (!lib.handle)
		fail(lib.path, dlerror());
	if (dlinfo(lib.handle, RTLD_DI_LINKMAP, &map))
		fail(lib.path, dlerror());
	lib.base = map->l_addr;
	init = (libprobes_init_fn)dlsym(lib.handle, "libprobes_init");
	lib.run = (libprobes_run_fn)dlsym(lib.handle, "libprobes_run");
	if (!init || !lib.run)
		fail(lib.path, "libprobes_init or libprobes_run missing");
	init(sample_expect_fd());
	fire_opened(lib.path, lib.base);
}

/* The span of the library's PT_LOAD segments, from its base. */
static int span_of(struct dl_phdr_info *info, size_t size, void *data)
{
	size_t *span = data;
	int i;

	(void)size;
	if (info->dlpi_addr != lib.base || !info->dlpi_name || !strstr(info->dlpi_name, "libprobes"))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > *span)
			*span = ph->p_vaddr + ph->p_memsz;
	}
	return 1;
}

static void lib_close(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = 0;
	void *old = lib.reserved;
	size_t old_len = lib.reserved_len;

	dl_iterate_phdr(span_of, &span);
	if (dlclose(lib.handle))
		fail(lib.path, dlerror());
	lib.handle = NULL;
	lib.run = NULL;
	fire_closed(lib.path);

	/* Hold the range just freed so the next load goes elsewhere. */
	lib.reserved = NULL;
	if (span) {
		lib.reserved_len = (span + (size_t)page - 1) & ~((size_t)page - 1);
		lib.reserved = mmap((void *)lib.base, lib.reserved_len, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (lib.reserved == MAP_FAILED)
			lib.reserved = NULL;   /* still mapped (not unloaded): nothing to hold */
	}
	if (old)
		munmap(old, old_len);
}

static void fire_sequence(int index, long iteration)
{
	(void)index;
	if (!lib.handle)
		lib_open();
	fire_iteration(iteration);
	lib.run("dlopen", iteration);
	if (lib.reopen)
		lib_close();
}

int main(int argc, char **argv)
{
	struct sample_opts o;

	sample_parse(argc, argv, &o, extra_option, NULL,
		     "  --lib PATH      the library to load (default: libprobes.so beside this program)\n"
		     "  --reopen        dlclose and dlopen again at every iteration\n");
	if (o.threads) {
		fprintf(stderr, "dlopen: --threads is not supported\n");
		return 2;
	}
	if (!lib.path[0])
		default_path();
	sample_expect_open(&o);
	sample_run(&o, fire_sequence);
	sample_wait_linger(&o);
	return 0;
}

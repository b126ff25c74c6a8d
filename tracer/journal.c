/*
 * The on-disk journal of ptap's changes; see journal.h.
 */
#define _GNU_SOURCE
#include "tracer/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hashmap.h"
#include "common/util.h"
#include "tracer/procmaps.h"

/* Remove the journals of processes that are gone (once per run). */
static void journal_sweep(const char *dir)
{
	static bool swept;
	struct dirent *d;
	DIR *dp;

	if (swept)
		return;
	swept = true;
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		unsigned long long st;
		int pid;

		if (sscanf(d->d_name, "%d-%llu", &pid, &st) == 2 && proc_start_time(pid) != st)
			unlinkat(dirfd(dp), d->d_name, 0);
	}
	closedir(dp);
}

#define JOURNAL_HEADER "ptap-journal 1\n"

char *journal_dir_name(void)
{
	const char *run = getenv("XDG_RUNTIME_DIR");

	if (run && *run == '/')
		return xasprintf("%s/ptap", run);
	return xasprintf("/tmp/ptap-%u", (unsigned)geteuid());
}

/* The journal directory, created if needed, checked to be ours alone;
 * NULL and *err if it cannot be used. */
static char *journal_dir(int *err)
{
	char *dir = journal_dir_name();
	struct stat st;

	*err = 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		*err = -errno;
	else if (lstat(dir, &st))
		*err = -errno;
	else if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		*err = -EPERM;      /* a link, someone else's, or open to others */
	if (*err) {
		free(dir);
		return NULL;
	}
	journal_sweep(dir);
	return dir;
}

static char *journal_path(pid_t pid, int *err)
{
	unsigned long long st = proc_start_time(pid);
	char *dir = journal_dir(err), *path;

	if (!dir || !st) {
		if (!*err)
			*err = -ESRCH;
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/%d-%llu", dir, pid, st);
	free(dir);
	return path;
}

void journal_init(struct journal *j)
{
	j->fd = -1;
	j->path = NULL;
	j->err = 0;
}

/* Writing failed: no journal rather than one cut short. */
static void journal_fail(struct journal *j, int err)
{
	j->err = err ? err : -EIO;
	close(j->fd);
	j->fd = -1;
	if (j->path)
		unlink(j->path);
}

static void journal_line(struct journal *j, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void journal_line(struct journal *j, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (j->fd < 0)
		return;
	va_start(ap, fmt);
	r = vdprintf(j->fd, fmt, ap);
	va_end(ap);
	if (r < 0)
		journal_fail(j, -errno);
}

void journal_open(struct journal *j, pid_t pid)
{
	int err;

	journal_close(j, false);
	j->path = journal_path(pid, &err);
	if (!j->path) {
		j->err = err;
		return;
	}
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		j->err = -errno;
		return;
	}
	journal_line(j, JOURNAL_HEADER);
}

void journal_site(struct journal *j, uint64_t addr, uint8_t orig, bool done)
{
	journal_line(j, "%ssite %" PRIx64 " %02x\n", done ? "-" : "", addr, orig);
}

void journal_sem(struct journal *j, uint64_t addr, bool done)
{
	journal_line(j, "%ssem %" PRIx64 "\n", done ? "-" : "", addr);
}

void journal_cpus(struct journal *j, pid_t tid, int cpu, const cpu_set_t *own)
{
	const unsigned long *w = (const unsigned long *)own;
	char mask[sizeof(*own) / sizeof(*w) * 17 + 1];
	size_t n = sizeof(*own) / sizeof(*w), i, len = 0;

	while (n > 1 && !w[n - 1])
		n--;
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(mask + len, sizeof(mask) - len, "%s%lx", i ? "," : "", w[i]);
	journal_line(j, "cpus %d %d %s\n", tid, cpu, mask);
}

void journal_cpus_done(struct journal *j, pid_t tid)
{
	journal_line(j, "-cpus %d\n", tid);
}

/* "w0,w1,..." as written by journal_cpus; false if malformed. */
static bool parse_mask(const char *s, cpu_set_t *set)
{
	unsigned long *w = (unsigned long *)set;
	size_t i, n = sizeof(*set) / sizeof(*w);
	char *end;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < n; i++) {
		w[i] = strtoul(s, &end, 16);
		if (end == s)
			return false;
		if (*end != ',')
			return true;
		s = end + 1;
	}
	return false;
}

void journal_jump(struct journal *j, uint64_t addr, const uint8_t *orig, size_t len, bool done)
{
	char hex[2 * 16 + 1];
	size_t i;

	if (len > 16)
		return;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", orig[i]);
	journal_line(j, "%sjump %" PRIx64 " %s\n", done ? "-" : "", addr, hex);
}

void journal_region(struct journal *j, uint64_t addr, uint64_t len, const char *kind, bool done)
{
	journal_line(j, "%sregion %" PRIx64 " %" PRIx64 " %s\n", done ? "-" : "", addr, len, kind);
}

void journal_close(struct journal *j, bool remove)
{
	if (j->fd >= 0)
		close(j->fd);
	if (remove && j->path)
		unlink(j->path);
	free(j->path);
	journal_init(j);
}

/* The entries of one kind in a map: addr -> malloc'd entry. */
static void put(struct u64map *m, const struct journal_entry *e)
{
	struct journal_entry *c = xmalloc(sizeof(*c));

	*c = *e;
	free(u64map_del(m, e->addr));
	u64map_put(m, e->addr, c);
}

static void drain_map(struct u64map *m, struct journal_entry **out, size_t *n, size_t *cap)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(m, &i, &k, &v)) {
		VEC_RESERVE(*out, *cap, *n + 1);
		(*out)[(*n)++] = *(struct journal_entry *)v;
		free(v);
	}
	u64map_free(m);
}

static bool parse_hex(const char *s, struct journal_entry *e)
{
	size_t len = strspn(s, "0123456789abcdef"), i;
	unsigned b;

	if (!len || len % 2 || len / 2 > sizeof(e->jorig))
		return false;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return false;
		e->jorig[i] = (uint8_t)b;
	}
	e->jlen = (uint8_t)(len / 2);
	return true;
}

int journal_load(pid_t pid, struct journal_entry **out, size_t *n, char **pathp)
{
	int err;
	char *path = journal_path(pid, &err), line[512], hex[64], kind[8];
	struct u64map sites, sems, jumps, regions, cpus;
	size_t i = 0, cap = 0;
	uint64_t k;
	void *v;
	FILE *f;

	*out = NULL;
	*n = 0;
	*pathp = NULL;
	if (!path)
		return -ENOENT;
	f = fopen(path, "re");
	if (!f) {
		free(path);
		return -ENOENT;
	}
	*pathp = path;
	if (!fgets(line, sizeof(line), f) || strcmp(line, JOURNAL_HEADER)) {
		fclose(f);
		return -EBADMSG;        /* begun on a full disk, or not ours */
	}
	u64map_init(&sites);
	u64map_init(&sems);
	u64map_init(&jumps);
	u64map_init(&regions);
	u64map_init(&cpus);
	/* replay: the last word on each address wins; sems may be raised
	 * more than once (each line is one) */
	while (fgets(line, sizeof(line), f)) {
		struct journal_entry e = { 0 };
		unsigned long long a, l;
		unsigned b;
		int tid, cpu, at;

		if (sscanf(line, "cpus %d %d %n", &tid, &cpu, &at) == 2 && tid > 0 && cpu >= 0 &&
		    cpu < CPU_SETSIZE) {
			e = (struct journal_entry){ .addr = (uint64_t)tid, .kind = JE_CPUS, .tid = tid,
						    .cpu = cpu };
			free(u64map_del(&cpus, (uint64_t)tid));
			if (parse_mask(line + at, &e.own))
				put(&cpus, &e);
		} else if (sscanf(line, "-cpus %d", &tid) == 1 && tid > 0) {
			free(u64map_del(&cpus, (uint64_t)tid));
		} else if (sscanf(line, "site %llx %x", &a, &b) == 2 && a) {
			e = (struct journal_entry){ .addr = a, .kind = JE_SITE, .orig = (uint8_t)b };
			put(&sites, &e);
		} else if (sscanf(line, "-site %llx", &a) == 1) {
			free(u64map_del(&sites, a));
		} else if (sscanf(line, "jump %llx %63s", &a, hex) == 2 && a && parse_hex(hex, &e)) {
			e.addr = a;
			e.kind = JE_JUMP;
			put(&jumps, &e);
		} else if (sscanf(line, "-jump %llx", &a) == 1) {
			free(u64map_del(&jumps, a));
		} else if (sscanf(line, "region %llx %llx %7s", &a, &l, kind) == 3 && a) {
			e = (struct journal_entry){ .addr = a, .kind = JE_REGION, .len = l };
			memcpy(e.region, kind, sizeof(e.region));
			put(&regions, &e);
		} else if (sscanf(line, "-region %llx", &a) == 1) {
			free(u64map_del(&regions, a));
		} else if (sscanf(line, "sem %llx", &a) == 1 && a) {
			u64map_put(&sems, a, (void *)((uintptr_t)u64map_get(&sems, a) + 1));
		} else if (sscanf(line, "-sem %llx", &a) == 1 && a) {
			uintptr_t c = (uintptr_t)u64map_get(&sems, a);

			if (c > 1)
				u64map_put(&sems, a, (void *)(c - 1));
			else
				u64map_del(&sems, a);
		}
	}
	fclose(f);
	drain_map(&sites, out, n, &cap);
	drain_map(&jumps, out, n, &cap);
	drain_map(&regions, out, n, &cap);
	drain_map(&cpus, out, n, &cap);
	while (u64map_next(&sems, &i, &k, &v)) {
		for (uintptr_t c = (uintptr_t)v; c; c--) {
			VEC_RESERVE(*out, cap, *n + 1);
			(*out)[(*n)++] = (struct journal_entry){ .addr = k, .kind = JE_SEM };
		}
	}
	u64map_free(&sems);
	return 0;
}

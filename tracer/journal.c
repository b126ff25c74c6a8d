/*
 * The on-disk journal of ptap's changes; see journal.h.
 */
#define _GNU_SOURCE
#include "tracer/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hashmap.h"
#include "common/util.h"

/* The process's start time in clock ticks since boot (field 22 of
 * /proc/PID/stat), 0 if it cannot be read. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');   /* the command name may hold spaces */
	if (!p)
		return 0;
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

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

		if (sscanf(d->d_name, "%d-%llu", &pid, &st) == 2 && start_time(pid) != st)
			unlinkat(dirfd(dp), d->d_name, 0);
	}
	closedir(dp);
}

/* The journal directory, created if needed, checked to be ours alone. */
static char *journal_dir(void)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char *dir;

	if (run && *run == '/')
		dir = xasprintf("%s/ptap", run);
	else
		dir = xasprintf("/tmp/ptap-%u", (unsigned)geteuid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		goto bad;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		goto bad;
	journal_sweep(dir);
	return dir;
bad:
	free(dir);
	return NULL;
}

static char *journal_path(pid_t pid)
{
	unsigned long long st = start_time(pid);
	char *dir = journal_dir(), *path;

	if (!dir || !st) {
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
}

void journal_open(struct journal *j, pid_t pid)
{
	journal_close(j, false);
	j->path = journal_path(pid);
	if (!j->path)
		return;
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		free(j->path);
		j->path = NULL;
	}
}

void journal_site(struct journal *j, uint64_t addr, uint8_t orig, bool done)
{
	if (j->fd >= 0)
		dprintf(j->fd, "%ssite %" PRIx64 " %02x\n", done ? "-" : "", addr, orig);
}

void journal_sem(struct journal *j, uint64_t addr, bool done)
{
	if (j->fd >= 0)
		dprintf(j->fd, "%ssem %" PRIx64 "\n", done ? "-" : "", addr);
}

void journal_jump(struct journal *j, uint64_t addr, const uint8_t *orig, size_t len, bool done)
{
	char hex[2 * 16 + 1];
	size_t i;

	if (j->fd < 0 || len > 16)
		return;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", orig[i]);
	dprintf(j->fd, "%sjump %" PRIx64 " %s\n", done ? "-" : "", addr, hex);
}

void journal_region(struct journal *j, uint64_t addr, uint64_t len, const char *kind, bool done)
{
	if (j->fd >= 0)
		dprintf(j->fd, "%sregion %" PRIx64 " %" PRIx64 " %s\n", done ? "-" : "", addr, len, kind);
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
	char *path = journal_path(pid), line[256], hex[64], kind[8];
	struct u64map sites, sems, jumps, regions;
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
	u64map_init(&sites);
	u64map_init(&sems);
	u64map_init(&jumps);
	u64map_init(&regions);
	/* replay: the last word on each address wins; sems may be raised
	 * more than once (each line is one) */
	while (fgets(line, sizeof(line), f)) {
		struct journal_entry e = { 0 };
		unsigned long long a, l;
		unsigned b;

		if (sscanf(line, "site %llx %x", &a, &b) == 2 && a) {
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
	while (u64map_next(&sems, &i, &k, &v)) {
		for (uintptr_t c = (uintptr_t)v; c; c--) {
			VEC_RESERVE(*out, cap, *n + 1);
			(*out)[(*n)++] = (struct journal_entry){ .addr = k, .kind = JE_SEM };
		}
	}
	u64map_free(&sems);
	*pathp = path;
	return 0;
}

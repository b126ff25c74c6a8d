/*
 * Judging the processes of /proc; see scan.h.
 *
 * In the order the checks run, cheapest first:
 *   /proc/PID/status   Uid (real, effective, saved), PPid, TracerPid:
 *                      ptap itself and its children, other users' (when
 *                      not root: their maps cannot be read, so a Python is
 *                      recognised by its name alone), another tracer's;
 *   /proc/PID/maps     the modules (files mapped executable), each
 *                      looked up in the cache by (device, inode, mtime),
 *                      the mtime from a stat through /proc/PID/root (no
 *                      open), or from the opened file when that path does
 *                      not lead to the mapped inode;
 *   the ELF file       read once per cache key: its stapsdt notes, and
 *                      for the executable and python-named files whether
 *                      it defines Py_BytesMain or Py_Main (an interpreter
 *                      without markers) and its version.
 * A process is traceable when some module has a probe the selection
 * picks; a Python without one is skipped with ui/explain.c's reason.
 */
#define _GNU_SOURCE
#include "ui/scan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/module.h"
#include "tracer/procmaps.h"
#include "tracer/python.h"
#include "ui/explain.h"

/* What one file holds, for one (device, inode, mtime). */
struct scan_file {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	struct elf_module *elf;      /* NULL: not an ELF file ptap can read */
	bool main_checked;           /* has_main was looked up */
	bool has_main;               /* defines Py_BytesMain or Py_Main */
	bool python_named;           /* python* or libpython* */
	unsigned version;            /* if a Python, 0 unknown */
};

struct scan_cache {
	struct scan_file *v;
	size_t n, cap;
	unsigned long reads;         /* ELF files opened */
};

struct scan_cache *scan_cache_new(void)
{
	return xcalloc(1, sizeof(struct scan_cache));
}

void scan_cache_free(struct scan_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		elf_module_free(c->v[i].elf);
	free(c->v);
	free(c);
}

unsigned long scan_cache_reads(const struct scan_cache *c)
{
	return c->reads;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

size_t scan_pids(pid_t **out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0, cap = 0;
	pid_t *v = NULL;

	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		VEC_RESERVE(v, cap, n + 1);
		v[n++] = (pid_t)pid;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), pid_cmp);
	*out = v;
	return n;
}

/* /proc/PID/FILE into buf (NUL-terminated); bytes read, or -errno. */
static ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

static void proc_comm(pid_t pid, char *buf, size_t size)
{
	char tmp[64];

	if (proc_read(pid, "comm", tmp, sizeof(tmp)) <= 0)
		snprintf(tmp, sizeof(tmp), "?");
	tmp[strcspn(tmp, "\n")] = 0;
	tmp[MIN(size, sizeof(tmp)) - 1] = 0;
	memcpy(buf, tmp, strlen(tmp) + 1);
}

char *scan_cmdline(pid_t pid)
{
	char buf[4096], comm[32];
	ssize_t n = proc_read(pid, "cmdline", buf, sizeof(buf));

	if (n <= 0) {
		proc_comm(pid, comm, sizeof(comm));
		return xasprintf("[%s]", comm);
	}
	while (n > 0 && !buf[n - 1])
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	return xstrdup_safe(buf);
}

struct status {
	uid_t uid[3];        /* real, effective, saved */
	pid_t ppid;
	pid_t tracer;
};

static int read_status(pid_t pid, struct status *st)
{
	char buf[4096], *p;
	unsigned long u[3];

	if (proc_read(pid, "status", buf, sizeof(buf)) < 0)
		return -ESRCH;
	memset(st, 0, sizeof(*st));
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%lu %lu %lu", &u[0], &u[1], &u[2]) != 3)
		return -ESRCH;
	for (int i = 0; i < 3; i++)
		st->uid[i] = (uid_t)u[i];
	if ((p = strstr(buf, "\nPPid:")))
		st->ppid = (pid_t)strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nTracerPid:")))
		st->tracer = (pid_t)strtol(p + 11, NULL, 10);
	return 0;
}

static bool python_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return glob_match("python*", base) || glob_match("libpython*", base);
}

/* argv[0] or comm named like a Python (for processes whose maps are closed to us) */
static bool process_named_python(pid_t pid, const char *comm)
{
	char buf[512];

	if (python_named(comm))
		return true;
	return proc_read(pid, "cmdline", buf, sizeof(buf)) > 0 && python_named(buf);
}

static void file_check_main(struct scan_file *f, const char *path, int fd)
{
	uint64_t v;

	f->main_checked = true;
	f->has_main = elf_module_symbol(path, fd, "Py_BytesMain", &v) == 0 ||
		      elf_module_symbol(path, fd, "Py_Main", &v) == 0;
}

static bool has_python_probes(const struct elf_module *m)
{
	for (size_t i = 0; m && i < m->nprobes; i++)
		if (!strcmp(m->probes[i].provider, "python"))
			return true;
	return false;
}

/*
 * The cache entry for module e of pid, read now if new.  The stat goes
 * through the target's root; a path that leads elsewhere (another mount
 * namespace, a file replaced since) falls back to the mapped file itself.
 */
static struct scan_file *file_get(struct scan_cache *c, pid_t pid, const struct map_entry *e,
				  bool is_exe)
{
	char path[PATH_MAX + 64];
	struct scan_file *f;
	struct stat st;
	int fd = -1;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, e->path);
	if (stat(path, &st) || st.st_dev != e->dev || st.st_ino != e->ino) {
		fd = procmaps_open(pid, e);
		if (fd < 0 || fstat(fd, &st)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
	}
	for (i = 0; i < c->n; i++) {
		f = &c->v[i];
		if (f->dev == e->dev && f->ino == e->ino && f->mtime.tv_sec == st.st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st.st_mtim.tv_nsec)
			break;
	}
	if (i == c->n) {
		if (fd < 0 && (fd = procmaps_open(pid, e)) < 0)
			return NULL;
		VEC_RESERVE(c->v, c->cap, c->n + 1);
		f = &c->v[c->n++];
		memset(f, 0, sizeof(*f));
		f->dev = e->dev;
		f->ino = e->ino;
		f->mtime = st.st_mtim;
		f->python_named = python_named(e->path);
		c->reads++;
		if (elf_module_open(e->path, fd, &f->elf))
			f->elf = NULL;
		if (f->elf && (has_python_probes(f->elf) || f->python_named || is_exe)) {
			file_check_main(f, e->path, fd);
			if (f->has_main || has_python_probes(f->elf))
				f->version = python_version(f->elf, fd);
		}
	} else if (f->elf && is_exe && !f->main_checked) {
		if (fd < 0 && (fd = procmaps_open(pid, e)) < 0)
			return f;
		file_check_main(f, e->path, fd);
		if (f->has_main)
			f->version = python_version(f->elf, fd);
	}
	if (fd >= 0)
		close(fd);
	return f;
}

/* Add name to the comma-separated list unless it is there. */
static void marker_add(struct scan_proc *out, const char *name)
{
	size_t len = strlen(name);
	const char *p = out->markers;
	char *next;

	while (p && *p) {
		size_t l = strcspn(p, ",");

		if (l == len && !strncmp(p, name, len))
			return;
		p += l + (p[l] == ',');
	}
	next = xasprintf("%s%s%s", out->markers, *out->markers ? "," : "", name);
	free(out->markers);
	out->markers = next;
	out->nmarkers++;
}

/* What the modules of pid hold: python, version, markers, matching. */
static int scan_modules(struct scan_cache *c, pid_t pid, const struct selection *sel,
			struct scan_proc *out)
{
	struct proc_maps maps;
	size_t *first, n, i, j;
	char *exe = procmaps_exe_path(pid);
	int err = procmaps_read(pid, &maps);

	if (err) {
		free(exe);
		return err;
	}
	first = xcalloc(maps.n ? maps.n : 1, sizeof(*first));
	n = procmaps_modules(&maps, first);
	for (i = 0; i < n; i++) {
		const struct map_entry *e = &maps.v[first[i]];
		bool is_exe = exe && !strcmp(e->path, exe);
		struct scan_file *f = file_get(c, pid, e, is_exe);

		if (!f || !f->elf)
			continue;
		if (f->has_main || has_python_probes(f->elf)) {
			out->python = true;
			if (!out->python_version)
				out->python_version = f->version;
		}
		for (j = 0; j < f->elf->nprobes; j++) {
			const struct sdt_probe *p = &f->elf->probes[j];
			bool py = !strcmp(p->provider, "python");

			if (py)
				marker_add(out, p->name);
			if (sel ? selection_match(sel, p, false) >= 0 : py)
				out->nmatching++;
		}
	}
	free(first);
	procmaps_free(&maps);
	free(exe);
	return 0;
}

static bool other_user(const struct status *st)
{
	uid_t me = getuid();

	if (geteuid() == 0)
		return false;
	return st->uid[0] != me || st->uid[1] != me || st->uid[2] != me;
}

int scan_process(struct scan_cache *c, pid_t pid, const struct selection *sel, bool explain,
		 struct scan_proc *out)
{
	struct status st;
	struct explain ex;
	int err;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->markers = xstrdup("");
	if (read_status(pid, &st)) {
		scan_proc_free(out);
		return -ESRCH;
	}
	out->uid = st.uid[0];
	proc_comm(pid, out->comm, sizeof(out->comm));
	if (other_user(&st)) {
		/* nothing more can be read: a Python by its name, or nothing */
		out->python = process_named_python(pid, out->comm);
		out->verdict = out->python ? SCAN_OTHER_USER : SCAN_IGNORED;
		if (out->python)
			out->why = xasprintf("pid %d (%s) belongs to another user (uid %u)", (int)pid,
					     out->comm, (unsigned)st.uid[0]);
		return 0;
	}
	err = scan_modules(c, pid, sel, out);
	if (err == -ESRCH) {
		scan_proc_free(out);
		return -ESRCH;
	}
	if (err) {
		out->python = process_named_python(pid, out->comm);
		out->verdict = out->python ? SCAN_UNREADABLE : SCAN_IGNORED;
		out->why = xasprintf("pid %d (%s): cannot read /proc/%d/maps: %s", (int)pid,
				     out->comm, (int)pid, strerror(-err));
		return 0;
	}
	if (!out->python && !out->nmatching) {
		out->verdict = SCAN_IGNORED;
		return 0;
	}
	if (pid == getpid() || st.ppid == getpid()) {
		out->verdict = SCAN_SELF;
		out->why = xasprintf("pid %d (%s) is %s", (int)pid, out->comm,
				     pid == getpid() ? "ptap itself" : "a child of ptap's");
	} else if (st.tracer && st.tracer != getpid()) {
		out->verdict = SCAN_OTHER_TRACER;
		out->tracer = st.tracer;
		proc_comm(st.tracer, out->tracer_comm, sizeof(out->tracer_comm));
		out->why = xasprintf("pid %d (%s) is already traced by pid %d (%s)", (int)pid,
				     out->comm, (int)st.tracer, out->tracer_comm);
	} else if (!out->nmatching) {
		out->verdict = SCAN_NO_MARKERS;
		if (explain && sel && explain_process(pid, sel, &ex) == 0)
			out->why = ex.text;
		else if (explain && sel)
			free(ex.text);
		if (!out->why)
			out->why = xasprintf("pid %d (%s) is a Python without %s markers", (int)pid,
					     out->comm, sel ? "the selected" : "stapsdt");
	} else {
		out->verdict = SCAN_TRACEABLE;
	}
	return 0;
}

void scan_proc_free(struct scan_proc *p)
{
	free(p->markers);
	free(p->why);
	p->markers = p->why = NULL;
}

const char *scan_verdict_text(enum scan_verdict v)
{
	switch (v) {
	case SCAN_TRACEABLE:
		return "yes";
	case SCAN_SELF:
		return "no: ptap's own";
	case SCAN_OTHER_USER:
		return "no: other user";
	case SCAN_OTHER_TRACER:
		return "no: traced";
	case SCAN_NO_MARKERS:
		return "no: no markers";
	case SCAN_UNREADABLE:
		return "no: unreadable";
	case SCAN_IGNORED:
		return "no: not a Python";
	case SCAN_GONE:
		return "no: ended";
	}
	return "?";
}

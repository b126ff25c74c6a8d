/*
 * /proc/PID/maps, and opening the files a process has mapped.
 *
 * Parsing.  Each line is
 *   START-END PERMS OFFSET MAJOR:MINOR INODE [PADDING PATH]
 *   7f3a1c400000-7f3a1c428000 r--p 00000000 fe:00 1835131   /usr/lib/x86_64-linux-gnu/libc.so.6
 * with the numbers in hex except the inode (decimal).  The path is
 * everything after the padding up to the end of the line: it may hold
 * spaces, and the kernel appends " (deleted)" when the file was unlinked
 * (we strip that and set `deleted`).  A newline in a path is printed as
 * "\012" and a backslash is printed as is, so the text is not always a
 * faithful path; that is one more reason never to trust it without the
 * device and inode check below.  Anonymous mappings have no path or a
 * pseudo name like "[heap]", "[stack]", "[vdso]", and device 00:00 inode 0.
 *
 * Opening.  The path is the target's view of its file system and the
 * target may change what it names at any time (rename, symlink, another
 * mount namespace, chroot).  So we resolve it inside /proc/PID/root with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): ".." and absolute
 * symlinks stay inside the target's root and /proc/self-style magic links
 * are refused (kernels without openat2 get a plain openat from that root,
 * which the check below keeps just as safe).  The first open is O_PATH,
 * which opens nothing (no FIFO blocks, no device driver runs); only once
 * fstat shows a regular file with the mapped device and inode do we
 * reopen it for reading through our own /proc/self/fd.  If the path does
 * not lead to that inode (renamed, deleted, replaced, in another namespace
 * we cannot enter), the map_files/START-END link of the mapping itself is
 * tried, which the kernel allows only with CAP_SYS_ADMIN, under the same
 * check.  Either way the fd returned is the very file that is mapped, or
 * an error.
 */
#define _GNU_SOURCE
#include "procmaps.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"

#define DELETED_SUFFIX " (deleted)"

/* errno of a failed open of a /proc/PID file, as our convention wants it. */
static int proc_errno(int err)
{
	return err == ENOENT ? -ESRCH : -err;
}

/* Read a whole /proc file (its size is unknown to stat) into a string. */
static int read_proc_file(const char *path, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_errno(errno);
	for (;;) {
		ssize_t n;

		VEC_RESERVE(buf, cap, len + 65536 + 1);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A process that exits while we read reports ESRCH or
			 * nothing; a permission check may also bite here. */
			err = proc_errno(errno);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Parse one line (NUL-terminated, no newline): 0 or -EINVAL. */
static int parse_line(char *line, struct map_entry *e)
{
	unsigned long long start, end, offset, ino;
	unsigned int dev_major, dev_minor;
	char perms[8];
	int used = 0;
	char *path;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu%n", &start, &end, perms,
		   &offset, &dev_major, &dev_minor, &ino, &used) != 7 || used <= 0)
		return -EINVAL;
	if (strlen(perms) != 4 || end < start)
		return -EINVAL;
	e->start = start;
	e->end = end;
	e->offset = offset;
	e->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	e->shared = perms[3] == 's';
	e->dev = makedev(dev_major, dev_minor);
	e->ino = (ino_t)ino;

	path = line + used;
	while (*path == ' ')
		path++;
	len = strlen(path);
	if (!len)
		return 0;
	if (len > strlen(DELETED_SUFFIX) &&
	    !strcmp(path + len - strlen(DELETED_SUFFIX), DELETED_SUFFIX)) {
		len -= strlen(DELETED_SUFFIX);
		e->deleted = true;
	}
	e->path = xstrndup(path, len);
	return 0;
}

int procmaps_parse_buf(char *text, struct proc_maps *out, const char **bad_line)
{
	char *line, *nl;
	size_t cap = 0;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	if (bad_line)
		*bad_line = NULL;
	for (line = text; *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (!*line)
			continue;
		VEC_RESERVE(out->v, cap, out->n + 1);
		if (parse_line(line, &out->v[out->n]) != 0) {
			if (bad_line)
				*bad_line = line;
			err = -EINVAL;
			break;
		}
		out->n++;
	}
	if (err)
		procmaps_free(out);
	return err;
}

int procmaps_read(pid_t pid, struct proc_maps *out)
{
	char path[64], *text = NULL;
	const char *bad;
	int err;

	out->v = NULL;
	out->n = 0;
	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = read_proc_file(path, &text);
	if (err)
		return err;
	err = procmaps_parse_buf(text, out, &bad);
	if (err && bad)
		pr_debug("procmaps", "pid %d: cannot parse maps line '%s'", (int)pid, bad);
	free(text);
	return err;
}

void procmaps_free(struct proc_maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

bool procmaps_is_file(const struct map_entry *e)
{
	return e->ino != 0 && e->path && e->path[0] == '/';
}

size_t procmaps_modules(const struct proc_maps *maps, size_t *first)
{
	size_t n = 0;

	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];
		bool seen = false;
		size_t j;

		if (!(e->prot & PROT_EXEC) || !procmaps_is_file(e))
			continue;
		for (j = 0; j < n && !seen; j++)
			seen = maps->v[first[j]].dev == e->dev && maps->v[first[j]].ino == e->ino;
		if (seen)
			continue;
		/* the module's lowest mapping (the ELF header) stands for it */
		for (j = 0; j < i; j++)
			if (maps->v[j].dev == e->dev && maps->v[j].ino == e->ino)
				break;
		first[n++] = j;
	}
	return n;
}

/*
 * fd is an O_PATH descriptor: if it is a regular file with e's device and
 * inode, return a fresh O_RDONLY descriptor of it, else -ESTALE.  Closes fd.
 */
static int reopen_if_mapped(int fd, const struct map_entry *e)
{
	struct stat st;
	char self[64];
	int rfd;

	if (fstat(fd, &st) < 0) {
		rfd = -errno;
		close(fd);
		return rfd;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != e->dev || st.st_ino != e->ino) {
		close(fd);
		return -ESTALE;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	rfd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (rfd < 0)
		rfd = -errno;
	close(fd);
	if (rfd >= 0 && (fstat(rfd, &st) < 0 || st.st_dev != e->dev || st.st_ino != e->ino)) {
		close(rfd);
		return -ESTALE;
	}
	return rfd;
}

/*
 * openat2 is Linux 5.6; older kernels say ENOSYS and some seccomp
 * profiles EPERM.  Then the path is walked by openat from the target's
 * root: a ".." or an absolute symlink may lead out of it, but the device
 * and inode check still accepts only the mapped file itself.
 */
static int open_resolved(int dirfd, const char *path, struct open_how *how,
			 const struct map_entry *e)
{
	static int no_openat2;
	int fd = -1;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
		if (fd < 0 && (errno == ENOSYS || errno == EPERM))
			no_openat2 = 1;
	}
	if (no_openat2) {
		while (*path == '/')
			path++;
		fd = openat(dirfd, *path ? path : ".", (int)how->flags);
	}
	if (fd < 0)
		return -errno;
	return reopen_if_mapped(fd, e);
}

/* The first way: the path, resolved inside the target's root. */
static int open_in_root(pid_t pid, const struct map_entry *e)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char root[64];
	int dirfd, fd;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return proc_errno(errno);
	fd = open_resolved(dirfd, e->path, &how, e);
	if ((fd == -ENOENT || fd == -ESTALE) && e->deleted) {
		/* A file may really be named "x (deleted)". */
		char *full = xasprintf("%s%s", e->path, DELETED_SUFFIX);
		int fd2 = open_resolved(dirfd, full, &how, e);
		if (fd2 >= 0 || fd2 == -ESTALE)
			fd = fd2;
		free(full);
	}
	close(dirfd);
	return fd;
}

/* The second way: the mapping's own link (needs CAP_SYS_ADMIN). */
static int open_map_file(pid_t pid, const struct map_entry *e)
{
	char link[96];
	int fd;

	snprintf(link, sizeof(link), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid,
		 e->start, e->end);
	fd = open(link, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return reopen_if_mapped(fd, e);
}

int procmaps_open(pid_t pid, const struct map_entry *e)
{
	int fd, err;

	if (!procmaps_is_file(e))
		return -EINVAL;
	fd = open_in_root(pid, e);
	if (fd >= 0)
		return fd;
	err = fd;
	if (err == -ESRCH)
		return err;
	fd = open_map_file(pid, e);
	if (fd >= 0)
		return fd;
	/*
	 * Report the more telling of the two failures: map_files refuses
	 * anyone without CAP_SYS_ADMIN and says ENOENT when the mapping went
	 * away meanwhile; then what happened to the path says more.
	 */
	if (fd == -EPERM || fd == -EACCES || fd == -ENOENT)
		return err;
	return fd;
}

char *procmaps_exe_path(pid_t pid)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

const struct map_entry *procmaps_find(const struct proc_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < maps->v[mid].start)
			hi = mid;
		else if (addr >= maps->v[mid].end)
			lo = mid + 1;
		else
			return &maps->v[mid];
	}
	return NULL;
}

unsigned long long proc_start_time(pid_t pid)
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

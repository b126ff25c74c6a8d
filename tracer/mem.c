/*
 * Target memory access; see mem.h for the fallback order and why.
 */
#define _GNU_SOURCE
#include "tracer/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/util.h"

#define MAX_IOV 64

void mem_init(struct mem *m, pid_t pid)
{
	m->pid = pid;
	m->fd = -1;
	m->read_mode = MEM_VM;
}

void mem_close(struct mem *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static int mem_open(struct mem *m)
{
	char path[64];

	if (m->fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", m->pid);
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	if (m->fd < 0)
		m->fd = open(path, O_RDONLY | O_CLOEXEC);
	return m->fd < 0 ? -errno : 0;
}

/* /proc/PID/mem reports an unmapped address as EIO; say EFAULT like the rest. */
static int procfs_errno(int e)
{
	return e == EIO ? -EFAULT : -e;
}

static int read_procfs(struct mem *m, uint64_t addr, void *buf, size_t len)
{
	ssize_t r;
	int err = mem_open(m);

	if (err)
		return err;
	while (len) {
		r = pread(m->fd, buf, len, (off_t)addr);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return procfs_errno(errno);
		if (r == 0)
			return -EFAULT;
		buf = (char *)buf + r;
		addr += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

static int read_peek(struct mem *m, uint64_t addr, void *buf, size_t len)
{
	uint64_t word_addr = addr & ~7ull;
	size_t skip = (size_t)(addr - word_addr), n;
	long word;

	while (len) {
		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, m->pid, (void *)word_addr, NULL);
		if (errno)
			return errno == EIO ? -EFAULT : -errno;
		n = MIN(len, 8 - skip);
		memcpy(buf, (char *)&word + skip, n);
		buf = (char *)buf + n;
		len -= n;
		word_addr += 8;
		skip = 0;
	}
	return 0;
}

/* process_vm_readv failed before reading anything: may another method work? */
static bool vm_unavailable(int e)
{
	return e == ENOSYS || e == EPERM;
}

static int read_slow(struct mem *m, uint64_t addr, void *buf, size_t len)
{
	int err;

	if (m->read_mode <= MEM_PROCFS) {
		err = read_procfs(m, addr, buf, len);
		if (err != -EACCES && err != -EPERM)
			return err;
		m->read_mode = MEM_PEEK;
	}
	return read_peek(m, addr, buf, len);
}

int mem_read(struct mem *m, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t r;

	if (!len)
		return 0;
	if (likely(m->read_mode == MEM_VM)) {
		r = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
		if (r == (ssize_t)len)
			return 0;
		if (r >= 0)
			return -EFAULT;
		if (!vm_unavailable(errno))
			return -errno;
		m->read_mode = MEM_PROCFS;
	}
	return read_slow(m, addr, buf, len);
}

int mem_read_pieces(struct mem *m, struct mem_piece *p, int n)
{
	struct iovec local[MAX_IOV], remote[MAX_IOV];
	int i, first = 0, cnt, failed = 0;
	ssize_t r;
	size_t done;

	while (first < n) {
		if (m->read_mode != MEM_VM) {
			for (i = first; i < n; i++) {
				p[i].err = read_slow(m, p[i].addr, p[i].buf, p[i].len);
				if (p[i].err == -ESRCH)
					return -ESRCH;
				failed += p[i].err != 0;
			}
			return failed;
		}
		cnt = MIN(n - first, MAX_IOV);
		for (i = 0; i < cnt; i++) {
			local[i].iov_base = p[first + i].buf;
			local[i].iov_len = p[first + i].len;
			remote[i].iov_base = (void *)p[first + i].addr;
			remote[i].iov_len = p[first + i].len;
			p[first + i].err = 0;
		}
		r = process_vm_readv(m->pid, local, (unsigned long)cnt, remote, (unsigned long)cnt, 0);
		if (r < 0) {
			if (errno == ESRCH)
				return -ESRCH;
			if (vm_unavailable(errno)) {
				m->read_mode = MEM_PROCFS;
				continue;
			}
			if (errno != EFAULT)
				return -errno;
			r = 0;
		}
		/* The kernel copies pieces in order and stops at the first it
		 * cannot read: mark that one, then go on after it. */
		done = (size_t)r;
		for (i = 0; i < cnt; i++) {
			if (done < p[first + i].len)
				break;
			done -= p[first + i].len;
		}
		if (i == cnt) {
			first += cnt;
			continue;
		}
		/* piece i failed (possibly part-way: a piece that crosses pages) */
		p[first + i].err = done ? mem_read(m, p[first + i].addr, p[first + i].buf,
						   p[first + i].len) : -EFAULT;
		failed += p[first + i].err != 0;
		first += i + 1;
	}
	return failed;
}

static int write_poke(struct mem *m, uint64_t addr, const void *buf, size_t len)
{
	uint64_t word_addr = addr & ~7ull;
	size_t skip = (size_t)(addr - word_addr), n;
	long word;

	while (len) {
		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, m->pid, (void *)word_addr, NULL);
		if (errno)
			return errno == EIO ? -EFAULT : -errno;
		n = MIN(len, 8 - skip);
		memcpy((char *)&word + skip, buf, n);
		if (ptrace(PTRACE_POKEDATA, m->pid, (void *)word_addr, (void *)word) < 0)
			return errno == EIO ? -EFAULT : -errno;
		buf = (const char *)buf + n;
		len -= n;
		word_addr += 8;
		skip = 0;
	}
	return 0;
}

int mem_write(struct mem *m, uint64_t addr, const void *buf, size_t len)
{
	ssize_t r;
	int err = mem_open(m);

	if (!err) {
		r = pwrite(m->fd, buf, len, (off_t)addr);
		if (r == (ssize_t)len)
			return 0;
		if (r >= 0)
			return -EFAULT;
		err = procfs_errno(errno);
		if (err == -EFAULT || err == -ESRCH)
			return err;
	}
	/* the fd may be read-only or absent: the stopped-thread path */
	return write_poke(m, addr, buf, len);
}

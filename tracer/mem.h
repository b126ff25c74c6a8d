/*
 * Reading and writing a traced process's memory.  Nothing else in ptap
 * calls process_vm_readv, opens /proc/PID/mem or uses PTRACE_PEEKDATA.
 *
 * Reads use process_vm_readv (one system call for many pieces).  Where it
 * is unavailable (ENOSYS, or EPERM under some seccomp or LSM policies) the
 * module falls back to pread on /proc/PID/mem, and then to
 * PTRACE_PEEKDATA, which needs the thread to be stopped under us.
 * Writes go through /proc/PID/mem, which the kernel lets a tracer use to
 * write into read-only text (the page is copied on write, exactly like a
 * debugger's breakpoint), falling back to PTRACE_POKEDATA.
 *
 * Errors stay apart: -EFAULT means the address is not mapped (a bad
 * pointer in an argument: an error value in the event, nothing more);
 * -EPERM/-EACCES mean we are not allowed (a setup problem); -ESRCH means
 * the process is gone.
 */
#ifndef PTAP_TRACER_MEM_H
#define PTAP_TRACER_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mem {
	pid_t pid;          /* any thread of the process; a stopped one for PEEKDATA */
	int fd;             /* /proc/PID/mem, opened lazily; -1 if not open */
	uint8_t read_mode;  /* MEM_VM, MEM_PROCFS or MEM_PEEK: the first that works */
};

enum { MEM_VM, MEM_PROCFS, MEM_PEEK };

struct mem_piece {      /* one piece of a gathered read */
	uint64_t addr;
	void *buf;
	size_t len;
	int err;            /* out: 0 or -errno for this piece */
};

void mem_init(struct mem *m, pid_t pid);
/* Close the open /proc/PID/mem (also after exec: it names the old image). */
void mem_close(struct mem *m);

/* Read exactly len bytes: 0 or -errno. */
int mem_read(struct mem *m, uint64_t addr, void *buf, size_t len);

/*
 * Read several pieces, in one system call when nothing faults.  Each
 * piece must not cross a page boundary if the caller wants pieces after
 * a faulting one to be read in the same call (the kernel stops at the
 * first piece it cannot copy; this function then retries the rest).
 * Returns 0 if every piece was read, else the number of failed pieces,
 * each with its err set; or a negative errno if the process is gone.
 */
int mem_read_pieces(struct mem *m, struct mem_piece *pieces, int n);

/* Write exactly len bytes: 0 or -errno. */
int mem_write(struct mem *m, uint64_t addr, const void *buf, size_t len);

/* Bytes from addr to the end of its page. */
static inline size_t mem_page_rest(uint64_t addr)
{
	return 4096 - (size_t)(addr & 4095);
}

#endif

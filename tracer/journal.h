/*
 * A journal, on disk, of what ptap changed in each traced process, so
 * that `ptap cleanup -p PID` can undo it exactly when ptap could not
 * (killed with SIGKILL, crashed, its machine's OOM killer).
 *
 * One file per process, named after its pid and its start time (so a
 * reused pid is never mistaken for it), in a directory private to the
 * user: $XDG_RUNTIME_DIR/ptap, else /tmp/ptap-UID, mode 0700, refused if
 * it is a symlink or belongs to someone else.  Lines, appended:
 *
 *   site ADDR BYTE     an int3 written at ADDR over BYTE
 *   sem ADDR           a semaphore at ADDR raised by one
 *   jump ADDR HEX      a jump written at ADDR over the bytes HEX
 *   region ADDR LEN KIND   memory mapped by ptap: code, data or ctl
 *   cpus TID CPU MASK  thread TID pinned to CPU; its own affinity was
 *                      MASK (64-bit words in hex, lowest first, by commas)
 *   -site ADDR, -sem ADDR, -jump ADDR, -region ADDR, -cpus TID   undone
 *
 * after a first line "ptap-journal 1".  The file is emptied when the
 * image is replaced (exec) and removed when ptap detaches cleanly or the
 * process ends.
 *
 * If the journal cannot be written (a full disk, a file-size limit), it
 * is removed at once: a journal cut short would hide what it misses, and
 * without one cleanup compares the process with its ELF files instead.
 * The error is kept for the tracer to tell the user.  Cleanup trusts no
 * file without its first line, and compares with the files in any case.
 */
#ifndef PTAP_TRACER_JOURNAL_H
#define PTAP_TRACER_JOURNAL_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct journal {
	int fd;                 /* -1 when not journaling */
	char *path;
	int err;                /* why it could not be kept (-errno), 0 if it is;
	                           set by the first failure, cleared by journal_open */
};

void journal_init(struct journal *j);
/* Start (or restart, emptied) the journal of pid; off, with err set, if
 * it cannot be. */
void journal_open(struct journal *j, pid_t pid);
void journal_site(struct journal *j, uint64_t addr, uint8_t orig, bool done);
void journal_sem(struct journal *j, uint64_t addr, bool done);
/* A jump written at addr over len bytes orig (the in-process engine). */
void journal_jump(struct journal *j, uint64_t addr, const uint8_t *orig, size_t len, bool done);
/* A region ptap mapped in the process: "code", "data" or "ctl". */
void journal_region(struct journal *j, uint64_t addr, uint64_t len, const char *kind, bool done);
void journal_cpus(struct journal *j, pid_t tid, int cpu, const cpu_set_t *own);
void journal_cpus_done(struct journal *j, pid_t tid);
/* Where journals are kept (malloc'd), for messages. */
char *journal_dir_name(void);
/* Close it; remove the file when nothing in the process is left to undo. */
void journal_close(struct journal *j, bool remove);

/* The journal of pid as cleanup reads it: the net changes still in place. */
enum journal_kind { JE_SITE, JE_SEM, JE_JUMP, JE_REGION, JE_CPUS };
struct journal_entry {
	uint64_t addr;          /* site, sem, jump, region */
	uint8_t kind;           /* enum journal_kind */
	uint8_t orig;           /* site: the byte under the int3 */
	uint8_t jlen;           /* jump: bytes in jorig */
	uint8_t jorig[16];      /* jump: the bytes under it */
	uint64_t len;           /* region: its length */
	char region[8];         /* region: "code", "data" or "ctl" */
	pid_t tid;              /* cpus: the thread, */
	int cpu;                /* the CPU ptap pinned it to, */
	cpu_set_t own;          /* and its own affinity */
};
/* 0 with *out (malloc'd) and *n, -ENOENT if there is none for this very
 * process, -EBADMSG if it lacks its first line (written on a full disk:
 * not to be trusted), or -errno.  *path gets the file's name (malloc'd)
 * for removal, whenever there is a file. */
int journal_load(pid_t pid, struct journal_entry **out, size_t *n, char **path);

#endif

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
 *   -site, -sem, -jump, -region ...   undone
 *
 * The file is emptied when the image is replaced (exec) and removed when
 * ptap detaches cleanly or the process ends.  If the journal cannot be
 * written, tracing goes on and cleanup falls back to the ELF files.
 */
#ifndef PTAP_TRACER_JOURNAL_H
#define PTAP_TRACER_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct journal {
	int fd;                 /* -1 when not journaling */
	char *path;
};

void journal_init(struct journal *j);
/* Start (or restart, emptied) the journal of pid; quietly off on error. */
void journal_open(struct journal *j, pid_t pid);
void journal_site(struct journal *j, uint64_t addr, uint8_t orig, bool done);
void journal_sem(struct journal *j, uint64_t addr, bool done);
/* A jump written at addr over len bytes orig (the in-process engine). */
void journal_jump(struct journal *j, uint64_t addr, const uint8_t *orig, size_t len, bool done);
/* A region ptap mapped in the process: "code", "data" or "ctl". */
void journal_region(struct journal *j, uint64_t addr, uint64_t len, const char *kind, bool done);
/* Close it; remove the file when nothing in the process is left to undo. */
void journal_close(struct journal *j, bool remove);

/* The journal of pid as cleanup reads it: the net changes still in place. */
enum journal_kind { JE_SITE, JE_SEM, JE_JUMP, JE_REGION };
struct journal_entry {
	uint64_t addr;
	uint8_t kind;           /* enum journal_kind */
	uint8_t orig;           /* site: the byte under the int3 */
	uint8_t jlen;           /* jump: bytes in jorig */
	uint8_t jorig[16];      /* jump: the bytes under it */
	uint64_t len;           /* region: its length */
	char region[8];         /* region: "code", "data" or "ctl" */
};
/* 0 with *out (malloc'd) and *n, -ENOENT if there is none for this very
 * process, or -errno.  *path gets the file's name (malloc'd) for removal. */
int journal_load(pid_t pid, struct journal_entry **out, size_t *n, char **path);

#endif

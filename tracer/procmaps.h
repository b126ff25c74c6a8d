/*
 * /proc/PID/maps, and opening the files a process has mapped.
 *
 * The kernel prints one line per mapping:
 *   00400000-00423000 r--p 00000000 fe:01 1835131    /usr/bin/python3.11
 * Paths are as the target sees them (relative to /proc/PID/root), so a
 * file is opened through that root with symlinks resolved inside it
 * (openat2 RESOLVE_IN_ROOT) and then checked to be the very inode that is
 * mapped (device and inode); if that fails, /proc/PID/map_files/START-END
 * is tried.  Nothing else is ever opened on a path the target controls.
 */
#ifndef PTAP_TRACER_PROCMAPS_H
#define PTAP_TRACER_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end;      /* [start, end) */
	uint64_t offset;          /* file offset of start */
	uint32_t prot;            /* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;              /* 's' rather than 'p' */
	dev_t dev;                /* major:minor of the file, 0 if anonymous */
	ino_t ino;                /* 0 if anonymous */
	char *path;               /* file path, "[heap]" etc., or NULL */
	bool deleted;             /* path ended in " (deleted)" (suffix removed) */
};

struct proc_maps {
	struct map_entry *v;
	size_t n;
};

/* 0, or -ESRCH (no such process), -EACCES/-EPERM (not allowed), -errno. */
int procmaps_read(pid_t pid, struct proc_maps *out);

/*
 * The parser procmaps_read uses, on the text of a maps file (NUL-terminated;
 * cut into lines in place).  Pure: no I/O.  0, or -EINVAL at the first line
 * that does not parse (then *bad_line, if bad_line is not NULL, points at it
 * inside text, and *out is empty).
 */
int procmaps_parse_buf(char *text, struct proc_maps *out, const char **bad_line);
void procmaps_free(struct proc_maps *m);

/* The mapping holding addr (maps are sorted by address), or NULL. */
const struct map_entry *procmaps_find(const struct proc_maps *maps, uint64_t addr);

/* Whether e is a mapping of a regular file (dev/ino set, path absolute). */
bool procmaps_is_file(const struct map_entry *e);

/* The modules of a process: files with an executable mapping, each once
 * by device and inode, in address order.  first[] (room for maps->n)
 * gets the index of each one's lowest mapping; returns how many. */
size_t procmaps_modules(const struct proc_maps *maps, size_t *first);

/*
 * Open the file behind e read-only as the target sees it.  Returns an fd
 * whose dev/ino are e's, or -errno (-ESTALE if the path now names another
 * file and map_files is not available).
 */
int procmaps_open(pid_t pid, const struct map_entry *e);

/* Path of the process's executable as the target sees it (readlink of
 * /proc/PID/exe), malloc'd, or NULL. */
char *procmaps_exe_path(pid_t pid);

/* The process's start time in clock ticks since boot (field 22 of
 * /proc/PID/stat), 0 if it cannot be read: with the pid, it names one
 * process (a pid is reused, a start time with it is not). */
unsigned long long proc_start_time(pid_t pid);

#endif

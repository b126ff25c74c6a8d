/*
 * The whole system at once: which processes of /proc ptap may trace, and
 * why the others are passed over.  ptap ps prints the verdicts; the
 * tracing commands' whole-system mode (ui/session_all.c) attaches to the
 * processes found traceable and names the skipped ones.
 *
 * A process is judged from /proc/PID/status (its users, its tracer, its
 * parent), and from /proc/PID/maps with the stapsdt notes of every file
 * it maps.  What a file holds is kept in a cache keyed by (device, inode,
 * mtime): a rescan stats each mapped file (through /proc/PID/root) and
 * reads no ELF file it has read before.
 */
#ifndef PTAP_UI_SCAN_H
#define PTAP_UI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tracer/select.h"

enum scan_verdict {
	SCAN_TRACEABLE,      /* carries a selected probe and ptap may trace it */
	SCAN_SELF,           /* ptap itself, or a child of ptap's */
	SCAN_OTHER_USER,     /* another user's, and ptap is not root */
	SCAN_OTHER_TRACER,   /* already traced by another tracer */
	SCAN_NO_MARKERS,     /* a Python without the selected markers */
	SCAN_UNREADABLE,     /* its maps could not be read: why says so */
	SCAN_IGNORED,        /* no Python and no selected probe: not listed */
	SCAN_GONE,           /* it ended while being judged */
};

struct scan_proc {
	pid_t pid;
	uid_t uid;                /* real user */
	enum scan_verdict verdict;
	bool python;              /* runs a Python interpreter (or, unreadable,
	                             is named like one) */
	unsigned python_version;  /* 0x030b0000 for 3.11, 0 unknown */
	size_t nmatching;         /* probe locations that sel selects */
	char *markers;            /* distinct python marker names, comma
	                             separated, malloc'd ("" if none) */
	size_t nmarkers;          /* how many names markers holds */
	pid_t tracer;             /* SCAN_OTHER_TRACER: its pid ... */
	char tracer_comm[32];     /* ... and name */
	char comm[32];            /* the process's own name */
	char *why;                /* a sentence for the skipped ones, malloc'd, or NULL */
};

struct scan_cache;

struct scan_cache *scan_cache_new(void);
void scan_cache_free(struct scan_cache *c);
/* Files read (ELF opened) since scan_cache_new: what a rescan should not add to. */
unsigned long scan_cache_reads(const struct scan_cache *c);

/* The process ids of /proc, ascending, in a malloc'd array; how many. */
size_t scan_pids(pid_t **out);

/*
 * Judge pid for sel (with a NULL sel, any python probe counts).  0 and
 * *out (free with scan_proc_free), or -ESRCH when it is gone or not a
 * process (*out then holds nothing to free).  SCAN_NO_MARKERS gets its reason from ui/explain.c only when
 * explain is true (it reads the files again: do it once per process).
 */
int scan_process(struct scan_cache *c, pid_t pid, const struct selection *sel, bool explain,
		 struct scan_proc *out);
void scan_proc_free(struct scan_proc *p);

/* The short form of a verdict: "yes", "no: other user", ... */
const char *scan_verdict_text(enum scan_verdict v);

/* The command line of pid, arguments joined by spaces, control bytes
 * escaped; "[comm]" when it has none.  malloc'd. */
char *scan_cmdline(pid_t pid);

#endif

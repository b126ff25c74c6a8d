/*
 * The whole system at once (-a, and `ptap top` with no target): every
 * process ptap may trace that carries a selected probe is attached; the
 * others that run a Python are skipped, each with its reason said once.
 *
 * /proc is scanned when tracing starts and then every SCAN_NS, from the
 * tracer's tick (tracer_attach is allowed there, tracer.h), so that a
 * process started later is traced within one scan.  A scan costs little
 * for a process already judged: ui/scan.c's verdict is kept per pid with
 * the process's start time and its executable's inode, and only a pid
 * that is new, or that executed another program, is judged again (its
 * maps read, its files looked up in the cache).  Attaching is what costs:
 * a scan attaches for at most ATTACH_BUDGET_NS and leaves the rest to the
 * next tick, so that the screen is never held long.  What dlopen adds to
 * a process judged without a Python is not seen (a program that embeds
 * one late is traced with -p).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hashmap.h"
#include "common/util.h"
#include "tracer/procmaps.h"
#include "ui/scan.h"
#include "ui/session.h"

#define SCAN_NS (200 * 1000000ull)        /* how late a new process may join */
#define ATTACH_BUDGET_NS (30 * 1000000ull) /* attaching per tick, at most */

/* What a scan remembers of a process it did not attach to. */
struct known {
	unsigned long long start;   /* starttime in /proc/PID/stat: a reused pid differs */
	dev_t exe_dev;              /* /proc/PID/exe, 0 when closed to us: */
	ino_t exe_ino;              /* an exec changes it */
	enum scan_verdict verdict;
	char *why;                  /* for the skipped ones */
	unsigned long seen;         /* the scan that last saw it */
	bool traced;                /* attached by ptap (or a followed child) */
};

struct session_all {
	struct scan_cache *cache;
	struct u64map procs;        /* pid -> struct known */
	uint64_t next_scan_ns;
	unsigned long scans;
	uint64_t first_ns;          /* the first scan's time (attaching all it found) */
	uint64_t scan_ns;           /* summed time of the later scans */
	unsigned traced, skipped;   /* now */
	char *last_skip;            /* the latest reason, for a status line */
	char **said;                /* every reason, in order, for the summary */
	size_t nsaid, saidcap;
	bool summarised;            /* the closing summary was printed */
};

static void proc_exe_id(pid_t pid, dev_t *dev, ino_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st)) {
		*dev = 0;
		*ino = 0;
		return;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
}

static void known_free(struct known *k)
{
	if (!k)
		return;
	free(k->why);
	free(k);
}

static bool skipped(enum scan_verdict v)
{
	return v != SCAN_TRACEABLE && v != SCAN_IGNORED && v != SCAN_GONE;
}

/* Say a reason once: kept for the summary and the status line. */
static void all_say(struct session_all *a, const char *why)
{
	for (size_t i = 0; i < a->nsaid; i++)
		if (!strcmp(a->said[i], why))
			return;
	VEC_RESERVE(a->said, a->saidcap, a->nsaid + 1);
	a->said[a->nsaid++] = xstrdup(why);
	free(a->last_skip);
	a->last_skip = xstrdup(why);
}

static void all_attach(struct session *s, struct known *k, pid_t pid)
{
	struct session_all *a = s->whole;
	char *why = NULL;
	int err;

	s->attaching = true;
	err = tracer_attach(s->tracer, pid, &why);
	s->attaching = false;
	if (!err) {
		k->traced = true;
		s->attached++;
		if (!s->quiet && !s->whole_screen)
			fprintf(stderr, "ptap: %s: tracing pid %d\n", s->name, (int)pid);
		return;
	}
	if (err == -EEXIST) {
		k->traced = true;       /* a child followed before the scan saw it */
		free(why);
		return;
	}
	if (err != -ESRCH) {
		k->verdict = SCAN_UNREADABLE;
		k->why = xasprintf("pid %d: %s", (int)pid, why ? why : strerror(-err));
		all_say(a, k->why);
	} else {
		k->verdict = SCAN_GONE;
	}
	free(why);
}

/* Judge pid (new, or changed since) and attach if it is traceable and
 * the budget allows; false when the budget is spent and it was left for
 * the next scan. */
static bool all_judge(struct session *s, pid_t pid, struct known *k, uint64_t deadline)
{
	struct session_all *a = s->whole;
	struct scan_proc sp;

	if (scan_process(a->cache, pid, &s->sel, true, &sp)) {
		k->verdict = SCAN_GONE;
		return true;
	}
	free(k->why);
	k->why = sp.why;
	sp.why = NULL;
	k->verdict = sp.verdict;
	scan_proc_free(&sp);
	if (k->verdict == SCAN_TRACEABLE) {
		if (now_ns() > deadline)
			return false;
		all_attach(s, k, pid);
	} else if (skipped(k->verdict) && k->why) {
		all_say(a, k->why);
	}
	return true;
}

/* One scan of /proc: judge what is new, attach what is traceable,
 * forget the pids that are gone. */
static void all_scan(struct session *s, uint64_t budget_ns)
{
	struct session_all *a = s->whole;
	uint64_t t0 = now_ns(), deadline = t0 + budget_ns, key;
	pid_t *pids;
	size_t n, i, it = 0;
	void *v;

	a->scans++;
	n = scan_pids(&pids);
	for (i = 0; i < n && !tracer_signal_pending(); i++) {
		pid_t pid = pids[i];
		struct known *k = u64map_get(&a->procs, (uint64_t)pid);
		unsigned long long start;
		dev_t dev;
		ino_t ino;

		if (k && k->traced) {
			k->seen = a->scans;
			continue;
		}
		start = proc_start_time(pid);
		proc_exe_id(pid, &dev, &ino);
		if (k && k->start == start && k->exe_dev == dev && k->exe_ino == ino &&
		    k->verdict != SCAN_OTHER_TRACER && k->verdict != SCAN_TRACEABLE &&
		    k->verdict != SCAN_GONE) {
			k->seen = a->scans;
			continue;       /* judged, and unchanged (a tracer may
			                   leave, a pid seen ending may not have) */
		}
		if (!k) {
			k = xcalloc(1, sizeof(*k));
			u64map_put(&a->procs, (uint64_t)pid, k);
		}
		k->start = start;
		k->exe_dev = dev;
		k->exe_ino = ino;
		k->seen = a->scans;
		if (!all_judge(s, pid, k, deadline))
			k->start = 0;   /* left for the next scan */
	}
	free(pids);
	/* forget the pids that have gone, and count the rest */
	a->traced = a->skipped = 0;
	while (u64map_next(&a->procs, &it, &key, &v)) {
		struct known *k = v;

		if (k->seen != a->scans) {
			u64map_del(&a->procs, key);
			known_free(k);
			it = 0;
			a->traced = a->skipped = 0;
			continue;
		}
	}
	it = 0;
	while (u64map_next(&a->procs, &it, &key, &v)) {
		struct known *k = v;

		a->traced += k->traced;
		a->skipped += !k->traced && skipped(k->verdict);
	}
	if (a->scans == 1)
		a->first_ns = now_ns() - t0;
	else
		a->scan_ns += now_ns() - t0;
}

void session_all_start(struct session *s)
{
	s->whole = xcalloc(1, sizeof(*s->whole));
	s->whole->cache = scan_cache_new();
	u64map_init(&s->whole->procs);
	all_scan(s, UINT64_MAX / 4);
	s->whole->next_scan_ns = now_ns() + SCAN_NS;
	if (!s->quiet && !s->whole_screen)
		fprintf(stderr, "ptap: %s: whole system: %u process%s traced, %u skipped; /proc is "
			"scanned every %llu ms for new ones\n", s->name, s->whole->traced,
			s->whole->traced == 1 ? "" : "es", s->whole->skipped,
			(unsigned long long)(SCAN_NS / 1000000));
}

void session_all_tick(struct session *s, uint64_t now)
{
	(void)now;
	if (!s->whole || now_ns() < s->whole->next_scan_ns)
		return;
	all_scan(s, ATTACH_BUDGET_NS);
	s->whole->next_scan_ns = now_ns() + SCAN_NS;
}

void session_all_started(struct session *s, pid_t pid)
{
	struct known *k;

	if (!s->whole)
		return;
	k = u64map_get(&s->whole->procs, (uint64_t)pid);
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		u64map_put(&s->whole->procs, (uint64_t)pid, k);
		k->seen = s->whole->scans;
	}
	k->traced = true;
}

void session_all_ended(struct session *s, pid_t pid)
{
	struct known *k;

	if (!s->whole)
		return;
	k = u64map_del(&s->whole->procs, (uint64_t)pid);
	known_free(k);
}

void session_all_counts(const struct session *s, unsigned *traced, unsigned *skipped_n)
{
	struct tracer_stats st;

	*traced = *skipped_n = 0;
	if (!s->whole)
		return;
	tracer_get_stats(s->tracer, &st);
	*traced = st.processes;
	*skipped_n = s->whole->skipped;
}

const char *session_all_last_skip(const struct session *s)
{
	return s->whole ? s->whole->last_skip : NULL;
}

void session_all_summary(struct session *s)
{
	struct session_all *a = s->whole;

	if (!a || a->summarised || (s->quiet && !s->whole_screen))
		return;
	a->summarised = true;
	fprintf(stderr, "ptap: %s: whole system: %d process%s traced, %zu skipped; %lu scan%s of "
		"/proc: the first %.2f ms (attaching), later ones %.3f ms each\n", s->name,
		s->attached, s->attached == 1 ? "" : "es", a->nsaid, a->scans,
		a->scans == 1 ? "" : "s", (double)a->first_ns / 1e6,
		a->scans > 1 ? (double)a->scan_ns / (double)(a->scans - 1) / 1e6 : 0.0);
	for (size_t i = 0; i < a->nsaid; i++) {
		fprintf(stderr, "ptap: %s: skipped: ", s->name);
		fputs_safe(a->said[i], stderr);
		fputc('\n', stderr);
	}
}

void session_all_free(struct session *s)
{
	struct session_all *a = s->whole;
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!a)
		return;
	while (u64map_next(&a->procs, &i, &k, &v))
		known_free(v);
	u64map_free(&a->procs);
	scan_cache_free(a->cache);
	for (i = 0; i < a->nsaid; i++)
		free(a->said[i]);
	free(a->said);
	free(a->last_skip);
	free(a);
	s->whole = NULL;
}

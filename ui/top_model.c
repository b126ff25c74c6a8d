/*
 * ptap top's counting table.
 *
 * The hit hook runs once per function__entry with the traced thread
 * stopped, so counting must not allocate for a frame already seen: the
 * key (pid, line, filename bytes, function bytes) is hashed as it comes,
 * looked up in an open-addressing table of entry indices, and compared
 * byte for byte; only a new frame copies its strings.  Pointers that
 * CPython passes are never used as keys: the memory of a freed code
 * object's name can hold another name a moment later.
 *
 * Three counts per entry: the interval in progress (cur), the last
 * complete interval (last, what the table shows by default) and since
 * start (total).  Rolling an interval walks the entries once; a reset
 * zeroes them but keeps them, so snapshots taken earlier stay valid.
 *
 * Times come from the call stacks (ui/callstack.c), whose frames are
 * entry indices: an entry pushes the entry it counted, a return pops,
 * and the stacks credit own and total time to entries as it accrues,
 * into the same three periods.  Before a roll or a reset every running
 * frame is credited up to that moment, so a frame that runs for minutes
 * shows its time in every interval.  A return on an empty stack is a
 * frame entered before ptap attached; it is named after the entry of the
 * same process, file and function if there is one (the return's line is
 * that of the return statement, not the def line entries have), and its
 * time in an interval is never more than the interval.
 *
 * A snapshot copies the counts of every entry at one moment.  The
 * views sort and filter snapshots, never the live table: a paused screen
 * keeps its snapshot and can still be re-sorted or filtered.
 */
#define _GNU_SOURCE
#include "ui/top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "tracer/select.h"
#include "ui/format.h"

const char *const top_col_names[TOP_NCOLS] = { "PID", "FILENAME", "LINE", "FUNCTION", "CALLS",
					       "OWN", "TOTAL" };
const char *const top_col_keywords[TOP_NCOLS] = { "pid", "filename", "line", "function", "calls",
						  "own", "total" };

static const char unreadable_text[] = "<unreadable>";

static void top_model_credit(void *ctx, uint32_t id, uint64_t own, uint64_t total, uint64_t now);

void top_model_init(struct top_model *m, uint64_t now_ns, bool timed)
{
	static const struct callstack_hooks hooks = { .credit = top_model_credit };

	memset(m, 0, sizeof(*m));
	m->cur_start_ns = now_ns;
	m->reset_ns = now_ns;
	m->timed = timed;
	callstack_init(&m->stacks, timed, &hooks, m);
}

void top_model_free(struct top_model *m)
{
	size_t i;

	for (i = 0; i < m->nentries; i++) {
		free(m->entries[i].filename);
		free(m->entries[i].function);
	}
	free(m->entries);
	free(m->slots);
	free(m->procs);
	callstack_free(&m->stacks);
	memset(m, 0, sizeof(*m));
}

/* FNV-1a over the bytes, then the numbers folded in and mixed. */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t hash_key(pid_t pid, int64_t line, const char *file, size_t flen, const char *func,
			 size_t fnlen)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_bytes(h, file, flen);
	h ^= 0xff; /* no byte of a C string: keeps ("ab","c") apart from ("a","bc") */
	h *= 0x100000001b3ull;
	h = hash_bytes(h, func, fnlen);
	h ^= (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)line * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

static void slots_insert(uint32_t *slots, size_t mask, uint64_t hash, uint32_t index)
{
	size_t i;

	for (i = hash & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = index + 1;
}

static void slots_grow(struct top_model *m)
{
	size_t cap = m->mask ? (m->mask + 1) * 2 : 256;
	uint32_t *slots = xcalloc(cap, sizeof(*slots));
	size_t i;

	for (i = 0; i < m->nentries; i++)
		slots_insert(slots, cap - 1, m->entries[i].hash, (uint32_t)i);
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
}

static struct top_entry *entry_add(struct top_model *m, uint64_t hash, pid_t pid, int64_t line,
				   const char *file, size_t flen, const char *func, size_t fnlen)
{
	struct top_entry *e;

	if ((m->nentries + 1) * 2 > (m->mask ? m->mask + 1 : 0))
		slots_grow(m);
	VEC_RESERVE(m->entries, m->cap, m->nentries + 1);
	e = &m->entries[m->nentries];
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->pid = pid;
	e->line = line;
	e->filename = xstrndup(file, flen);
	e->filename_len = (uint32_t)flen;
	e->function = xstrndup(func, fnlen);
	e->function_len = (uint32_t)fnlen;
	slots_insert(m->slots, m->mask, hash, (uint32_t)m->nentries);
	m->nentries++;
	return e;
}

/* The bytes of a string argument, or the placeholder (and false). */
static bool value_text(const struct value *v, const char **s, size_t *len)
{
	if (value_str(v, s, len))
		return true;
	*s = unreadable_text;
	*len = sizeof(unreadable_text) - 1;
	return false;
}

/* The entry of a frame, added if new; ln, fs, ns as top_model_count
 * makes them. */
static uint32_t entry_find(struct top_model *m, pid_t pid, int64_t ln, const char *fs,
			   size_t flen, const char *ns, size_t nlen, uint64_t h)
{
	struct top_entry *e;
	size_t i;

	if (likely(m->mask)) {
		for (i = h & m->mask; m->slots[i]; i = (i + 1) & m->mask) {
			e = &m->entries[m->slots[i] - 1];
			if (e->hash == h && e->pid == pid && e->line == ln && e->filename_len == flen &&
			    e->function_len == nlen && !memcmp(e->function, ns, nlen) &&
			    !memcmp(e->filename, fs, flen))
				return m->slots[i] - 1;
		}
	}
	entry_add(m, h, pid, ln, fs, flen, ns, nlen);
	return (uint32_t)(m->nentries - 1);
}

/* Count n function__entry hits with the same (filename, function, line):
 * n is 1, or more when the engine counted them (tracer_config.aggregate).
 * Returns the entry's index. */
static uint32_t top_model_count(struct top_model *m, pid_t pid, const struct value *file,
				const struct value *func, const struct value *line, uint64_t n)
{
	const char *fs, *ns;
	size_t flen, nlen;
	struct top_entry *e;
	int64_t ln = 0;
	uint32_t idx;
	bool ok;

	value_int(line, &ln);           /* 0 if unreadable */
	ok = value_text(file, &fs, &flen);
	ok &= value_text(func, &ns, &nlen);
	m->events_cur += n;
	m->events_total += n;
	if (unlikely(!ok))
		m->unreadable_total += n;
	idx = entry_find(m, pid, ln, fs, flen, ns, nlen, hash_key(pid, ln, fs, flen, ns, nlen));
	e = &m->entries[idx];
	e->cur += n;
	e->total += n;
	return idx;
}

/* The entry a return on an empty stack belongs to: the first one of the
 * same process, file and function (entries have the def line, a return
 * the line that returned), else one with the return's line.  Rare: once
 * per frame that was running when ptap attached. */
static uint32_t top_model_early(struct top_model *m, pid_t pid, const struct value *file,
				const struct value *func, const struct value *line)
{
	const char *fs, *ns;
	size_t flen, nlen, i;
	int64_t ln = 0;

	value_int(line, &ln);
	value_text(file, &fs, &flen);
	value_text(func, &ns, &nlen);
	for (i = 0; i < m->nentries; i++) {
		const struct top_entry *e = &m->entries[i];

		if (e->pid == pid && e->filename_len == flen && e->function_len == nlen &&
		    !memcmp(e->function, ns, nlen) && !memcmp(e->filename, fs, flen))
			return (uint32_t)i;
	}
	return entry_find(m, pid, ln, fs, flen, ns, nlen, hash_key(pid, ln, fs, flen, ns, nlen));
}

void top_model_event(struct top_model *m, const struct event *ev)
{
	const struct value *a = ev->args;
	struct cs_thread *th;
	uint32_t idx;

	if (unlikely(ev->nargs < 3))
		return;
	m->hits_cur += ev->count;
	if (ev->probe->known == KP_PY_ENTRY) {
		idx = top_model_count(m, ev->pid, &a[0], &a[1], &a[2], ev->count);
		if (!m->timed)
			return;
		th = callstack_thread(&m->stacks, ev->pid, ev->tid, ev->time_ns);
		callstack_enter(&m->stacks, th, idx, ev->time_ns);
	} else if (ev->probe->known == KP_PY_RETURN && m->timed) {
		th = callstack_thread(&m->stacks, ev->pid, ev->tid, ev->time_ns);
		idx = th->depth ? 0 : top_model_early(m, ev->pid, &a[0], &a[1], &a[2]);
		callstack_leave(&m->stacks, th, ev->time_ns, idx);
	}
}

/* Time the stacks credit to an entry.  A frame entered before ptap
 * attached brings, when it returns, all its time since: an interval (or
 * the time since a reset) gets no more of it than its own length. */
static void top_model_credit(void *ctx, uint32_t id, uint64_t own, uint64_t total, uint64_t now)
{
	struct top_model *m = ctx;
	struct top_entry *e = &m->entries[id];
	uint64_t cur = now > m->cur_start_ns ? now - m->cur_start_ns : 0;
	uint64_t sum = now > m->reset_ns ? now - m->reset_ns : 0;

	e->time_cur.own_ns += MIN(own, cur);
	e->time_cur.total_ns += MIN(total, cur);
	e->time_sum.own_ns += MIN(own, sum);
	e->time_sum.total_ns += MIN(total, sum);
}

void top_model_set_overhead(struct top_model *m, uint64_t ns)
{
	callstack_set_overhead(&m->stacks, ns);
}

void top_model_proc_start(struct top_model *m, pid_t pid, uint64_t now_ns)
{
	top_model_proc(m, pid)->ended = false;
	callstack_process_start(&m->stacks, pid, now_ns);
}

void top_model_proc_end(struct top_model *m, pid_t pid, uint64_t now_ns)
{
	callstack_forget(&m->stacks, pid, now_ns);
}

void top_format_ns(char *buf, size_t size, uint64_t ns)
{
	if (!ns)
		snprintf(buf, size, "0");
	else if (ns < 999950)
		snprintf(buf, size, "%.1fus", ns / 1e3);
	else if (ns < 999950000)
		snprintf(buf, size, "%.1fms", ns / 1e6);
	else if (ns < 99995000000ull)
		snprintf(buf, size, "%.2fs", ns / 1e9);
	else
		snprintf(buf, size, "%.0fs", ns / 1e9);
}

void top_model_roll(struct top_model *m, uint64_t now_ns)
{
	size_t i;

	callstack_checkpoint(&m->stacks, now_ns);
	for (i = 0; i < m->nentries; i++) {
		struct top_entry *e = &m->entries[i];

		e->last = e->cur;
		e->cur = 0;
		e->time_last = e->time_cur;
		memset(&e->time_cur, 0, sizeof(e->time_cur));
	}
	m->events_last = m->events_cur;
	m->events_cur = 0;
	m->hits_last = m->hits_cur;
	m->hits_cur = 0;
	m->last_start_ns = m->cur_start_ns;
	m->last_end_ns = now_ns;
	m->cur_start_ns = now_ns;
	m->intervals++;
}

void top_model_reset(struct top_model *m, uint64_t now_ns)
{
	size_t i;

	callstack_checkpoint(&m->stacks, now_ns);
	for (i = 0; i < m->nentries; i++) {
		struct top_entry *e = &m->entries[i];

		e->cur = e->last = e->total = 0;
		memset(&e->time_cur, 0, sizeof(e->time_cur));
		memset(&e->time_last, 0, sizeof(e->time_last));
		memset(&e->time_sum, 0, sizeof(e->time_sum));
	}
	m->events_cur = m->events_last = m->events_total = 0;
	m->hits_cur = m->hits_last = 0;
	m->unreadable_total = 0;
	m->cur_start_ns = m->reset_ns = now_ns;
	m->last_start_ns = m->last_end_ns = 0;
}

struct top_proc *top_model_proc(struct top_model *m, pid_t pid)
{
	struct top_proc *p;
	size_t i;

	for (i = 0; i < m->nprocs; i++)
		if (m->procs[i].pid == pid)
			return &m->procs[i];
	VEC_RESERVE(m->procs, m->proccap, m->nprocs + 1);
	p = &m->procs[m->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

void top_snapshot_take(struct top_snapshot *s, const struct top_model *m, uint64_t now_ns)
{
	size_t i;

	VEC_RESERVE(s->rows, s->cap, m->nentries);
	s->n = 0;
	for (i = 0; i < m->nentries; i++) {
		const struct top_entry *e = &m->entries[i];
		struct top_row *r;

		if (!e->last && !e->total && !e->time_last.total_ns && !e->time_sum.total_ns &&
		    !e->time_last.own_ns && !e->time_sum.own_ns)
			continue;
		r = &s->rows[s->n++];
		r->filename = e->filename;
		r->filename_len = e->filename_len;
		r->function = e->function;
		r->function_len = e->function_len;
		r->pid = e->pid;
		r->line = e->line;
		r->last = e->last;
		r->total = e->total;
		r->time_last = e->time_last;
		r->time_sum = e->time_sum;
	}
	s->events_last = m->events_last;
	s->events_total = m->events_total;
	s->unreadable_total = m->unreadable_total;
	s->hits_last = m->hits_last;
	s->overhead_ns = m->timed ? m->stacks.overhead_ns : 0;
	s->timed = m->timed;
	s->last_start_ns = m->last_start_ns;
	s->last_end_ns = m->last_end_ns;
	s->reset_ns = m->reset_ns;
	s->intervals = m->intervals;
	s->taken_ns = now_ns;
}

void top_snapshot_free(struct top_snapshot *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, MIN(alen, blen));

	if (c)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

#define CMP_NUM(a, b) ((a) < (b) ? -1 : (a) > (b))

/* The fixed tie order: calls desc, pid, filename, line, function. */
static int cmp_ties(const struct top_row *a, const struct top_row *b, bool cumulative)
{
	uint64_t ca = top_row_calls(a, cumulative), cb = top_row_calls(b, cumulative);
	int c;

	if (ca != cb)
		return ca > cb ? -1 : 1;
	if (a->pid != b->pid)
		return CMP_NUM(a->pid, b->pid);
	c = cmp_bytes(a->filename, a->filename_len, b->filename, b->filename_len);
	if (c)
		return c;
	if (a->line != b->line)
		return CMP_NUM(a->line, b->line);
	return cmp_bytes(a->function, a->function_len, b->function, b->function_len);
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;
	const struct top_order *o = arg;
	int c = 0;

	switch (o->col) {
	case TOP_COL_PID:
		c = CMP_NUM(a->pid, b->pid);
		break;
	case TOP_COL_FILENAME:
		c = cmp_bytes(a->filename, a->filename_len, b->filename, b->filename_len);
		break;
	case TOP_COL_LINE:
		c = CMP_NUM(a->line, b->line);
		break;
	case TOP_COL_FUNCTION:
		c = cmp_bytes(a->function, a->function_len, b->function, b->function_len);
		break;
	case TOP_COL_OWN:
		c = -CMP_NUM(top_row_time(a, o->cumulative)->own_ns,
			     top_row_time(b, o->cumulative)->own_ns);
		break;
	case TOP_COL_TOTAL:
		c = -CMP_NUM(top_row_time(a, o->cumulative)->total_ns,
			     top_row_time(b, o->cumulative)->total_ns);
		break;
	case TOP_COL_CALLS:
	case TOP_NCOLS:
		break;
	}
	if (!c)
		c = cmp_ties(a, b, o->cumulative);
	return o->reverse ? -c : c;
}

/* memmem with ASCII case folded. */
static bool contains_folded(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i;

	if (nlen > hlen)
		return false;
	for (i = 0; i + nlen <= hlen; i++)
		if (!strncasecmp(hay + i, needle, nlen))
			return true;
	return false;
}

static bool row_matches(const struct top_row *r, const char *filter, size_t flen)
{
	return contains_folded(r->function, r->function_len, filter, flen) ||
	       contains_folded(r->filename, r->filename_len, filter, flen);
}

size_t top_snapshot_select(const struct top_snapshot *s, const struct top_order *o,
			   const struct top_row ***sel, size_t *selcap)
{
	size_t flen = o->filter ? strlen(o->filter) : 0;
	size_t i, n = 0;

	VEC_RESERVE(*sel, *selcap, s->n ? s->n : 1);
	for (i = 0; i < s->n; i++) {
		const struct top_row *r = &s->rows[i];

		if (!top_row_calls(r, o->cumulative) && !top_row_time(r, o->cumulative)->total_ns &&
		    !top_row_time(r, o->cumulative)->own_ns)
			continue;
		if (flen && !row_matches(r, o->filter, flen))
			continue;
		if (o->pid && r->pid != o->pid)
			continue;
		(*sel)[n++] = r;
	}
	qsort_r(*sel, n, sizeof(**sel), cmp_rows, (void *)o);
	return n;
}

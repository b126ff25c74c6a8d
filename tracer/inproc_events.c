/*
 * The in-process engine's side of ptap that reads: the recorders' clock
 * (the TSC, against now_ns()), and what comes out of a process's data
 * region: the ring's records and the count table turned into the same
 * struct event the int3 path makes, the losses, the loader's hook.  See
 * inproc.h and inproc/abi.h.
 */
#define _GNU_SOURCE
#include "tracer/inproc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "inproc/abi.h"
#include "tracer/internal.h"

#define DRAIN_MAX 65536             /* records per process per poll */

/* ---- time ----------------------------------------------------------- */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Whether the TSC ticks at one rate on every CPU, whatever their state. */
bool inproc_tsc_usable(void)
{
	static int usable = -1;
	char line[4096];
	FILE *f;

	if (usable >= 0)
		return usable;
	usable = 0;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			usable = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	fclose(f);
	return usable;
}

/* The TSC against now_ns(): a first slope from 5 ms, refined at every
 * tick from the first point, so that the error shrinks as the run goes. */
void inproc_clock_calibrate(struct tracer *t)
{
	uint64_t n0, c0, n1, c1;

	if (t->tsc.ns_per_tick > 0)
		return;
	n0 = now_ns();
	c0 = rdtsc();
	do
		n1 = now_ns();
	while (n1 - n0 < 5000000);
	c1 = rdtsc();
	t->tsc.ns0 = n0;
	t->tsc.tsc0 = c0;
	t->tsc.ns_per_tick = (double)(n1 - n0) / (double)(c1 - c0);
}

void inproc_clock_refine(struct tracer *t)
{
	uint64_t n = now_ns(), c = rdtsc();

	if (t->tsc.ns_per_tick > 0 && c > t->tsc.tsc0 && n - t->tsc.ns0 > 100000000)
		t->tsc.ns_per_tick = (double)(n - t->tsc.ns0) / (double)(c - t->tsc.tsc0);
}

uint64_t inproc_time_ns(struct tracer *t, const struct ip_header *h, uint64_t stamp)
{
	int64_t d;

	if (!h->use_tsc)
		return stamp;   /* this process's recorder reads CLOCK_MONOTONIC */
	d = (int64_t)(stamp - t->tsc.tsc0);
	return t->tsc.ns0 + (uint64_t)(int64_t)((double)d * t->tsc.ns_per_tick);
}

/* How argument i of pi travels: CPython's code names are interned,
 * unless --no-string-cache asks for them to be read at every hit. */
uint8_t inproc_str_mode(const struct tracer *t, const struct probe_info *pi, int i)
{
	if (pi->prog.op[i].render != RENDER_STR)
		return IP_STR_NONE;
	return (pi->prog.cache_mask & (1u << i)) && !t->cfg.no_string_cache ? IP_STR_NAME
									     : IP_STR_COPY;
}

/* ---- events out ----------------------------------------------------- */

static void ring_get(const struct ip_header *h, uint64_t pos, void *dst, uint64_t len)
{
	const char *ring = (const char *)h + h->ring_off;
	uint64_t o = pos & (h->ring_size - 1), first = h->ring_size - o;

	if (len <= first) {
		memcpy(dst, ring + o, len);
	} else {
		memcpy(dst, ring + o, first);
		memcpy((char *)dst + first, ring, len - first);
	}
}

static void ring_zero(struct ip_header *h, uint64_t pos, uint64_t len)
{
	char *ring = (char *)h + h->ring_off;
	uint64_t o = pos & (h->ring_size - 1), first = h->ring_size - o;

	if (len <= first) {
		memset(ring + o, 0, len);
	} else {
		memset(ring + o, 0, first);
		memset(ring, 0, len - first);
	}
}

/* The text of sid n of p. */
static bool sid_text(const struct ip_header *h, uint64_t n, const char **text, uint32_t *len)
{
	const struct ip_sid *s;

	if (!n || n > h->sids_max || n > __atomic_load_n(&h->nsids, __ATOMIC_ACQUIRE))
		return false;
	s = (const struct ip_sid *)((const char *)h + h->sids_off) + (n - 1);
	if ((uint64_t)s->off + s->len > h->arena_size)
		return false;
	*text = (const char *)h + h->arena_off + s->off;
	*len = s->len;
	return true;
}

/* One argument of a record or a count, as the int3 path would show it. */
static void arg_value(struct tracer *t, const struct ip_header *h, const struct probe_info *pi,
		      int i, uint64_t raw, bool err, const char *copied, struct value *v)
{
	const struct arg_op *op = &pi->prog.op[i];
	uint8_t mode = inproc_str_mode(t, pi, i);

	v->truncated = false;
	if (err || op->kind == ARGSPEC_INVALID) {
		v->type = VAL_ERR;
		v->err = op->kind == ARGSPEC_INVALID ? -EINVAL : -EFAULT;
		v->u = raw;
		return;
	}
	if (mode == IP_STR_NAME) {
		if (sid_text(h, raw, &v->str, &v->len)) {
			v->type = VAL_STR;
			t->stats.strcache_hits++;
		} else {
			v->type = VAL_ERR;
			v->err = -EFAULT;
			v->u = 0;
		}
		return;
	}
	if (mode == IP_STR_COPY && copied) {
		v->type = VAL_STR;
		v->str = copied;
		v->len = (uint32_t)(raw & ~IP_STR_TRUNCATED);
		v->truncated = raw & IP_STR_TRUNCATED;
		return;
	}
	argeval_finish(op, raw, v);
}

static void deliver(struct tracer *t, struct tproc *p, const struct ip_slot *slot, uint64_t time,
		    pid_t tid, const uint64_t *val, uint32_t errmask, const char *strings,
		    uint64_t count)
{
	const struct probe_info *pi = slot->probe;
	const struct ip_header *h = p->ip.h;
	uint32_t room = (h->str_max + 7) & ~7u;
	struct event *ev = &t->ev;
	int i;

	ev->time_ns = time > t->start_ns ? time - t->start_ns : 0;
	ev->pid = p->pid;
	ev->tid = tid;
	ev->probe = pi;
	ev->nargs = pi->prog.nargs;
	ev->count = count;
	for (i = 0; i < ev->nargs; i++) {
		bool err = errmask & (1u << i);
		const char *copied = NULL;

		if (inproc_str_mode(t, pi, i) == IP_STR_COPY && strings) {
			copied = strings;
			strings += room;
		}
		arg_value(t, h, pi, i, val[i], err, copied, &ev->args[i]);
		t->stats.arg_errors += ev->args[i].type == VAL_ERR;
	}
	t->stats.hits += count;
	p->hits += count;
	t->inproc_hits += count;
	t->inproc_cost_ns += count * p->ip.hit_ns;
	if (t->hooks->event)
		t->hooks->event(t->ctx, ev);
	ev->probe = NULL;
}

size_t inproc_drain(struct tracer *t, struct tproc *p)
{
	struct ip_header *h = p->ip.h;
	uint64_t buf[(IP_REC_HDR + 8 * IP_MAX_ARGS) / 8 + 1];
	char *strings = NULL;
	uint64_t tail, len;
	uint32_t *hdr, commit;
	size_t n = 0;

	if (p->ip.state != IPS_ON || !h)
		return 0;
	if (h->cost_samples) {
		uint64_t mean = h->cost_time / h->cost_samples;

		p->ip.hit_ns = h->use_tsc ? (uint64_t)((double)mean * t->tsc.ns_per_tick) : mean;
	}
	tail = h->tail;
	while (n < DRAIN_MAX) {
		hdr = (uint32_t *)((char *)h + h->ring_off + (tail & (h->ring_size - 1)));
		commit = __atomic_load_n(&hdr[1], __ATOMIC_ACQUIRE);
		if (!commit)
			break;
		len = hdr[0];
		if (len < IP_REC_HDR || len > h->ring_size || (len & 7) || commit > p->ip.nslots) {
			tracer_notice(t, "pid %d: the event ring is damaged; events from then on are lost",
				      p->pid);
			p->ip.state = IPS_FAILED;
			return n;
		}
		{
			const struct ip_slot *slot = &p->ip.slots[commit - 1];
			uint64_t fixed = IP_REC_HDR + 8ull * (slot->probe ? slot->probe->prog.nargs : 0);
			struct ip_rec *rec = (struct ip_rec *)buf;

			ring_get(h, tail, buf, MIN(fixed, (uint64_t)sizeof(buf)));
			if (len > fixed) {
				strings = xrealloc(strings, len - fixed);
				ring_get(h, tail + fixed, strings, len - fixed);
			}
			if (slot->probe)
				deliver(t, p, slot, inproc_time_ns(t, h, rec->time), (pid_t)rec->tid,
					rec->val, rec->errmask, len > fixed ? strings : NULL, 1);
		}
		ring_zero(h, tail, len);
		tail += len;
		n++;
	}
	free(strings);
	if (tail != h->tail) {
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
		__atomic_store_n(&h->tail_futex, (uint32_t)tail, __ATOMIC_RELEASE);
		if (__atomic_load_n(&h->waiters, __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &h->tail_futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	}
	/* alive: waiters gave up while ptap could not read (stopped, slow) */
	if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != IP_STATE_ON)
		__atomic_store_n(&h->state, IP_STATE_ON, __ATOMIC_RELEASE);
	h->heartbeat++;
	return n;
}

void inproc_report_losses(struct tracer *t, struct tproc *p)
{
	struct ip_header *h = p->ip.h;
	uint64_t d = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);

	if (d != p->ip.dropped_seen) {
		tracer_notice(t, "pid %d: %" PRIu64 " events were not recorded: the ring stayed full "
			      "while ptap did not read it", p->pid, d - p->ip.dropped_seen);
		t->stats.dropped += d - p->ip.dropped_seen;
		p->ip.dropped_seen = d;
	}
}

/*
 * A thread of p waits in the loader's hook (a dlopen, a dlclose, the
 * start): with every thread held, arm what is new, then let it go on.
 * As the int3 hook does, only once the loader's list is consistent.
 */
static void loader_changed(struct tracer *t, struct tproc *p)
{
	struct ip_header *h = p->ip.h;
	uint32_t seq = __atomic_load_n(&h->dl_seq, __ATOMIC_ACQUIRE);
	pid_t pid = p->pid;
	int err;

	p->ip.dl_seen = seq;
	if (proc_loader_consistent(p)) {
		tracer_hold(t, p);
		if (u64map_get(&t->procs, (uint64_t)pid) != p)
			return;         /* it ended meanwhile */
		err = proc_scan_modules(t, p);
		if (err && err != -ESRCH)
			tracer_notice(t, "pid %d: cannot rescan its modules: %s", p->pid, strerror(-err));
		proc_mark_started(t, p);
		tracer_release(t, p);
	}
	__atomic_store_n(&h->dl_done, seq, __ATOMIC_RELEASE);
	syscall(SYS_futex, &h->dl_done, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

size_t inproc_poll(struct tracer *t)
{
	size_t i = 0, n = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *p = v;

		if (p->ip.state != IPS_ON || !p->ip.h)
			continue;
		n += inproc_drain(t, p);
		inproc_report_losses(t, p);
		if (__atomic_load_n(&p->ip.h->dl_seq, __ATOMIC_ACQUIRE) != p->ip.dl_seen) {
			loader_changed(t, p);
			i = 0;          /* processes may have come and gone meanwhile */
			n++;
		}
	}
	return n;
}

void inproc_collect_counts(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&t->procs, &i, &k, &v)) {
		struct tproc *p = v;
		struct ip_header *h = p->ip.h;
		const struct ip_count *tab;
		const uint32_t *used;
		uint32_t n, j;

		if (p->ip.state != IPS_ON || !h)
			continue;
		tab = (const struct ip_count *)((const char *)h + h->counts_off);
		used = (const uint32_t *)((const char *)h + h->used_off);
		n = MIN(__atomic_load_n(&h->ncounts, __ATOMIC_ACQUIRE), h->counts_slots);
		if (!p->ip.counts)
			p->ip.counts = xcalloc(h->counts_slots, sizeof(*p->ip.counts));
		for (j = 0; j < n; j++) {
			uint32_t s = used[j];
			const struct ip_count *c;
			uint64_t now;

			if (s >= h->counts_slots)
				continue;
			c = &tab[s];
			if (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) != 2 || c->site >= p->ip.nslots ||
			    !p->ip.slots[c->site].probe)
				continue;
			now = __atomic_load_n(&c->count, __ATOMIC_RELAXED);
			if (now == p->ip.counts[s])
				continue;
			deliver(t, p, &p->ip.slots[c->site], now_ns(), 0, c->key, c->errmask, NULL,
				now - p->ip.counts[s]);
			p->ip.counts[s] = now;
		}
	}
}


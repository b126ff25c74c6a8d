/*
 * Call stacks and frame times per thread; see callstack.h for the model.
 *
 * Each thread keeps a corrected clock: at an event at time t, after its
 * previous one at last_t, the clock advances by t - last_t less the cost
 * of one hit (never by less than nothing).  Every credit is a difference
 * of that clock: the top frame's own time runs from own_to, an outer
 * frame's total from its total_to; a checkpoint credits both up to the
 * clock's value at that moment and moves them on, so each nanosecond is
 * credited once however often the consumer refreshes.  `floor` keeps the
 * clock from going back before a checkpoint when the cost of a hit, which
 * the engine refines as it goes, grows between the two.  Each event
 * moves the clock on by 1 ns at least, so that activations nest
 * strictly in time, which is how timeline viewers tell who called whom.
 */
#include "ui/callstack.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void callstack_init(struct callstack *cs, bool timed, const struct callstack_hooks *hooks,
		    void *ctx)
{
	memset(cs, 0, sizeof(*cs));
	cs->timed = timed;
	if (hooks)
		cs->hooks = *hooks;
	cs->ctx = ctx;
	u64map_init(&cs->threads);
	u64map_init(&cs->origins);
}

static void thread_free(struct cs_thread *th)
{
	free(th->frames);
	free(th->early);
	u64map_free(&th->active);
	free(th);
}

void callstack_free(struct callstack *cs)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&cs->threads, &i, &k, &v))
		thread_free(v);
	u64map_free(&cs->threads);
	u64map_free(&cs->origins);
}

void callstack_set_overhead(struct callstack *cs, uint64_t ns)
{
	cs->overhead_ns = ns;
}

void callstack_process_start(struct callstack *cs, pid_t pid, uint64_t now)
{
	u64map_put(&cs->origins, (uint64_t)pid, (void *)(uintptr_t)(now + 1));
}

static uint64_t origin_of(const struct callstack *cs, pid_t pid, uint64_t fallback)
{
	uintptr_t o = (uintptr_t)u64map_get(&cs->origins, (uint64_t)pid);

	return o ? (uint64_t)o - 1 : fallback;
}

static void thread_reset(struct callstack *cs, struct cs_thread *th, pid_t pid, pid_t tid,
			 uint64_t t)
{
	th->pid = pid;
	th->tid = tid;
	th->depth = 0;
	th->nearly = 0;
	th->last_t = th->v = th->floor = th->own_to = t;
	th->origin = origin_of(cs, pid, t);
	th->early_own = t > th->origin ? t - th->origin : 0;
	th->mark = -1;
	th->moved = false;
	u64map_free(&th->active);
	u64map_init(&th->active);
}

/* The thread's corrected clock at event-clock time t. */
static uint64_t clock_at(const struct callstack *cs, const struct cs_thread *th, uint64_t t)
{
	uint64_t gap = t > th->last_t ? t - th->last_t : 0;
	uint64_t v = th->v + (gap > cs->overhead_ns ? gap - cs->overhead_ns : 0);

	return v > th->floor ? v : th->floor;
}

static void credit(struct callstack *cs, uint32_t id, uint64_t own, uint64_t total, uint64_t now)
{
	if ((own || total) && cs->hooks.credit)
		cs->hooks.credit(cs->ctx, id, own, total, now);
}

/* Move the thread's clock to an event at t; returns the clock and the
 * own time the running frame (or the frames before tracing began) had
 * since it was last credited. */
static uint64_t clock_event(const struct callstack *cs, struct cs_thread *th, uint64_t t,
			    uint64_t *own)
{
	/* at least 1 ns per event, so that a callee never starts or ends
	 * at the very time of its caller, even when hits cost more than
	 * the gap between them */
	uint64_t v = clock_at(cs, th, t);

	if (v <= th->v && th->moved)
		v = th->v + 1;
	th->moved = true;

	*own = v - th->own_to;
	th->own_to = v;
	th->v = v;
	if (t > th->last_t)
		th->last_t = t;
	return v;
}

static unsigned active_get(const struct cs_thread *th, uint32_t id)
{
	return (unsigned)(uintptr_t)u64map_get(&th->active, (uint64_t)id + 1);
}

static void active_add(struct cs_thread *th, uint32_t id, int delta)
{
	unsigned n = active_get(th, id) + (unsigned)delta;

	if (n)
		u64map_put(&th->active, (uint64_t)id + 1, (void *)(uintptr_t)n);
	else
		u64map_del(&th->active, (uint64_t)id + 1);
}

static void thread_close(struct callstack *cs, struct cs_thread *th, uint64_t now);

struct cs_thread *callstack_thread(struct callstack *cs, pid_t pid, pid_t tid, uint64_t t)
{
	struct cs_thread *th = u64map_get(&cs->threads, (uint64_t)tid);

	if (likely(th && th->pid == pid))
		return th;
	if (th) {
		/* a tid reused by another process: the old thread is gone */
		thread_close(cs, th, t);
	} else {
		th = xcalloc(1, sizeof(*th));
		u64map_put(&cs->threads, (uint64_t)tid, th);
	}
	thread_reset(cs, th, pid, tid, t);
	return th;
}

void callstack_enter(struct callstack *cs, struct cs_thread *th, uint32_t id, uint64_t t)
{
	struct cs_frame *f;
	uint64_t v = 0, own;

	cs->entries++;
	if (cs->timed) {
		v = clock_event(cs, th, t, &own);
		if (th->depth)
			credit(cs, th->frames[th->depth - 1].id, own, 0, t);
		else
			th->early_own += own;
	}
	VEC_RESERVE(th->frames, th->cap, th->depth + 1);
	f = &th->frames[th->depth++];
	f->id = id;
	f->before_attach = false;
	f->start = f->total_to = v;
	f->outer = false;
	if (cs->timed) {
		f->outer = !active_get(th, id);
		active_add(th, id, 1);
	}
}

/* A return on an empty stack: the frame was entered before tracing of its
 * process began, and everything the thread did outside known frames since
 * was its own time (or that of its callers, who are still unknown). */
static void leave_early(struct callstack *cs, struct cs_thread *th, uint64_t t, uint32_t id)
{
	struct cs_frame f = { .id = id, .outer = true, .before_attach = true };
	uint64_t v, own, from = th->origin;
	size_t i;

	cs->unmatched++;
	if (!cs->timed)
		return;
	v = clock_event(cs, th, t, &own);
	own += th->early_own;
	th->early_own = 0;
	/* a recursion across frames entered before tracing: its total once */
	for (i = 0; i < th->nearly && th->early[i].id != id; i++)
		;
	if (i < th->nearly) {
		from = th->early[i].to;
	} else {
		VEC_RESERVE(th->early, th->earlycap, th->nearly + 1);
		th->early[th->nearly++].id = id;
	}
	th->early[i].to = v;
	credit(cs, id, own, v > from ? v - from : 0, t);
	f.start = th->origin;
	if (cs->hooks.close)
		cs->hooks.close(cs->ctx, th, &f, v);
}

void callstack_leave(struct callstack *cs, struct cs_thread *th, uint64_t t, uint32_t early_id)
{
	struct cs_frame *f;
	uint64_t v, own;

	if (!th->depth) {
		leave_early(cs, th, t, early_id);
		return;
	}
	f = &th->frames[--th->depth];
	if (!cs->timed)
		return;
	v = clock_event(cs, th, t, &own);
	credit(cs, f->id, own, f->outer ? v - f->total_to : 0, t);
	active_add(th, f->id, -1);
	if (cs->hooks.close)
		cs->hooks.close(cs->ctx, th, f, v);
}

/* Credit the running frames of th up to the clock v (now on the event clock). */
static void credit_running(struct callstack *cs, struct cs_thread *th, uint64_t v, uint64_t now)
{
	size_t i;

	for (i = 0; i < th->depth; i++) {
		struct cs_frame *f = &th->frames[i];
		uint64_t own = i + 1 == th->depth ? v - th->own_to : 0;
		uint64_t total = f->outer ? v - f->total_to : 0;

		credit(cs, f->id, own, total, now);
		f->total_to = v;
	}
	if (!th->depth)
		th->early_own += v - th->own_to;
	th->own_to = v;
	th->floor = v;
}

void callstack_checkpoint(struct callstack *cs, uint64_t now)
{
	size_t i = 0;
	uint64_t k;
	void *p;

	if (!cs->timed)
		return;
	while (u64map_next(&cs->threads, &i, &k, &p)) {
		struct cs_thread *th = p;

		credit_running(cs, th, clock_at(cs, th, now), now);
	}
}

/* Credit and close every frame of th at now, innermost first. */
static void thread_close(struct callstack *cs, struct cs_thread *th, uint64_t now)
{
	uint64_t v;

	if (!cs->timed) {
		th->depth = 0;
		return;
	}
	v = clock_at(cs, th, now);
	credit_running(cs, th, v, now);
	while (th->depth) {
		struct cs_frame *f = &th->frames[--th->depth];

		active_add(th, f->id, -1);
		if (cs->hooks.close)
			cs->hooks.close(cs->ctx, th, f, v);
	}
}

void callstack_forget(struct callstack *cs, pid_t pid, uint64_t now)
{
	size_t i = 0;
	uint64_t k;
	void *p;

	while (u64map_next(&cs->threads, &i, &k, &p)) {
		struct cs_thread *th = p;

		if (th->pid != pid)
			continue;
		thread_close(cs, th, now);
		thread_free(u64map_del(&cs->threads, k));
		i = 0;  /* deletion shifts entries back: start over */
	}
	u64map_del(&cs->origins, (uint64_t)pid);
}

void callstack_close_all(struct callstack *cs, uint64_t now)
{
	size_t i = 0;
	uint64_t k;
	void *p;

	while (u64map_next(&cs->threads, &i, &k, &p))
		thread_close(cs, p, now);
}

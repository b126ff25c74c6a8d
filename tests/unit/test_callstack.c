/*
 * Unit tests of ui/callstack.c: event sequences with known times, and
 * the exact own and total times, closes and depths that must come out.
 * Times are in ns; frame ids are small numbers.
 */
#include "ui/callstack.h"

#include <string.h>

#include "tests/unit/tap.h"

#define NIDS 16

static uint64_t own[NIDS], total[NIDS];
static struct closed {
	uint32_t id;
	uint64_t start, end;
	bool early;
} closes[32];
static int nclosed;

static void on_credit(void *ctx, uint32_t id, uint64_t o, uint64_t t, uint64_t now)
{
	(void)ctx;
	(void)now;
	own[id] += o;
	total[id] += t;
}

static void on_close(void *ctx, const struct cs_thread *th, const struct cs_frame *f, uint64_t end)
{
	(void)ctx;
	(void)th;
	if (nclosed < 32)
		closes[nclosed++] = (struct closed){ f->id, f->start, end, f->before_attach };
}

static const struct callstack_hooks hooks = { .credit = on_credit, .close = on_close };

static struct callstack cs;

static void fresh(uint64_t overhead)
{
	callstack_free(&cs);
	callstack_init(&cs, true, &hooks, NULL);
	callstack_set_overhead(&cs, overhead);
	memset(own, 0, sizeof(own));
	memset(total, 0, sizeof(total));
	nclosed = 0;
}

static void enter(pid_t tid, uint32_t id, uint64_t t)
{
	callstack_enter(&cs, callstack_thread(&cs, 1, tid, t), id, t);
}

static void leave(pid_t tid, uint64_t t)
{
	callstack_leave(&cs, callstack_thread(&cs, 1, tid, t), t, 0);
}

static void nested(void)
{
	fresh(0);
	enter(1, 1, 100);
	enter(1, 2, 300);
	leave(1, 700);
	enter(1, 2, 800);
	leave(1, 900);
	leave(1, 1000);
	is_int(own[1], 400, "nested: the caller's own time is its time outside callees");
	is_int(total[1], 900, "nested: its total, entry to return");
	is_int(own[2], 500, "nested: the callee's own time, two calls");
	is_int(total[2], 500, "nested: the callee's total");
	is_int(nclosed, 3, "nested: three activations closed");
	ok(closes[0].id == 2 && closes[0].start == 300 && closes[0].end == 700 &&
	   closes[2].id == 1 && closes[2].start == 100 && closes[2].end == 1000,
	   "nested: closes innermost first, with start and end");
}

static void recursion(void)
{
	fresh(0);
	enter(1, 1, 0);
	enter(1, 1, 100);
	enter(1, 1, 200);
	leave(1, 300);
	leave(1, 400);
	leave(1, 500);
	is_int(total[1], 500, "recursion: total is the outermost call's, not the sum of levels");
	is_int(own[1], 500, "recursion: own is all of it");

	fresh(0);
	enter(1, 1, 0);         /* ping */
	enter(1, 2, 100);       /* pong */
	enter(1, 1, 200);       /* ping */
	leave(1, 300);
	leave(1, 400);
	leave(1, 500);
	is_int(total[1], 500, "mutual recursion: ping's total once");
	is_int(total[2], 300, "mutual recursion: pong's total");
	is_int(own[1], 300, "mutual recursion: ping's own");
	is_int(own[2], 200, "mutual recursion: pong's own");
}

static void correction(void)
{
	fresh(10);
	enter(1, 1, 0);
	enter(1, 2, 100);
	leave(1, 200);
	leave(1, 300);
	is_int(own[2], 90, "correction: one hit's cost off each gap (callee)");
	is_int(own[1], 180, "correction: the caller's own, two gaps");
	is_int(total[1], 270, "correction: the caller's total, three gaps");

	fresh(10);
	enter(1, 1, 0);
	enter(1, 2, 5);         /* gaps shorter than a hit */
	leave(1, 8);
	leave(1, 100);
	is_int(own[2], 1, "correction: a gap shorter than a hit counts 1 ns, never less");
	is_int(total[1], 84, "correction: the caller's total");
	ok(closes[0].start > 0 && closes[0].end > closes[0].start && closes[1].end > closes[0].end,
	   "correction: activations still nest strictly in time");
}

static void checkpoints(void)
{
	fresh(0);
	enter(1, 1, 0);
	callstack_checkpoint(&cs, 50);
	is_int(own[1], 50, "checkpoint: a running frame's own time so far");
	is_int(total[1], 50, "checkpoint: and its total");
	enter(1, 2, 100);
	callstack_checkpoint(&cs, 150);
	is_int(own[2], 50, "checkpoint: the running callee's own");
	is_int(total[1], 150, "checkpoint: the caller's total, not counted twice");
	leave(1, 200);
	leave(1, 300);
	is_int(own[1], 200, "checkpoint: in the end, own as without checkpoints");
	is_int(total[1], 300, "checkpoint: and total");
	is_int(own[2] + total[2], 200, "checkpoint: the callee's figures as without");

	fresh(10);
	enter(1, 1, 0);
	callstack_checkpoint(&cs, 5);
	is_int(own[1], 0, "checkpoint inside a hit's cost: nothing yet");
	callstack_checkpoint(&cs, 50);
	is_int(own[1], 40, "checkpoint: corrected like a gap");
	leave(1, 100);
	is_int(own[1], 90, "checkpoint: the gap's correction once");
}

static void early(void)
{
	struct cs_thread *th;

	fresh(0);
	callstack_process_start(&cs, 2, 0);
	th = callstack_thread(&cs, 2, 2, 100);
	callstack_enter(&cs, th, 1, 100);
	callstack_leave(&cs, th, 200, 0);
	callstack_leave(&cs, th, 300, 5);       /* entered before tracing began */
	callstack_enter(&cs, th, 2, 400);
	callstack_leave(&cs, th, 450, 0);
	callstack_leave(&cs, th, 600, 6);
	callstack_leave(&cs, th, 700, 5);       /* the same function, further down */
	is_int(cs.unmatched, 3, "before attach: three returns on an empty stack");
	is_int(own[5], 300, "before attach: own time outside every frame seen, since the origin");
	is_int(total[5], 700, "before attach: a recursion across such frames, total once");
	is_int(own[6], 250, "before attach: the next frame down, its own time");
	is_int(total[6], 600, "before attach: its total since the origin");
	ok(nclosed == 5 && closes[1].early && closes[1].start == 0 && closes[1].end == 300 &&
	   !closes[0].early, "before attach: closed as such, from the origin");
}

static void threads(void)
{
	fresh(0);
	enter(1, 1, 0);
	enter(2, 2, 50);
	leave(1, 100);
	leave(2, 200);
	is_int(own[1], 100, "threads: each its own stack (1)");
	is_int(own[2], 150, "threads: each its own stack (2)");

	callstack_enter(&cs, callstack_thread(&cs, 3, 7, 0), 3, 0);
	callstack_forget(&cs, 3, 500);
	is_int(own[3] + total[3], 1000, "forget: a running frame is credited up to then");
	ok(nclosed == 3 && closes[2].id == 3 && closes[2].end == 500, "forget: and closed");

	callstack_enter(&cs, callstack_thread(&cs, 4, 9, 0), 4, 0);
	callstack_thread(&cs, 5, 9, 100);       /* tid 9 again, another process */
	is_int(own[4], 100, "a tid reused by another process closes the old thread's frames");
}

static void untimed(void)
{
	struct cs_thread *th;

	callstack_free(&cs);
	callstack_init(&cs, false, NULL, NULL);
	th = callstack_thread(&cs, 1, 1, 0);
	callstack_leave(&cs, th, 0, 0);
	callstack_enter(&cs, th, 0, 0);
	callstack_enter(&cs, th, 0, 0);
	is_int(th->depth, 2, "untimed: depth counts entries");
	callstack_leave(&cs, th, 0, 0);
	is_int(th->depth, 1, "untimed: a return takes one off");
	is_int(cs.unmatched, 1, "untimed: a return on an empty stack is counted, depth stays 0");
	is_int(th->mark, -1, "untimed: the consumer's mark starts at -1");
}

int main(void)
{
	callstack_init(&cs, true, &hooks, NULL);
	nested();
	recursion();
	correction();
	checkpoints();
	early();
	threads();
	untimed();
	callstack_free(&cs);
	return done_testing();
}

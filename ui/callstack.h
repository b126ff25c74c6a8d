/*
 * Python call stacks per thread, rebuilt from python:function__entry and
 * python:function__return, and the exact time of every frame: what `ptap
 * flow` indents by, and what `ptap top` and `ptap record` time.
 *
 * A consumer names each frame with a number of its own (an entry of its
 * table, a node of its tree) and hands every entry and return here with
 * the event's time.  The stack keeps, per thread, the frames entered and
 * not returned, and turns the times into
 *
 *   own time    the time a frame ran with no Python callee above it;
 *   total time  the time from its entry to its return, once per thread
 *               however deep it recurses: an activation whose frame
 *               number is already on the thread's stack adds no total;
 *
 * handed to the consumer as credits (frame, own, total) as they accrue:
 * at each event for the frame that was running, at a return for the
 * frame that returns, and for every frame still running whenever the
 * consumer asks (callstack_checkpoint, at each refresh).  A consumer that
 * draws timelines also gets each activation when it closes.
 *
 * Times are corrected for what the engine's hits cost the traced thread:
 * between two consecutive events of a thread the engine ran once (the
 * first event's handling after its timestamp, the second's trap before
 * it), so each gap between two events of a thread, less the cost of one
 * hit (callstack_set_overhead, from tracer_hit_overhead_ns), is the time
 * the thread ran its own code.  Summing corrected gaps gives every thread
 * a clock of its own that runs behind the wall clock by what ptap cost it;
 * activations are reported on that clock.
 *
 * CPython keeps entries and returns balanced: an exception fires a return
 * in every frame it leaves, a generator or coroutine a return at each
 * yield and an entry at each resumption (so time counts only while it
 * runs).  What is not balanced is a return from a frame entered before
 * tracing began: it arrives on an empty stack.  Such a frame ran since
 * tracing of its process began (attach, or fork for a child that
 * inherited its parent's stack), and the time the thread spent outside
 * every frame seen so far was its own.  It is credited when it returns
 * (the consumer names it then); until then nobody knows it is there.
 */
#ifndef PTAP_UI_CALLSTACK_H
#define PTAP_UI_CALLSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/hashmap.h"

/* One activation on a thread's stack. */
struct cs_frame {
	uint32_t id;                /* the consumer's name for the frame */
	bool outer;                 /* no activation of id below it on this stack */
	bool before_attach;         /* entered before tracing began (only in a
	                               close callback: start is then the origin) */
	uint64_t start;             /* entry, on the thread's corrected clock */
	uint64_t total_to;          /* outer: total credited up to here */
};

/* A frame entered before tracing began, already returned: its total was
 * credited up to `to` (for recursion across such frames). */
struct cs_early {
	uint32_t id;
	uint64_t to;
};

/* One traced thread. */
struct cs_thread {
	pid_t pid;                  /* its process (a tid reused by another
	                               process starts a new record) */
	pid_t tid;
	struct cs_frame *frames;    /* the stack, outermost first */
	size_t depth, cap;
	uint64_t last_t;            /* the event clock at the thread's last event */
	uint64_t v;                 /* the thread's corrected clock at that event */
	bool moved;                 /* an event has set v (the next one is later) */
	uint64_t floor;             /* the clock no credit goes back before (the
	                               last checkpoint) */
	uint64_t own_to;            /* the top frame's own time credited up to here */
	uint64_t origin;            /* when tracing of the process began */
	uint64_t early_own;         /* own time of frames entered before tracing
	                               began, not yet named (stack empty) */
	struct cs_early *early;     /* those already returned */
	size_t nearly, earlycap;
	struct u64map active;       /* id + 1 -> activations of id on the stack */
	long mark;                  /* the consumer's own word (flow: the depth
	                               of the --function call, -1 none) */
};

struct callstack_hooks {
	/* own_ns and total_ns more for frame id, at event-clock time now */
	void (*credit)(void *ctx, uint32_t id, uint64_t own_ns, uint64_t total_ns, uint64_t now);
	/* an activation ended at `end` (the thread's corrected clock): a
	 * return, or its thread or process was forgotten, or everything was
	 * closed; frames close innermost first */
	void (*close)(void *ctx, const struct cs_thread *th, const struct cs_frame *f,
		      uint64_t end);
};

struct callstack {
	bool timed;                 /* keep times (else depth alone, as flow) */
	uint64_t overhead_ns;       /* one hit's cost to the traced thread */
	struct u64map threads;      /* tid -> struct cs_thread */
	struct u64map origins;      /* pid -> when its tracing began, + 1 */
	uint64_t unmatched;         /* returns that found an empty stack */
	uint64_t entries;           /* entries seen */
	struct callstack_hooks hooks;
	void *ctx;
};

void callstack_init(struct callstack *cs, bool timed, const struct callstack_hooks *hooks,
		    void *ctx);
/* Frees every thread without closing anything. */
void callstack_free(struct callstack *cs);
/* What one hit costs the traced thread (0: no correction). */
void callstack_set_overhead(struct callstack *cs, uint64_t ns);
/* Tracing of pid began at now (attach, launch, fork): the origin of the
 * frames its threads entered before. */
void callstack_process_start(struct callstack *cs, pid_t pid, uint64_t now);
/* The record of thread tid of pid, made at its first event (time t). */
struct cs_thread *callstack_thread(struct callstack *cs, pid_t pid, pid_t tid, uint64_t t);
/* A function__entry of frame id at time t. */
void callstack_enter(struct callstack *cs, struct cs_thread *th, uint32_t id, uint64_t t);
/* A function__return at time t; on an empty stack (th->depth == 0) the
 * frame returning was entered before tracing began and is early_id. */
void callstack_leave(struct callstack *cs, struct cs_thread *th, uint64_t t, uint32_t early_id);
/* Credit every running frame up to now (a refresh). */
void callstack_checkpoint(struct callstack *cs, uint64_t now);
/* Close the frames of pid's threads at now and forget them: it ended, or
 * executed another program. */
void callstack_forget(struct callstack *cs, pid_t pid, uint64_t now);
/* Close every running frame at now (tracing ends). */
void callstack_close_all(struct callstack *cs, uint64_t now);

#endif

/*
 * The native call stack of the thread that hit a probe, unwound with
 * libunwind-ptrace while the thread sits stopped on the int3, each frame
 * named by its function and module.
 *
 * A consumer that wants stacks creates one stack_unwinder next to its
 * tracer and calls tracer_event_stack() from inside its event hook (the
 * only time the thread is known to be stopped).  The unwinder keeps, per
 * traced process, its /proc/PID/maps and, per ELF file (by device and
 * inode), its symbols (elf/symbols.h).  The maps are read again when an
 * address falls outside every known mapping, and dropped when the
 * engine's view of the process's modules changes (exec; dlopen or
 * dlclose of a module with probes), so old mappings never name new code;
 * processes the tracer no longer has are dropped as they pile up.
 */
#ifndef PTAP_TRACER_STACK_H
#define PTAP_TRACER_STACK_H

#include <stdint.h>
#include <sys/types.h>

#include "tracer/event.h"

struct tracer;

struct stack_frame {
	uint64_t pc;             /* frame 0: the probe site; callers: the
	                            return address */
	const char *function;    /* containing function, or NULL if unknown */
	uint64_t offset;         /* pc - start of function; if function is
	                            NULL, pc's link-time address in module */
	const char *module;      /* path of the mapped file (as the target
	                            sees it), "[vdso]" etc., or NULL */
};

/* The frames' strings stay valid until the next call. */
#define STACK_DEPTH_DEFAULT 32
#define STACK_DEPTH_MAX 1024

struct stack_unwinder;

/* Separate debug files are looked for under $PTAP_DEBUG_DIR if set
 * (empty: nowhere), else /usr/lib/debug. */
struct stack_unwinder *stack_unwinder_new(void);
void stack_unwinder_free(struct stack_unwinder *u);

/*
 * From the event hook only, for the event being delivered: fill up to max
 * frames, innermost first, and return their number (at least 1: the probe
 * site), or -EINVAL when ev is not the event being delivered (or max <
 * 1), -ESRCH if the thread is not stopped under the tracer.  Unwinding stops quietly at the outermost frame, at
 * max frames, or where libunwind finds no unwind information.
 */
int tracer_event_stack(struct tracer *t, struct stack_unwinder *u, const struct event *ev,
		       struct stack_frame *frames, int max);

/* Time spent in tracer_event_stack and how often, for --stack's cost. */
void stack_unwinder_cost(const struct stack_unwinder *u, uint64_t *calls, uint64_t *ns);

#endif

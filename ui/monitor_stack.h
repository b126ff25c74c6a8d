/*
 * --stack and --stack-depth, for the commands that print events (trace,
 * monitor): the options, the unwinder's lifetime, and how a stack is
 * shown under its event.
 *
 * Text: one frame per line, indented under the event line,
 *       #0  0x4011d6 fire_loop+0x6 (operands-nopie)
 *       #1  0x401a2f fire_sequence+0x1f (operands-nopie)
 *       #2  0x7f3c12 ?? (libfoo.so+0x1c12)
 * JSON: a "stack" member added to the event object,
 *       "stack":[{"pc":"0x4011d6","function":"fire_loop","offset":6,
 *                 "module":"/path/operands-nopie"},...]
 * with function null (and offset the link-time address in the module)
 * where no symbol covers the address.
 */
#ifndef PTAP_UI_MONITOR_STACK_H
#define PTAP_UI_MONITOR_STACK_H

#include <stdbool.h>
#include <stdio.h>

#include "tracer/stack.h"
#include "tracer/tracer.h"

struct stack_view {
	bool on;                     /* --stack */
	int depth;                   /* --stack-depth, frames at most */
	struct stack_unwinder *u;    /* while tracing */
	struct stack_frame *frames;  /* depth of them */
};

enum {
	STACK_OPT_STACK = 0x1100,
	STACK_OPT_DEPTH,
};
#define STACK_LONG_OPTIONS                                                     \
	{ "stack", no_argument, NULL, STACK_OPT_STACK },                        \
	{ "stack-depth", required_argument, NULL, STACK_OPT_DEPTH }

extern const char stack_options_help[];

void stack_view_init(struct stack_view *sv);
/* One getopt option: 1 used, 0 not ours, or EXIT_USAGE after the message. */
int stack_view_option(struct stack_view *sv, const char *command, int opt, const char *arg);
/* After the options: set up the unwinder if --stack was given. */
void stack_view_start(struct stack_view *sv);
void stack_view_free(struct stack_view *sv);

/* From the event hook: the stack of the thread that hit ev, as text
 * lines after the event's line, or as ",\"stack\":[...]" inside its
 * JSON object (before the closing brace).  Nothing without --stack. */
void stack_view_text(struct stack_view *sv, FILE *f, struct tracer *t, const struct event *ev);
void stack_view_json(struct stack_view *sv, FILE *f, struct tracer *t, const struct event *ev);

#endif

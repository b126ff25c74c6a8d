/*
 * ptap record: the interfaces between its parts.
 *
 *   record_model.c   the frames (file, line, function) and the tree of
 *                    call stacks, weighted by own time and calls, filled
 *                    from the entries and returns through ui/callstack.c;
 *   record_flame.c   the tree written out at the end: folded stacks, or
 *                    an interactive SVG flame graph;
 *   record_events.c  every activation as it closes: Chrome trace events
 *                    written at once, or speedscope's evented profiles,
 *                    spilled per thread to a temporary file and put
 *                    together at the end;
 *   record.c         the command: options, hooks, the stop paths.
 *
 * Memory grows with the number of distinct frames, stacks and threads,
 * not with the length of the recording: the tree merges equal stacks,
 * and the event formats keep at most a small buffer per thread.
 */
#ifndef PTAP_UI_RECORD_H
#define PTAP_UI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/hashmap.h"
#include "tracer/event.h"
#include "ui/callstack.h"

enum record_format {
	REC_FLAMEGRAPH,
	REC_FOLDED,
	REC_SPEEDSCOPE,
	REC_CHROME,
};

/* One distinct (filename, line, function). */
struct rec_frame {
	uint64_t hash;
	char *file;                 /* owned, NUL-terminated after the length */
	char *func;
	uint32_t file_len, func_len;
	int64_t line;
};

/* A node of the stack tree: a frame reached through its parent's path. */
struct rec_node {
	uint32_t frame;             /* REC_ROOT for the root */
	uint32_t parent;
	uint32_t first_child;       /* 0: none (the root is never a child) */
	uint32_t next_sibling;
	uint32_t depth;             /* the root is 0 */
	uint64_t own_ns;            /* time with this stack on top */
	uint64_t total_ns;          /* own_ns and the descendants': set at the end */
	uint64_t calls;             /* entries into this stack */
};

#define REC_ROOT UINT32_MAX

struct rec_events;              /* record_events.c */

struct rec_model {
	struct rec_frame *frames;
	size_t nframes, framecap;
	uint32_t *slots;            /* frame hash table: index + 1, 0 empty */
	size_t mask;
	struct rec_node *nodes;     /* nodes[0] is the root */
	size_t nnodes, nodecap;
	struct u64map children;     /* (parent, frame) -> node index */
	struct callstack stacks;    /* frame ids are node indices */
	struct rec_events *events;  /* NULL for the tree formats */
	uint64_t unreadable;        /* events whose names could not be read */
};

void rec_model_init(struct rec_model *m, struct rec_events *events);
void rec_model_free(struct rec_model *m);
/* A function__entry or function__return hit. */
void rec_model_event(struct rec_model *m, const struct event *ev);
/* Compute every node's total time and order children by name. */
void rec_model_finish(struct rec_model *m);
/* "function (file:line)", bytes as they came. */
void rec_frame_label(FILE *f, const struct rec_frame *fr, void (*put)(FILE *, const char *, size_t));

/* record_flame.c */
int rec_write_folded(FILE *f, const struct rec_model *m);
int rec_write_flamegraph(FILE *f, const struct rec_model *m, const char *title,
			 uint64_t overhead_ns);

/* record_events.c: out is the output, written as events close (chrome)
 * or at the end (speedscope). */
struct rec_events *rec_events_new(enum record_format fmt, FILE *out, int *err);
void rec_events_free(struct rec_events *e);
/* A thread's frame opened (speedscope needs the order of openings). */
void rec_events_open(struct rec_events *e, const struct rec_model *m, const struct cs_thread *th,
		     const struct cs_frame *f);
void rec_events_close(struct rec_events *e, const struct rec_model *m, const struct cs_thread *th,
		      const struct cs_frame *f, uint64_t end);
/* Name a process for the viewers ("python3.11"), once. */
void rec_events_process(struct rec_events *e, pid_t pid, const char *name);
/* Write what remains and close the document: 0 or -errno (spill file). */
int rec_events_finish(struct rec_events *e, const struct rec_model *m, const char *title,
		      uint64_t overhead_ns);

#endif

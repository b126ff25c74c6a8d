/*
 * ptap top: the interfaces between its four parts.
 *
 *   top_model.c  the counting table, filled from the tracer's hit hook:
 *                (pid, filename, line, function) -> calls, own time and
 *                total time in the interval in progress, in the last
 *                complete interval, since start (times from the call
 *                stacks of ui/callstack.c, fed with function__entry and
 *                function__return); and what is known of each process;
 *   top_model.c  also a snapshot of the table (plain copies of the counts)
 *                that the views sort and filter, so that a paused screen
 *                can still be re-sorted while counting goes on;
 *   top_view.c   the ncurses screen, drawn from a snapshot;
 *   top_batch.c  the plain-text and JSON tables of batch mode;
 *   top.c        the command: options, hooks, the key table, the loop.
 *
 * Data flows one way: tracer -> model -> snapshot -> view.  The views
 * never call the tracer and never change the model.
 */
#ifndef PTAP_UI_TOP_H
#define PTAP_UI_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracer/event.h"
#include "ui/callstack.h"

/* Time spent in a frame: own (no Python callee running) and total (from
 * its entry to its return, a recursion counted once), in ns. */
struct top_time {
	uint64_t own_ns;
	uint64_t total_ns;
};

/* One counted frame.  Entries are never freed before the model is (reset
 * only zeroes their counts), so their strings stay valid for snapshots. */
struct top_entry {
	uint64_t hash;             /* of the whole key */
	char *filename;            /* owned, NUL-terminated after len bytes */
	char *function;
	uint32_t filename_len;
	uint32_t function_len;
	pid_t pid;
	int64_t line;              /* co_firstlineno, as function__entry gives it */
	uint64_t cur;              /* calls in the interval in progress */
	uint64_t last;             /* calls in the last complete interval */
	uint64_t total;            /* calls since start or the last reset */
	struct top_time time_cur;  /* times in the interval in progress, */
	struct top_time time_last; /* in the last complete one, */
	struct top_time time_sum;  /* since start or the last reset */
};

/* A traced process, as the hooks reported it. */
struct top_proc {
	pid_t pid;
	bool ended;                /* its exit was reported */
	unsigned python_version;   /* 0x030b0000 for 3.11; 0 until known */
};

struct top_model {
	struct top_entry *entries;
	size_t nentries, cap;
	uint32_t *slots;           /* hash table: entry index + 1, 0 = empty */
	size_t mask;               /* slots - 1, a power of two less one */
	uint64_t events_cur;       /* function__entry hits this interval */
	uint64_t events_last;      /* ... in the last complete interval */
	uint64_t events_total;     /* ... since start or the last reset */
	uint64_t hits_cur;         /* entries and returns this interval */
	uint64_t hits_last;        /* ... in the last complete interval */
	uint64_t unreadable_total; /* hits whose filename or function could
	                              not be read (counted as "<unreadable>") */
	uint64_t cur_start_ns;     /* start of the interval in progress */
	uint64_t last_start_ns;    /* the last complete interval: start ... */
	uint64_t last_end_ns;      /* ... and end (0, 0 before the first) */
	uint64_t reset_ns;         /* when cumulative counting began */
	unsigned long intervals;   /* intervals completed */
	struct top_proc *procs;
	size_t nprocs, proccap;
	bool timed;                /* times kept (returns traced too) */
	struct callstack stacks;   /* per thread; credits go to entries */
};

/* timed: keep own and total times, from entries and returns. */
void top_model_init(struct top_model *m, uint64_t now_ns, bool timed);
void top_model_free(struct top_model *m);
/* One function__entry or function__return hit (args: filename,
 * function, line): entries are counted, both are timed. */
void top_model_event(struct top_model *m, const struct event *ev);
/* What one hit costs the traced thread, subtracted from times. */
void top_model_set_overhead(struct top_model *m, uint64_t ns);
/* Close the interval in progress at now_ns: running frames are credited
 * up to now_ns, then its counts become "last". */
void top_model_roll(struct top_model *m, uint64_t now_ns);
/* Zero every count (interval and cumulative) and start over at now_ns. */
void top_model_reset(struct top_model *m, uint64_t now_ns);
/* The record of pid, created if new. */
struct top_proc *top_model_proc(struct top_model *m, pid_t pid);
/* Tracing of pid began at now_ns (attach, launch or fork). */
void top_model_proc_start(struct top_model *m, pid_t pid, uint64_t now_ns);
/* pid ended, or executed another program: its running frames are
 * credited up to now_ns and its stacks forgotten. */
void top_model_proc_end(struct top_model *m, pid_t pid, uint64_t now_ns);
/* ns as the table shows a time: "0", "12.3us", "4.5ms", "1.25s", "75s". */
void top_format_ns(char *buf, size_t size, uint64_t ns);

/* The table's columns, in display order. */
enum top_col {
	TOP_COL_PID,
	TOP_COL_FILENAME,
	TOP_COL_LINE,
	TOP_COL_FUNCTION,
	TOP_COL_CALLS,
	TOP_COL_OWN,
	TOP_COL_TOTAL,
	TOP_NCOLS,
};
extern const char *const top_col_names[TOP_NCOLS];   /* "PID", ... */
extern const char *const top_col_keywords[TOP_NCOLS]; /* "pid", ... for --sort */

/* A row of a snapshot: the counts of one entry when it was taken. */
struct top_row {
	const char *filename;      /* the entry's strings (stable) */
	const char *function;
	uint32_t filename_len;
	uint32_t function_len;
	pid_t pid;
	int64_t line;
	uint64_t last;
	uint64_t total;
	struct top_time time_last;
	struct top_time time_sum;
};

struct top_snapshot {
	struct top_row *rows;
	size_t n, cap;
	uint64_t events_last, events_total, unreadable_total;
	uint64_t hits_last;        /* entries and returns in the last interval */
	uint64_t overhead_ns;      /* subtracted per hit from times; 0 none */
	bool timed;
	uint64_t last_start_ns, last_end_ns, reset_ns;
	uint64_t taken_ns;
	unsigned long intervals;
};

/* How to pick and order rows.  The order is total: after the chosen
 * column (numbers: most first; names: ascending), ties go by calls (more
 * first), pid, filename, line, function (ascending, strings bytewise);
 * reverse turns the whole list upside down. */
struct top_order {
	enum top_col col;
	bool reverse;
	bool cumulative;           /* total counts, not the last interval's */
	const char *filter;        /* substring of filename or function,
	                              ASCII case ignored; NULL or "" = all */
	pid_t pid;                 /* only this process's rows; 0 = all */
};

void top_snapshot_take(struct top_snapshot *s, const struct top_model *m, uint64_t now_ns);
void top_snapshot_free(struct top_snapshot *s);
/* Fill *sel with the rows that have calls or time in o's mode and match
 * its filter, in o's order; returns how many.  *sel is grown as needed. */
size_t top_snapshot_select(const struct top_snapshot *s, const struct top_order *o,
			   const struct top_row ***sel, size_t *selcap);
static inline uint64_t top_row_calls(const struct top_row *r, bool cumulative)
{
	return cumulative ? r->total : r->last;
}
static inline const struct top_time *top_row_time(const struct top_row *r, bool cumulative)
{
	return cumulative ? &r->time_sum : &r->time_last;
}
/* The calls a share is relative to: events of the interval, or total. */
static inline uint64_t top_snapshot_events(const struct top_snapshot *s, bool cumulative)
{
	return cumulative ? s->events_total : s->events_last;
}

/* Batch mode (top_batch.c): one table per call, onto f. */
struct top_table {
	const struct top_snapshot *snap;
	const struct top_row *const *rows;
	size_t nrows;              /* rows printed */
	size_t nmatched;           /* rows that matched, before -n */
	bool cumulative;
	bool final;                /* the table printed when tracing ended */
	uint64_t arg_errors;       /* the tracer's unreadable arguments */
};
void top_batch_text(FILE *f, const struct top_table *t);
void top_batch_json(FILE *f, const struct top_table *t);

/* The interactive screen (top_view.c). */
enum top_state {
	TOP_RUNNING,
	TOP_PAUSED,
	TOP_ENDED,                 /* every target ended; the last table stays */
};

struct top_screen {
	const struct top_snapshot *snap;
	const struct top_model *model;     /* processes, for the header */
	const struct top_row *const *rows; /* selected and ordered */
	size_t nrows;
	const struct top_order *order;
	const char *target;        /* the command line, or "pid A, B" */
	enum top_state state;
	const char *end_note;      /* TOP_ENDED: "exit 0", "killed by SIGTERM" */
	uint64_t elapsed_ns;
	uint64_t arg_errors;
	double in_ptap;            /* share of the traced threads' time spent on
	                              tracing in the last interval (tracer_cost),
	                              < 0 unknown */
	double interval_s;         /* the interval asked for */
	unsigned max_rows;         /* -n; 0 = as many as fit */
	size_t first;              /* the first row shown (scrolling); the view
	                              shows rows[first ...] as far as they fit */
	bool help;                 /* the help page instead of the table */
	bool editing;              /* the filter is being typed */
	const char *edit_text;
	const char *status;        /* the status line: notices, hints */
	bool status_is_notice;     /* shown in the warning role ... */
	bool status_wrap;          /* ... and wrapped over lines, whole */
	const char *empty_why;     /* why nothing is counted, for an empty table */
	bool whole;                /* the whole system (no target): the counts */
	unsigned whole_traced;     /* processes traced now, */
	unsigned whole_skipped;    /* and skipped (session_all.c) */
};

/* A key's entry in the help page and key bar, from top.c's key table. */
struct top_key_help {
	const char *keys;          /* "q", "space p", ... for the help page */
	const char *bar_keys;      /* the keys as the key bar shows them ... */
	const char *bar;           /* ... and their label; NULL: not in the bar */
	const char *bar_short;     /* the label when the long ones do not fit */
	const char *help;          /* one line for the help page */
};

/* Keys as top_view_key returns them besides plain bytes. */
enum {
	TOP_KEY_NONE = -1,
	TOP_KEY_ESC = 27,
	TOP_KEY_BACKSPACE = 127,   /* also ^H and the terminal's backspace key */
	TOP_KEY_RESIZE = 0x1000,   /* the terminal changed size */
	TOP_KEY_OTHER,             /* a function key top does not use */
	TOP_KEY_UP,                /* scrolling: arrows, */
	TOP_KEY_DOWN,
	TOP_KEY_PGUP,              /* pages, */
	TOP_KEY_PGDN,
	TOP_KEY_HOME,              /* the ends */
	TOP_KEY_END,
	TOP_KEY_F1,                /* help and quit, as in htop */
	TOP_KEY_F10,
};

/* Whether curses can drive the terminal on fd: 0, -ENOENT (TERM unset or
 * not in the terminfo database) or -ENOTSUP (it cannot move the cursor,
 * as TERM=dumb). */
int top_view_check(int fd);
int top_view_open(FILE *in);
void top_view_close(void);
/* Leave the screen for a job-control stop (resumed false), and draw it
 * whole again after (true). */
void top_view_suspend(bool resumed);
/* How many rows of the table fit on the screen as scr would draw it
 * (after -n), so that scrolling knows a page. */
size_t top_view_page(const struct top_screen *scr);
/* Draw everything into the virtual screen and send the difference. */
void top_view_draw(const struct top_screen *scr, const struct top_key_help *keys, size_t nkeys);
/* The next key, waiting at most wait_ms (0: do not wait); TOP_KEY_NONE
 * if none came.  Enter is '\n'. */
int top_view_key(int wait_ms);

#endif

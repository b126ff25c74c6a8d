/*
 * ptap top: the busiest Python frames, refreshed every interval.
 *
 * Counts python:function__entry per (pid, filename, line, function), with
 * each frame's own and total time from the entries and returns
 * (python:function__return; --no-times leaves returns and times out), and
 * shows the top rows, by default the calls of the last interval (counts
 * start again every interval), or since the start with --cumulative.
 *
 * How it runs: the tracer calls top_on_event for every hit (counting
 * only, see top_model.c) and top_on_tick every TICK_MS from its loop.
 * The tick closes an interval when its time is up, then either prints a
 * table (batch mode) or reads the keys and redraws the screen
 * (interactive mode).  Keys go through top_keys[]: each action changes
 * the state and returns flags saying what must follow (a new snapshot, a
 * new selection, a redraw, the end), which top_apply() carries out; no
 * action draws.  When every target has ended, tracer_run returns and the
 * last table stays on the screen until q.
 *
 * Interactive mode owns the terminal, so nothing else may write to it: a
 * launched command gets /dev/null as stdin and a log file
 * ($TMPDIR/ptap-top-PID.log) as stdout and stderr; ptap's own stderr goes
 * to the same log while the screen is up, and the engine's notices show
 * on the status line too.  The log is removed at the end if it is empty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "ui/commands.h"
#include "ui/session.h"
#include "ui/top.h"

#define TICK_MS 20                      /* how late an interval may end */
#define MSG_NS (3 * 1000000000ull)      /* how long an action's message stays */
#define FILTER_MAX 128

struct top {
	struct session s;
	struct top_model model;
	struct top_snapshot snap;
	const struct top_row **sel;      /* the snapshot's rows, filtered and ordered */
	size_t nsel, selcap;
	struct top_order order;
	char filter[FILTER_MAX];         /* what order.filter points to */

	bool batch;                      /* -b */
	bool no_times;                   /* --no-times: count calls only */
	bool interactive;
	double interval_s;
	uint64_t next_roll_ns;           /* on the tracer's clock */
	unsigned max_rows;               /* -n; 0 = all (batch), as many as fit */
	unsigned long iterations;        /* --iterations; 0 = no limit */
	unsigned long tables;            /* printed so far (batch), or refreshes */
	struct tracer_cost cost_prev;    /* tracer_cost samples at the last two */
	struct tracer_cost cost_last;    /* interval ends, for the "in ptap" share */

	/* the screen's state */
	enum top_state state;
	bool help;
	bool editing;                    /* the filter line has the keys */
	size_t first;                    /* the first row shown (scrolling) */
	size_t page;                     /* rows the last draw could show */
	char *target;                    /* for the title line */
	char end_note[64];
	char msg[256];                   /* an action's message ... */
	char skip_shown[256];            /* the last skipped process said (whole system) */
	uint64_t msg_until_ns;           /* ... shown until then */
	uint64_t drawn_second;           /* the clock last drawn */
	uint64_t ended_ns;               /* when tracing ended: the clock stops */

	/* where output goes while the screen is up */
	char *log_path;
	int log_fd;
	int null_fd;
	int saved_stderr;
	FILE *tty_in;
	unsigned long notices;
	char *last_notice;
	bool notice_unseen;              /* shown whole until a key is pressed */

	/* batch mode into a file (-o) from a terminal: q stops */
	int key_fd;                      /* the terminal, or -1 */
	struct termios key_tio;          /* its settings before ptap's */
};

/* What an action asks for; top_apply() does it. */
enum {
	TOP_REDRAW = 1 << 0,
	TOP_RESELECT = 1 << 1 | TOP_REDRAW,  /* order or filter changed */
	TOP_RESNAP = 1 << 2 | TOP_RESELECT,  /* new counts to show (not while paused) */
	TOP_FRESH = 1 << 3 | TOP_RESELECT,   /* new counts to show, even while paused */
	TOP_QUIT = 1 << 4,
};

static const double interval_steps[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60 };

static void top_message(struct top *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static bool top_batch_quit_key(struct top *t);

static void top_message(struct top *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_until_ns = tracer_elapsed_ns(t->s.tracer) + MSG_NS;
}

static uint64_t interval_ns(const struct top *t)
{
	return (uint64_t)(t->interval_s * 1e9 + 0.5);
}

/* ---- Actions: change the state, return what must follow ---- */

static unsigned act_quit(struct top *t UNUSED, int key UNUSED)
{
	return TOP_QUIT;
}

static unsigned act_help(struct top *t, int key UNUSED)
{
	t->help = !t->help;
	return TOP_REDRAW;
}

static unsigned act_pause(struct top *t, int key UNUSED)
{
	if (t->state == TOP_ENDED)
		return 0;
	t->state = t->state == TOP_PAUSED ? TOP_RUNNING : TOP_PAUSED;
	top_message(t, t->state == TOP_PAUSED ? "display paused; counting goes on" : "resumed");
	return TOP_RESNAP;
}

static unsigned act_cumulative(struct top *t, int key UNUSED)
{
	t->order.cumulative = !t->order.cumulative;
	t->first = 0;
	top_message(t, t->order.cumulative ? "cumulative: calls since the start or the last reset"
					   : "per interval: calls in the last interval");
	return TOP_RESNAP;
}

static unsigned act_reset(struct top *t, int key UNUSED)
{
	uint64_t now = tracer_elapsed_ns(t->s.tracer);

	top_model_reset(&t->model, now);
	t->next_roll_ns = now + interval_ns(t);
	top_message(t, "counts reset");
	return TOP_FRESH;
}

static unsigned sort_by(struct top *t, enum top_col col)
{
	t->order.col = col;
	t->order.reverse = false;
	t->first = 0;
	return TOP_RESELECT;
}

/* The columns the keys go through: the time columns only when timed. */
static unsigned sort_columns(const struct top *t)
{
	return t->model.timed ? TOP_NCOLS : TOP_COL_CALLS + 1;
}

static unsigned act_sort_prev(struct top *t, int key UNUSED)
{
	return sort_by(t, (t->order.col + sort_columns(t) - 1) % sort_columns(t));
}

static unsigned act_sort_next(struct top *t, int key UNUSED)
{
	return sort_by(t, (t->order.col + 1) % sort_columns(t));
}

static unsigned act_reverse(struct top *t, int key UNUSED)
{
	t->order.reverse = !t->order.reverse;
	t->first = 0;
	return TOP_RESELECT;
}

static unsigned act_filter(struct top *t, int key UNUSED)
{
	t->editing = true;
	return TOP_REDRAW;
}

static unsigned act_clear_filter(struct top *t, int key UNUSED)
{
	if (!t->filter[0])
		return 0;
	t->filter[0] = 0;
	t->first = 0;
	top_message(t, "filter cleared");
	return TOP_RESELECT;
}

static unsigned set_interval(struct top *t, double secs)
{
	t->interval_s = secs;
	/* the interval in progress ends when the new length says */
	t->next_roll_ns = t->model.cur_start_ns + interval_ns(t);
	top_message(t, "interval %g s", secs);
	return TOP_REDRAW;
}

static unsigned act_longer(struct top *t, int key UNUSED)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(interval_steps); i++)
		if (interval_steps[i] > t->interval_s + 1e-9)
			return set_interval(t, interval_steps[i]);
	return 0;
}

static unsigned act_shorter(struct top *t, int key UNUSED)
{
	size_t i;

	for (i = ARRAY_SIZE(interval_steps); i-- > 0;)
		if (interval_steps[i] < t->interval_s - 1e-9)
			return set_interval(t, interval_steps[i]);
	return 0;
}

/* Narrow the table to the pid of the first row shown, or back to all. */
static unsigned act_one_pid(struct top *t, int key UNUSED)
{
	if (t->order.pid) {
		t->order.pid = 0;
		top_message(t, "every process");
	} else if (t->first < t->nsel) {
		t->order.pid = t->sel[t->first]->pid;
		top_message(t, "only pid %d (P again: every process)", (int)t->order.pid);
	} else {
		return 0;
	}
	t->first = 0;
	return TOP_RESELECT;
}

/* Scrolling moves the first row shown; top_draw keeps it in range. */
static unsigned act_scroll(struct top *t, int key)
{
	size_t page = t->page ? t->page : 1;

	switch (key) {
	case TOP_KEY_UP:
		t->first -= t->first > 0;
		break;
	case TOP_KEY_DOWN:
		t->first++;
		break;
	case TOP_KEY_PGUP:
		t->first = t->first > page ? t->first - page : 0;
		break;
	case TOP_KEY_PGDN:
		t->first += page;
		break;
	case TOP_KEY_HOME:
		t->first = 0;
		break;
	default:
		t->first = SIZE_MAX / 2;
	}
	return TOP_REDRAW;
}

static const struct top_binding {
	int keys[3];                     /* 0-terminated if fewer */
	unsigned (*act)(struct top *t, int key);
	struct top_key_help help;
} top_keys[] = {
	{ { 'q', TOP_KEY_F10 }, act_quit,
	  { "q F10", "q", "Quit", "Quit", "quit: detach (attached processes go on running)" } },
	{ { 'h', '?', TOP_KEY_F1 }, act_help, { "h ? F1", "h", "Help", "Help", "this page" } },
	{ { ' ', 'p' }, act_pause,
	  { "space p", "p", "Pause", "Pause", "pause or resume the display; counting goes on" } },
	{ { 'c' }, act_cumulative,
	  { "c", "c", "Cumulative", "Cumul",
	    "cumulative counts since start or reset, or per interval" } },
	{ { 'r' }, act_reset, { "r", "r", "Reset", "Reset", "reset every count to zero" } },
	{ { '<' }, act_sort_prev, { "<", "<>", "Sort", "Sort", "sort by the column to the left" } },
	{ { '>', 's' }, act_sort_next, { "> s", NULL, NULL, NULL, "sort by the column to the right" } },
	{ { 'R' }, act_reverse, { "R", "R", "Reverse", "Rev", "reverse the order" } },
	{ { 'P' }, act_one_pid,
	  { "P", "P", "Pid", "Pid", "only the pid of the first row shown, or every pid again" } },
	{ { '/' }, act_filter,
	  { "/", "/", "Filter", "Filter", "show frames whose file or function contains a text" } },
	{ { TOP_KEY_ESC }, act_clear_filter, { "Esc", NULL, NULL, NULL, "clear the filter" } },
	{ { '+' }, act_longer, { "+", "+-", "Interval", "Interval", "longer refresh interval" } },
	{ { '-' }, act_shorter, { "-", NULL, NULL, NULL, "shorter refresh interval" } },
	{ { TOP_KEY_UP, TOP_KEY_DOWN }, act_scroll,
	  { "Up Down", NULL, NULL, NULL, "scroll the table by a row" } },
	{ { TOP_KEY_PGUP, TOP_KEY_PGDN }, act_scroll,
	  { "PgUp PgDn", NULL, NULL, NULL, "scroll by a page" } },
	{ { TOP_KEY_HOME, TOP_KEY_END }, act_scroll,
	  { "Home End", NULL, NULL, NULL, "the first rows, the last rows" } },
};

static struct top_key_help top_key_help[ARRAY_SIZE(top_keys)];

/* The filter line: printable bytes edit it, Enter keeps it, Esc clears it. */
static unsigned top_edit_key(struct top *t, int c)
{
	size_t len = strlen(t->filter);

	switch (c) {
	case TOP_KEY_ESC:
		t->filter[0] = 0;
		t->editing = false;
		t->first = 0;
		return TOP_RESELECT;
	case '\n':
		t->editing = false;
		return TOP_RESELECT;
	case TOP_KEY_BACKSPACE:
		/* a whole UTF-8 character */
		while (len && ((unsigned char)t->filter[len - 1] & 0xc0) == 0x80)
			len--;
		if (len)
			len--;
		t->filter[len] = 0;
		return TOP_RESELECT;
	default:
		if (c < 0x20 || c > 0xff || len + 1 >= sizeof(t->filter))
			return 0;
		t->filter[len] = (char)c;
		t->filter[len + 1] = 0;
		t->first = 0;
		return TOP_RESELECT;
	}
}

static unsigned top_key(struct top *t, int c)
{
	unsigned flags = 0;
	size_t i, k;

	if (c == TOP_KEY_RESIZE)
		return TOP_REDRAW;
	/* a key: the notice on the status line has been seen */
	if (t->notice_unseen) {
		t->notice_unseen = false;
		flags = TOP_REDRAW;
	}
	if (c == TOP_KEY_OTHER)
		return flags;
	if (t->editing)
		return flags | top_edit_key(t, c);
	if (t->help) {
		/* as the page says, any key returns (q and F10 too: no quit) */
		t->help = false;
		return TOP_REDRAW;
	}
	for (i = 0; i < ARRAY_SIZE(top_keys); i++)
		for (k = 0; k < ARRAY_SIZE(top_keys[i].keys) && top_keys[i].keys[k]; k++)
			if (top_keys[i].keys[k] == c)
				return flags | top_keys[i].act(t, c);
	return flags;
}

/* ---- The screen ---- */

static void top_reselect(struct top *t)
{
	t->order.filter = t->filter;
	t->nsel = top_snapshot_select(&t->snap, &t->order, &t->sel, &t->selcap);
}

static void top_update_procs(struct top *t)
{
	struct tracer_proc_info info;
	size_t i;

	for (i = 0; i < t->model.nprocs; i++) {
		struct top_proc *p = &t->model.procs[i];

		if (p->ended || p->python_version)
			continue;
		if (!tracer_process_info(t->s.tracer, p->pid, &info))
			p->python_version = info.python_version;
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Whether any selected probe has been armed anywhere so far. */
static bool top_anything_armed(const struct top *t)
{
	return t->s.sel.n && t->s.sel.pats[0].matched;
}

/*
 * The status line: an action's message; else a notice not yet seen,
 * whole (wrapped); else, while nothing is armed and nobody said why,
 * that; else where the command's output goes, what q does, what is
 * armed, and how many notices the log holds.
 */
static const char *top_status(struct top *t, uint64_t now, const struct tracer_stats *st,
			      struct top_screen *scr)
{
	static char buf[1024];
	int n;

	if (t->msg[0] && now < t->msg_until_ns)
		return t->msg;
	if (t->last_notice && t->notice_unseen) {
		scr->status_is_notice = scr->status_wrap = true;
		if (t->notices > 1)
			snprintf(buf, sizeof(buf), "%s  [%lu notices, all in %s]", t->last_notice,
				 t->notices, t->log_path);
		else
			snprintf(buf, sizeof(buf), "%s", t->last_notice);
		return buf;
	}
	if (t->s.whole && session_all_last_skip(&t->s) &&
	    strcmp(session_all_last_skip(&t->s), t->skip_shown)) {
		/* a process newly skipped: said once, for a while */
		snprintf(t->skip_shown, sizeof(t->skip_shown), "%s", session_all_last_skip(&t->s));
		top_message(t, "skipped: %s", t->skip_shown);
		return t->msg;
	}
	if (!top_anything_armed(t) && !scr->empty_why && t->state != TOP_ENDED) {
		scr->status_is_notice = true;
		return "nothing armed yet";
	}
	if (t->s.cmd && t->log_path && t->notices)
		n = snprintf(buf, sizeof(buf), "command output and %lu notice%s: %s", t->notices,
			     plural(t->notices), t->log_path);
	else if (t->s.cmd && t->log_path)
		n = snprintf(buf, sizeof(buf), "command output: %s", t->log_path);
	else if (t->notices)
		n = snprintf(buf, sizeof(buf), "%lu notice%s in %s   q detaches; the processes go "
			     "on running", t->notices, plural(t->notices), t->log_path);
	else
		n = snprintf(buf, sizeof(buf), "q detaches; the processes go on running");
	if (t->state != TOP_ENDED && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n,
			 "   %u thread%s, %llu site%s armed, %llu semaphore%s raised", st->threads,
			 plural(st->threads), (unsigned long long)st->sites_armed,
			 plural(st->sites_armed), (unsigned long long)st->semaphores,
			 plural(st->semaphores));
	return buf;
}

/* The share of the traced threads' time that tracing took in the last
 * interval, from the tracer's two samples; < 0 if not known. */
static double top_in_ptap(const struct top *t)
{
	uint64_t threads = t->cost_last.thread_ns - t->cost_prev.thread_ns;

	if (!t->tables || !threads)
		return -1;      /* before the first interval's end */
	return (double)tracer_cost_held(&t->cost_prev, &t->cost_last, NULL) / (double)threads;
}

static void top_draw(struct top *t)
{
	struct tracer_stats st;
	struct top_screen scr;
	uint64_t now = tracer_elapsed_ns(t->s.tracer);

	top_update_procs(t);
	tracer_get_stats(t->s.tracer, &st);
	memset(&scr, 0, sizeof(scr));
	scr.snap = &t->snap;
	scr.model = &t->model;
	scr.rows = t->sel;
	scr.nrows = t->nsel;
	scr.order = &t->order;
	scr.target = t->target;
	scr.state = t->state;
	scr.end_note = t->state == TOP_ENDED && t->end_note[0] ? t->end_note : NULL;
	scr.elapsed_ns = t->state == TOP_ENDED ? t->ended_ns : now;
	scr.arg_errors = st.arg_errors;
	scr.in_ptap = top_in_ptap(t);
	scr.interval_s = t->interval_s;
	scr.max_rows = t->max_rows;
	scr.help = t->help;
	scr.editing = t->editing;
	scr.edit_text = t->filter;
	if (!top_anything_armed(t))
		scr.empty_why = t->s.unarmed_why;
	if (t->s.whole) {
		scr.whole = true;
		session_all_counts(&t->s, &scr.whole_traced, &scr.whole_skipped);
	}
	scr.status = top_status(t, now, &st, &scr);
	/* keep the page within the rows: the end shows a full page */
	t->page = top_view_page(&scr);
	if (t->nsel <= t->page)
		t->first = 0;
	else if (t->first > t->nsel - t->page)
		t->first = t->nsel - t->page;
	scr.first = t->first;
	top_view_draw(&scr, top_key_help, ARRAY_SIZE(top_key_help));
	t->drawn_second = now / 1000000000u;
}

static void top_apply(struct top *t, unsigned flags)
{
	uint64_t now = tracer_elapsed_ns(t->s.tracer);

	if ((flags & TOP_FRESH) == TOP_FRESH ||
	    ((flags & TOP_RESNAP) == TOP_RESNAP && t->state == TOP_RUNNING))
		top_snapshot_take(&t->snap, &t->model, now);
	if ((flags & TOP_RESELECT) == TOP_RESELECT)
		top_reselect(t);
	if (flags & TOP_REDRAW)
		top_draw(t);
}

/* ---- Batch tables ---- */

static void top_print(struct top *t, bool final)
{
	struct tracer_stats st;
	struct top_table tab;

	top_snapshot_take(&t->snap, &t->model, tracer_elapsed_ns(t->s.tracer));
	top_reselect(t);
	tracer_get_stats(t->s.tracer, &st);
	memset(&tab, 0, sizeof(tab));
	tab.snap = &t->snap;
	tab.rows = t->sel;
	tab.nmatched = t->nsel;
	tab.nrows = t->max_rows && t->nsel > t->max_rows ? t->max_rows : t->nsel;
	tab.cumulative = t->order.cumulative;
	tab.final = final;
	tab.arg_errors = st.arg_errors;
	if (t->s.json)
		top_batch_json(t->s.out, &tab);
	else
		top_batch_text(t->s.out, &tab);
}

/* ---- Tracer hooks ---- */

static void top_on_event(void *ctx, const struct event *ev)
{
	struct top *t = ctx;

	top_model_event(&t->model, ev);
}

/* Whether the terminal we read keys from has hung up. */
static bool terminal_gone(const struct top *t)
{
	struct pollfd pfd = { .fd = fileno(t->tty_in), .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void top_on_tick(void *ctx, uint64_t mono_ns UNUSED)
{
	struct top *t = ctx;
	uint64_t now = tracer_elapsed_ns(t->s.tracer);
	unsigned flags = 0;
	int c;

	top_model_set_overhead(&t->model, tracer_hit_overhead_ns(t->s.tracer));
	if (!t->interactive && t->key_fd >= 0 && top_batch_quit_key(t)) {
		tracer_request_stop(t->s.tracer);
		return;
	}
	if (now >= t->next_roll_ns) {
		top_model_roll(&t->model, now);
		t->next_roll_ns += interval_ns(t);
		if (t->next_roll_ns <= now)
			t->next_roll_ns = now + interval_ns(t);
		t->tables++;
		if (!t->interactive) {
			top_print(t, false);
			if (t->iterations && t->tables >= t->iterations)
				tracer_request_stop(t->s.tracer);
			return;
		}
		t->cost_prev = t->cost_last;
		tracer_cost_sample(t->s.tracer, &t->cost_last);
		flags |= TOP_RESNAP;
	}
	if (!t->interactive)
		return;
	if (terminal_gone(t)) {
		/* the terminal hung up without a SIGHUP reaching us (our
		 * parent took it, or ignores it): nobody is watching */
		tracer_request_stop(t->s.tracer);
		return;
	}
	while ((c = top_view_key(0)) >= 0)
		flags |= top_key(t, c);
	if (flags & TOP_QUIT) {
		tracer_request_stop(t->s.tracer);
		return;
	}
	if (now / 1000000000u != t->drawn_second || (t->msg[0] && now >= t->msg_until_ns)) {
		if (now >= t->msg_until_ns)
			t->msg[0] = 0;
		flags |= TOP_REDRAW;
	}
	top_apply(t, flags);
	/* --iterations: the last refresh has been drawn */
	if (t->iterations && t->tables >= t->iterations)
		tracer_request_stop(t->s.tracer);
}

static void top_on_process_start(void *ctx, pid_t pid, pid_t parent UNUSED)
{
	struct top *t = ctx;

	top_model_proc_start(&t->model, pid, tracer_elapsed_ns(t->s.tracer));
}

static void top_on_process_exec(void *ctx, pid_t pid, const char *exe UNUSED)
{
	struct top *t = ctx;

	top_model_proc_end(&t->model, pid, tracer_elapsed_ns(t->s.tracer));
}

static void top_on_process_exit(void *ctx, pid_t pid, int status UNUSED)
{
	struct top *t = ctx;

	top_model_proc(&t->model, pid)->ended = true;
	top_model_proc_end(&t->model, pid, tracer_elapsed_ns(t->s.tracer));
}

/* Job control stops ptap (its targets let go): give the terminal back,
 * and take it again when continued. */
static void top_on_paused(void *ctx, bool resumed)
{
	struct top *t = ctx;

	if (t->interactive)
		top_view_suspend(resumed);
}

static void top_on_notice(void *ctx, const char *msg)
{
	struct top *t = ctx;

	t->notices++;
	free(t->last_notice);
	t->last_notice = xstrdup(msg);
	t->notice_unseen = true;
	t->drawn_second = UINT64_MAX;   /* shown at the next tick */
	/* the terminal in batch mode, the log while the screen is up */
	fprintf(stderr, "ptap: %s\n", msg);
}

/* ---- The terminal and the log ---- */

static int top_log_open(struct top *t)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	t->log_path = xasprintf("%s/ptap-top-%d.log", dir, (int)getpid());
	t->log_fd = open(t->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->log_fd < 0) {
		fprintf(stderr, "ptap: top: %s: %s\n", t->log_path, strerror(errno));
		return -errno;
	}
	t->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (t->null_fd < 0)
		return -errno;
	return 0;
}

static void top_log_close(struct top *t)
{
	struct stat st;

	if (t->log_fd < 0)
		return;
	if (!fstat(t->log_fd, &st) && st.st_size == 0)
		unlink(t->log_path);
	else if (t->s.cmd)
		fprintf(stderr, "ptap: top: the command's output%s in %s\n",
			t->notices ? " and ptap's notices are" : " is", t->log_path);
	else
		fprintf(stderr, "ptap: top: %lu notice%s in %s\n", t->notices,
			t->notices == 1 ? "" : "s", t->log_path);
	close(t->log_fd);
	t->log_fd = -1;
}

/* Whether ptap's process group owns the terminal on fd (is the
 * foreground job): a background job that draws is stopped (SIGTTOU). */
static bool in_foreground(int fd)
{
	pid_t fg = tcgetpgrp(fd);

	return fg >= 0 && fg == getpgrp();
}

/*
 * Check early, before attaching, that the screen can work: a terminal to
 * read keys from, owned by ptap (not a background job, not a child of
 * timeout(1), which puts its command in a process group of its own), of
 * a type curses knows and able to move the cursor.  Otherwise the
 * screen would stop ptap, and with it the traced processes at their
 * next hit, or draw garbage.
 */
static int top_terminal_check(struct top *t)
{
	const char *term = getenv("TERM");
	int err;

	if (isatty(STDIN_FILENO))
		t->tty_in = stdin;
	else
		t->tty_in = fopen("/dev/tty", "re");
	if (!t->tty_in) {
		fprintf(stderr, "ptap: top: no terminal to read keys from; use -b for batch output\n");
		return EXIT_RUNTIME;
	}
	if (!in_foreground(fileno(t->tty_in))) {
		fprintf(stderr, "ptap: top: the terminal belongs to another job (ptap was started "
			"in the background, or by timeout(1) without --foreground), so the screen "
			"cannot be drawn; nothing was attached; use -b for batch output\n");
		return EXIT_RUNTIME;
	}
	err = top_view_check(STDOUT_FILENO);
	if (err == -ENOTSUP) {
		fprintf(stderr, "ptap: top: the terminal (TERM=%s) cannot move the cursor, which "
			"the screen needs; use -b for batch output, or set TERM to the terminal's "
			"type\n", term);
		return EXIT_RUNTIME;
	}
	if (err) {
		fprintf(stderr, "ptap: top: %s%s%s; use -b for batch output, or set TERM to the "
			"terminal's type\n", term && *term ? "the terminal type TERM=" : "TERM is not set",
			term && *term ? term : "", term && *term ? " is not in the terminfo database" : "");
		return EXIT_RUNTIME;
	}
	return 0;
}

/*
 * Batch mode writing into a file (-o) while a terminal looks on, with
 * -p: q stops, as on the screen.  The terminal is read byte by byte
 * without echo (canonical mode off, signals kept so that Ctrl-C still
 * works) and put back as it was at the end.  Not with a launched
 * command, which may read the terminal itself.
 */
static void top_batch_keys_open(struct top *t)
{
	struct termios tio;

	if (!t->s.output || t->s.cmd || !isatty(STDIN_FILENO) || !in_foreground(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &t->key_tio))
		return;
	tio = t->key_tio;
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio))
		return;
	t->key_fd = STDIN_FILENO;
	if (!t->s.quiet) {
		char ivl[32];

		snprintf(ivl, sizeof(ivl), "%g", t->interval_s);
		fprintf(stderr, "ptap: top: writing a table every %s s to %s; press q (or Ctrl-C) "
			"to stop\n", ivl, t->s.output);
	}
}

static void top_batch_keys_close(struct top *t)
{
	if (t->key_fd < 0)
		return;
	tcsetattr(t->key_fd, TCSANOW, &t->key_tio);
	t->key_fd = -1;
}

/* Whether q came (anything else typed is dropped). */
static bool top_batch_quit_key(struct top *t)
{
	char buf[64];
	ssize_t n, i;

	if (!in_foreground(t->key_fd))
		return false;   /* a background job reading would be stopped */
	n = read(t->key_fd, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		if (buf[i] == 'q')
			return true;
	return false;
}

static int top_screen_open(struct top *t)
{
	if (top_view_open(t->tty_in)) {
		fprintf(stderr, "ptap: top: cannot open the screen\n");
		return EXIT_RUNTIME;
	}
	fflush(stderr);
	t->saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (t->saved_stderr >= 0)
		dup2(t->log_fd, STDERR_FILENO);
	return 0;
}

static void top_screen_close(struct top *t)
{
	top_view_close();
	if (t->saved_stderr >= 0) {
		fflush(stderr);
		dup2(t->saved_stderr, STDERR_FILENO);
		close(t->saved_stderr);
		t->saved_stderr = -1;
	}
}

static volatile sig_atomic_t top_sig;

static void top_on_signal(int sig)
{
	top_sig = sig;
}

/* Every target ended (or --duration passed): keep the last table on the
 * screen until q or a stop signal. */
static void top_linger(struct top *t)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	unsigned flags;
	size_t i;
	int c, st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);

	st = t->s.launched ? tracer_launched_status(t->s.tracer) : -1;
	if (st != -1 && WIFEXITED(st) && !t->s.never_fires)
		snprintf(t->end_note, sizeof(t->end_note), "exit %d", WEXITSTATUS(st));
	else if (st != -1 && WIFSIGNALED(st) && !t->s.never_fires)
		snprintf(t->end_note, sizeof(t->end_note), "killed by %s", sigabbrev_np(WTERMSIG(st))
			 ? sigabbrev_np(WTERMSIG(st)) : "a signal");
	else if (t->s.never_fires)
		snprintf(t->end_note, sizeof(t->end_note), "nothing to trace");
	else if (t->s.stop == TSTOP_DURATION)
		snprintf(t->end_note, sizeof(t->end_note), "--duration reached");
	else
		snprintf(t->end_note, sizeof(t->end_note), "%s",
			 t->s.cmd ? "command ended" : "every process ended");
	t->ended_ns = tracer_elapsed_ns(t->s.tracer);
	if (t->model.events_cur)
		top_model_roll(&t->model, t->ended_ns);
	t->state = TOP_ENDED;
	if (t->s.cmd && t->log_path)
		top_message(t, "tracing ended; q quits.  Command output: %s", t->log_path);
	else
		top_message(t, "tracing ended; q quits");
	t->msg_until_ns = UINT64_MAX;
	top_apply(t, TOP_FRESH);
	while (!top_sig) {
		c = top_view_key(500);
		if (c < 0)
			continue;
		flags = top_key(t, c);
		if (flags & TOP_QUIT)
			break;
		top_apply(t, flags);
	}
}

/* ---- The command ---- */

/* The shared session options, without -e (top always counts
 * python:function__entry): its line and its continuation lines. */
static void top_usage(FILE *f)
{
	fprintf(f, "Usage: ptap top [OPTIONS] [-p PID[,PID...] | -- COMMAND [ARGS...]]\n"
		   "With no -p and no command: every process whose Python has the markers,\n"
		   "those started later too.\n"
		   "Show the Python functions called most, per (pid, file, line, function), with\n"
		   "their own and total time, refreshed every interval (python:function__entry\n"
		   "and python:function__return).\n"
		   "\nOptions:\n"
		   "  -n, --rows N            show at most N rows (default: as many as fit on\n"
		   "                          the screen; all in batch mode); not top(1)'s -n,\n"
		   "                          which is --iterations here\n"
		   "  -d, --delay SECONDS     refresh interval (1; fractions allowed, >= 0.1)\n"
		   "      --iterations N      stop after N refreshes (batch: N tables)\n"
		   "      --cumulative        count since the start, not per interval\n"
		   "      --sort COLUMN       PID, FILENAME, LINE, FUNCTION, CALLS (the default),\n"
		   "                          OWN or TOTAL, in any case\n"
		   "      --no-times          count calls only: no OWN and TOTAL, no returns traced\n"
		   "  -b, --batch             print plain tables (the default when standard\n"
		   "                          output is not a terminal)\n"
		   "      --json              batch: one JSON object per table\n");
	fputs(session_options_help, f);
	fprintf(f, "  -h, --help              show this help\n"
		   "\nTimes are corrected for what ptap's own work at each call and return costs\n"
		   "the traced thread (the header says by how much).\n"
		   "\nKeys: q quit, h help, space/p pause, c cumulative, r reset, < > s sort,\n"
		   "R reverse, / filter (Esc clears), P one pid, + - interval, arrows PgUp PgDn Home End\n"
		   "scroll.  See ptap(1).\n");
}

enum {
	TOP_OPT_CUMULATIVE = 0x2000,
	TOP_OPT_ITERATIONS,
	TOP_OPT_SORT,
	TOP_OPT_NO_TIMES,
};

static int top_option(void *ctx, int c, const char *arg)
{
	struct top *t = ctx;
	uint64_t n;
	double d;
	int i;

	switch (c) {
	case 'n':
		if (parse_u64(arg, &n) || n > 100000)
			return usage_error("top", "-n wants a number of rows, not '%s'", arg);
		t->max_rows = (unsigned)n;
		return 1;
	case 'd':
		if (parse_seconds(arg, &d) || d < 0.1 || d > 3600)
			return usage_error("top", "-d wants seconds from 0.1 to 3600, not '%s'", arg);
		t->interval_s = d;
		return 1;
	case 'b':
		t->batch = true;
		return 1;
	case TOP_OPT_CUMULATIVE:
		t->order.cumulative = true;
		return 1;
	case TOP_OPT_ITERATIONS:
		if (parse_u64(arg, &n) || n == 0 || n > 1000000000)
			return usage_error("top", "--iterations wants a positive number, not '%s'", arg);
		t->iterations = (unsigned long)n;
		return 1;
	case TOP_OPT_SORT:
		for (i = 0; i < TOP_NCOLS; i++)
			if (!strcasecmp(arg, top_col_keywords[i])) {
				t->order.col = (enum top_col)i;
				return 1;
			}
		return usage_error("top", "--sort wants pid, filename, line, function, calls, own "
				   "or total, not '%s'", arg);
	case TOP_OPT_NO_TIMES:
		t->no_times = true;
		return 1;
	default:
		return 0;
	}
}

static int top_parse(struct top *t, int argc, char **argv)
{
	static const char *const timed[] = { "python:function__entry", "python:function__return",
					     NULL };
	static const char *const untimed[] = { "python:function__entry", NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "rows", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "cumulative", no_argument, NULL, TOP_OPT_CUMULATIVE },
		{ "iterations", required_argument, NULL, TOP_OPT_ITERATIONS },
		{ "sort", required_argument, NULL, TOP_OPT_SORT },
		{ "no-times", no_argument, NULL, TOP_OPT_NO_TIMES },
		SESSION_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int r;

	t->s.all_if_no_target = true;
	t->s.fixed_probes = "top counts python:function__entry and times it with __return; "
			    "-e is for ptap trace";
	r = session_parse(&t->s, argc, argv, "+:hbn:d:" SESSION_SHORT, longopts, top_option, t,
			  top_usage, NULL);
	if (r)
		return r;
	/* the probes, once --no-times is known (session_parse would add
	 * defaults before it is) */
	r = session_finish_args(&t->s, argc, argv, t->no_times ? untimed : timed);
	if (r)
		return r;
	if (t->no_times && (t->order.col == TOP_COL_OWN || t->order.col == TOP_COL_TOTAL))
		return usage_error("top", "--sort %s needs times (no --no-times)",
				   top_col_keywords[t->order.col]);
	top_model_init(&t->model, 0, !t->no_times);
	/* counting alone: the in-process engine may count inside the target */
	t->s.cfg.aggregate = t->no_times;
	t->interactive = !t->batch && !t->s.json && !t->s.output && isatty(STDOUT_FILENO);
	return 0;
}

/* "the command line" or "pid A, B" for the title. */
static char *top_target_text(const struct session *s)
{
	size_t i, len = 0, cap = 256;
	char *buf = xmalloc(cap);

	buf[0] = 0;
	if (s->cmd) {
		for (i = 0; s->cmd[i] && len + 1 < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", s->cmd[i]);
	} else if (s->all) {
		snprintf(buf, cap, "every process with Python markers");
	} else {
		for (i = 0; i < s->npids && len + 1 < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? ", " : "pid ",
						s->pids[i]);
	}
	return buf;
}

static void top_init(struct top *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	session_init(&t->s, "top");
	t->order.col = TOP_COL_CALLS;
	t->order.filter = t->filter;
	t->interval_s = 1;
	t->log_fd = t->null_fd = t->saved_stderr = t->key_fd = -1;
	for (i = 0; i < ARRAY_SIZE(top_keys); i++)
		top_key_help[i] = top_keys[i].help;
}

static void top_free(struct top *t)
{
	top_batch_keys_close(t);
	top_screen_close(t);
	top_log_close(t);
	if (t->null_fd >= 0)
		close(t->null_fd);
	if (t->tty_in && t->tty_in != stdin)
		fclose(t->tty_in);
	session_free(&t->s);
	top_model_free(&t->model);
	top_snapshot_free(&t->snap);
	free(t->sel);
	free(t->target);
	free(t->log_path);
	free(t->last_notice);
}

int cmd_top(int argc, char **argv)
{
	static const struct tracer_hooks hooks = {
		.event = top_on_event,
		.tick = top_on_tick,
		.process_start = top_on_process_start,
		.process_exec = top_on_process_exec,
		.process_exit = top_on_process_exit,
		.notice = top_on_notice,
		.paused = top_on_paused,
	};
	struct top t;
	int r;

	top_init(&t);
	r = top_parse(&t, argc, argv);
	if (r) {
		top_free(&t);
		return r < 0 ? EXIT_OK : r;
	}
	t.target = top_target_text(&t.s);
	/* P is in the key bar on the whole system, where there are many pids */
	for (size_t i = 0; i < ARRAY_SIZE(top_keys) && !t.s.all; i++)
		if (top_keys[i].act == act_one_pid)
			top_key_help[i].bar = top_key_help[i].bar_keys = NULL;
	t.s.cfg.tick_ms = TICK_MS;
	t.s.cfg.calibrate = true;       /* for the share of time in ptap */
	if (t.interactive) {
		r = top_terminal_check(&t);
		if (!r && top_log_open(&t))
			r = EXIT_RUNTIME;
		if (r) {
			top_free(&t);
			return r;
		}
		/* the header says what is traced; the log gets the command's output */
		t.s.quiet = true;
		t.s.cfg.quiet = true;
		t.s.whole_screen = true;
		t.s.cfg.child_redirect = true;
		t.s.cfg.child_fd[0] = t.null_fd;
		t.s.cfg.child_fd[1] = t.log_fd;
		t.s.cfg.child_fd[2] = t.log_fd;
	}
	r = session_start(&t.s, &hooks, &t);
	if (!r && t.interactive)
		r = top_screen_open(&t);
	if (r) {
		top_free(&t);
		return r;
	}
	t.next_roll_ns = tracer_elapsed_ns(t.s.tracer) + interval_ns(&t);
	tracer_cost_sample(t.s.tracer, &t.cost_last);
	if (t.interactive)
		top_apply(&t, TOP_RESNAP);
	else
		top_batch_keys_open(&t);
	r = session_run(&t.s);
	top_batch_keys_close(&t);
	if (t.interactive) {
		if (t.s.stop == TSTOP_TARGETS_GONE || t.s.stop == TSTOP_DURATION || t.s.never_fires)
			top_linger(&t);
		top_screen_close(&t);
	} else if (t.s.stop != TSTOP_REQUEST) {
		top_model_roll(&t.model, tracer_elapsed_ns(t.s.tracer));
		top_print(&t, true);
	}
	/* q, --iterations and --duration end a launched command on purpose:
	 * not its failure; a stop because nothing can be counted is one */
	if ((t.s.stop == TSTOP_REQUEST || t.s.stop == TSTOP_DURATION) && !t.s.out_errno &&
	    !t.s.never_fires)
		r = EXIT_OK;
	r = session_end(&t.s, r);      /* 1 if the tables could not be written */
	/* what was said in the log while the screen was up, said again */
	if (t.interactive && t.s.nothing_msg) {
		fprintf(stderr, "%s\n", t.s.nothing_msg);
		t.notices++;
	}
	top_free(&t);
	return r;
}

/*
 * ptap top's screen: ncurses drawing, nothing else.
 *
 *   ptap top - /usr/bin/python3.11 workload.py                running  0:00:08
 *   Python 3.11  pid 4242  events/s 10150  slowdown 1.1x  total 92277  errors 0
 *   calls in the last 1 s   sort CALLS, most first   rows 18 of 19
 *       PID FILENAME                            LINE FUNCTION            CALLS     %
 *      4242 .../python/workload/textparse.py       9 next_token           2510  24.7
 *   ...
 *   command output: /tmp/ptap-top-4241.log   1 thread, 1 site armed, 2 se...
 *   q Quit  h Help  p Pause  c Cumul  r Reset  <> Sort  R Rev  / Filter  +- Interval
 *
 * Lines: title (target, state, clock), figures, what the counts are, the
 * column titles, the rows, a status line, the key bar (long labels when
 * they fit, short ones otherwise).  The figures line above is 80 columns
 * wide: it closed up and left out "unreadable 0" to fit.
 *
 * Every draw erases the virtual screen and paints it whole from the
 * snapshot and the state top.c hands over; one doupdate() then sends only
 * what differs from what the terminal shows, so nothing flickers however
 * often it is called.  The layout is recomputed from COLS and LINES each
 * time, which is all a resize needs.
 *
 * Colours are roles (what a piece of text is), mapped once to colour
 * pairs, or to plain attributes when the terminal has no colour or
 * NO_COLOR is set; every role stays readable in monochrome.  Names are
 * decoded as the locale says (UTF-8 usually), anything unprintable shown
 * as '?', and measured in columns so that wide characters do not break
 * the table.  A long file name loses its leading directories first, so
 * the file's own name stays visible: ".../workload/textparse.py".
 */
#define _GNU_SOURCE
#include "ui/top.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <wchar.h>
#include <wctype.h>

#include "common/util.h"

enum role {
	R_NORMAL,
	R_TITLE,        /* "ptap top" */
	R_LABEL,        /* header labels */
	R_VALUE,        /* header figures */
	R_RUNNING,      /* state words */
	R_PAUSED,
	R_ENDED,
	R_WARN,         /* non-zero error counts, notices */
	R_COLHEAD,      /* the column titles' line */
	R_COLSORT,      /* the title of the sort column */
	R_DIR,          /* the directory part of a file name */
	R_FILE,         /* a file's own name */
	R_FUNC,         /* function names */
	R_CALLS,        /* call counts */
	R_SHARE,        /* the % column */
	R_KEY,          /* a key in the key bar and help */
	R_KEYLABEL,     /* what it does */
	R_FILTER,       /* the filter being typed, or in force */
	R_NROLES,
};

/* fg/bg -1 is the terminal's own colour. */
static const struct role_style {
	short fg, bg;
	attr_t color;   /* attributes added to the pair when in colour */
	attr_t mono;    /* attributes alone, without colour */
} role_styles[R_NROLES] = {
	[R_NORMAL]   = { -1, -1, A_NORMAL, A_NORMAL },
	[R_TITLE]    = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[R_LABEL]    = { -1, -1, A_NORMAL, A_NORMAL },
	[R_VALUE]    = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[R_RUNNING]  = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[R_PAUSED]   = { COLOR_YELLOW, -1, A_BOLD, A_REVERSE },
	[R_ENDED]    = { COLOR_MAGENTA, -1, A_BOLD, A_REVERSE },
	[R_WARN]     = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[R_COLHEAD]  = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[R_COLSORT]  = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE },
	[R_DIR]      = { -1, -1, A_DIM, A_DIM },
	[R_FILE]     = { -1, -1, A_NORMAL, A_NORMAL },
	[R_FUNC]     = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[R_CALLS]    = { -1, -1, A_BOLD, A_BOLD },
	[R_SHARE]    = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[R_KEY]      = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[R_KEYLABEL] = { -1, -1, A_NORMAL, A_NORMAL },
	[R_FILTER]   = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
};

static attr_t role_attr[R_NROLES];
static SCREEN *screen;
static bool active;

static void roles_init(void)
{
	const char *no_color = getenv("NO_COLOR");
	bool color = has_colors() && !(no_color && *no_color);
	int i;

	if (color && start_color() == ERR)
		color = false;
	if (color)
		use_default_colors();
	for (i = 0; i < R_NROLES; i++) {
		const struct role_style *st = &role_styles[i];

		if (!color) {
			role_attr[i] = st->mono;
		} else if (st->fg < 0 && st->bg < 0) {
			role_attr[i] = st->color;
		} else {
			init_pair((short)i, st->fg, st->bg);
			role_attr[i] = COLOR_PAIR(i) | st->color;
		}
	}
}

int top_view_check(int fd)
{
	int err = 0;

	if (setupterm(NULL, fd, &err) != OK)
		return -ENOTTY;
	del_curterm(cur_term);
	return 0;
}

int top_view_open(FILE *in)
{
	setlocale(LC_CTYPE, "");
	screen = newterm(NULL, stdout, in);
	if (!screen)
		return -ENOTTY;
	active = true;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	roles_init();
	return 0;
}

void top_view_close(void)
{
	if (!active)
		return;
	erase();
	refresh();
	endwin();
	delscreen(screen);
	screen = NULL;
	active = false;
}

void top_view_suspend(bool resumed)
{
	if (!active)
		return;
	if (!resumed) {
		endwin();
	} else {
		clearok(curscr, TRUE);  /* the shell wrote over it meanwhile */
		refresh();
	}
}

int top_view_key(int wait_ms)
{
	int c;

	wtimeout(stdscr, wait_ms);
	c = wgetch(stdscr);
	switch (c) {
	case ERR: return TOP_KEY_NONE;
	case KEY_RESIZE: return TOP_KEY_RESIZE;
	case KEY_ENTER:
	case '\r': return '\n';
	case KEY_BACKSPACE:
	case 8: return TOP_KEY_BACKSPACE;
	default: return c > 0xff ? TOP_KEY_OTHER : c;
	}
}

/* ---- Text measured in columns ---- */

#define FIT_MAX 512

/* Names decoded into wide characters with their widths. */
struct wtext {
	wchar_t ch[FIT_MAX];
	unsigned char w[FIT_MAX];
	int n;
	int width;
};

static void wtext_decode(struct wtext *t, const char *s, size_t len)
{
	mbstate_t st;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	t->n = t->width = 0;
	while (i < len && t->n < FIT_MAX) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, len - i, &st);
		int w;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			k = 1;
		}
		w = iswprint((wint_t)wc) ? wcwidth(wc) : -1;
		if (w < 0) {
			wc = L'?';
			w = 1;
		}
		t->ch[t->n] = wc;
		t->w[t->n] = (unsigned char)w;
		t->width += w;
		t->n++;
		i += k;
	}
}

/* ASCII text at (y, x), cut at the right edge (curses would wrap it). */
static void put_ascii(int y, int x, const char *s, int role)
{
	if (x >= COLS || y >= LINES)
		return;
	attrset(role_attr[role]);
	mvaddnstr(y, x, s, COLS - x);
}

/* Draw t[from, to) at the cursor with role; returns the columns used. */
static int put_wrange(const struct wtext *t, int from, int to, int role)
{
	int i, cols = 0;

	attrset(role_attr[role]);
	for (i = from; i < to; i++) {
		addnwstr(&t->ch[i], 1);
		cols += t->w[i];
	}
	return cols;
}

/* The first index whose tail [i, n) fits in cols. */
static int tail_start(const struct wtext *t, int cols)
{
	int i = t->n, used = 0;

	while (i > 0 && used + t->w[i - 1] <= cols)
		used += t->w[--i];
	return i;
}

/* The end of the head [from, i) that fits in cols. */
static int head_end(const struct wtext *t, int from, int cols)
{
	int i = from, used = 0;

	while (i < t->n && used + t->w[i] <= cols)
		used += t->w[i++];
	return i;
}

static int last_slash(const struct wtext *t)
{
	int i;

	for (i = t->n - 1; i >= 0; i--)
		if (t->ch[i] == L'/')
			return i;
	return -1;
}

/* Draw t[from, n) in cols columns, cut at its end with "..." if need be. */
static void put_cut(const struct wtext *t, int from, int cols, int role)
{
	int i, w = 0;

	for (i = from; i < t->n; i++)
		w += t->w[i];
	if (w <= cols) {
		put_wrange(t, from, t->n, role);
	} else if (cols > 3) {
		put_wrange(t, from, head_end(t, from, cols - 3), role);
		attrset(role_attr[R_DIR]);
		addstr("...");
	} else {
		put_wrange(t, from, head_end(t, from, cols), role);
	}
}

/*
 * A file name in width columns at (y, x): whole if it fits; else
 * ".../" and as many trailing directories as fit before the file's own
 * name; else the file's name alone, cut at its end if need be.
 */
static void draw_filename(int y, int x, int width, const char *s, size_t len)
{
	static struct wtext t;
	int base, start, bw = 0, i;

	if (width <= 0)
		return;
	wtext_decode(&t, s, len);
	base = last_slash(&t) + 1;
	for (i = base; i < t.n; i++)
		bw += t.w[i];
	move(y, x);
	if (t.width <= width) {
		put_wrange(&t, 0, base, R_DIR);
		put_wrange(&t, base, t.n, R_FILE);
	} else if (base > 0 && bw + 4 <= width) {
		/* "/name" fits after "...", so the tail starts at or before
		 * base - 1: move it on to a directory boundary */
		start = tail_start(&t, width - 3);
		while (t.ch[start] != L'/')
			start++;
		attrset(role_attr[R_DIR]);
		addstr("...");
		put_wrange(&t, start, base, R_DIR);
		put_wrange(&t, base, t.n, R_FILE);
	} else {
		put_cut(&t, base, width, R_FILE);
	}
}

/* A name cut at its end with "..." if it does not fit. */
static void draw_cut(int y, int x, int width, const char *s, size_t len, int role)
{
	static struct wtext t;

	if (width <= 0)
		return;
	wtext_decode(&t, s, len);
	move(y, x);
	put_cut(&t, 0, width, role);
}

static int text_cols(const char *s, size_t len)
{
	static struct wtext t;

	wtext_decode(&t, s, len);
	return t.width;
}

/* ---- Header ---- */

/* Label and value pairs on one line; stop at the right edge. */
struct line_cursor {
	int y, x;
};

static void lc_put(struct line_cursor *lc, const char *text, int role)
{
	int room = COLS - lc->x;
	int len = (int)strlen(text);

	if (room <= 0)
		return;
	attrset(role_attr[role]);
	mvaddnstr(lc->y, lc->x, text, MIN(len, room));
	lc->x += MIN(len, room);
}

static void format_clock(char *buf, size_t size, uint64_t ns)
{
	unsigned long s = (unsigned long)(ns / 1000000000u);

	snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

static void format_seconds(char *buf, size_t size, double s)
{
	if (s < 10 && s != (long)s)
		snprintf(buf, size, "%.2g s", s);
	else
		snprintf(buf, size, "%.0f s", s);
}

static void draw_title(const struct top_screen *scr)
{
	char clock[32], right[96];
	const char *state;
	int role, rw;

	format_clock(clock, sizeof(clock), scr->elapsed_ns);
	switch (scr->state) {
	case TOP_PAUSED:
		state = "PAUSED";
		role = R_PAUSED;
		break;
	case TOP_ENDED:
		state = "ENDED";
		role = R_ENDED;
		break;
	default:
		state = "running";
		role = R_RUNNING;
	}
	snprintf(right, sizeof(right), "%s%s%s  %s", state, scr->end_note ? ": " : "",
		 scr->end_note ? scr->end_note : "", clock);
	rw = (int)strlen(right);
	put_ascii(0, 0, "ptap top", R_TITLE);
	if (COLS > 8 + 3 + rw + 4) {
		attrset(role_attr[R_NORMAL]);
		mvaddstr(0, 8, " - ");
		draw_cut(0, 11, COLS - 11 - rw - 2, scr->target, strlen(scr->target), R_VALUE);
	}
	if (COLS >= rw) {
		move(0, COLS - rw);
		attrset(role_attr[role]);
		addnstr(right, rw - (int)strlen(clock) - 2);
		attrset(role_attr[R_VALUE]);
		mvaddstr(0, COLS - (int)strlen(clock), clock);
	}
}

/*
 * The figures and mode lines: label and value pairs (either may be empty)
 * that must fit whole.  When a line is too wide the pairs close up (two
 * blanks instead of three), then the least telling ones go: on the
 * figures line a zero count of errors first, then the total, then the
 * slowdown; on the mode line the sort order, then the row count.
 */
#define KEEP_ALWAYS 9

struct figure {
	const char *label;
	char value[160];
	int role;
	int keep;       /* the higher, the later it is dropped; KEEP_ALWAYS never */
};

static int figures_width(const struct figure *f, size_t n, int sep)
{
	int w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].label)
			w += (w ? sep : 0) + (int)strlen(f[i].label) +
			     (*f[i].label && *f[i].value) + (int)strlen(f[i].value);
	return w;
}

static void draw_figure_line(int y, struct figure *f, size_t n)
{
	struct line_cursor lc = { y, 0 };
	int sep = 3;
	size_t i;

	if (figures_width(f, n, sep) > COLS)
		sep = 2;
	while (figures_width(f, n, sep) > COLS) {
		size_t drop = n;

		/* the rightmost of the least kept */
		for (i = 0; i < n; i++)
			if (f[i].label && f[i].keep < KEEP_ALWAYS &&
			    (drop == n || f[i].keep <= f[drop].keep))
				drop = i;
		if (drop == n)
			break;
		f[drop].label = NULL;
	}
	for (i = 0; i < n; i++) {
		if (!f[i].label)
			continue;
		if (lc.x)
			lc_put(&lc, sep == 3 ? "   " : "  ", R_NORMAL);
		lc_put(&lc, f[i].label, R_LABEL);
		if (*f[i].label && *f[i].value)
			lc_put(&lc, " ", R_NORMAL);
		lc_put(&lc, f[i].value, f[i].role);
	}
}

static struct figure *figure_add(struct figure *f, size_t *n, const char *label, int role, int keep)
{
	struct figure *p = &f[(*n)++];

	p->label = label;
	p->role = role;
	p->keep = keep;
	p->value[0] = '\0';
	return p;
}

static void draw_figures(const struct top_screen *scr)
{
	const struct top_snapshot *s = scr->snap;
	const struct top_model *m = scr->model;
	struct figure f[10], *p;
	size_t nf = 0;
	char pids[96] = "";
	unsigned version = 0, live = 0, ended = 0;
	size_t i, used = 0;
	double ivl = (s->last_end_ns - s->last_start_ns) / 1e9;

	for (i = 0; i < m->nprocs; i++) {
		const struct top_proc *pr = &m->procs[i];

		if (!version)
			version = pr->python_version;
		if (pr->ended) {
			ended++;
			continue;
		}
		live++;
		if (used + 12 < sizeof(pids))
			used += (size_t)snprintf(pids + used, sizeof(pids) - used, "%s%d",
						 used ? " " : "", pr->pid);
		else if (used + 4 < sizeof(pids) && !strstr(pids, "..."))
			used += (size_t)snprintf(pids + used, sizeof(pids) - used, " ...");
	}
	p = figure_add(f, &nf, "Python", R_VALUE, KEEP_ALWAYS);
	if (version)
		snprintf(p->value, sizeof(p->value), "%u.%u", version >> 24, (version >> 16) & 0xff);
	else
		snprintf(p->value, sizeof(p->value), "?");
	if (live) {
		p = figure_add(f, &nf, live == 1 ? "pid" : "pids", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%s", pids);
	}
	if (ended) {
		p = figure_add(f, &nf, "ended", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%u", ended);
	}
	p = figure_add(f, &nf, "events/s", R_VALUE, KEEP_ALWAYS);
	if (ivl > 0)
		snprintf(p->value, sizeof(p->value), "%.0f", s->events_last / ivl);
	else
		snprintf(p->value, sizeof(p->value), "-");
	/* the share of its time a target spends stopped at hits, from the
	 * measured cost of one: it runs 1 / (1 - share) times slower */
	p = figure_add(f, &nf, "slowdown", R_VALUE, 3);
	if (ivl > 0 && scr->cost_ns) {
		double share = s->events_last / ivl * (double)scr->cost_ns / 1e9;

		if (share < 0.99)
			snprintf(p->value, sizeof(p->value), "%.1fx", 1 / (1 - share));
		else
			snprintf(p->value, sizeof(p->value), ">100x");
	} else {
		snprintf(p->value, sizeof(p->value), "-");
	}
	p = figure_add(f, &nf, "total", R_VALUE, 2);
	snprintf(p->value, sizeof(p->value), "%llu", (unsigned long long)s->events_total);
	p = figure_add(f, &nf, "errors", scr->arg_errors ? R_WARN : R_VALUE,
		       scr->arg_errors ? KEEP_ALWAYS : 1);
	snprintf(p->value, sizeof(p->value), "%llu", (unsigned long long)scr->arg_errors);
	p = figure_add(f, &nf, "unreadable", s->unreadable_total ? R_WARN : R_VALUE,
		       s->unreadable_total ? KEEP_ALWAYS : 1);
	snprintf(p->value, sizeof(p->value), "%llu", (unsigned long long)s->unreadable_total);
	draw_figure_line(1, f, nf);
}

static void draw_mode(const struct top_screen *scr, size_t nmatched)
{
	const struct top_order *o = scr->order;
	const struct top_snapshot *s = scr->snap;
	struct figure f[4], *p;
	size_t nf = 0;
	char ivl[32], at[32];
	bool most_first;

	format_seconds(ivl, sizeof(ivl), scr->interval_s);
	p = figure_add(f, &nf, "", R_LABEL, KEEP_ALWAYS);
	if (o->cumulative) {
		format_clock(at, sizeof(at), s->reset_ns);
		snprintf(p->value, sizeof(p->value), "calls since %s%s, refresh every %s",
			 s->reset_ns ? "reset at " : "start", s->reset_ns ? at : "", ivl);
	} else if (!s->intervals) {
		snprintf(p->value, sizeof(p->value), "first %s interval in progress", ivl);
	} else {
		format_seconds(at, sizeof(at), (s->last_end_ns - s->last_start_ns) / 1e9);
		snprintf(p->value, sizeof(p->value), "calls in the last %s", at);
	}
	p = figure_add(f, &nf, "sort", R_VALUE, 1);
	most_first = (o->col == TOP_COL_CALLS) != o->reverse;
	if (o->col == TOP_COL_CALLS)
		snprintf(p->value, sizeof(p->value), "%s, %s first", top_col_names[o->col],
			 most_first ? "most" : "fewest");
	else
		snprintf(p->value, sizeof(p->value), "%s, %s", top_col_names[o->col],
			 o->reverse ? "descending" : "ascending");
	if (o->filter && *o->filter && !scr->editing) {
		p = figure_add(f, &nf, "filter", R_FILTER, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "\"%s\"", o->filter);
	}
	p = figure_add(f, &nf, "rows", R_VALUE, 2);
	snprintf(p->value, sizeof(p->value), "%zu of %zu",
		 scr->nrows < nmatched ? scr->nrows : nmatched, nmatched);
	draw_figure_line(2, f, nf);
}

/* ---- Table ---- */

struct layout {
	int x[TOP_NCOLS + 1];   /* column starts; the last is the % column */
	int w[TOP_NCOLS + 1];
	bool share;             /* room for the % column */
};

enum { W_PID = 7, W_LINE = 6, W_CALLS = 9, W_SHARE = 5 };

/* The bytes of a file name after its last '/'. */
static size_t basename_len(const char *s, size_t len)
{
	size_t i = len;

	while (i > 0 && s[i - 1] != '/')
		i--;
	return len - i;
}

/*
 * Widths of the two name columns in the room the numbers leave: first
 * the file's own name (with ".../" before it) while the function keeps 8
 * columns, then the function's whole name, then the directories get the
 * rest.
 */
static void layout_compute(struct layout *l, const struct top_screen *scr)
{
	int avail, fixed, wfile, wfunc, want_file = 8, want_func = 8, want_base = 8;
	size_t i;

	for (i = 0; i < scr->nrows; i++) {
		const struct top_row *r = scr->rows[i];
		int base = text_cols(r->filename + r->filename_len -
				     basename_len(r->filename, r->filename_len),
				     basename_len(r->filename, r->filename_len));

		want_file = MAX(want_file, text_cols(r->filename, r->filename_len));
		want_base = MAX(want_base, base + 4);
		want_func = MAX(want_func, text_cols(r->function, r->function_len));
	}
	want_base = MIN(want_base, want_file);
	l->share = COLS >= 60;
	fixed = W_PID + 1 + 1 + W_LINE + 1 + 1 + W_CALLS + (l->share ? 1 + W_SHARE : 0);
	avail = MAX(COLS - fixed, 16);
	wfile = MIN(want_base, avail - 8);
	wfunc = MIN(want_func, avail - wfile);
	wfile = avail - wfunc;
	l->w[TOP_COL_PID] = W_PID;
	l->w[TOP_COL_FILENAME] = wfile;
	l->w[TOP_COL_LINE] = W_LINE;
	l->w[TOP_COL_FUNCTION] = wfunc;
	l->w[TOP_COL_CALLS] = W_CALLS;
	l->w[TOP_NCOLS] = W_SHARE;
	l->x[0] = 0;
	for (i = 1; i <= TOP_NCOLS; i++)
		l->x[i] = l->x[i - 1] + l->w[i - 1] + 1;
}

static void draw_column_titles(int y, const struct layout *l, const struct top_order *o)
{
	int i;

	attrset(role_attr[R_COLHEAD]);
	mvhline(y, 0, ' ', COLS);
	for (i = 0; i < TOP_NCOLS; i++) {
		const char *name = top_col_names[i];
		int len = (int)strlen(name);
		bool right = i == TOP_COL_PID || i == TOP_COL_LINE || i == TOP_COL_CALLS;
		int x = right ? l->x[i] + l->w[i] - len : l->x[i];

		if (x >= COLS)
			break;
		attrset(role_attr[i == (int)o->col ? R_COLSORT : R_COLHEAD]);
		mvaddnstr(y, x, name, COLS - x);
	}
	if (l->share && l->x[TOP_NCOLS] + l->w[TOP_NCOLS] <= COLS) {
		attrset(role_attr[R_COLHEAD]);
		mvaddstr(y, l->x[TOP_NCOLS] + l->w[TOP_NCOLS] - 1, "%");
	}
}

static void draw_row(int y, const struct layout *l, const struct top_row *r,
		     const struct top_screen *scr)
{
	bool cum = scr->order->cumulative;
	uint64_t calls = top_row_calls(r, cum), events = top_snapshot_events(scr->snap, cum);
	char buf[32];

	attrset(role_attr[R_NORMAL]);
	mvprintw(y, l->x[TOP_COL_PID], "%*d", W_PID, r->pid);
	draw_filename(y, l->x[TOP_COL_FILENAME],
		      MIN(l->w[TOP_COL_FILENAME], COLS - l->x[TOP_COL_FILENAME]), r->filename,
		      r->filename_len);
	attrset(role_attr[R_NORMAL]);
	if (l->x[TOP_COL_LINE] + W_LINE <= COLS)
		mvprintw(y, l->x[TOP_COL_LINE], "%*lld", W_LINE, (long long)r->line);
	draw_cut(y, l->x[TOP_COL_FUNCTION], MIN(l->w[TOP_COL_FUNCTION], COLS - l->x[TOP_COL_FUNCTION]),
		 r->function, r->function_len, R_FUNC);
	if (l->x[TOP_COL_CALLS] + W_CALLS <= COLS) {
		snprintf(buf, sizeof(buf), "%*llu", W_CALLS, (unsigned long long)calls);
		put_ascii(y, l->x[TOP_COL_CALLS], buf, R_CALLS);
	}
	if (l->share && l->x[TOP_NCOLS] + W_SHARE <= COLS) {
		snprintf(buf, sizeof(buf), "%*.1f", W_SHARE, events ? 100.0 * calls / events : 0.0);
		put_ascii(y, l->x[TOP_NCOLS], buf, R_SHARE);
	}
}

static void draw_help(int top, int bottom, const struct top_key_help *keys, size_t nkeys)
{
	static const char *const notes[] = {
		"Counts are python:function__entry hits per (pid, file, line, function).",
		"The % column is the row's share of all calls in the interval (or since",
		"the start, cumulative), filtered or not.  Counting goes on while paused.",
		"Ties: most calls first, then pid, file name, line, function.",
	};
	int y = top;
	size_t i;

	put_ascii(y++, 1, "ptap top: keys", R_TITLE);
	y++;
	for (i = 0; i < nkeys && y < bottom; i++, y++) {
		put_ascii(y, 2, keys[i].keys, R_KEY);
		put_ascii(y, 14, keys[i].help, R_KEYLABEL);
	}
	y++;
	for (i = 0; i < ARRAY_SIZE(notes) && y < bottom; i++, y++)
		put_ascii(y, 2, notes[i], R_LABEL);
	if (++y < bottom)
		put_ascii(y, 2, "Press any key to return to the table.", R_VALUE);
}

/* The key bar: long labels if they all fit, else the short ones, as
 * many as fit. */
static void draw_keybar(int y, const struct top_key_help *keys, size_t nkeys)
{
	bool shrt = false;
	int x, width = 0;
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].bar)
			width += (int)(strlen(keys[i].bar_keys) + 1 + strlen(keys[i].bar)) + 2;
	if (width - 2 > COLS)
		shrt = true;
	for (i = 0, x = 0; i < nkeys; i++) {
		const char *label = shrt ? keys[i].bar_short : keys[i].bar;
		int kw, lw;

		if (!keys[i].bar)
			continue;
		kw = (int)strlen(keys[i].bar_keys);
		lw = (int)strlen(label);
		if (x + kw + 1 + lw > COLS)
			break;
		put_ascii(y, x, keys[i].bar_keys, R_KEY);
		put_ascii(y, x + kw, " ", R_NORMAL);
		put_ascii(y, x + kw + 1, label, R_KEYLABEL);
		x += kw + 1 + lw + 2;
	}
}

static void draw_editor(int y, const char *text)
{
	static const char hint[] = "   Enter keeps it, Esc clears it";
	int x;

	put_ascii(y, 0, "Filter: ", R_LABEL);
	draw_cut(y, 8, COLS - 8 - 1, text, strlen(text), R_FILTER);
	getyx(stdscr, y, x);
	attrset(role_attr[R_KEY]);
	if (x < COLS)
		mvaddch(y, x, ' ');
	if (x + 1 + (int)strlen(hint) <= COLS)
		put_ascii(y, x + 1, hint, R_LABEL);
}

static const char *empty_text(const struct top_screen *scr)
{
	const struct top_order *o = scr->order;
	struct top_order all = *o;
	const struct top_row **sel = NULL;
	size_t cap = 0, n = 0;

	if (o->filter && *o->filter) {
		all.filter = NULL;
		n = top_snapshot_select(scr->snap, &all, &sel, &cap);
		free(sel);
	}
	if (n)
		return "(no frame matches the filter)";
	return o->cumulative ? "(no calls counted yet)" : "(no calls in this interval)";
}

void top_view_draw(const struct top_screen *scr, const struct top_key_help *keys, size_t nkeys)
{
	struct layout l;
	int y, first, last, room;
	size_t i, n;

	if (!active)
		return;
	erase();
	draw_title(scr);
	if (LINES > 1)
		draw_figures(scr);
	/* the table from line 4 to the status line, which is above the keys */
	first = 4;
	last = LINES - 3;
	room = last - first + 1;
	n = scr->nrows;
	if (room < 0)
		room = 0;
	if (scr->max_rows && n > scr->max_rows)
		n = scr->max_rows;
	if (n > (size_t)room)
		n = (size_t)room;
	if (LINES > 2) {
		struct top_screen shown = *scr;

		shown.nrows = n;
		draw_mode(&shown, scr->nrows);
	}
	if (scr->help) {
		draw_help(first - 1, LINES - 2, keys, nkeys);
	} else if (LINES > 3) {
		struct top_screen shown = *scr;

		shown.nrows = n;
		layout_compute(&l, &shown);
		draw_column_titles(first - 1, &l, scr->order);
		for (i = 0, y = first; i < n; i++, y++)
			draw_row(y, &l, scr->rows[i], scr);
		if (!n && room > 0)
			put_ascii(first, 2, empty_text(scr), R_LABEL);
	}
	if (LINES > 5 && scr->status)
		draw_cut(LINES - 2, 0, COLS, scr->status, strlen(scr->status),
			 scr->status_is_notice ? R_WARN : R_LABEL);
	if (LINES > 4) {
		if (scr->editing)
			draw_editor(LINES - 1, scr->edit_text);
		else
			draw_keybar(LINES - 1, keys, nkeys);
	}
	attrset(role_attr[R_NORMAL]);
	wnoutrefresh(stdscr);
	doupdate();
}

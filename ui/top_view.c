/*
 * ptap top's screen: ncurses drawing, nothing else.
 *
 *   ptap top - /usr/bin/python3.11 workload.py                running  0:00:08
 *   Python 3.11   pid 4242   events/s 10150   in ptap 12%   total 92277   errors 0
 *   calls in the last 1 s   sort CALLS, most first   rows 1-18 of 19
 *     PID FILENAME                                LINE FUNCTION           CALLS     %
 *    4242 .../python/workload/textparse.py           9 next_token          2510  24.7
 *   ...
 *   command output: /tmp/ptap-top-4241.log   1 thread, 1 site armed, 2 se...
 *   q Quit  h Help  p Pause  c Cumul  r Reset  <> Sort  R Rev  / Filter  +- Interval
 *
 * Lines: title (target, state, clock), figures, what the counts are, the
 * column titles, the rows, a status line, the key bar (long labels when
 * they fit, short ones otherwise).  The figures line above is 80 columns
 * wide: it closed up and left out "unreadable 0" to fit.  A notice the
 * user has not seen yet is wrapped over as many status lines as it needs
 * (up to a third of the screen), so that it is read whole.
 *
 * The table's columns are a table too (view_cols): numbers are never
 * cut, each as wide as its widest value lately (a width grows at once and
 * shrinks only after a while, so columns stay put from one refresh to the
 * next); the two names share what is left, the file name shortened first
 * (from the left: its own name stays), then the function; when the names
 * would have next to no room, the % column goes, then the times.  Another
 * numeric column is one more entry with its formatter (OWN and TOTAL are
 * two, shown only when times are kept).
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
 * the table.
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
	R_TIME,         /* own and total times */
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
	[R_TIME]     = { COLOR_YELLOW, -1, A_NORMAL, A_NORMAL },
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

/* A capability the terminal has (tigetstr: NULL absent, -1 not a string). */
static bool has_string_cap(const char *name)
{
	const char *v = tigetstr(name);

	return v && v != (const char *)-1;
}

int top_view_check(int fd)
{
	int err = 0;
	bool ok;

	if (setupterm(NULL, fd, &err) != OK)
		return -ENOENT;
	/* a screen needs the cursor moved and the screen cleared: a "dumb"
	 * terminal (or a hard-copy one) would get every update on one line */
	ok = has_string_cap("cup") && has_string_cap("clear") && tigetflag("hc") <= 0;
	del_curterm(cur_term);
	return ok ? 0 : -ENOTSUP;
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
	case KEY_UP: return TOP_KEY_UP;
	case KEY_DOWN: return TOP_KEY_DOWN;
	case KEY_PPAGE: return TOP_KEY_PGUP;
	case KEY_NPAGE: return TOP_KEY_PGDN;
	case KEY_HOME: return TOP_KEY_HOME;
	case KEY_END: return TOP_KEY_END;
	case KEY_F(1): return TOP_KEY_F1;
	case KEY_F(10): return TOP_KEY_F10;
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
 * name; else the tail of the file's own name after "...".
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
	} else if (width > 3) {
		attrset(role_attr[R_DIR]);
		addstr("...");
		put_wrange(&t, tail_start(&t, width - 3), t.n, R_FILE);
	} else {
		put_wrange(&t, tail_start(&t, width), t.n, R_FILE);
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

/*
 * Where the lines of text break to fit in cols columns: at the last blank
 * that fits, else (a word longer than a line) at the edge.  Fills
 * starts[] with each line's first byte, at most max; returns how many
 * lines the whole text needs (which may be more than max).
 */
static int wrap_text(const char *text, int cols, const char **starts, int max)
{
	const char *p = text, *q, *brk;
	int n = 0, w;

	if (cols <= 0)
		return 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (n < max)
			starts[n] = p;
		n++;
		brk = NULL;
		w = 0;
		for (q = p; *q; q++) {
			if (((unsigned char)*q & 0xc0) == 0x80)
				continue;       /* a UTF-8 continuation byte: no column */
			if (w == cols)
				break;
			if (*q == ' ')
				brk = q;
			w++;
		}
		if (!*q)
			break;
		p = *q == ' ' || !brk ? q : brk;
	}
	return n;
}

/* text wrapped into at most n lines from y on; the last one cut with
 * "..." if the text needs more. */
static void draw_wrapped(int y, int n, const char *text, int role)
{
	const char *starts[64];
	int i, count = wrap_text(text, COLS, starts, (int)ARRAY_SIZE(starts));

	count = MIN(count, MIN(n, (int)ARRAY_SIZE(starts)));
	for (i = 0; i < count; i++) {
		const char *end = i + 1 < count ? starts[i + 1] : text + strlen(text);

		while (end > starts[i] && end[-1] == ' ')
			end--;
		draw_cut(y + i, 0, COLS, starts[i], (size_t)(end - starts[i]), role);
	}
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

/* Seconds as the user would write them: "1 s", "0.5 s", "1.25 s". */
static void format_seconds(char *buf, size_t size, double s)
{
	if (s >= 10)
		snprintf(buf, size, "%.0f s", s);
	else
		snprintf(buf, size, "%.3g s", s);
}

/*
 * "ptap top - TARGET ...   STATE: NOTE  CLOCK".  When the line is
 * narrow the right part gives up the clock, then the note; the target
 * shows only with room for a few of its characters; a blank always
 * keeps the parts apart.
 */
static void draw_title(const struct top_screen *scr)
{
	static const char name[] = "ptap top";
	char clock[32], right[3][112];
	const char *state;
	int role, i, rw = 0, nw = (int)sizeof(name) - 1;

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
	snprintf(right[0], sizeof(right[0]), "%s%s%s  %s", state, scr->end_note ? ": " : "",
		 scr->end_note ? scr->end_note : "", clock);
	snprintf(right[1], sizeof(right[1]), "%s%s%s", state, scr->end_note ? ": " : "",
		 scr->end_note ? scr->end_note : "");
	snprintf(right[2], sizeof(right[2]), "%s", state);
	for (i = 0; i < 3; i++) {
		rw = (int)strlen(right[i]);
		if (nw + 1 + rw <= COLS)
			break;
	}
	put_ascii(0, 0, name, R_TITLE);
	if (i == 3)
		return;
	if (COLS >= nw + 3 + 4 + 2 + rw) {
		attrset(role_attr[R_NORMAL]);
		mvaddstr(0, nw, " - ");
		draw_cut(0, nw + 3, COLS - nw - 3 - rw - 2, scr->target, strlen(scr->target), R_VALUE);
	}
	move(0, COLS - rw);
	attrset(role_attr[role]);
	if (i == 0) {
		addnstr(right[0], rw - (int)strlen(clock) - 2);
		attrset(role_attr[R_VALUE]);
		mvaddstr(0, COLS - (int)strlen(clock), clock);
	} else {
		addstr(right[i]);
	}
}

/*
 * The figures and mode lines: label and value pairs (either may be empty)
 * that must fit whole.  When a line is too wide the pairs close up (two
 * blanks instead of three), then the least telling ones go: on the
 * figures line a zero count of errors first, then the total, then the
 * share of time in ptap; on the mode line the sort order, then the row
 * count.
 */
#define KEEP_ALWAYS 9

struct figure {
	const char *label;
	char value[160];
	int role;
	int keep;       /* the higher, the later it is dropped; KEEP_ALWAYS never */
	bool cut_ok;    /* text that may be cut at the edge (not a number) */
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

/* Cut ASCII text at its last blank before column cols, if it has one. */
static void cut_at_blank(char *text, int cols)
{
	int i;

	for (i = MIN((int)strlen(text), cols); i > 0; i--)
		if (text[i] == ' ') {
			text[i] = '\0';
			return;
		}
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
		/* a figure that does not fit whole is not shown at all (a cut
		 * number would read as another one), unless it is the first */
		if (lc.x && lc.x + sep + figures_width(&f[i], 1, sep) > COLS && !f[i].cut_ok)
			break;
		if (lc.x)
			lc_put(&lc, sep == 3 ? "   " : "  ", R_NORMAL);
		if (!lc.x && figures_width(&f[i], 1, sep) > COLS && !*f[i].label)
			cut_at_blank(f[i].value, COLS);
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
	p->cut_ok = false;
	p->value[0] = '\0';
	return p;
}

/* The measured length of the last interval, in seconds (0 before one). */
static double measured_interval(const struct top_snapshot *s)
{
	return (s->last_end_ns - s->last_start_ns) / 1e9;
}

/* "Python 3.11   pid 4242" (or "pids 1 2", and how many ended). */
static void add_processes(struct figure *f, size_t *nf, const struct top_model *m)
{
	struct figure *p;
	char pids[96] = "";
	unsigned version = 0, live = 0, ended = 0;
	size_t i, used = 0;

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
	p = figure_add(f, nf, "Python", R_VALUE, KEEP_ALWAYS);
	if (version)
		snprintf(p->value, sizeof(p->value), "%u.%u", version >> 24, (version >> 16) & 0xff);
	else
		snprintf(p->value, sizeof(p->value), "(none with markers)");
	if (live) {
		p = figure_add(f, nf, live == 1 ? "pid" : "pids", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%s", pids);
	}
	if (ended) {
		p = figure_add(f, nf, "", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%u process%s ended", ended,
			 ended == 1 ? "" : "es");
	}
}

static void draw_figures(const struct top_screen *scr)
{
	const struct top_snapshot *s = scr->snap;
	struct figure f[12], *p;
	size_t nf = 0;
	double ivl = measured_interval(s);

	add_processes(f, &nf, scr->model);
	if (scr->whole) {
		p = figure_add(f, &nf, "traced", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%u", scr->whole_traced);
		p = figure_add(f, &nf, "skipped", R_VALUE, KEEP_ALWAYS);
		snprintf(p->value, sizeof(p->value), "%u", scr->whole_skipped);
	}
	p = figure_add(f, &nf, "events/s", R_VALUE, KEEP_ALWAYS);
	if (ivl > 0)
		snprintf(p->value, sizeof(p->value), "%.0f", s->events_last / ivl);
	else
		snprintf(p->value, sizeof(p->value), "-");
	/* the share of the traced threads' time spent on tracing, as the
	 * tracer measures it (tracer_cost in tracer.h) */
	p = figure_add(f, &nf, "in ptap", R_VALUE, 3);
	if (scr->in_ptap < 0)
		snprintf(p->value, sizeof(p->value), "-");
	else if (scr->in_ptap > 0 && scr->in_ptap < 0.005)
		snprintf(p->value, sizeof(p->value), "<1%%");
	else
		snprintf(p->value, sizeof(p->value), "%.0f%%", 100 * scr->in_ptap);
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

/*
 * The interval asked for, and the one measured only when it differs by
 * more than the ticks' jitter could make it (a tenth, and 40 ms).
 */
static void format_interval(char *buf, size_t size, double asked, double measured)
{
	char a[24], m[24];

	format_seconds(a, sizeof(a), asked);
	if (measured <= 0 || (measured - asked < MAX(0.1 * asked, 0.04) &&
			      asked - measured < MAX(0.1 * asked, 0.04))) {
		snprintf(buf, size, "%s", a);
		return;
	}
	format_seconds(m, sizeof(m), measured);
	snprintf(buf, size, "%s (measured %s)", a, m);
}

static void draw_mode(const struct top_screen *scr, size_t shown)
{
	const struct top_order *o = scr->order;
	const struct top_snapshot *s = scr->snap;
	struct figure f[5], *p;
	size_t nf = 0;
	char ivl[64], at[24];
	bool most_first;

	p = figure_add(f, &nf, "", R_LABEL, KEEP_ALWAYS);
	if (o->cumulative) {
		format_seconds(ivl, sizeof(ivl), scr->interval_s);
		format_clock(at, sizeof(at), s->reset_ns);
		snprintf(p->value, sizeof(p->value), "calls since %s%s, refresh every %s",
			 s->reset_ns ? "reset at " : "start", s->reset_ns ? at : "", ivl);
	} else if (!s->intervals) {
		format_seconds(ivl, sizeof(ivl), scr->interval_s);
		snprintf(p->value, sizeof(p->value), "first %s interval in progress", ivl);
	} else {
		format_interval(ivl, sizeof(ivl), scr->interval_s, measured_interval(s));
		snprintf(p->value, sizeof(p->value), "calls in the last %s", ivl);
	}
	p = figure_add(f, &nf, "sort", R_VALUE, 1);
	most_first = (o->col >= TOP_COL_CALLS) != o->reverse;
	if (o->col >= TOP_COL_CALLS)
		snprintf(p->value, sizeof(p->value), "%s, %s first", top_col_names[o->col],
			 most_first ? "most" : "fewest");
	else
		snprintf(p->value, sizeof(p->value), "%s, %s", top_col_names[o->col],
			 o->reverse ? "descending" : "ascending");
	if (o->filter && *o->filter && !scr->editing) {
		p = figure_add(f, &nf, "filter", R_FILTER, KEEP_ALWAYS);
		p->cut_ok = true;
		snprintf(p->value, sizeof(p->value), "\"%s\"", o->filter);
	}
	/* where the page is: "rows 21-40 of 120", or "rows 18 of 18" */
	p = figure_add(f, &nf, "rows", R_VALUE, 2);
	if (shown == scr->nrows)
		snprintf(p->value, sizeof(p->value), "%zu of %zu", shown, scr->nrows);
	else if (!shown)
		snprintf(p->value, sizeof(p->value), "0 of %zu", scr->nrows);
	else
		snprintf(p->value, sizeof(p->value), "%zu-%zu of %zu", scr->first + 1,
			 scr->first + shown, scr->nrows);
	if (s->overhead_ns) {
		/* what every gap between two hits of a thread lost */
		p = figure_add(f, &nf, "times less", R_VALUE, 3);
		if (s->overhead_ns < 1000)      /* the in-process engine's */
			snprintf(p->value, sizeof(p->value), "%uns/hit", (unsigned)s->overhead_ns);
		else
			snprintf(p->value, sizeof(p->value), "%.1fus/hit", s->overhead_ns / 1e3);
	}
	draw_figure_line(2, f, nf);
}

/* ---- Table ---- */

enum { VC_NUMBER, VC_FILE, VC_FUNC };

/* One column of the table. */
struct view_col {
	int col;            /* the enum top_col it shows and sorts by, -1 none */
	const char *title;
	int kind;           /* VC_* */
	int role;
	/* VC_NUMBER: a row's value as text (never cut) */
	void (*format)(char *buf, size_t size, const struct top_row *r,
		       const struct top_screen *scr);
	int optional;       /* 0: always shown; else when the names would have
	                       no room, level 1 goes first, then level 2 */
	bool timed;         /* only when times are kept (not --no-times) */
};

static void fmt_pid(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	(void)scr;
	snprintf(buf, size, "%d", r->pid);
}

static void fmt_line(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	(void)scr;
	snprintf(buf, size, "%lld", (long long)r->line);
}

static void fmt_calls(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	snprintf(buf, size, "%llu", (unsigned long long)top_row_calls(r, scr->order->cumulative));
}

static void fmt_share(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	bool cum = scr->order->cumulative;
	uint64_t events = top_snapshot_events(scr->snap, cum);

	snprintf(buf, size, "%.1f", events ? 100.0 * top_row_calls(r, cum) / events : 0.0);
}

static void fmt_own(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	top_format_ns(buf, size, top_row_time(r, scr->order->cumulative)->own_ns);
}

static void fmt_total(char *buf, size_t size, const struct top_row *r, const struct top_screen *scr)
{
	top_format_ns(buf, size, top_row_time(r, scr->order->cumulative)->total_ns);
}

static const struct view_col view_cols[] = {
	{ TOP_COL_PID, "PID", VC_NUMBER, R_NORMAL, fmt_pid, 0, false },
	{ TOP_COL_FILENAME, "FILENAME", VC_FILE, R_FILE, NULL, 0, false },
	{ TOP_COL_LINE, "LINE", VC_NUMBER, R_NORMAL, fmt_line, 0, false },
	{ TOP_COL_FUNCTION, "FUNCTION", VC_FUNC, R_FUNC, NULL, 0, false },
	{ TOP_COL_CALLS, "CALLS", VC_NUMBER, R_CALLS, fmt_calls, 0, false },
	{ TOP_COL_OWN, "OWN", VC_NUMBER, R_TIME, fmt_own, 2, true },
	{ TOP_COL_TOTAL, "TOTAL", VC_NUMBER, R_TIME, fmt_total, 2, true },
	{ -1, "%", VC_NUMBER, R_SHARE, fmt_share, 1, false },
};
#define NVIEW ARRAY_SIZE(view_cols)

/* Below this, a name column has next to no room: the optional columns go. */
#define NAMES_MIN 24
/* What a name is shortened to before the other name gives up anything. */
#define NAME_MIN 8

struct layout {
	int x[NVIEW];
	int w[NVIEW];           /* 0: not shown */
};

/*
 * The widest each column has needed lately, for stable widths: a column
 * grows at once and shrinks only when its rows have needed less for
 * STICKY_NS (or the terminal changed width), so that columns do not move
 * from one refresh to the next as the longest name shown changes.
 */
#define STICKY_NS (10 * 1000000000ull)
static int sticky[NVIEW];
static uint64_t sticky_ns[NVIEW];      /* when it last needed all of it */
static int sticky_cols;

/* The columns a column needs for the rows [from, from + n). */
static int col_need(size_t c, const struct top_screen *scr, size_t from, size_t n)
{
	const struct view_col *vc = &view_cols[c];
	int need = (int)strlen(vc->title);
	char buf[64];
	size_t i;

	for (i = from; i < from + n; i++) {
		const struct top_row *r = scr->rows[i];

		if (vc->kind == VC_NUMBER) {
			vc->format(buf, sizeof(buf), r, scr);
			need = MAX(need, (int)strlen(buf));
		} else if (vc->kind == VC_FILE) {
			need = MAX(need, text_cols(r->filename, r->filename_len));
		} else {
			need = MAX(need, text_cols(r->function, r->function_len));
		}
	}
	return need;
}

/* Split room between the file name (index f) and the function (g). */
static void split_names(struct layout *l, size_t f, size_t g, int room)
{
	int want_f = sticky[f], want_g = sticky[g];
	int min_f = MIN(want_f, NAME_MIN), min_g = MIN(want_g, NAME_MIN);

	if (room >= want_f + want_g) {
		l->w[g] = want_g;               /* the rest stays blank, at the right */
		l->w[f] = want_f;
	} else if (room - want_g >= min_f) {
		l->w[g] = want_g;
		l->w[f] = room - want_g;
	} else if (room - min_f >= min_g) {
		l->w[f] = min_f;
		l->w[g] = room - min_f;
	} else {
		/* too narrow for both: the function keeps what it can */
		l->w[g] = MIN(MAX(room, 0), min_g);
		l->w[f] = MAX(room - l->w[g], 0);
	}
}

/* Whether column c is drawn, with optional columns up to level drop gone. */
static bool col_shown(size_t c, const struct top_screen *scr, int drop)
{
	const struct view_col *vc = &view_cols[c];

	return (!vc->timed || scr->snap->timed) && (!vc->optional || vc->optional > drop);
}

static void layout_compute(struct layout *l, const struct top_screen *scr, size_t from, size_t n)
{
	size_t c, f = NVIEW, g = NVIEW;
	int room, shown, drop = 0;

	if (sticky_cols != COLS) {
		memset(sticky, 0, sizeof(sticky));
		sticky_cols = COLS;
	}
	for (c = 0; c < NVIEW; c++) {
		int need = col_need(c, scr, from, n);

		if (need >= sticky[c] || scr->elapsed_ns - sticky_ns[c] > STICKY_NS) {
			sticky[c] = need;
			sticky_ns[c] = scr->elapsed_ns;
		}
		if (view_cols[c].kind == VC_FILE)
			f = c;
		else if (view_cols[c].kind == VC_FUNC)
			g = c;
	}
	for (;;) {
		room = COLS;
		shown = 0;
		for (c = 0; c < NVIEW; c++) {
			l->w[c] = 0;
			if (!col_shown(c, scr, drop))
				continue;
			shown++;
			if (view_cols[c].kind == VC_NUMBER)
				room -= (l->w[c] = sticky[c]);
		}
		room -= shown - 1;              /* a blank between two columns */
		if (room >= NAMES_MIN || drop == 2)
			break;
		drop++;
	}
	split_names(l, f, g, room);
	for (c = 0, room = 0; c < NVIEW; c++) {
		l->x[c] = room;
		if (col_shown(c, scr, drop))
			room += l->w[c] + 1;
	}
}

static void draw_column_titles(int y, const struct layout *l, const struct top_order *o)
{
	size_t c;

	attrset(role_attr[R_COLHEAD]);
	mvhline(y, 0, ' ', COLS);
	for (c = 0; c < NVIEW; c++) {
		const struct view_col *vc = &view_cols[c];
		int len = MIN((int)strlen(vc->title), l->w[c]);
		int x = vc->kind == VC_NUMBER ? l->x[c] + l->w[c] - len : l->x[c];

		if (!l->w[c] || x >= COLS)
			continue;
		attrset(role_attr[vc->col >= 0 && vc->col == (int)o->col ? R_COLSORT : R_COLHEAD]);
		mvaddnstr(y, x, vc->title, MIN(len, COLS - x));
	}
}

static void draw_row(int y, const struct layout *l, const struct top_row *r,
		     const struct top_screen *scr)
{
	char buf[64];
	size_t c;

	for (c = 0; c < NVIEW; c++) {
		const struct view_col *vc = &view_cols[c];
		int w = MIN(l->w[c], COLS - l->x[c]);

		if (w <= 0)
			continue;
		switch (vc->kind) {
		case VC_NUMBER:
			vc->format(buf, sizeof(buf), r, scr);
			if ((int)strlen(buf) <= w)
				put_ascii(y, l->x[c] + w - (int)strlen(buf), buf, vc->role);
			break;
		case VC_FILE:
			draw_filename(y, l->x[c], w, r->filename, r->filename_len);
			break;
		default:
			draw_cut(y, l->x[c], w, r->function, r->function_len, vc->role);
		}
	}
}

static void draw_help(int top, int bottom, const struct top_key_help *keys, size_t nkeys)
{
	static const char *const notes[] = {
		"Counts are python:function__entry hits per (pid, file, line, function).",
		"OWN: time with no Python callee running; TOTAL: from call to return, a",
		"recursion counted once; both less what ptap's hits cost the thread.",
		"The % column is the row's share of all calls in the interval (or since",
		"the start, cumulative), filtered or not.  Counting goes on while paused.",
		"Ties: most calls first, then pid, file name, line, function.",
	};
	int y = top, kw = 0;
	size_t i;

	for (i = 0; i < nkeys; i++)
		kw = MAX(kw, (int)strlen(keys[i].keys));
	put_ascii(y++, 1, "ptap top: keys", R_TITLE);
	y++;
	for (i = 0; i < nkeys && y < bottom; i++, y++) {
		put_ascii(y, 2, keys[i].keys, R_KEY);
		put_ascii(y, 2 + kw + 2, keys[i].help, R_KEYLABEL);
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

/* ---- The whole screen ---- */

/* Where things go, top to bottom. */
struct vlayout {
	int rows_y;             /* the first row of the table */
	int rows;               /* rows of the table that fit */
	int status_y;           /* the status lines, -1 none */
	int status_lines;
	int keys_y;             /* the key bar, -1 none */
};

static void vlayout(const struct top_screen *scr, struct vlayout *v)
{
	const char *starts[1];

	v->rows_y = 4;
	v->keys_y = LINES > 4 ? LINES - 1 : -1;
	v->status_y = -1;
	v->status_lines = 0;
	if (LINES > 5 && scr->status) {
		v->status_lines = 1;
		if (scr->status_wrap)
			v->status_lines = MAX(1, MIN(wrap_text(scr->status, COLS, starts, 0),
						     (LINES - 5) / 3));
		v->status_y = LINES - 1 - v->status_lines;
	}
	v->rows = (v->status_y >= 0 ? v->status_y : v->keys_y >= 0 ? v->keys_y : LINES) - v->rows_y;
	if (v->rows < 0)
		v->rows = 0;
	if (scr->max_rows && v->rows > (int)scr->max_rows)
		v->rows = (int)scr->max_rows;
}

size_t top_view_page(const struct top_screen *scr)
{
	struct vlayout v;

	if (!active)
		return 1;
	vlayout(scr, &v);
	return (size_t)v.rows;
}

void top_view_draw(const struct top_screen *scr, const struct top_key_help *keys, size_t nkeys)
{
	struct vlayout v;
	struct layout l;
	size_t i, n = 0;

	if (!active)
		return;
	erase();
	vlayout(scr, &v);
	draw_title(scr);
	if (LINES > 1)
		draw_figures(scr);
	if (scr->first < scr->nrows)
		n = MIN(scr->nrows - scr->first, (size_t)v.rows);
	if (LINES > 2)
		draw_mode(scr, n);
	if (scr->help) {
		draw_help(v.rows_y - 1, v.status_y >= 0 ? v.status_y : LINES - 1, keys, nkeys);
	} else if (LINES > 3) {
		layout_compute(&l, scr, scr->first, n);
		draw_column_titles(v.rows_y - 1, &l, scr->order);
		for (i = 0; i < n; i++)
			draw_row(v.rows_y + (int)i, &l, scr->rows[scr->first + i], scr);
		if (!scr->nrows && v.rows > 0 && scr->empty_why)
			draw_wrapped(v.rows_y, v.rows, scr->empty_why, R_WARN);
		else if (!scr->nrows && v.rows > 0)
			put_ascii(v.rows_y, 2, empty_text(scr), R_LABEL);
	}
	if (v.status_y >= 0) {
		if (v.status_lines > 1)
			draw_wrapped(v.status_y, v.status_lines, scr->status,
				     scr->status_is_notice ? R_WARN : R_LABEL);
		else
			draw_cut(v.status_y, 0, COLS, scr->status, strlen(scr->status),
				 scr->status_is_notice ? R_WARN : R_LABEL);
	}
	if (v.keys_y >= 0) {
		if (scr->editing)
			draw_editor(v.keys_y, scr->edit_text);
		else
			draw_keybar(v.keys_y, keys, nkeys);
	}
	attrset(role_attr[R_NORMAL]);
	wnoutrefresh(stdscr);
	doupdate();
}

/*
 * ptap monitor: CPython's garbage collections, imports and audit events,
 * one line each, or a summary every interval.
 *
 *       TIME WHO                  EVENT          DETAIL
 *   0.412133 python3.11(3120)     gc start       generation 0
 *   0.412201 python3.11(3120)     gc done        collected 20
 *   0.413050 python3.11(3120)     import         ptap_monitor_mod
 *   0.413398 python3.11(3120)     import done    ptap_monitor_mod
 *   0.413690 python3.11(3120)     import failed  ptap_no_such_module
 *   0.413702 python3.11(3120)     audit          ptap.test
 *
 * The markers: python:gc__start (generation), gc__done (objects collected,
 * uncollectable included: what gc.collect() returns), import__find__load__
 * start and done (module name; done also says whether the module was
 * found and loaded), audit (event name; its second argument, the event's
 * arguments as a tuple object, is not decoded).  CPython fires the import
 * markers only for modules not yet in sys.modules, and the audit marker
 * for every audit event once its semaphore is up, hooks or not.
 *
 * --summary prints, every --interval seconds, what the interval held:
 * successful and failed imports, collections (and per generation),
 * objects collected and the average per collection, audit events; at the
 * end the rest of the last interval (unless it held nothing) and the
 * totals.
 *
 * -e narrows what is traced: gc, import and audit name the markers of a
 * kind, audit:NAME audit events by name (a glob, matched against the
 * event's name at each hit: the audit marker fires for them all), and
 * anything else is a pattern as ptap trace reads it, which must name
 * some of monitor's five markers (it is replaced by those it names, so
 * that nothing else gets armed).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/util.h"
#include "ui/commands.h"
#include "ui/flow_labels.h"
#include "ui/format.h"
#include "ui/monitor_stack.h"
#include "ui/session.h"

#define GENERATIONS 3            /* CPython's gc has generations 0, 1 and 2 */

/* monitor's markers, and the -e words that name them by kind */
static const char *const monitor_markers[] = {
	"gc__start", "gc__done", "import__find__load__start", "import__find__load__done", "audit",
};
static const struct {
	const char *word;
	unsigned markers;            /* bits of monitor_markers */
} monitor_kinds[] = {
	{ "gc", 1u << 0 | 1u << 1 },
	{ "import", 1u << 2 | 1u << 3 },
	{ "audit", 1u << 4 },
};
#define MARKER_AUDIT (1u << 4)

/* What a period held. */
struct monitor_counts {
	uint64_t imports;            /* import__find__load__done with found != 0 */
	uint64_t import_failures;    /* ... with found == 0 */
	uint64_t collections;        /* gc__done */
	uint64_t generation[GENERATIONS];   /* gc__start per generation */
	uint64_t collected;          /* sum of gc__done's argument */
	uint64_t audits;
};

struct monitor_ctx {
	struct session *s;
	bool summary;                /* --summary */
	double interval;             /* --interval seconds */
	bool wall;                   /* --wall: wall-clock times */
	int64_t wall_base_ns;        /* realtime - the events' clock */
	struct labels labels;
	struct stack_view stack;
	struct monitor_counts period, total;
	uint64_t period_start_ns;    /* on the events' clock */
	unsigned markers;            /* -e: the markers asked for (bits) */
	const char **audit_names;    /* -e audit:NAME globs, NULL if every event */
	size_t naudit_names;
	bool audit_all;              /* -e audit (or a pattern naming the marker) */
};

enum {
	MON_OPT_SUMMARY = 0x1300,
	MON_OPT_WALL,
};

static void counts_add(struct monitor_counts *to, const struct monitor_counts *c)
{
	int g;

	to->imports += c->imports;
	to->import_failures += c->import_failures;
	to->collections += c->collections;
	for (g = 0; g < GENERATIONS; g++)
		to->generation[g] += c->generation[g];
	to->collected += c->collected;
	to->audits += c->audits;
}

/* The time column: seconds since ptap started, or the local time of day. */
static void print_time(struct monitor_ctx *c, FILE *f, uint64_t t_ns)
{
	struct tm tm;
	time_t secs;
	int64_t wall;

	if (!c->wall) {
		fprintf(f, "%10.6f", t_ns / 1e9);
		return;
	}
	wall = c->wall_base_ns + (int64_t)t_ns;
	secs = (time_t)(wall / 1000000000);
	localtime_r(&secs, &tm);
	fprintf(f, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(long)(wall % 1000000000 / 1000));
}

/* Argument i as a string ("?" if unreadable) or an integer (-1). */
static const char *str_arg(const struct event *ev, int i, size_t *len)
{
	const char *s;

	if (i < ev->nargs && value_str(&ev->args[i], &s, len))
		return s;
	*len = 1;
	return "?";
}

static int64_t int_arg(const struct event *ev, int i)
{
	int64_t n;

	return i < ev->nargs && value_int(&ev->args[i], &n) ? n : -1;
}

static void json_str_arg(FILE *f, const struct event *ev, int i)
{
	static const struct value none = { .type = VAL_ERR };

	format_str_json(f, i < ev->nargs ? &ev->args[i] : &none);
}

/* With -e audit:NAME: whether the audit event's name is one asked for. */
static bool audit_wanted(const struct monitor_ctx *c, const struct event *ev)
{
	char name[256];
	const char *s;
	size_t len, i;

	if (!c->naudit_names || c->audit_all)
		return true;
	s = str_arg(ev, 0, &len);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (i = 0; i < c->naudit_names; i++)
		if (glob_match(c->audit_names[i], name))
			return true;
	return false;
}

/* Count the event; false if it is not one of monitor's (or not asked for). */
static bool monitor_count(struct monitor_ctx *c, const struct event *ev)
{
	struct monitor_counts *k = &c->period;
	int64_t v;

	switch (ev->probe->known) {
	case KP_PY_GC_START:
		v = int_arg(ev, 0);
		if (v >= 0 && v < GENERATIONS)
			k->generation[v]++;
		return true;
	case KP_PY_GC_DONE:
		k->collections++;
		v = int_arg(ev, 0);
		k->collected += v > 0 ? (uint64_t)v : 0;
		return true;
	case KP_PY_IMPORT_START:
		return true;
	case KP_PY_IMPORT_DONE:
		if (int_arg(ev, 1) > 0)
			k->imports++;
		else
			k->import_failures++;
		return true;
	case KP_PY_AUDIT:
		if (!audit_wanted(c, ev))
			return false;
		k->audits++;
		return true;
	default:
		return false;
	}
}

static void event_text(struct monitor_ctx *c, FILE *f, const struct event *ev)
{
	const char *what, *s = NULL;
	size_t len = 0;
	int64_t v = 0;

	switch (ev->probe->known) {
	case KP_PY_GC_START:
		what = "gc start";
		v = int_arg(ev, 0);
		break;
	case KP_PY_GC_DONE:
		what = "gc done";
		v = int_arg(ev, 0);
		break;
	case KP_PY_IMPORT_START:
		what = "import";
		s = str_arg(ev, 0, &len);
		break;
	case KP_PY_IMPORT_DONE:
		what = int_arg(ev, 1) > 0 ? "import done" : "import failed";
		s = str_arg(ev, 0, &len);
		break;
	default:
		what = "audit";
		s = str_arg(ev, 0, &len);
		break;
	}
	print_time(c, f, ev->time_ns);
	fprintf(f, " %-20s %-14s ", labels_get(&c->labels, c->s->tracer, ev->pid, ev->tid), what);
	if (s)
		format_escaped(f, s, len);
	else
		fprintf(f, "%s %" PRId64, ev->probe->known == KP_PY_GC_START ? "generation" : "collected",
			v);
	fputc('\n', f);
	stack_view_text(&c->stack, f, c->s->tracer, ev);
}

static void event_json(struct monitor_ctx *c, FILE *f, const struct event *ev)
{
	fprintf(f, "{\"time_ns\":%" PRIu64, ev->time_ns);
	if (c->wall)
		fprintf(f, ",\"unix_ns\":%" PRId64, c->wall_base_ns + (int64_t)ev->time_ns);
	fprintf(f, ",\"pid\":%d,\"tid\":%d,\"event\":", ev->pid, ev->tid);
	switch (ev->probe->known) {
	case KP_PY_GC_START:
		fprintf(f, "\"gc_start\",\"generation\":%" PRId64, int_arg(ev, 0));
		break;
	case KP_PY_GC_DONE:
		fprintf(f, "\"gc_done\",\"collected\":%" PRId64, int_arg(ev, 0));
		break;
	case KP_PY_IMPORT_START:
		fputs("\"import_start\",\"module\":", f);
		json_str_arg(f, ev, 0);
		break;
	case KP_PY_IMPORT_DONE:
		fputs("\"import_done\",\"module\":", f);
		json_str_arg(f, ev, 0);
		fprintf(f, ",\"found\":%s", int_arg(ev, 1) > 0 ? "true" : "false");
		break;
	default:
		fputs("\"audit\",\"name\":", f);
		json_str_arg(f, ev, 0);
		break;
	}
	stack_view_json(&c->stack, f, c->s->tracer, ev);
	fputs("}\n", f);
}

static void monitor_on_event(void *ctx, const struct event *ev)
{
	struct monitor_ctx *c = ctx;

	if (!monitor_count(c, ev) || c->summary)
		return;
	if (c->s->json)
		event_json(c, c->s->out, ev);
	else
		event_text(c, c->s->out, ev);
}

static void summary_header(struct monitor_ctx *c)
{
	if (!c->s->json)
		fprintf(c->s->out, "%*s %9s %8s %7s %11s %5s %5s %5s %10s %8s %8s\n",
			c->wall ? 15 : 10, "TIME", "PERIOD", "IMPORTS", "FAILED", "COLLECTIONS", "GEN0",
			"GEN1", "GEN2", "COLLECTED", "AVERAGE", "AUDITS");
}

/* One summary row: kind "interval" (the period that just ended) or "total". */
static void summary_print(struct monitor_ctx *c, const char *kind, const struct monitor_counts *k,
			  uint64_t at_ns, uint64_t period_ns)
{
	FILE *f = c->s->out;
	double avg = k->collections ? (double)k->collected / (double)k->collections : 0;
	char period[32];

	if (c->s->json) {
		fprintf(f, "{\"summary\":\"%s\",\"time_ns\":%" PRIu64 ",\"seconds\":%.3f,"
			"\"imports\":%" PRIu64 ",\"import_failures\":%" PRIu64 ",\"collections\":%"
			PRIu64 ",\"generations\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "],\"collected\":%"
			PRIu64 ",\"average\":", kind, at_ns, period_ns / 1e9, k->imports,
			k->import_failures, k->collections, k->generation[0], k->generation[1],
			k->generation[2], k->collected);
		if (k->collections)
			json_double(f, avg);
		else
			fputs("null", f);
		fprintf(f, ",\"audits\":%" PRIu64 "}\n", k->audits);
		fflush(f);
		return;
	}
	snprintf(period, sizeof(period), "%.3fs", period_ns / 1e9);
	print_time(c, f, at_ns);
	fprintf(f, " %9s %8" PRIu64 " %7" PRIu64 " %11" PRIu64 " %5" PRIu64 " %5" PRIu64 " %5" PRIu64
		" %10" PRIu64, strcmp(kind, "total") ? period : "total", k->imports,
		k->import_failures, k->collections, k->generation[0], k->generation[1],
		k->generation[2], k->collected);
	if (k->collections)
		fprintf(f, " %8.1f", avg);
	else
		fprintf(f, " %8s", "-");
	fprintf(f, " %8" PRIu64 "\n", k->audits);
	fflush(f);
}

/* End the current period: print it, add it to the totals. */
static void period_close(struct monitor_ctx *c, uint64_t now)
{
	summary_print(c, "interval", &c->period, now, now - c->period_start_ns);
	counts_add(&c->total, &c->period);
	memset(&c->period, 0, sizeof(c->period));
	c->period_start_ns = now;
}

static void monitor_on_tick(void *ctx, uint64_t now_ns)
{
	struct monitor_ctx *c = ctx;

	(void)now_ns;
	if (c->summary)
		period_close(c, tracer_elapsed_ns(c->s->tracer));
}

static void monitor_on_exec(void *ctx, pid_t pid, const char *exe)
{
	struct monitor_ctx *c = ctx;

	(void)exe;
	labels_forget(&c->labels, pid);
}

static void monitor_on_exit(void *ctx, pid_t pid, int status)
{
	struct monitor_ctx *c = ctx;

	(void)status;
	labels_forget(&c->labels, pid);
}

static void monitor_usage(FILE *f)
{
	fprintf(f, "Usage: ptap monitor [OPTIONS] -p PID[,PID...]\n"
		   "       ptap monitor [OPTIONS] -- COMMAND [ARGS...]\n"
		   "Print CPython's garbage collections, imports and audit events as they happen\n"
		   "(python:gc__start, gc__done, import__find__load__start/done, audit).\n"
		   "\nOptions:\n"
		   "  -e, --probe WHAT        only these events (repeatable): gc, import, audit,\n"
		   "                          audit:NAME (audit events by name, a glob such as\n"
		   "                          'audit:socket.*'), or a pattern of the markers as\n"
		   "                          ptap trace reads it ('python:gc__*')\n"
		   "      --summary           instead, every interval: imports, collections, objects\n"
		   "                          collected and their average, audit events; the\n"
		   "                          totals at the end\n"
		   "  -d, --interval SECONDS  the summary interval (default 5)\n"
		   "      --wall              wall-clock times (HH:MM:SS.microseconds), not seconds\n"
		   "                          since ptap started\n"
		   "      --json              one JSON object per event (or per summary)\n"
		   "%s%s"
		   "  -h, --help              show this help\n", stack_options_help,
		   session_options_help);
}

/* Add to the selection the markers in bits not yet in it. */
static void add_markers(struct monitor_ctx *c, unsigned bits)
{
	const char *why;
	char name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(monitor_markers); i++) {
		if (!(bits & 1u << i) || (c->markers & 1u << i))
			continue;
		snprintf(name, sizeof(name), "python:%s", monitor_markers[i]);
		selection_add(&c->s->sel, name, &why);
		c->markers |= 1u << i;
	}
}

/* The markers a trace-style pattern names (bits), or a usage error. */
static int pattern_markers(const char *arg, unsigned *bits)
{
	struct selection one = { 0 };
	const char *why;
	size_t i;

	if (selection_add(&one, arg, &why))
		return usage_error("monitor", "bad probe pattern '%s': %s", arg, why);
	*bits = 0;
	for (i = 0; i < ARRAY_SIZE(monitor_markers); i++) {
		struct sdt_probe p = { .provider = "python", .name = (char *)monitor_markers[i] };

		if (selection_match(&one, &p, false) >= 0)
			*bits |= 1u << i;
	}
	selection_free(&one);
	if (!*bits)
		return usage_error("monitor", "-e '%s' names none of monitor's events: give gc, "
				   "import, audit, audit:NAME, or a pattern of python:gc__start, "
				   "gc__done, import__find__load__start, import__find__load__done or "
				   "audit (ptap trace -e traces any probe)", arg);
	return 0;
}

static int monitor_probe_option(struct monitor_ctx *c, const char *arg)
{
	unsigned bits = 0;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(monitor_kinds); i++)
		if (!strcasecmp(arg, monitor_kinds[i].word))
			bits = monitor_kinds[i].markers;
	if (!strncmp(arg, "audit:", 6) && arg[6]) {
		c->audit_names = xrealloc(c->audit_names, (c->naudit_names + 1) *
					  sizeof(*c->audit_names));
		c->audit_names[c->naudit_names++] = arg + 6;
		add_markers(c, MARKER_AUDIT);
		return 1;
	}
	if (!bits) {
		r = pattern_markers(arg, &bits);
		if (r)
			return r;
	}
	c->audit_all |= (bits & MARKER_AUDIT) != 0;
	add_markers(c, bits);
	return 1;
}

static int monitor_option(void *ctx, int opt, const char *arg)
{
	struct monitor_ctx *c = ctx;

	switch (opt) {
	case 'e':
		return monitor_probe_option(c, arg);
	case MON_OPT_SUMMARY:
		c->summary = true;
		return 1;
	case 'd':
		if (parse_seconds(arg, &c->interval) || c->interval < 0.01 || c->interval > 86400)
			return usage_error("monitor", "--interval wants seconds from 0.01 to 86400, "
					   "not '%s'", arg);
		return 1;
	case MON_OPT_WALL:
		c->wall = true;
		return 1;
	default:
		return stack_view_option(&c->stack, "monitor", opt, arg);
	}
}

static int monitor_args(struct monitor_ctx *c, struct session *s, int argc, char **argv)
{
	static const char *const probes[] = {
		"python:gc__start", "python:gc__done", "python:import__find__load__start",
		"python:import__find__load__done", "python:audit", NULL,
	};
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "summary", no_argument, NULL, MON_OPT_SUMMARY },
		{ "interval", required_argument, NULL, 'd' },
		{ "wall", no_argument, NULL, MON_OPT_WALL },
		STACK_LONG_OPTIONS,
		SESSION_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int r;

	r = session_parse(s, argc, argv, "+:hd:" SESSION_SHORT, longopts, monitor_option, c,
			  monitor_usage, probes);
	if (!r && c->summary && c->stack.on)
		return usage_error("monitor", "--stack shows the stack of each event; --summary "
				   "shows no events");
	return r;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct tracer_hooks hooks = {
		.event = monitor_on_event,
		.tick = monitor_on_tick,
		.process_exec = monitor_on_exec,
		.process_exit = monitor_on_exit,
	};
	struct monitor_ctx c;
	struct session s;
	struct timespec ts;
	uint64_t end;
	int r;

	memset(&c, 0, sizeof(c));
	c.s = &s;
	c.interval = 5;
	labels_init(&c.labels);
	stack_view_init(&c.stack);
	session_init(&s, "monitor");
	r = monitor_args(&c, &s, argc, argv);
	if (r) {
		r = r < 0 ? EXIT_OK : r;
		goto out;
	}
	if (c.summary)
		s.cfg.tick_ms = (unsigned)(c.interval * 1000 + 0.5);
	s.cfg.stopped_hits = c.stack.on;  /* a stack is read from a stopped thread */
	stack_view_start(&c.stack);
	r = session_start(&s, &hooks, &c);
	if (r)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	c.wall_base_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec -
			 (int64_t)tracer_elapsed_ns(s.tracer);
	c.period_start_ns = tracer_elapsed_ns(s.tracer);
	if (c.summary)
		summary_header(&c);
	else if (!s.json)
		fprintf(s.out, "%*s %-20s %-14s %s\n", c.wall ? 15 : 10, "TIME", "WHO", "EVENT",
			"DETAIL");
	r = session_run(&s);
	if (c.summary) {
		end = tracer_elapsed_ns(s.tracer);
		/* the rest of the last interval, unless it held nothing */
		if (end > c.period_start_ns && memcmp(&c.period, &(struct monitor_counts){ 0 },
						      sizeof(c.period)))
			period_close(&c, end);
		else
			counts_add(&c.total, &c.period);
		summary_print(&c, "total", &c.total, end, end);
	}
	r = session_end(&s, r);
out:
	session_free(&s);
	stack_view_free(&c.stack);
	labels_free(&c.labels);
	free(c.audit_names);
	return r;
}

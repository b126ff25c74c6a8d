/*
 * ptap record: every Python call stack of the traced threads, weighted
 * by exact time, into a file people can look at: an interactive SVG
 * flame graph (the default), folded stacks, a speedscope profile or a
 * Chrome trace.
 *
 * The hooks feed python:function__entry and function__return to the
 * model (record_model.c), whose call stacks time every frame, corrected
 * by what a hit costs the thread (tracer_hit_overhead_ns, refreshed at
 * each tick).  The tree formats are written when tracing ends; Chrome
 * events as each activation closes; speedscope's per-thread events go
 * through a temporary file (record_events.c).  Every way tracing ends
 * (the command or every process ends, --duration, Ctrl-C, SIGTERM,
 * SIGHUP, an output error) comes back here from session_run: the frames
 * still running are closed at that moment and the document is finished,
 * so the file is whole and valid whichever way it ended.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ui/commands.h"
#include "ui/record.h"
#include "ui/session.h"

#define TICK_MS 100

static const struct {
	const char *name;
	const char *what;           /* for the closing line */
	const char *default_output;
} formats[] = {
	[REC_FLAMEGRAPH] = { "flamegraph", "flame graph", "ptap.svg" },
	[REC_FOLDED] = { "folded", "folded stacks", "ptap.folded" },
	[REC_SPEEDSCOPE] = { "speedscope", "speedscope profile", "ptap.speedscope.json" },
	[REC_CHROME] = { "chrome", "Chrome trace", "ptap.trace.json" },
};

struct record {
	struct session s;
	struct rec_model model;
	enum record_format format;
	const char *path;           /* where the document goes, "-" stdout */
	char *title;                /* "ptap record: COMMAND" or "... pid A, B" */
	struct u64map named;        /* pids whose name the events have */
};

enum { REC_OPT_FORMAT = 0x1400 };

static void record_on_event(void *ctx, const struct event *ev)
{
	struct record *r = ctx;
	struct tracer_proc_info info;
	const char *name;

	if (unlikely(r->model.events && !u64map_get(&r->named, (uint64_t)ev->pid))) {
		u64map_put(&r->named, (uint64_t)ev->pid, (void *)1);
		name = !tracer_process_info(r->s.tracer, ev->pid, &info) && info.exe ? info.exe : "?";
		rec_events_process(r->model.events, ev->pid,
				   strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
	}
	rec_model_event(&r->model, ev);
}

static void record_on_tick(void *ctx, uint64_t now UNUSED)
{
	struct record *r = ctx;

	callstack_set_overhead(&r->model.stacks, tracer_hit_overhead_ns(r->s.tracer));
}

static void record_on_start(void *ctx, pid_t pid, pid_t parent UNUSED)
{
	struct record *r = ctx;

	callstack_process_start(&r->model.stacks, pid, tracer_elapsed_ns(r->s.tracer));
}

static void record_forget(struct record *r, pid_t pid)
{
	callstack_forget(&r->model.stacks, pid, tracer_elapsed_ns(r->s.tracer));
	u64map_del(&r->named, (uint64_t)pid);
}

static void record_on_exec(void *ctx, pid_t pid, const char *exe UNUSED)
{
	record_forget(ctx, pid);
}

static void record_on_exit(void *ctx, pid_t pid, int status UNUSED)
{
	record_forget(ctx, pid);
}

static void record_usage(FILE *f)
{
	fprintf(f, "Usage: ptap record [OPTIONS] -p PID[,PID...]\n"
		   "       ptap record [OPTIONS] -- COMMAND [ARGS...]\n"
		   "Record every Python call stack of the traced threads, weighted by exact time\n"
		   "(python:function__entry and python:function__return), into a file to look at.\n"
		   "\nOptions:\n"
		   "  -o, --output FILE       where to write it ('-': standard output; by default\n"
		   "                          ptap.svg, ptap.folded, ptap.speedscope.json or\n"
		   "                          ptap.trace.json after the format)\n"
		   "      --format FORMAT     flamegraph (an interactive SVG, the default), folded\n"
		   "                          (flamegraph.pl, inferno), speedscope, or chrome\n"
		   "                          (chrome://tracing, Perfetto)\n"
		   "  -p, --pid PID[,PID...]  attach to running processes (repeatable)\n"
		   "      --duration SECONDS  stop after this long\n"
		   "      --no-follow         do not trace forked children\n"
		   "      --no-pin            do not keep ptap and the target on one CPU\n"
		   "      --no-string-cache   read CPython's file and function names on every hit\n"
		   "  -q, --quiet             no progress messages or closing line on standard error\n"
		   "  -h, --help              show this help\n"
		   "\nTimes are corrected for what ptap's own work at each call and return costs\n"
		   "the traced thread.  See ptap(1).\n");
}

static int record_option(void *ctx, int opt, const char *arg)
{
	struct record *r = ctx;
	size_t i;

	switch (opt) {
	case REC_OPT_FORMAT:
		for (i = 0; i < ARRAY_SIZE(formats); i++)
			if (!strcasecmp(arg, formats[i].name)) {
				r->format = (enum record_format)i;
				return 1;
			}
		return usage_error("record", "--format wants flamegraph, folded, speedscope or "
				   "chrome, not '%s'", arg);
	case 'o':
		if (!*arg)
			return usage_error("record", "-o wants a file name ('-' for standard output)");
		r->path = arg;
		return 1;
	case SESSION_OPT_JSON:
		return usage_error("record", "--json is for the other commands; record writes "
				   "the --format's file");
	case 's':
		return usage_error("record", "-s is for string arguments; record reads only "
				   "file and function names");
	default:
		return 0;
	}
}

static char *record_title(const struct session *s)
{
	size_t i, len, cap = 256;
	char *buf = xmalloc(cap);

	len = (size_t)snprintf(buf, cap, "ptap record:");
	if (s->cmd) {
		for (i = 0; s->cmd[i] && len + 1 < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, " %s", s->cmd[i]);
	} else {
		for (i = 0; i < s->npids && len + 1 < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? ", " : " pid ",
						s->pids[i]);
	}
	return buf;
}

static int record_parse(struct record *r, int argc, char **argv)
{
	static const char *const probes[] = { "python:function__entry", "python:function__return",
					      NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, REC_OPT_FORMAT },
		SESSION_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int ret;

	r->s.fixed_probes = "record times python:function__entry and __return; -e is for "
			    "ptap trace";
	ret = session_parse(&r->s, argc, argv, "+:h" SESSION_SHORT, longopts, record_option, r,
			    record_usage, probes);
	if (ret)
		return ret;
	if (!r->path)
		r->path = formats[r->format].default_output;
	r->s.output = strcmp(r->path, "-") ? r->path : NULL;
	return 0;
}

/* Finish the document; 0, or the exit status after saying why. */
static int record_write(struct record *r)
{
	FILE *out = r->s.out;
	uint64_t overhead = r->model.stacks.overhead_ns;
	int err = 0;

	callstack_close_all(&r->model.stacks, tracer_elapsed_ns(r->s.tracer));
	rec_model_finish(&r->model);
	switch (r->format) {
	case REC_FLAMEGRAPH:
		err = rec_write_flamegraph(out, &r->model, r->title, overhead);
		break;
	case REC_FOLDED:
		err = rec_write_folded(out, &r->model);
		break;
	case REC_SPEEDSCOPE:
	case REC_CHROME:
		err = rec_events_finish(r->model.events, &r->model, r->title, overhead);
		if (err)
			fprintf(stderr, "ptap: record: the temporary file of events: %s\n",
				strerror(-err));
		break;
	}
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "ptap: record: cannot write %s: %s\n",
			r->s.output ? r->s.output : "standard output", strerror(errno ? errno : EIO));
		return EXIT_RUNTIME;
	}
	return err ? EXIT_RUNTIME : 0;
}

static void record_summary(const struct record *r)
{
	const struct rec_model *m = &r->model;

	if (r->s.quiet)
		return;
	fprintf(stderr, "ptap: record: wrote %s (%s): %" PRIu64 " call%s, %zu stack%s",
		r->s.output ? r->s.output : "standard output", formats[r->format].what,
		m->stacks.entries, m->stacks.entries == 1 ? "" : "s", m->nnodes - 1,
		m->nnodes == 2 ? "" : "s");
	if (m->stacks.overhead_ns)
		fprintf(stderr, "; times less %.1f us per hit (what each call and return cost "
			"the thread)", m->stacks.overhead_ns / 1e3);
	if (m->unreadable)
		fprintf(stderr, "; %" PRIu64 " unreadable name%s", m->unreadable,
			m->unreadable == 1 ? "" : "s");
	fputc('\n', stderr);
}

int cmd_record(int argc, char **argv)
{
	static const struct tracer_hooks hooks = {
		.event = record_on_event,
		.tick = record_on_tick,
		.process_start = record_on_start,
		.process_exec = record_on_exec,
		.process_exit = record_on_exit,
	};
	struct record r;
	int ret, wret, err = 0;

	memset(&r, 0, sizeof(r));
	session_init(&r.s, "record");
	u64map_init(&r.named);
	rec_model_init(&r.model, NULL);
	ret = record_parse(&r, argc, argv);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	r.title = record_title(&r.s);
	r.s.cfg.tick_ms = TICK_MS;
	r.s.cfg.calibrate = true;       /* the cost of a hit, taken off times */
	ret = session_start(&r.s, &hooks, &r);
	if (ret)
		goto out;
	if (r.format == REC_SPEEDSCOPE || r.format == REC_CHROME) {
		r.model.events = rec_events_new(r.format, r.s.out, &err);
		if (!r.model.events) {
			fprintf(stderr, "ptap: record: a temporary file for the events: %s\n",
				strerror(-err));
			ret = EXIT_RUNTIME;
			tracer_request_stop(r.s.tracer);
			tracer_run(r.s.tracer);
			goto out;
		}
	}
	ret = session_run(&r.s);
	wret = record_write(&r);
	if (wret && !ret)
		ret = wret;
	if (!wret)
		record_summary(&r);
out:
	rec_events_free(r.model.events);
	rec_model_free(&r.model);
	u64map_free(&r.named);
	session_free(&r.s);
	free(r.title);
	return ret;
}

/*
 * ptap trace: one line per probe hit.
 *
 *   0.000412 4242/4242 python:function__entry("/tmp/fib.py", "fib", 1)
 *
 * Time is seconds since ptap started, then pid/tid, the probe, and its
 * arguments as decoded (strings for CPython's known markers and wherever
 * a type list asks for them).  --json prints one object per line instead.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "ui/commands.h"
#include "ui/format.h"
#include "ui/monitor_stack.h"
#include "ui/session.h"

struct trace_ctx {
	struct session *s;
	struct stack_view stack;    /* --stack */
	bool list;                  /* -l: show what is armed, then stop */
	size_t ready;               /* targets listed so far */
	char **labels;              /* by probe id: "provider:name" as printed */
	size_t nlabels;
};

/*
 * A probe's "provider:name" as the output format wants it, escaped once
 * when the probe is first seen rather than at every event: control bytes
 * as \xHH in text, a whole JSON string (quotes included) with --json.
 */
static const char *probe_label(struct trace_ctx *c, const struct probe_info *pi)
{
	char *raw, *label;
	size_t len;
	FILE *f;

	if (pi->id >= c->nlabels) {
		size_t n = MAX((size_t)pi->id + 1, 2 * c->nlabels);

		c->labels = xrealloc(c->labels, n * sizeof(*c->labels));
		memset(c->labels + c->nlabels, 0, (n - c->nlabels) * sizeof(*c->labels));
		c->nlabels = n;
	}
	if (c->labels[pi->id])
		return c->labels[pi->id];
	raw = xasprintf("%s:%s", pi->provider, pi->name);
	if (!c->s->json) {
		label = xstrdup_safe(raw);
	} else {
		label = NULL;
		f = open_memstream(&label, &len);
		if (!f)
			abort();    /* ENOMEM, as the x*alloc helpers do */
		json_string(f, raw);
		fclose(f);
	}
	free(raw);
	return c->labels[pi->id] = label;
}

static void trace_event_text(struct trace_ctx *c, const struct event *ev)
{
	FILE *f = c->s->out;
	int i;

	uint64_t us = (ev->time_ns + 500) / 1000;      /* %.6f of the seconds */
	char frac[9] = ".000000 ";
	unsigned rest = (unsigned)(us % 1000000);

	/* by hand: printf's parsing and its floating point are most of a
	 * line's cost, and the in-process engine delivers millions a second */
	fput_u64(f, us / 1000000);
	for (i = 6; i > 0; i--, rest /= 10)
		frac[i] = (char)('0' + rest % 10);
	fputs(frac, f);
	fput_i64(f, ev->pid);
	fputc('/', f);
	fput_i64(f, ev->tid);
	fputc(' ', f);
	fputs(probe_label(c, ev->probe), f);
	fputc('(', f);
	for (i = 0; i < ev->nargs; i++) {
		if (i)
			fputs(", ", f);
		format_value(f, &ev->args[i]);
	}
	fputs(")\n", f);
}

static void trace_event_json(struct trace_ctx *c, const struct event *ev)
{
	FILE *f = c->s->out;
	int i, nerr = 0;

	fprintf(f, "{\"time_ns\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,\"probe\":%s,\"args\":[",
		ev->time_ns, ev->pid, ev->tid, probe_label(c, ev->probe));
	for (i = 0; i < ev->nargs; i++) {
		if (i)
			fputc(',', f);
		format_value_json(f, &ev->args[i]);
		nerr += ev->args[i].type == VAL_ERR;
	}
	fputc(']', f);
	if (nerr) {
		fputs(",\"errors\":[", f);
		for (i = 0, nerr = 0; i < ev->nargs; i++) {
			if (ev->args[i].type != VAL_ERR)
				continue;
			fprintf(f, "%s{\"arg\":%d,\"error\":", nerr++ ? "," : "", i + 1);
			json_string(f, format_value_error(&ev->args[i]));
			fprintf(f, ",\"address\":\"0x%" PRIx64 "\"}", ev->args[i].u);
		}
		fputc(']', f);
	}
	stack_view_json(&c->stack, f, c->s->tracer, ev);
	fputs("}\n", f);
}

static void trace_on_event(void *ctx, const struct event *ev)
{
	struct trace_ctx *c = ctx;

	if (c->s->json) {
		trace_event_json(c, ev);
	} else {
		trace_event_text(c, ev);
		stack_view_text(&c->stack, c->s->out, c->s->tracer, ev);
	}
}

static void list_probe(void *ctx, const struct probe_info *pi, uint64_t site, uint64_t sem,
		       enum tracer_site_how how, const char *why)
{
	FILE *f = ctx;
	char desc[256];
	int i;

	fputs("  ", f);
	fputs_safe(pi->provider, f);
	fputc(':', f);
	fputs_safe(pi->name, f);
	fprintf(f, "  0x%" PRIx64 "  semaphore %s", site, sem ? "" : "none");
	if (sem)
		fprintf(f, "0x%" PRIx64, sem);
	fputs(how == TRACER_SITE_JUMP ? "  jump" : how == TRACER_SITE_INT3 ? "  int3"
	      : "  semaphore only", f);
	if (why) {
		fputs(" (", f);
		fputs_safe(why, f);
		fputc(')', f);
	}
	fputs("  ", f);
	fputs_safe(pi->module, f);
	fputc('\n', f);
	if (how == TRACER_SITE_SEMAPHORE)
		return;
	for (i = 0; i < pi->prog.nargs; i++) {
		argspec_describe(&pi->sdt->argv[i], desc, sizeof(desc));
		fprintf(f, "    arg%d: ", i + 1);
		fputs_safe(desc, f);
		fprintf(f, "%s%s\n",
			pi->prog.op[i].render == RENDER_DEFAULT ? "" : ", shown as ",
			pi->prog.op[i].render == RENDER_DEFAULT ? "" : render_name(pi->prog.op[i].render));
	}
}

/* -l: a target finished starting; show what ptap armed in it. */
static void trace_on_ready(void *ctx, pid_t pid)
{
	struct trace_ctx *c = ctx;
	struct tracer_proc_info info;
	struct tracer_stats st;

	if (tracer_process_info(c->s->tracer, pid, &info))
		return;
	fprintf(c->s->out, "pid %d (", pid);
	fputs_safe(info.exe ? info.exe : "?", c->s->out);
	fputs("):\n", c->s->out);
	tracer_for_each_probe(c->s->tracer, pid, list_probe, c->s->out);
	tracer_get_stats(c->s->tracer, &st);
	if (!info.hits && !st.sites_armed && !st.semaphores)
		fprintf(c->s->out, "  nothing armed%s\n",
			info.launched ? " (if the command runs another program, list that one)" : "");
	if (++c->ready >= c->s->npids + (c->s->cmd ? 1 : 0))
		tracer_request_stop(c->s->tracer);
}

static void trace_usage(FILE *f)
{
	fprintf(f, "Usage: ptap trace [OPTIONS] -p PID[,PID...]\n"
		   "       ptap trace [OPTIONS] -- COMMAND [ARGS...]\n"
		   "Print every hit of the selected probes (default: python:*, without python:line).\n"
		   "\nOptions:\n%s%s"
		   "  -l, --list              show what would be armed in each target, then detach\n"
		   "                          (a launched command is ended before its main runs)\n"
		   "      --json              one JSON object per event\n%s"
		   "  -h, --help              show this help\n", session_probe_help, session_options_help,
		   stack_options_help);
}

static int trace_option(void *ctx, int opt, const char *arg)
{
	struct trace_ctx *c = ctx;

	if (opt == 'l') {
		c->list = true;
		return 1;
	}
	return stack_view_option(&c->stack, "trace", opt, arg);
}

int cmd_trace(int argc, char **argv)
{
	static const char *const defaults[] = { "python:*", NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "list", no_argument, NULL, 'l' },
		SESSION_LONG_OPTIONS,
		STACK_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct tracer_hooks hooks = { .event = trace_on_event };
	static const struct tracer_hooks list_hooks = { .process_ready = trace_on_ready };
	struct session s;
	struct trace_ctx ctx = { .s = &s };
	int r;

	session_init(&s, "trace");
	stack_view_init(&ctx.stack);
	r = session_parse(&s, argc, argv, "+:hl" SESSION_SHORT, longopts, trace_option, &ctx,
			  trace_usage, defaults);
	if (r < 0) {
		session_free(&s);
		stack_view_free(&ctx.stack);
		return EXIT_OK;
	}
	s.cfg.calibrate = !ctx.list;
	s.cfg.stopped_hits = ctx.stack.on;  /* a stack is read from a stopped thread */
	if (!r && ctx.list)
		s.quiet = s.cfg.quiet = true;
	if (!r)
		stack_view_start(&ctx.stack);
	if (!r)
		r = session_start(&s, ctx.list ? &list_hooks : &hooks, &ctx);
	if (!r) {
		r = session_run(&s);
		if (!ctx.list)
			session_summary(&s);
		r = session_end(&s, r);
	}
	session_free(&s);
	stack_view_free(&ctx.stack);
	for (size_t i = 0; i < ctx.nlabels; i++)
		free(ctx.labels[i]);
	free(ctx.labels);
	return r;
}

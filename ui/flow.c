/*
 * ptap flow: the calls and returns of Python functions, one line each,
 * indented by call depth per thread.
 *
 *     TIME(us) WHO                  CALLS
 *       339730 python3.11(10296)      => scenario in /tmp/flow.py:76
 *       339744 python3.11(10296)        => fact in /tmp/flow.py:39
 *       339771 python3.11(10296)        <= fact in /tmp/flow.py:42
 *       341129 10296:10297              => second in /tmp/flow.py:85
 *
 * Each thread has a depth: python:function__entry prints at the depth and
 * then deepens it, function__return first makes it shallower and then
 * prints, so a call and its return line up.  The markers keep it
 * balanced: CPython fires return for a frame left by an exception too,
 * and a generator fires return at each yield and entry at each resume.
 * What cannot be balanced is a return from a call that began before ptap
 * attached: it is printed at depth 0 and leaves the depth at 0 (counted,
 * and reported at the end), so the depth never goes negative.  The
 * stacks are ui/callstack.c's, which top and record time; flow keeps
 * them untimed and needs only their depth.
 *
 * --function NAME keeps, per thread, only what happens from the entry of
 * a call of NAME to its matching return (the depth at which it entered),
 * and counts depth from that call; nested calls of NAME are part of the
 * outer one.  --max-depth N hides events nested N or more deep.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "ui/callstack.h"
#include "ui/commands.h"
#include "ui/flow_labels.h"
#include "ui/format.h"
#include "ui/session.h"

struct flow_ctx {
	struct session *s;
	const char *function;       /* --function glob, or NULL */
	int max_depth;              /* --max-depth, 0 = no limit */
	struct callstack stacks;    /* depth per thread (untimed); a thread's
	                               mark is the depth at which the selected
	                               call was entered, -1 outside any */
	struct labels labels;
};

enum { FLOW_OPT_FUNCTION = 0x1200, FLOW_OPT_MAX_DEPTH };

/* Forget the threads of pid: it ended, or runs a new program. */
static void flow_forget(struct flow_ctx *c, pid_t pid)
{
	labels_forget(&c->labels, pid);
	callstack_forget(&c->stacks, pid, 0);
}

/* A string argument, or "?" when it could not be read. */
static void arg_text(FILE *f, const struct value *v)
{
	const char *s;
	size_t len;

	if (value_str(v, &s, &len))
		format_escaped(f, s, len);
	else
		fputc('?', f);
}

static long arg_line(const struct value *v)
{
	int64_t n;

	return value_int(v, &n) ? (long)n : -1;
}

static void flow_print(struct flow_ctx *c, const struct event *ev, bool entry, int depth)
{
	FILE *f = c->s->out;
	const struct value *file = &ev->args[0], *func = &ev->args[1], *line = &ev->args[2];

	if (c->s->json) {
		fprintf(f, "{\"time_ns\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,\"depth\":%d,"
			"\"kind\":\"%s\",\"function\":", ev->time_ns, ev->pid, ev->tid, depth,
			entry ? "entry" : "return");
		format_str_json(f, func);
		fputs(",\"filename\":", f);
		format_str_json(f, file);
		fprintf(f, ",\"line\":%ld}\n", arg_line(line));
		return;
	}
	fprintf(f, "%10" PRIu64 " %-20s %*s%s ", ev->time_ns / 1000,
		labels_get(&c->labels, c->s->tracer, ev->pid, ev->tid), 2 * depth, "",
		entry ? "=>" : "<=");
	arg_text(f, func);
	fputs(" in ", f);
	arg_text(f, file);
	fprintf(f, ":%ld\n", arg_line(line));
}

static bool function_selected(const struct flow_ctx *c, const struct value *func)
{
	char name[256];

	if (func->type != VAL_STR || func->len >= sizeof(name))
		return false;
	memcpy(name, func->str, func->len);
	name[func->len] = '\0';
	return glob_match(c->function, name);
}

static void flow_on_event(void *ctx, const struct event *ev)
{
	struct flow_ctx *c = ctx;
	struct cs_thread *th;
	bool entry;
	int depth;

	switch (ev->probe->known) {
	case KP_PY_ENTRY:
		entry = true;
		break;
	case KP_PY_RETURN:
		entry = false;
		break;
	default:
		return;
	}
	if (ev->nargs < 3)
		return;
	th = callstack_thread(&c->stacks, ev->pid, ev->tid, ev->time_ns);
	if (entry) {
		depth = (int)th->depth;
		callstack_enter(&c->stacks, th, 0, ev->time_ns);
	} else {
		callstack_leave(&c->stacks, th, ev->time_ns, 0);
		depth = (int)th->depth;
	}
	if (c->function) {
		if (th->mark < 0) {
			if (!entry || !function_selected(c, &ev->args[1]))
				return;
			th->mark = depth;
		}
		if (!entry && depth == th->mark)
			th->mark = -1;          /* the selected call returns */
		depth -= th->mark < 0 ? depth : (int)th->mark;
	}
	if (c->max_depth && depth >= c->max_depth)
		return;
	flow_print(c, ev, entry, depth);
}

static void flow_on_exec(void *ctx, pid_t pid, const char *exe)
{
	(void)exe;
	flow_forget(ctx, pid);
}

static void flow_on_exit(void *ctx, pid_t pid, int status)
{
	(void)status;
	flow_forget(ctx, pid);
}

static void flow_usage(FILE *f)
{
	fprintf(f, "Usage: ptap flow [OPTIONS] -p PID[,PID...]\n"
		   "       ptap flow [OPTIONS] -- COMMAND [ARGS...]\n"
		   "Print every call and return of Python functions, indented by depth per thread\n"
		   "(python:function__entry and python:function__return).\n"
		   "\nOptions:\n"
		   "      --function NAME     only what happens inside calls of NAME (a glob),\n"
		   "                          from its entry to its matching return\n"
		   "      --max-depth N       do not show calls nested N or more deep\n"
		   "      --json              one JSON object per event\n"
		   "%s"
		   "  -h, --help              show this help\n", session_options_help);
}

static int flow_option(void *ctx, int opt, const char *arg)
{
	struct flow_ctx *c = ctx;
	uint64_t n;

	switch (opt) {
	case FLOW_OPT_FUNCTION:
		if (!*arg)
			return usage_error("flow", "--function wants a function name");
		c->function = arg;
		return 1;
	case FLOW_OPT_MAX_DEPTH:
		if (parse_u64(arg, &n) || n < 1 || n > 100000)
			return usage_error("flow", "--max-depth wants a positive number, not '%s'", arg);
		c->max_depth = (int)n;
		return 1;
	default:
		return 0;
	}
}

static void flow_free(struct flow_ctx *c)
{
	callstack_free(&c->stacks);
	labels_free(&c->labels);
}

int cmd_flow(int argc, char **argv)
{
	static const char *const probes[] = { "python:function__entry", "python:function__return",
					      NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "function", required_argument, NULL, FLOW_OPT_FUNCTION },
		{ "max-depth", required_argument, NULL, FLOW_OPT_MAX_DEPTH },
		SESSION_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct tracer_hooks hooks = {
		.event = flow_on_event,
		.process_exec = flow_on_exec,
		.process_exit = flow_on_exit,
	};
	struct session s;
	struct flow_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.s = &s;
	callstack_init(&c.stacks, false, NULL, NULL);
	labels_init(&c.labels);
	session_init(&s, "flow");
	s.fixed_probes = "flow chooses its probes itself (python:function__entry and __return); "
			 "for others, use ptap trace -e";
	r = session_parse(&s, argc, argv, "+:h" SESSION_SHORT, longopts, flow_option, &c,
			  flow_usage, probes);
	if (r) {
		r = r < 0 ? EXIT_OK : r;
		goto out;
	}
	r = session_start(&s, &hooks, &c);
	if (!r && !s.json)
		fprintf(s.out, "%10s %-20s %s\n", "TIME(us)", "WHO", "CALLS");
	if (!r)
		r = session_end(&s, session_run(&s));
	if (c.stacks.unmatched && !s.quiet)
		fprintf(stderr, "ptap: flow: %" PRIu64 " return%s without a matching entry (calls "
			"already running when tracing began) shown at depth 0\n", c.stacks.unmatched,
			c.stacks.unmatched == 1 ? "" : "s");
out:
	session_free(&s);
	flow_free(&c);
	return r;
}

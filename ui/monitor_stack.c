/*
 * --stack for trace and monitor; see monitor_stack.h.  The unwinding is
 * tracer/stack.c's; this file only asks for it at each event and prints
 * the frames.
 */
#include "ui/monitor_stack.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "ui/commands.h"

const char stack_options_help[] =
	"      --stack             show the native call stack of each hit\n"
	"      --stack-depth N     at most N frames (default 32); implies --stack\n";

void stack_view_init(struct stack_view *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->depth = STACK_DEPTH_DEFAULT;
}

int stack_view_option(struct stack_view *sv, const char *command, int opt, const char *arg)
{
	uint64_t n;

	switch (opt) {
	case STACK_OPT_STACK:
		sv->on = true;
		return 1;
	case STACK_OPT_DEPTH:
		if (parse_u64(arg, &n) || n < 1 || n > STACK_DEPTH_MAX)
			return usage_error(command, "--stack-depth wants a number of frames from 1 to "
					   "%d, not '%s'", STACK_DEPTH_MAX, arg);
		sv->depth = (int)n;
		sv->on = true;
		return 1;
	default:
		return 0;
	}
}

void stack_view_start(struct stack_view *sv)
{
	if (!sv->on)
		return;
	sv->u = stack_unwinder_new();
	sv->frames = xcalloc((size_t)sv->depth, sizeof(*sv->frames));
}

void stack_view_free(struct stack_view *sv)
{
	uint64_t calls, ns;

	stack_unwinder_cost(sv->u, &calls, &ns);
	if (calls)
		pr_info("stack", "%llu stacks unwound, %.1f us each", (unsigned long long)calls,
			ns / 1e3 / (double)calls);
	stack_unwinder_free(sv->u);
	free(sv->frames);
	sv->u = NULL;
	sv->frames = NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

void stack_view_text(struct stack_view *sv, FILE *f, struct tracer *t, const struct event *ev)
{
	int i, n;

	if (!sv->on)
		return;
	n = tracer_event_stack(t, sv->u, ev, sv->frames, sv->depth);
	if (n < 0) {
		fprintf(f, "    (no stack: %s)\n", strerror(-n));
		return;
	}
	for (i = 0; i < n; i++) {
		const struct stack_frame *fr = &sv->frames[i];

		/* symbol and file names come from the target's files */
		fprintf(f, "    #%-2d 0x%" PRIx64 " ", i, fr->pc);
		if (fr->function) {
			fputs_safe(fr->function, f);
			fprintf(f, "+0x%" PRIx64 " (", fr->offset);
			fputs_safe(fr->module ? base_name(fr->module) : "?", f);
			fputs(")\n", f);
		} else if (fr->module && fr->module[0] == '/') {
			fputs("?? (", f);
			fputs_safe(base_name(fr->module), f);
			fprintf(f, "+0x%" PRIx64 ")\n", fr->offset);
		} else {
			fputs("?? (", f);
			fputs_safe(fr->module ? fr->module : "?", f);
			fputs(")\n", f);
		}
	}
}

void stack_view_json(struct stack_view *sv, FILE *f, struct tracer *t, const struct event *ev)
{
	int i, n;

	if (!sv->on)
		return;
	n = tracer_event_stack(t, sv->u, ev, sv->frames, sv->depth);
	fputs(",\"stack\":[", f);
	for (i = 0; i < n; i++) {
		const struct stack_frame *fr = &sv->frames[i];

		fputs(i ? ",{\"pc\":" : "{\"pc\":", f);
		json_hex(f, fr->pc);
		fputs(",\"function\":", f);
		json_string(f, fr->function);
		fprintf(f, ",\"offset\":%" PRIu64 ",\"module\":", fr->offset);
		json_string(f, fr->module);
		fputc('}', f);
	}
	fputc(']', f);
	if (n < 0) {
		fputs(",\"stack_error\":", f);
		json_string(f, strerror(-n));
	}
}

/*
 * When nothing a command needs can fire: say which program and why, and
 * end with status 1 rather than an empty result.
 *
 * Each traced process is judged once its probes are armed (the tracer's
 * process_ready: right after attach, or after a launched or exec'd
 * program's loader mapped its libraries): if none of the selected probes
 * is armed in it, ui/explain.c says why in a sentence naming it.
 *
 *   attached (-p): said at once for each process; with nothing armed in
 *     any, ptap detaches and exits 1 (session_start);
 *   launched or followed: when the process is the only one traced,
 *     nothing was armed anywhere yet, and it runs a Python whose own
 *     markers cannot give what the patterns name (they all name provider
 *     "python", and the interpreter has no markers, or not those), no
 *     later library can change that: tracing stops there, the command is
 *     ended, exit 1.  Any other program (a shell, a wrapper) may still
 *     run a Python, so it is only remembered; if the targets then end
 *     with nothing ever matched, the last such sentence is the reason
 *     and the status is 1 (session_nothing_traced).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ui/commands.h"
#include "ui/explain.h"
#include "ui/session.h"

static void count_armed(void *ctx, const struct probe_info *pi UNUSED, uint64_t site UNUSED,
			uint64_t sem UNUSED, enum tracer_site_how how, const char *why UNUSED)
{
	*(size_t *)ctx += how != TRACER_SITE_SEMAPHORE;
}

size_t session_armed_in(struct session *s, pid_t pid)
{
	size_t n = 0;

	tracer_for_each_probe(s->tracer, pid, count_armed, &n);
	return n;
}

static bool any_matched(const struct session *s)
{
	for (size_t i = 0; i < s->sel.n; i++)
		if (s->sel.pats[i].matched)
			return true;
	return false;
}

/* Remember why pid has nothing; true if it can never have anything. */
static bool session_judge(struct session *s, pid_t pid)
{
	struct explain e;

	explain_process(pid, &s->sel, &e);
	free(s->unarmed_why);
	s->unarmed_why = e.text;
	return e.never;
}

void session_ready(struct session *s, pid_t pid)
{
	struct tracer_stats st;

	if (s->attaching || s->never_fires || any_matched(s) || session_armed_in(s, pid))
		return;
	/* a busy shell script starts many programs: the first one and each
	 * that runs alone are judged, not all */
	tracer_get_stats(s->tracer, &st);
	if (st.processes != 1 && s->unarmed_why)
		return;
	if (!session_judge(s, pid) || st.processes != 1)
		return;
	s->never_fires = true;
	tracer_request_stop(s->tracer);
}

bool session_attached_nothing(struct session *s, pid_t pid)
{
	if (session_armed_in(s, pid))
		return false;
	session_judge(s, pid);
	fprintf(stderr, "ptap: %s: nothing to trace: %s\n", s->name, s->unarmed_why);
	return true;
}

bool session_nothing_traced(struct session *s)
{
	struct tracer_stats st;
	char *pats;
	bool final;

	tracer_get_stats(s->tracer, &st);
	if (!s->never_fires && (any_matched(s) || st.hits))
		return false;
	/* only the end of every target, or a judgement, is final: q,
	 * --duration or a signal may have come before the program that
	 * would have had the probes */
	final = s->never_fires || s->stop == TSTOP_TARGETS_GONE;
	if (!final && s->quiet)
		return false;
	free(s->nothing_msg);
	if (s->unarmed_why) {
		s->nothing_msg = xasprintf("ptap: %s: nothing %s: %s%s", s->name,
					   final ? "to trace" : "traced", s->unarmed_why,
					   s->never_fires && s->launched ? "; the command was ended" : "");
	} else {
		pats = explain_patterns(&s->sel);
		s->nothing_msg = xasprintf("ptap: %s: nothing traced: %s matched no probe in the "
					   "traced processes", s->name, pats);
		free(pats);
	}
	fprintf(stderr, "%s\n", s->nothing_msg);
	return final;
}

/*
 * What every tracing command shares: the target options (-p PID..., or
 * -- CMD ARGS), -e patterns, -o FILE, --duration, --no-follow, --no-pin,
 * -q; starting the tracer on the targets with clear messages; and the
 * exit status at the end (the launched command's, or 0/1).
 */
#ifndef PTAP_UI_SESSION_H
#define PTAP_UI_SESSION_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracer/select.h"
#include "tracer/tracer.h"

struct session {
	const char *name;            /* the command, for messages */
	const char *fixed_probes;    /* why -e is refused, if the command
	                                chooses its probes itself */
	struct selection sel;
	struct tracer_config cfg;
	pid_t *pids;                 /* -p, in order */
	size_t npids;
	char **cmd;                  /* after --, NULL if none */
	const char *output;          /* -o FILE, NULL for stdout */
	FILE *out;                   /* writes to out_fd (the cookie is the session) */
	int out_fd;
	bool json;
	bool quiet;
	struct tracer *tracer;
	struct tracer_hooks hooks;   /* ours, given to the tracer */
	struct tracer_hooks user_hooks;  /* the command's, called through ours */
	void *user_ctx;
	int out_errno;               /* writing the output failed: why */
	bool out_stopped;            /* ... and the tracer was asked to stop */
	bool out_reported;           /* ... and ptap said so */
	int attached;                /* processes attached with -p */
	pid_t launched;              /* the launched command's pid, 0 if none */
	enum tracer_stop stop;
	/* when nothing selected can fire (session_why.c) */
	bool attaching;              /* in session_start's attach loop */
	char *unarmed_why;           /* why the last process judged has nothing armed */
	bool never_fires;            /* tracing stopped: nothing selected can ever fire */
	char *nothing_msg;           /* the message that said so, for a screen to repeat */
	/* the whole system at once (session_all.c) */
	bool all;                    /* -a: every process carrying a selected probe */
	bool all_if_no_target;       /* no -p and no command means -a (top) */
	bool whole_screen;           /* a screen is up: no progress lines on stderr */
	struct session_all *whole;   /* its state, NULL unless all */
	uint64_t user_tick_ns;       /* the command's tick period when -a ticks faster */
	uint64_t user_next_tick_ns;  /* ... and its next tick */
	struct tracer_cost cost;     /* the latest sample, for the summary */
	uint64_t cost_at_ns;         /* when it was taken */
};

/* Long options every tracing command accepts; the short ones are in
 * SESSION_SHORT.  A command lists them after its own. */
#define SESSION_SHORT "e:p:o:qs:fa"
enum {
	SESSION_OPT_DURATION = 0x1000,
	SESSION_OPT_NO_FOLLOW,
	SESSION_OPT_NO_PIN,
	SESSION_OPT_JSON,
	SESSION_OPT_NO_STRING_CACHE,
	SESSION_OPT_ENGINE,
};
#define SESSION_LONG_OPTIONS                                                   \
	{ "probe", required_argument, NULL, 'e' },                             \
	{ "pid", required_argument, NULL, 'p' },                               \
	{ "output", required_argument, NULL, 'o' },                            \
	{ "quiet", no_argument, NULL, 'q' },                                   \
	{ "duration", required_argument, NULL, SESSION_OPT_DURATION },         \
	{ "no-follow", no_argument, NULL, SESSION_OPT_NO_FOLLOW },             \
	{ "no-pin", no_argument, NULL, SESSION_OPT_NO_PIN },                   \
	{ "json", no_argument, NULL, SESSION_OPT_JSON },                       \
	{ "no-string-cache", no_argument, NULL, SESSION_OPT_NO_STRING_CACHE }, \
	{ "string-size", required_argument, NULL, 's' },                       \
	{ "engine", required_argument, NULL, SESSION_OPT_ENGINE },             \
	{ "follow", no_argument, NULL, 'f' },                                  \
	{ "all", no_argument, NULL, 'a' }

/* The help lines for those options: -e (only for the commands that let
 * the user choose the probes), and all the others. */
extern const char session_probe_help[];
extern const char session_options_help[];

void session_init(struct session *s, const char *name);
/* "inproc" or "ptrace": 0 and *engine, or -EINVAL. */
int session_engine(const char *name, enum tracer_engine *engine);
/* Handle one option returned by getopt_long: 1 used, 0 not ours, or
 * EXIT_USAGE after printing the problem. */
int session_option(struct session *s, int opt, const char *arg);
/* After getopt: take the command after "--", check that there is a
 * target, add default patterns if none were given.  0 or EXIT_USAGE. */
int session_finish_args(struct session *s, int argc, char **argv, const char *const *default_probes);

/*
 * A command's whole command line: getopt_long with shortopts (which must
 * start with "+:h" and include SESSION_SHORT), each option offered first
 * to the command's own handler (same convention as session_option),
 * then to session_option; -h prints usage; then session_finish_args.
 * 0, -1 after --help (exit 0), or EXIT_USAGE after printing the problem.
 */
typedef int (*session_option_fn)(void *ctx, int opt, const char *arg);
int session_parse(struct session *s, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, session_option_fn opt_fn, void *ctx,
		  void (*usage)(FILE *), const char *const *default_probes);
/* Open the output, create the tracer, attach and launch.  0, or the exit
 * status to return (after printing why). */
int session_start(struct session *s, const struct tracer_hooks *hooks, void *ctx);
/* Run until done; returns the exit status for ptap. */
int session_run(struct session *s);
/* After the command's last output (a final table, totals): flush it and
 * return status, or 1 if the output failed at any point (said once on
 * stderr; a reader that closed its pipe is no failure). */
int session_end(struct session *s, int status);
/* The closing line on stderr (unless -q): events, unreadable arguments,
 * string cache figures. */
void session_summary(struct session *s);
void session_free(struct session *s);

/* session_why.c: probes of the selection armed in pid (breakpoints). */
size_t session_armed_in(struct session *s, pid_t pid);
/* A process is ready (the tracer's hook): judge it if nothing is armed. */
void session_ready(struct session *s, pid_t pid);
/* After attaching pid: say why, and true, if nothing is armed in it. */
bool session_attached_nothing(struct session *s, pid_t pid);
/* At the end: when nothing selected was ever armed or hit, say why (in
 * nothing_msg too) and return true if that is final (exit 1). */
bool session_nothing_traced(struct session *s);

/* session_all.c: the whole-system mode.  Start: the first scan of /proc
 * and its attaches (after tracer_new); tick: a rescan when one is due;
 * started/ended: the tracer's process hooks; counts: processes traced
 * now and skipped; last_skip: the latest reason a process was skipped
 * (NULL if none), for a status line; summary: every skipped process
 * with its reason, once each, on stderr. */
void session_all_start(struct session *s);
void session_all_tick(struct session *s, uint64_t now);
void session_all_started(struct session *s, pid_t pid);
void session_all_ended(struct session *s, pid_t pid);
void session_all_counts(const struct session *s, unsigned *traced, unsigned *skipped);
const char *session_all_last_skip(const struct session *s);
void session_all_summary(struct session *s);
void session_all_free(struct session *s);

#endif

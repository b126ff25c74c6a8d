/*
 * The shared part of tracing commands; see session.h.
 */
#define _GNU_SOURCE
#include "ui/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "ui/commands.h"
#include "ui/format.h"

const char session_probe_help[] =
	"  -e, --probe PATTERN     PROVIDER:NAME glob, optionally with a type list,\n"
	"                          e.g. -e 'myapp:request(str,u64)' (repeatable)\n";

const char session_options_help[] =
	"  -p, --pid PID[,PID...]  attach to running processes (repeatable)\n"
	"  -a, --all               every process that carries the probes, those\n"
	"                          started later too (/proc scanned every 200 ms)\n"
	"  -o, --output FILE       write to FILE instead of standard output\n"
	"  -s, --string-size N     show at most N bytes of a string argument (512)\n"
	"      --duration SECONDS  stop after this long\n"
	"      --no-follow         do not trace forked children\n"
	"      --no-pin            do not keep ptap and the target on one CPU\n"
	"      --no-string-cache   read CPython's file and function names on every hit\n"
	"      --engine ENGINE     inproc (a jump into the target; the default) or\n"
	"                          ptrace (an int3 and a ptrace stop at every hit)\n"
	"  -q, --quiet             no progress messages on standard error\n"
	"  -f, --follow            accepted for strace's sake: forked children are\n"
	"                          followed by default (--no-follow to stay out)\n";

/* "ptap: COMMAND: message" on stderr; the message may quote names from
 * the system (a path, another process's name), escaped as fputs_safe does. */
static void PRINTF_LIKE(2, 3) session_say(const struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ptap: %s: ", s->name);
	fputs_safe(msg, stderr);
	fputc('\n', stderr);
	free(msg);
}

int session_engine(const char *name, enum tracer_engine *engine)
{
	if (!strcmp(name, "inproc"))
		*engine = TRACER_ENGINE_INPROC;
	else if (!strcmp(name, "ptrace"))
		*engine = TRACER_ENGINE_PTRACE;
	else
		return -EINVAL;
	return 0;
}

void session_init(struct session *s, const char *name)
{
	const char *engine = getenv("PTAP_ENGINE");

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->out = stdout;
	s->stop = TSTOP_NONE;
	/* PTAP_ENGINE sets the default; --engine overrides it */
	if (!engine || !*engine || session_engine(engine, &s->cfg.engine))
		s->cfg.engine = TRACER_ENGINE_INPROC;
}

static int add_pids(struct session *s, const char *arg)
{
	char *copy = xstrdup(arg), *tok, *save = NULL;
	uint64_t v;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_u64(tok, &v) || v == 0 || v > 0x7fffffff) {
			v = (uint64_t)usage_error(s->name, "'%s' is not a process id", tok);
			free(copy);
			return (int)v;
		}
		s->pids = xrealloc(s->pids, (s->npids + 1) * sizeof(*s->pids));
		s->pids[s->npids++] = (pid_t)v;
	}
	free(copy);
	return 0;
}

int session_option(struct session *s, int opt, const char *arg)
{
	const char *why;
	double secs;
	uint64_t n;
	int err;

	switch (opt) {
	case 'e':
		if (s->fixed_probes)
			return usage_error(s->name, "%s", s->fixed_probes);
		if (selection_add(&s->sel, arg, &why))
			return usage_error(s->name, "bad probe pattern '%s': %s", arg, why);
		return 1;
	case 'p':
		err = add_pids(s, arg);
		return err ? err : 1;
	case 'a':
		s->all = true;
		return 1;
	case 'o':
		s->output = arg;
		return 1;
	case 's':
		if (parse_u64(arg, &n) || n == 0 || n > ARGEVAL_STR_LIMIT)
			return usage_error(s->name, "--string-size wants a number of bytes from 1 to %d, "
					   "not '%s'", ARGEVAL_STR_LIMIT, arg);
		s->cfg.str_max = (size_t)n;
		return 1;
	case 'q':
		s->quiet = true;
		s->cfg.quiet = true;
		return 1;
	case SESSION_OPT_DURATION:
		if (parse_seconds(arg, &secs) || secs <= 0)
			return usage_error(s->name, "--duration wants a positive number of seconds, "
					   "not '%s'", arg);
		s->cfg.duration = secs;
		return 1;
	case SESSION_OPT_NO_FOLLOW:
		s->cfg.no_follow = true;
		return 1;
	case 'f':
		fprintf(stderr, "ptap: %s: note: -f changes nothing: threads and forked children "
			"are followed by default (--no-follow to stay in the first process)\n",
			s->name);
		return 1;
	case SESSION_OPT_NO_PIN:
		s->cfg.no_pin = true;
		return 1;
	case SESSION_OPT_JSON:
		s->json = true;
		return 1;
	case SESSION_OPT_NO_STRING_CACHE:
		s->cfg.no_string_cache = true;
		return 1;
	case SESSION_OPT_ENGINE:
		if (session_engine(arg, &s->cfg.engine))
			return usage_error(s->name, "--engine wants inproc or ptrace, not '%s'", arg);
		return 1;
	default:
		return 0;
	}
}

int session_finish_args(struct session *s, int argc, char **argv, const char *const *default_probes)
{
	const char *why;

	if (optind < argc)
		s->cmd = argv + optind;
	if (!s->cmd && !s->npids && s->all_if_no_target)
		s->all = true;
	if (s->all && (s->cmd || s->npids))
		return usage_error(s->name, "-a traces every process: give no -p and no command with it");
	if (!s->cmd && !s->npids && !s->all)
		return usage_error(s->name, "nothing to trace: give -p PID or -- COMMAND (or -a, "
				   "every process that has the probes)");
	s->cfg.keep_running = s->all;
	if (!s->sel.n && default_probes)
		for (; *default_probes; default_probes++)
			if (selection_add(&s->sel, *default_probes, &why))
				return usage_error(s->name, "internal pattern '%s': %s", *default_probes,
						   why);
	s->cfg.sel = &s->sel;
	return 0;
}

/*
 * Output that cannot be written (a full disk, a file-size limit) ends the
 * session like an internal error: everything is detached and restored,
 * and ptap exits with 1.  A reader that closed its pipe (EPIPE: `| head`)
 * ends it too, quietly and with 0: that is the reader's choice.
 */
static void session_check_output(struct session *s)
{
	if (likely(!s->out_errno && !ferror(s->out)) || s->out_stopped)
		return;
	if (!s->out_errno)
		s->out_errno = EIO;
	s->out_stopped = true;
	tracer_request_stop(s->tracer);
}

static void wrap_event(void *ctx, const struct event *ev)
{
	struct session *s = ctx;

	s->user_hooks.event(s->user_ctx, ev);
	session_check_output(s);
}

static void wrap_tick(void *ctx, uint64_t now)
{
	struct session *s = ctx;
	bool user_due = true;

	session_all_tick(s, now);
	if (s->user_tick_ns) {
		/* -a ticks faster than the command asked, to scan /proc */
		user_due = now >= s->user_next_tick_ns;
		if (user_due) {
			s->user_next_tick_ns += s->user_tick_ns;
			if (s->user_next_tick_ns <= now)
				s->user_next_tick_ns = now + s->user_tick_ns;
		}
	}
	/* the tracer's cost is sampled now and then, so that threads that
	 * end are counted with their CPU time (tracer.h) */
	if (now - s->cost_at_ns >= 1000000000u) {
		tracer_cost_sample(s->tracer, &s->cost);
		s->cost_at_ns = now;
	}
	if (s->user_hooks.tick && user_due)
		s->user_hooks.tick(s->user_ctx, now);
	session_check_output(s);
}

static void wrap_start(void *ctx, pid_t pid, pid_t parent)
{
	struct session *s = ctx;

	session_all_started(s, pid);
	if (s->user_hooks.process_start)
		s->user_hooks.process_start(s->user_ctx, pid, parent);
}

static void wrap_exec(void *ctx, pid_t pid, const char *exe)
{
	struct session *s = ctx;

	s->user_hooks.process_exec(s->user_ctx, pid, exe);
}

static void wrap_ready(void *ctx, pid_t pid)
{
	struct session *s = ctx;

	session_ready(s, pid);
	if (s->user_hooks.process_ready)
		s->user_hooks.process_ready(s->user_ctx, pid);
}

static void wrap_exit(void *ctx, pid_t pid, int status)
{
	struct session *s = ctx;

	session_all_ended(s, pid);
	if (s->user_hooks.process_exit)
		s->user_hooks.process_exit(s->user_ctx, pid, status);
}

static void wrap_paused(void *ctx, bool resumed)
{
	struct session *s = ctx;

	if (s->user_hooks.paused)
		s->user_hooks.paused(s->user_ctx, resumed);
}

static void wrap_notice(void *ctx, const char *msg)
{
	struct session *s = ctx;

	s->user_hooks.notice(s->user_ctx, msg);
}

int session_parse(struct session *s, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, session_option_fn opt_fn, void *ctx,
		  void (*usage)(FILE *), const char *const *default_probes)
{
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		r = opt_fn ? opt_fn(ctx, opt, optarg) : 0;
		if (!r)
			r = session_option(s, opt, optarg);
		if (r == 1)
			continue;
		return r ? r : usage_getopt(s->name, opt, argv);
	}
	return session_finish_args(s, argc, argv, default_probes);
}

/*
 * The output stream.  The tracer's ticker (SIGALRM) must interrupt
 * waitpid, so it has no SA_RESTART, and a write blocked on a slow pipe
 * gets EINTR too: it is retried here.  Once a stop signal came, only
 * while the reader keeps reading (what the in-process engine's rings
 * still hold is written out at the stop): a reader that stopped reading
 * for a second cannot hold ptap, and its targets, forever.
 */
static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	static uint64_t progress_ns;
	struct session *s = cookie;
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = write(s->out_fd, buf + done, len - done);
		if (r < 0 && errno == EINTR &&
		    (!tracer_signal_pending() || now_ns() - progress_ns < 1000000000u))
			continue;
		if (r < 0) {
			if (!s->out_errno)
				s->out_errno = errno;   /* the first failure says why */
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)r;
		progress_ns = now_ns();
	}
	return (ssize_t)done;
}

static int out_close(void *cookie)
{
	struct session *s = cookie;

	return s->out_fd > STDERR_FILENO ? close(s->out_fd) : 0;
}

static FILE *out_open(struct session *s, int fd)
{
	static const cookie_io_functions_t io = { .write = out_write, .close = out_close };
	FILE *f;

	s->out_fd = fd;
	f = fopencookie(s, "w", io);
	if (f)
		setvbuf(f, NULL, isatty(fd) ? _IOLBF : _IOFBF, 1 << 16);
	return f;
}

int session_start(struct session *s, const struct tracer_hooks *hooks, void *ctx)
{
	static const struct tracer_hooks none;
	struct tracer_hooks *w;
	struct tracer_stats before, after;
	const char *cwhy;
	char *why;
	size_t i;
	pid_t pid;
	int err, armed = 0;

	if (s->output) {
		int fd = open(s->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		if (fd < 0) {
			session_say(s, "%s: %s", s->output, strerror(errno));
			return EXIT_RUNTIME;
		}
		s->out = out_open(s, fd);
		if (!s->out) {
			close(fd);
			s->out = stdout;
			return EXIT_RUNTIME;
		}
	} else {
		fflush(stdout);
		s->out = out_open(s, STDOUT_FILENO);
		if (!s->out)
			s->out = stdout;
	}
	tracer_signals_install();
	/* our hooks wrap the command's: the output is checked after each */
	s->user_hooks = hooks ? *hooks : none;
	s->user_ctx = ctx;
	w = &s->hooks;
	*w = (struct tracer_hooks){
		.event = s->user_hooks.event ? wrap_event : NULL,
		.tick = wrap_tick,
		.process_start = s->user_hooks.process_start || s->all ? wrap_start : NULL,
		.process_exec = s->user_hooks.process_exec ? wrap_exec : NULL,
		.process_ready = wrap_ready,
		.process_exit = s->user_hooks.process_exit || s->all ? wrap_exit : NULL,
		.notice = s->user_hooks.notice ? wrap_notice : NULL,
		.paused = wrap_paused,
	};
	if (!s->user_hooks.tick && !s->cfg.tick_ms)
		s->cfg.tick_ms = 200;   /* to notice a broken output while idle */
	if (s->all && (!s->cfg.tick_ms || s->cfg.tick_ms > 50)) {
		/* -a scans /proc from the ticks: the command's own come at its pace */
		if (s->user_hooks.tick && s->cfg.tick_ms) {
			s->user_tick_ns = (uint64_t)s->cfg.tick_ms * 1000000u;
			s->user_next_tick_ns = now_ns() + s->user_tick_ns;
		}
		s->cfg.tick_ms = 50;
	}
	s->tracer = tracer_new(&s->cfg, w, s);
	s->cost_at_ns = now_ns();
	if (s->all)
		session_all_start(s);
	for (i = 0; i < s->npids; i++) {
		if (tracer_signal_pending())
			break;  /* stop now: attaching the rest would only delay it */
		s->attaching = true;
		tracer_get_stats(s->tracer, &before);
		err = tracer_attach(s->tracer, s->pids[i], &why);
		s->attaching = false;
		if (err) {
			session_say(s, "%s", why);
			free(why);
			continue;
		}
		s->attached++;
		if (session_attached_nothing(s, s->pids[i]))
			continue;
		armed++;
		tracer_get_stats(s->tracer, &after);
		if (!s->quiet)
			fprintf(stderr, "ptap: tracing pid %d: %u thread%s, %llu probe site%s armed, "
				"%llu semaphore%s raised\n", s->pids[i], after.threads - before.threads,
				after.threads - before.threads == 1 ? "" : "s",
				(unsigned long long)(after.sites_armed - before.sites_armed),
				after.sites_armed - before.sites_armed == 1 ? "" : "s",
				(unsigned long long)(after.semaphores - before.semaphores),
				after.semaphores - before.semaphores == 1 ? "" : "s");
	}
	if (s->npids && !s->attached && !s->cmd)
		return tracer_signal_pending() ? EXIT_OK : EXIT_RUNTIME;
	if (s->attached && !s->cmd && !armed && !s->whole) {
		/* nothing to wait for (each process said why): let them go */
		if (s->attached > 1)
			fprintf(stderr, "ptap: %s: nothing to trace in any of the %d attached "
				"processes\n", s->name, s->attached);
		tracer_request_stop(s->tracer);
		tracer_run(s->tracer);
		return EXIT_RUNTIME;
	}
	if (s->cmd) {
		pid = tracer_launch(s->tracer, s->cmd, &cwhy);
		if (pid < 0) {
			session_say(s, "%s: %s", s->cmd[0], cwhy);
			if (s->attached) {
				/* let the processes of -p go, restored */
				tracer_request_stop(s->tracer);
				tracer_run(s->tracer);
			}
			return pid == -ENOENT ? 127 : 126;
		}
		s->launched = pid;
	}
	return 0;
}

/* Flush the output; say once why it failed, if it did.  0, or -errno
 * (-EPIPE: the reader is gone, said nothing). */
static int session_flush(struct session *s)
{
	if (s->out && (fflush(s->out) || ferror(s->out)) && !s->out_errno)
		s->out_errno = EIO;
	if (!s->out_errno)
		return 0;
	if (s->out_errno != EPIPE && !s->out_reported)
		session_say(s, "cannot write %s: %s; stopped", s->output ? s->output : "standard output",
			    strerror(s->out_errno));
	s->out_reported = true;
	return -s->out_errno;
}

int session_run(struct session *s)
{
	int st, err;
	size_t i;

	s->stop = tracer_run(s->tracer);
	err = session_flush(s);
	if (err == -EPIPE)
		return EXIT_OK;
	if (err)
		return EXIT_RUNTIME;
	if (s->stop != TSTOP_ERROR && !s->whole && session_nothing_traced(s))
		return EXIT_RUNTIME;
	for (i = 0; i < s->sel.n && !s->nothing_msg && !s->whole; i++)
		if (!s->sel.pats[i].matched && !s->quiet)
			session_say(s, "-e '%s' matched no probe in the traced processes",
				    s->sel.pats[i].text);
	if (s->stop == TSTOP_ERROR)
		return EXIT_RUNTIME;
	if (s->launched) {
		/* ptap ended the command itself (q, --duration, -l): not its failure */
		if (s->stop == TSTOP_REQUEST || s->stop == TSTOP_DURATION)
			return EXIT_OK;
		st = tracer_launched_status(s->tracer);
		if (st != -1)
			return exit_status_of(st);
		return s->stop == TSTOP_SIGNAL ? 128 + tracer_stop_signal(s->tracer) : EXIT_OK;
	}
	return EXIT_OK;
}

int session_end(struct session *s, int status)
{
	int err = session_flush(s);

	session_all_summary(s);         /* once: the skipped processes */
	if (err && err != -EPIPE)
		return EXIT_RUNTIME;
	return status;
}

/*
 * What an event cost the traced threads, from the tracer's estimate,
 * never more than the clock allows (tracer.h): "at most" when the clock
 * cut the estimate.
 */
static void session_cost_summary(struct session *s, const struct tracer_stats *st)
{
	static const struct tracer_cost start;
	bool bounded;
	uint64_t held;

	tracer_cost_sample(s->tracer, &s->cost);
	held = tracer_cost_held(&start, &s->cost, &bounded);
	if (!st->hits || !held)
		return;
	fprintf(stderr, "; each event cost the target %s %.2f us", bounded ? "at most" : "about",
		(double)held / (double)st->hits / 1e3);
	/* a ptrace stop waits for ptap's handling: part of the cost */
	if (st->stop_ns)
		fprintf(stderr, " (%.1f in ptap)", (double)st->handle_ns / (double)st->hits / 1e3);
}

void session_summary(struct session *s)
{
	struct tracer_stats st;

	if (s->quiet || !s->tracer)
		return;
	tracer_get_stats(s->tracer, &st);
	fprintf(stderr, "ptap: %s: %llu event%s, %llu unreadable argument%s", s->name,
		(unsigned long long)st.hits, st.hits == 1 ? "" : "s",
		(unsigned long long)st.arg_errors, st.arg_errors == 1 ? "" : "s");
	if (st.strcache_hits + st.strcache_misses)
		fprintf(stderr, "; names from the string cache %llu, read %llu",
			(unsigned long long)st.strcache_hits, (unsigned long long)st.strcache_misses);
	session_cost_summary(s, &st);
	fputc('\n', stderr);
	session_all_summary(s);
}

void session_free(struct session *s)
{
	if (s->out && s->out != stdout)
		fclose(s->out);
	tracer_free(s->tracer);
	session_all_free(s);
	selection_free(&s->sel);
	free(s->pids);
	free(s->unarmed_why);
	free(s->nothing_msg);
}

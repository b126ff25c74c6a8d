/*
 * ptap ps: the Pythons of the system, and whether ptap may trace them.
 *
 * One line per process that runs a Python interpreter (or carries python
 * markers): PID, USER, PYTHON (version), MARKERS (how many distinct
 * python markers, then the names), TRACE ("yes", or why not), COMMAND
 * (cut to the terminal's width when standard output is one).  --json
 * writes one array of objects with the same facts, the reason in full.
 * The verdicts are ui/scan.c's, the ones the whole-system mode acts on.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "ui/commands.h"
#include "ui/scan.h"

static void ps_usage(FILE *f)
{
	fprintf(f,
		"Usage: ptap ps [--json]\n"
		"List the processes that run a Python, with its version, the stapsdt markers\n"
		"it carries, and whether ptap may trace it (or why not: another user's,\n"
		"already traced by another tracer, no markers).\n"
		"\n"
		"      --json   one JSON array, the reasons in full\n"
		"  -h, --help   show this help\n");
}

static const char *user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", (unsigned)uid);
	return buf;
}

static void version_text(unsigned v, char *buf, size_t size)
{
	if (v)
		snprintf(buf, size, "%u.%u", v >> 24, (v >> 16) & 0xff);
	else
		snprintf(buf, size, "?");
}

/* The TRACE column: "yes", or why not, short. */
static void trace_text(const struct scan_proc *p, char *buf, size_t size)
{
	if (p->verdict == SCAN_OTHER_TRACER)
		snprintf(buf, size, "no: traced by pid %d (%s)", (int)p->tracer, p->tracer_comm);
	else
		snprintf(buf, size, "%s", scan_verdict_text(p->verdict));
}

/* Whether ps lists it: a Python, or a process with python markers. */
static bool ps_listed(const struct scan_proc *p)
{
	return p->verdict != SCAN_IGNORED && (p->python || p->nmarkers);
}

static size_t term_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return 0;
}

static void ps_json(FILE *f, const struct scan_proc *p, const char *cmd, bool *first)
{
	char user[64], ver[16], trace[128];
	const char *m = p->markers;

	version_text(p->python_version, ver, sizeof(ver));
	trace_text(p, trace, sizeof(trace));
	fprintf(f, "%s\n  {\"pid\": %d, \"user\": ", *first ? "" : ",", (int)p->pid);
	json_string(f, user_name(p->uid, user, sizeof(user)));
	fprintf(f, ", \"uid\": %u, \"python\": ", (unsigned)p->uid);
	if (p->python_version)
		json_string(f, ver);
	else
		fputs("null", f);
	fprintf(f, ", \"markers\": [");
	for (bool firstm = true; *m; firstm = false) {
		size_t l = strcspn(m, ",");
		char *name = xstrndup(m, l);

		fputs(firstm ? "" : ", ", f);
		json_string(f, name);
		free(name);
		m += l + (m[l] == ',');
	}
	fprintf(f, "], \"traceable\": %s, \"verdict\": ",
		p->verdict == SCAN_TRACEABLE ? "true" : "false");
	json_string(f, trace);
	fputs(", \"why\": ", f);
	if (p->why)
		json_string(f, p->why);
	else
		fputs("null", f);
	if (p->verdict == SCAN_OTHER_TRACER)
		fprintf(f, ", \"tracer_pid\": %d", (int)p->tracer);
	fputs(", \"command\": ", f);
	json_string(f, cmd);
	fputc('}', f);
	*first = false;
}

static void ps_line(FILE *f, const struct scan_proc *p, const char *cmd, size_t width)
{
	char user[64], ver[16], trace[128], markers[32], line[512];
	int n;

	version_text(p->python_version, ver, sizeof(ver));
	trace_text(p, trace, sizeof(trace));
	snprintf(markers, sizeof(markers), "%zu", p->nmarkers);
	n = snprintf(line, sizeof(line), "%7d %-10.10s %-6s %7s  %-30s ", (int)p->pid,
		     user_name(p->uid, user, sizeof(user)), ver, markers, trace);
	fputs(line, f);
	if (width && (size_t)n < width)
		fprintf(f, "%.*s\n", (int)(width - (size_t)n), cmd);
	else
		fprintf(f, "%s\n", cmd);
}

int cmd_ps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_cache *cache;
	struct selection sel = { 0 };
	const char *why;
	struct scan_proc p;
	bool json = false, first = true;
	size_t n, i, width = term_width(), shown = 0;
	pid_t *pids;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			ps_usage(stdout);
			return EXIT_OK;
		}
		if (opt == 'j') {
			json = true;
			continue;
		}
		return usage_getopt("ps", opt, argv);
	}
	if (optind < argc)
		return usage_error("ps", "unexpected argument '%s'", argv[optind]);
	if (selection_add(&sel, "python:*", &why))
		return EXIT_RUNTIME;
	cache = scan_cache_new();
	n = scan_pids(&pids);
	if (json)
		fputc('[', stdout);
	else
		printf("%7s %-10s %-6s %7s  %-30s %s\n", "PID", "USER", "PYTHON", "MARKERS", "TRACE",
		       "COMMAND");
	for (i = 0; i < n; i++) {
		char *cmd;

		if (scan_process(cache, pids[i], &sel, json, &p))
			continue;
		if (ps_listed(&p)) {
			cmd = scan_cmdline(pids[i]);
			if (json)
				ps_json(stdout, &p, cmd, &first);
			else
				ps_line(stdout, &p, cmd, width);
			free(cmd);
			shown++;
		}
		scan_proc_free(&p);
	}
	if (json)
		fputs(shown ? "\n]\n" : "]\n", stdout);
	free(pids);
	scan_cache_free(cache);
	selection_free(&sel);
	return fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
}

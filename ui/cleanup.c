/*
 * ptap cleanup -p PID: undo what a ptap that died without detaching (killed
 * with SIGKILL, crashed) left in a process: the int3s over probe sites and
 * hooks, the semaphore counts it raised, the CPU affinity of the threads
 * it pinned.  See tracer/cleanup.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "tracer/tracer.h"
#include "ui/commands.h"

static void cleanup_usage(FILE *f)
{
	fprintf(f, "Usage: ptap cleanup [-n] -p PID[,PID...]\n"
		   "Undo what a ptap killed while attached (SIGKILL, a crash) left in a process:\n"
		   "the int3s over probe sites and hooks, the semaphore counts it raised, and\n"
		   "the CPU affinity of the threads it pinned.\n"
		   "\nOptions:\n"
		   "  -p, --pid PID[,PID...]  the processes to clean (repeatable)\n"
		   "  -n, --dry-run           say what is left, change nothing\n"
		   "  -h, --help              show this help\n");
}

static int cleanup_one(pid_t pid, bool dry_run)
{
	struct selection none = { 0 };
	struct tracer_config cfg = { .sel = &none, .no_arm = true, .quiet = true, .no_pin = true,
				     .engine = TRACER_ENGINE_PTRACE };
	struct cleanup_report r;
	struct tracer_stats st;
	bool nothing = false;
	struct tracer *t;
	char *why;
	int err, rc = EXIT_OK;

	t = tracer_new(&cfg, NULL, NULL);
	err = tracer_attach(t, pid, &why);
	if (err) {
		fputs("ptap: cleanup: ", stderr);
		fputs_safe(why, stderr);    /* it may name another process */
		fputc('\n', stderr);
		free(why);
		tracer_free(t);
		return EXIT_RUNTIME;
	}
	err = tracer_cleanup_adopt(t, pid, &r);
	if (err) {
		fprintf(stderr, "ptap: cleanup: pid %d: %s\n", pid, strerror(-err));
		rc = EXIT_RUNTIME;
	} else if (!r.sites && !r.hooks && !r.semaphores && !r.regions && !r.affinities) {
		printf("pid %d: nothing left by ptap\n", pid);
		nothing = true;
	}
	if (dry_run)
		tracer_cleanup_forget(t, pid);
	tracer_request_stop(t);
	tracer_run(t);
	tracer_get_stats(t, &st);
	if (!err && !nothing) {
		printf("pid %d: %s %u probe site%s and %u hook%s, %s %u semaphore count%s", pid,
		       dry_run ? "would restore" : "restored", r.sites, r.sites == 1 ? "" : "s",
		       r.hooks, r.hooks == 1 ? "" : "s", dry_run ? "would lower" : "lowered",
		       r.semaphores, r.semaphores == 1 ? "" : "s");
		if (r.affinities)
			printf(", %s the CPU affinity of %u thread%s", dry_run ? "would give back" : "gave back",
			       r.affinities, r.affinities == 1 ? "" : "s");
		if (r.regions)
			printf(", %s %u region%s of ptap's code and data", dry_run ? "would unmap" : "unmapped",
			       r.regions - (dry_run ? 0 : st.regions_left),
			       r.regions - (dry_run ? 0 : st.regions_left) == 1 ? "" : "s");
		printf(" (");
		if (r.from_journal && r.from_files)
			printf("from ptap's journal, which was cut short: %u found by comparing with "
			       "the files, their semaphores inferred)\n", r.from_files);
		else if (r.from_journal)
			printf("from ptap's journal)\n");
		else
			printf("%sinferred from the probes found armed)\n",
			       r.journal_bad ? "ptap's journal was begun but not written; " : "");
		if (!dry_run && st.regions_left)
			printf("pid %d: %u region%s stay mapped: a thread was inside ptap's code\n", pid,
			       st.regions_left, st.regions_left == 1 ? "" : "s");
		if (r.dropped)
			printf("pid %d: %llu event%s could not be recorded after ptap stopped reading\n", pid,
			       (unsigned long long)r.dropped, r.dropped == 1 ? "" : "s");
	}
	if (!dry_run && !err && r.journal)
		unlink(r.journal);
	free(r.journal);
	tracer_free(t);
	return rc;
}

int cmd_cleanup(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pid_t *pids = NULL;
	size_t npids = 0, i;
	bool dry_run = false;
	int c, rc = EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:nh", longopts, NULL)) != -1) {
		char *copy, *tok, *save = NULL;
		uint64_t v;

		switch (c) {
		case 'p':
			copy = xstrdup(optarg);
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (parse_u64(tok, &v) || !v || v > 0x7fffffff) {
					rc = usage_error("cleanup", "'%s' is not a process id", tok);
					free(copy);
					free(pids);
					return rc;
				}
				pids = xrealloc(pids, (npids + 1) * sizeof(*pids));
				pids[npids++] = (pid_t)v;
			}
			free(copy);
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			cleanup_usage(stdout);
			free(pids);
			return EXIT_OK;
		default:
			free(pids);
			return usage_getopt("cleanup", c, argv);
		}
	}
	if (optind < argc || !npids) {
		free(pids);
		return usage_error("cleanup", optind < argc ? "unexpected argument '%s'" : "give -p PID%s",
				   optind < argc ? argv[optind] : "");
	}
	tracer_signals_install();
	for (i = 0; i < npids; i++)
		if (cleanup_one(pids[i], dry_run))
			rc = EXIT_RUNTIME;
	free(pids);
	return rc;
}

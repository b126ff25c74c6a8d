/*
 * ptap's entry point: global options, then one subcommand from the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ui/commands.h"

const struct command commands[] = {
	{ "list", cmd_list, "list the stapsdt probes of files or of a running process" },
	{ "trace", cmd_trace, "print every hit of the selected probes, with its arguments" },
	{ "top", cmd_top, "the Python functions called most, refreshed every interval" },
	{ "record", cmd_record, "every Python call stack, timed: a flame graph, speedscope, Chrome trace" },
	{ "flow", cmd_flow, "calls and returns of Python functions, indented by depth per thread" },
	{ "monitor", cmd_monitor, "CPython's garbage collections, imports and audit events" },
	{ "ps", cmd_ps, "the Pythons running, their markers, and whether ptap may trace them" },
	{ "cleanup", cmd_cleanup, "undo what a ptap killed while attached left in a process" },
	{ NULL, NULL, NULL },
};

static void print_help(FILE *f)
{
	const struct command *c;

	fprintf(f,
		"Usage: ptap COMMAND [OPTIONS] [FILE... | -p PID | -- CMD [ARGS...]]\n"
		"Trace the stapsdt (USDT) markers of programs, above all CPython, with ptrace:\n"
		"no kernel modules, no eBPF, no root where you may trace your own processes.\n"
		"\nCommands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f,
		"\nExamples:\n"
		"  ptap list /usr/bin/python3.11   the markers of Debian's Python interpreter\n"
		"  ptap list -p PID                the markers of every module of a process\n"
		"\nOptions:\n"
		"  -h, --help     show this help (ptap COMMAND --help for a command's)\n"
		"  -V, --version  show the version\n"
		"\nSee ptap(1) for the whole manual.\n");
}

int main(int argc, char **argv)
{
	const struct command *c;
	const char *verbose = getenv("PTAP_VERBOSE");

	/* 1: what ptap measures as it goes (stacks unwound, ...); 2: also
	 * why a module or a hook was passed over */
	if (verbose && (*verbose == '1' || *verbose == '2'))
		log_level = 1 + (*verbose - '0');
	if (argc < 2)
		return usage_error(NULL, "no command given");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ptap %s\n", PTAP_VERSION);
		return EXIT_OK;
	}
	for (c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}

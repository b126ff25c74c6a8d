/*
 * Command-line helpers shared by every subcommand: the usage-error
 * message and exit status (2), and getopt's error cases.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "ui/commands.h"

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ptap%s%s: ", command ? " " : "", command ? command : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ptap%s%s --help'.\n", command ? " " : "", command ? command : "");
	return EXIT_USAGE;
}

int usage_getopt(const char *command, int c, char **argv)
{
	if (c == ':')
		return usage_error(command, "option '%s' needs an argument", argv[optind - 1]);
	if (optopt)
		return usage_error(command, "unknown option '-%c'", optopt);
	return usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

/*
 * ptap's subcommands.  Each takes the arguments after its name (argv[0] is
 * the command name), prints its own output and diagnostics, and returns
 * the exit status: 0 success, 1 a runtime error, 2 a usage error (for
 * commands that launch a program, that program's status instead).
 */
#ifndef PTAP_UI_COMMANDS_H
#define PTAP_UI_COMMANDS_H

#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;     /* one line for `ptap --help` */
};

int cmd_list(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_ps(int argc, char **argv);

/* The table, in the order `ptap --help` shows it (ui/main.c). */
extern const struct command commands[];

/* Print "ptap COMMAND: message" plus "Try 'ptap COMMAND --help'." and
 * return EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For getopt's ':' (missing argument) and '?' (unknown option), with
 * opterr = 0 and optstring starting with ':'. */
int usage_getopt(const char *command, int c, char **argv);

#endif

/*
 * Why a program has none of the probes a command needs, in one sentence
 * that names it: a Python built without --with-dtrace, a pyenv shim, a
 * Python too new for function markers, a program that is not a Python at
 * all.  ptap list says it of a file or a process; the tracing commands
 * say it when nothing they need can fire.
 */
#ifndef PTAP_UI_EXPLAIN_H
#define PTAP_UI_EXPLAIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "tracer/select.h"

/* Where a user finds markers: the interpreter ptap is tested with. */
#define EXPLAIN_DEBIAN_PYTHON "Debian's /usr/bin/python3.11 (package python3.11) has them"

/* For an ELF file with no stapsdt probes: why, if it is a Python (a
 * malloc'd sentence starting with the path), else NULL. */
char *explain_file(const char *path);

/* For a file that is a script (#!): a sentence naming what it is (a
 * pyenv shim above all), malloc'd; head is its first bytes. */
char *explain_script(const char *path, const char *head);

/* What explain_process found. */
struct explain {
	char *text;           /* "pid N (EXE) ..." and the reason, malloc'd */
	bool python;          /* it runs a Python interpreter */
	bool never;           /* nothing sel asks for can fire in it, whatever
	                         the interpreter runs: a Python whose own
	                         markers do not include what sel names, and sel
	                         names nothing but python probes */
};

/*
 * Why process pid has nothing sel selects (asked once its modules are
 * mapped and none matched).  0, or -errno with e->text still a sentence
 * (the process ended, its maps cannot be read).  Free e->text.
 */
int explain_process(pid_t pid, const struct selection *sel, struct explain *e);

/* "python:function__entry", or the first patterns and how many more:
 * malloc'd, for messages. */
char *explain_patterns(const struct selection *sel);

#endif

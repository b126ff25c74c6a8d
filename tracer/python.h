/*
 * What ptap knows about CPython's markers, in one table picked once per
 * interpreter module: which marker is which, how its arguments read, and
 * which versions need the `line` semaphore raised for function__entry to
 * fire (3.11), or have no function markers at all (3.12 to 3.14).
 */
#ifndef PTAP_TRACER_PYTHON_H
#define PTAP_TRACER_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

#include "elf/module.h"

struct python_marker {
	const char *name;           /* marker name under provider "python" */
	uint8_t known;              /* enum known_probe */
	uint8_t render[4];          /* how its arguments read (enum render) */
	int nrender;
};

/* The marker's entry in the table, or NULL for a name ptap does not know. */
const struct python_marker *python_marker(const char *name);

/*
 * The interpreter's version as 0xMMmm0000 (major, minor), read from the
 * Py_Version symbol CPython 3.11+ exports, else from a file name such as
 * python3.10 or libpython3.9.so.1.0; 0 if it cannot tell.  fd is the
 * file, opened as procmaps_open opens it: never the path again.
 */
unsigned python_version(const struct elf_module *m, int fd);

/* 3.11 fires function__entry only on its tracing path: raise `line`. */
bool python_entry_needs_line(unsigned version);

/* A sentence for a user who asked for function markers the interpreter
 * lacks (3.12+), or NULL if it has them. */
const char *python_missing_function_markers(unsigned version);

#endif

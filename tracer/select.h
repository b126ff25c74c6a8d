/*
 * Which probes to arm, and how to show their arguments.
 *
 * The user names probes with patterns "PROVIDER:NAME[(TYPE,...)]" (shell
 * globs; a bare NAME means any provider; '-' may stand for '__' as in
 * DTrace's spelling, so python:function-entry works).  A module's probes
 * are matched once, when the module is first seen, and each location gets
 * an action:
 *
 *   ARM       int3 over the site and its semaphore raised: events arrive;
 *   SEMAPHORE only the semaphore raised, no breakpoint: for CPython 3.11,
 *             whose function__entry fires only while the `line` semaphore
 *             is up (tracer/python.c decides which interpreters need it);
 *   NONE      left alone.
 *
 * python:line fires on every executed line; a glob never selects it, only
 * a pattern that names it without wildcards.
 */
#ifndef PTAP_TRACER_SELECT_H
#define PTAP_TRACER_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf/module.h"
#include "tracer/argeval.h"
#include "tracer/sitecheck.h"

/* Probes the consumers recognise without comparing strings on each hit. */
enum known_probe {
	KP_OTHER,
	KP_PY_ENTRY,        /* python:function__entry (file, function, line) */
	KP_PY_RETURN,       /* python:function__return */
	KP_PY_LINE,         /* python:line */
	KP_PY_GC_START,     /* python:gc__start (generation) */
	KP_PY_GC_DONE,      /* python:gc__done (collected) */
	KP_PY_IMPORT_START, /* python:import__find__load__start (module) */
	KP_PY_IMPORT_DONE,  /* python:import__find__load__done (module, found) */
	KP_PY_AUDIT,        /* python:audit (event, args tuple) */
};

enum probe_action { ACT_NONE, ACT_ARM, ACT_SEMAPHORE };

struct pattern {
	char *text;         /* as the user wrote it */
	char *provider;     /* glob */
	char *name;         /* glob, '-' already turned into '__' */
	bool literal;       /* no wildcard anywhere */
	int ntypes;         /* entries in render, 0 if no type list */
	uint8_t render[ARGSPEC_MAX_ARGS];
	unsigned long matched;  /* locations selected so far, over all modules */
};

struct selection {
	struct pattern *pats;
	size_t n, cap;
};

/* Parse and add one pattern: 0, or -EINVAL with *why set to a sentence. */
int selection_add(struct selection *s, const char *text, const char **why);
void selection_free(struct selection *s);
/* The index of the first pattern that matches p, or -1.  A glob matches
 * python:line only with globs_take_line (for listing, not for arming). */
int selection_match(const struct selection *s, const struct sdt_probe *p, bool globs_take_line);

/* One probe location as the tracer arms it and consumers see it. */
struct probe_info {
	const char *provider;
	const char *name;
	const char *module;          /* path of the file it came from */
	const struct sdt_probe *sdt;
	uint32_t id;                 /* dense, unique over the whole run */
	uint8_t action;              /* enum probe_action */
	uint8_t known;               /* enum known_probe */
	int pattern;                 /* index of the selecting pattern, -1 if none */
	struct arg_prog prog;
};

/* The tracer's view of one ELF file: shared by every process mapping it. */
struct tmodule {
	struct elf_module *elf;
	struct probe_info *probes;   /* one per elf->probes[i] */
	size_t narmed;               /* probes with ACT_ARM */
	size_t nsem_only;            /* probes with ACT_SEMAPHORE */
	unsigned python_version;     /* 0x030b0000 style, 0 unknown or not CPython */
	bool is_python;              /* has provider "python" probes */
	uint64_t r_debug;            /* the loader's _r_debug (link-time), 0 if
	                                this is not the loader or it has none */
	uint64_t py_code_type;       /* CPython's PyCode_Type and PyUnicode_Type */
	uint64_t py_unicode_type;    /* (link-time), 0 if not found */
	bool python_debug;           /* a Py_DEBUG build (exports _Py_RefTotal) */
	uint64_t tid_desc;           /* glibc's _thread_db_pthread_tid (link-time), 0 if
	                                not this module */
	struct site_verdict *verdicts;   /* the in-process engine's site check: one per
	                                probe, then code_dealloc's; NULL until needed */
	size_t nverdicts;
	uint64_t codefree;           /* link-time code_dealloc checked, 0 if none */
	struct tmodule *next;        /* in the tracer's module cache */
};

/*
 * Decide every probe's action in m and compile its arguments.  *next_id
 * hands out probe ids.  Problems worth telling the user (a pattern's type
 * list longer than the probe's arguments, a probe that cannot be armed)
 * go to notice(ctx, sentence).
 */
typedef void (*selection_notice_fn)(void *ctx, const char *msg);
void selection_apply(struct selection *s, struct tmodule *m, uint32_t *next_id,
		     selection_notice_fn notice, void *ctx);

/* Whether any pattern could ever match provider "python". */
bool selection_wants_python(const struct selection *s);

#endif

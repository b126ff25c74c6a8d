/*
 * A per-process cache of the text of CPython's code-object names.
 *
 * function__entry and function__return hand ptap two C strings, the
 * UTF-8 of the code object's co_filename and co_name.  Reading them costs
 * a process_vm_readv on every hit; they rarely change.  The cache maps the
 * address of such a string to its text, under two rules that keep it
 * exact:
 *
 *  1. An entry is made only for a string whose address was checked, in
 *     the same read that fetched it, to be the inline text of a compact
 *     ASCII str object (ob_type is PyUnicode_Type, the compact and ascii
 *     state bits set, length matching): the text is then immutable for
 *     the life of that object.
 *  2. Entries are dropped when the object can die.  A code object holds
 *     a reference to its names, so a name dies only after every code
 *     object naming it was deallocated.  ptap traps CPython's
 *     code_dealloc (tracer/python.c) and drops the entries of the dying
 *     code's co_filename and co_name there, before their memory can be
 *     freed, let alone reused.
 *
 * Threads cannot race this: in CPython 3.11 a thread runs Python code,
 * and deallocates code objects, only while it holds the GIL, and a thread
 * stopped at a marker holds it; so a name read at a marker cannot be
 * freed before ptap has handled that hit, and any code_dealloc that frees
 * it traps after.
 *
 * When the hook cannot be placed, the cache stays off and every hit reads
 * its strings, as without it.  --no-string-cache turns it off.
 */
#ifndef PTAP_TRACER_STRCACHE_H
#define PTAP_TRACER_STRCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hashmap.h"

enum strcache_state {
	STRCACHE_UNTRIED,       /* the hook has not been tried in this image */
	STRCACHE_ON,            /* hook armed: entries may be made */
	STRCACHE_OFF,           /* no hook: never cache */
};

struct cstr {
	uint32_t len;
	char text[];
};

/* What the cache must know of the interpreter's objects (valid when ON). */
struct strcache_layout {
	uint64_t unicode_type;  /* run-time address of PyUnicode_Type */
	uint16_t type_off;      /* offsetof(PyObject, ob_type) */
	uint16_t length_off;    /* offsetof(PyASCIIObject, length) */
	uint16_t state_off;     /* offsetof(PyASCIIObject, state) */
	uint32_t state_mask;    /* compact | ascii bits of the state */
	uint16_t header;        /* sizeof(PyASCIIObject): the text follows */
	uint16_t code_filename; /* offsetof(PyCodeObject, co_filename) */
	uint16_t code_name;     /* offsetof(PyCodeObject, co_name) */
};

struct strcache {
	uint8_t state;          /* enum strcache_state */
	struct strcache_layout lay;
	struct u64map map;      /* text address -> struct cstr * */
	uint64_t hits, misses;
};

void strcache_init(struct strcache *c);
/* Drop every entry and go back to UNTRIED (exec, or the layout is wrong). */
void strcache_reset(struct strcache *c, uint8_t state);

static inline const struct cstr *strcache_get(const struct strcache *c, uint64_t addr)
{
	return c->state == STRCACHE_ON ? u64map_get(&c->map, addr) : NULL;
}

/*
 * Whether header (the c->lay.header bytes read just before the text at addr)
 * shows a compact ASCII str whose length is len; if so, remember the text.
 */
bool strcache_offer(struct strcache *c, uint64_t addr, const uint8_t *header, const char *text,
		    size_t len);
void strcache_drop(struct strcache *c, uint64_t addr);

#endif

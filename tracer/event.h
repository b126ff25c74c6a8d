/*
 * What the tracer hands its consumer for every probe hit: who hit which
 * probe when, and the decoded arguments.  Values live in the event (and
 * strings in a buffer the tracer owns) only for the duration of the
 * callback: a consumer that keeps anything copies it.
 */
#ifndef PTAP_TRACER_EVENT_H
#define PTAP_TRACER_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "elf/argspec.h"

/* How an argument is shown.  DEFAULT follows the spec (signed or unsigned
 * integer of its width, or a float); the others are asked for by a type
 * list on the command line or by a provider's known signature. */
enum render {
	RENDER_DEFAULT,
	RENDER_STR,      /* the value is a pointer to a NUL-terminated string */
	RENDER_HEX,      /* unsigned, printed in hex (pointers) */
	RENDER_S8, RENDER_S16, RENDER_S32, RENDER_S64,
	RENDER_U8, RENDER_U16, RENDER_U32, RENDER_U64,
	RENDER_F32, RENDER_F64,
};

enum value_type {
	VAL_S64,         /* i */
	VAL_U64,         /* u */
	VAL_HEX,         /* u, shown in hex */
	VAL_F64,         /* f */
	VAL_STR,         /* str, len (bytes before the NUL); truncated if longer
	                    than the tracer's bound; u holds the pointer */
	VAL_ERR,         /* err: -EFAULT unreadable memory, -EINVAL a spec that
	                    did not parse; u holds the pointer for strings */
};

struct value {
	uint8_t type;            /* enum value_type */
	bool truncated;          /* VAL_STR: longer than shown */
	int err;                 /* VAL_ERR */
	uint32_t len;            /* VAL_STR */
	union {
		int64_t i;
		uint64_t u;
		double f;
	};
	const char *str;         /* VAL_STR: not NUL-terminated beyond len */
};

struct probe_info;           /* tracer/select.h: provider, name, args, module */

struct event {
	uint64_t time_ns;        /* since the tracer started */
	pid_t pid;               /* process (thread group) */
	pid_t tid;               /* thread */
	const struct probe_info *probe;
	uint64_t count;          /* hits this event stands for: 1, or more when the
	                            engine counted them (tracer_config.aggregate);
	                            time_ns is then when they were collected and tid 0 */
	int nargs;
	struct value args[ARGSPEC_MAX_ARGS];
};

#endif

/*
 * Who hit a probe, as `ptap flow` and `ptap monitor` print it: "exe(pid)"
 * for a process's main thread (python3.11(4242)), "pid:tid" for its other
 * threads (4242:4243).  The executable's name comes from the tracer once
 * per process and is kept until the process executes another program or
 * ends (labels_forget, from the process_exec and process_exit hooks).
 */
#ifndef PTAP_UI_FLOW_LABELS_H
#define PTAP_UI_FLOW_LABELS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/hashmap.h"
#include "tracer/tracer.h"

struct labels {
	struct u64map exe;     /* pid -> malloc'd "name(pid)" */
	char buf[32];          /* the last "pid:tid" made */
};

void labels_init(struct labels *l);
void labels_free(struct labels *l);
void labels_forget(struct labels *l, pid_t pid);
/* The label of thread tid of process pid; valid until the next call. */
const char *labels_get(struct labels *l, const struct tracer *t, pid_t pid, pid_t tid);

#endif

/*
 * Process labels for event lines; see flow_labels.h.
 */
#include "ui/flow_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void labels_init(struct labels *l)
{
	memset(l, 0, sizeof(*l));
	u64map_init(&l->exe);
}

void labels_free(struct labels *l)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&l->exe, &i, &k, &v))
		free(v);
	u64map_free(&l->exe);
}

void labels_forget(struct labels *l, pid_t pid)
{
	free(u64map_del(&l->exe, (uint64_t)pid));
}

const char *labels_get(struct labels *l, const struct tracer *t, pid_t pid, pid_t tid)
{
	struct tracer_proc_info info;
	const char *slash;
	char *name, *label;

	if (tid != pid) {
		snprintf(l->buf, sizeof(l->buf), "%d:%d", pid, tid);
		return l->buf;
	}
	label = u64map_get(&l->exe, (uint64_t)pid);
	if (label)
		return label;
	/* made once per process: "name(pid)", the name escaped (it is the
	 * target's) and cut to 60 bytes */
	if (tracer_process_info(t, pid, &info) || !info.exe)
		info.exe = "?";
	slash = strrchr(info.exe, '/');
	name = xstrdup_safe(slash ? slash + 1 : info.exe);
	label = xasprintf("%.60s(%d)", name, pid);
	free(name);
	u64map_put(&l->exe, (uint64_t)pid, label);
	return label;
}

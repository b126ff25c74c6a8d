/*
 * Creating and freeing a tracer, and what it tells its consumer about
 * itself.  The work is in loop.c (events), tracee.c (launch, attach,
 * detach) and arm.c (breakpoints and semaphores).
 */
#include "tracer/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct tracer *tracer_new(const struct tracer_config *cfg, const struct tracer_hooks *hooks, void *ctx)
{
	static const struct tracer_hooks no_hooks;
	struct tracer *t = xcalloc(1, sizeof(*t));
	cpu_set_t one;
	int cpu;

	t->cfg = *cfg;
	t->hooks = hooks ? hooks : &no_hooks;
	t->ctx = ctx;
	u64map_init(&t->threads);
	u64map_init(&t->procs);
	u64map_init(&t->early);
	t->start_ns = now_ns();
	t->launched_status = -1;
	arg_scratch_init(&t->scratch, cfg->str_max);
	t->pin_cpu = -1;
	if (cfg->duration > 0)
		t->deadline_ns = t->start_ns + (uint64_t)(cfg->duration * 1e9);
	/* share one CPU with the targets: a ptrace stop then wakes ptap
	 * without an inter-processor wake-up (see ptap(1), --no-pin) */
	cpu = sched_getcpu();
	/* not for the in-process engine, whose targets run on while ptap reads */
	if (!cfg->no_pin && cfg->engine == TRACER_ENGINE_PTRACE && cpu >= 0 &&
	    !sched_getaffinity(0, sizeof(t->own_cpus), &t->own_cpus)) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one))
			t->pin_cpu = cpu;
	}
	if (cfg->calibrate && cfg->engine == TRACER_ENGINE_PTRACE)
		t->stats.stop_ns = calibrate_stop_ns();
	tracer_jobctl_defer(true);
	return t;
}

void tracer_free(struct tracer *t)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!t)
		return;
	tracer_jobctl_defer(false);
	while (u64map_next(&t->threads, &i, &k, &v))
		free(v);
	i = 0;
	while (u64map_next(&t->procs, &i, &k, &v))
		proc_free(t, v, false);     /* a journal still open stays, for ptap cleanup */
	u64map_free(&t->threads);
	u64map_free(&t->procs);
	u64map_free(&t->early);
	tracer_modules_free(t);
	inproc_leftovers_free(t);
	arg_scratch_free(&t->scratch);
	if (t->pin_cpu >= 0)
		sched_setaffinity(0, sizeof(t->own_cpus), &t->own_cpus);
	free(t);
}

int tracer_launched_status(const struct tracer *t)
{
	return t->launched_status;
}

void tracer_get_stats(const struct tracer *t, struct tracer_stats *st)
{
	*st = t->stats;
}

uint64_t tracer_elapsed_ns(const struct tracer *t)
{
	return now_ns() - t->start_ns;
}

int tracer_process_info(const struct tracer *t, pid_t pid, struct tracer_proc_info *info)
{
	const struct tproc *p = u64map_get(&t->procs, (uint64_t)pid);
	const struct tproc *mm;
	size_t i;

	if (!p)
		return -ESRCH;
	memset(info, 0, sizeof(*info));
	info->exe = p->exe;
	info->hits = p->hits;
	info->launched = p->flags & TP_LAUNCHED;
	mm = p->mm_owner ? p->mm_owner : p;
	for (i = 0; i < mm->nmods; i++)
		if (mm->mods[i].tm->is_python)
			info->python_version = mm->mods[i].tm->python_version;
	return 0;
}

uint64_t tracer_hit_overhead_ns(const struct tracer *t)
{
	/* the in-process engine's hits do not stop: they cost the recorder's
	 * time (its few int3 sites are not worth an estimate) */
	if (inproc_enabled(t))
		return t->inproc_hits ? t->inproc_cost_ns / t->inproc_hits : 0;
	/* a hit here is a ptrace stop: its whole cost is the thread's wait,
	 * the calibrated stop and resume plus ptap's mean handling */
	if (!t->stats.hits || !t->stats.stop_ns)
		return 0;
	return t->stats.stop_ns + t->stats.handle_ns / t->stats.hits;
}

/*
 * ptap list: the stapsdt probes of ELF files, or of every module a
 * running process has mapped.
 *
 *   $ ptap list /usr/bin/python3.11
 *   /usr/bin/python3.11: 8 probes
 *   python:audit  site 0x423ee0  semaphore 0xa7ed56
 *     arg1: unsigned 64-bit, register %rbx
 *     arg2: unsigned 64-bit, register %r15
 *   ...
 *
 * Nothing here attaches to anything: a file is read with libelf
 * (elf/module.c); a process is read through /proc only, its modules found
 * in /proc/PID/maps and each opened as the very inode it has mapped
 * (tracer/procmaps.c), so a target cannot steer us into reading another
 * file.  A module is any file with an executable mapping, counted once by
 * device and inode however many times it is mapped.  Run-time addresses
 * come from the mapping that covers the probe's file offset (elf/addr.h,
 * rule 3), never from "the first mapping" of the file.
 *
 * Probes are printed in note order, never sorted: the order is the
 * file's, and several notes may share one provider:name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "common/json.h"
#include "common/util.h"
#include "elf/addr.h"
#include "elf/module.h"
#include "tracer/procmaps.h"
#include "tracer/select.h"
#include "ui/commands.h"
#include "ui/explain.h"

#define CMD "list"

struct list_opts {
	bool json;
	pid_t pid;              /* 0: list files */
	struct selection sel;   /* -e patterns, as trace reads them */
};

/* Where the output stands, across modules. */
struct list_out {
	const struct list_opts *opts;
	bool json_any;          /* a JSON object was printed: next needs a comma */
	bool human_any;         /* a module was printed: next needs a blank line */
	int status;             /* EXIT_OK, or EXIT_RUNTIME once anything failed */
};

/* The process a module was found in, for run-time addresses. */
struct list_proc {
	pid_t pid;
	const struct proc_maps *maps;
	dev_t dev;              /* of the module */
	ino_t ino;
	const char *path;       /* as the target sees it */
	bool deleted;
};

static void list_help(FILE *f)
{
	fprintf(f,
		"Usage: ptap list [--json] [-e PROVIDER:NAME]... FILE...\n"
		"       ptap list [--json] [-e PROVIDER:NAME]... -p PID\n"
		"List the stapsdt (USDT) probes of ELF files, or of every module (the\n"
		"executable and each shared library) mapped into a running process.\n"
		"For each probe location: provider:name, the link-time site address, the\n"
		"semaphore (or none), the run-time addresses with -p, and each argument.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID           list the modules mapped into process PID\n"
		"  -e, --probe PATTERN     only probes matching PROVIDER:NAME (globs with *\n"
		"                          and ?; without ':' the pattern matches the name);\n"
		"                          repeatable\n"
		"  -j, --json              print one JSON array of probe objects\n"
		"  -h, --help              show this help\n"
		"\n"
		"A FILE without '/' that does not exist here is looked up in PATH.\n"
		"Exit status: 0 listed (a file without probes is not an error), 1 a file or\n"
		"process could not be read, 2 usage error.  See ptap(1).\n");
}

/* ---- options ------------------------------------------------------------ */

static int parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;

	if (parse_u64(s, &v) || v == 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* EXIT_OK with *first the first FILE (*done after --help), or EXIT_USAGE
 * once the reason is printed. */
static int parse_options(int argc, char **argv, struct list_opts *o, int *first, bool *done)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "probe", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;

	*done = false;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:e:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->pid)
				return usage_error(CMD, "-p given twice");
			if (parse_pid(optarg, &o->pid))
				return usage_error(CMD, "-p needs a process id, not '%s'", optarg);
			break;
		case 'e':
			if (selection_add(&o->sel, optarg, &why))
				return usage_error(CMD, "bad probe pattern '%s': %s", optarg, why);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			list_help(stdout);
			*done = true;
			return EXIT_OK;
		default:
			return usage_getopt(CMD, c, argv);
		}
	}
	if (o->pid && optind < argc)
		return usage_error(CMD, "give either FILEs or -p PID, not both");
	if (!o->pid && optind >= argc)
		return usage_error(CMD, "no FILE and no -p PID given");
	*first = optind;
	return EXIT_OK;
}

static bool probe_selected(const struct list_opts *o, const struct sdt_probe *p)
{
	return !o->sel.n || selection_match(&o->sel, p, true) >= 0;
}

static size_t count_selected(const struct list_opts *o, const struct elf_module *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nprobes; i++)
		n += probe_selected(o, &m->probes[i]);
	return n;
}

/* ---- run-time addresses ------------------------------------------------- */

/* Rule 3 of elf/addr.h over every mapping of the module's inode. */
static bool runtime_address(const struct list_proc *proc, uint64_t off, uint64_t *addr)
{
	for (size_t i = 0; i < proc->maps->n; i++) {
		const struct map_entry *e = &proc->maps->v[i];

		if (e->dev != proc->dev || e->ino != proc->ino || !procmaps_is_file(e))
			continue;
		if (addr_in_mapping(e->start, e->end, e->offset, off, addr))
			return true;
	}
	return false;
}

/* ---- human output ------------------------------------------------------- */

static void human_runtime(const struct list_proc *proc, uint64_t off, bool valid)
{
	uint64_t addr;

	if (valid && runtime_address(proc, off, &addr))
		printf(" (runtime 0x%" PRIx64 ")", addr);
	else
		printf(" (not mapped)");
}

static void human_probe(const struct sdt_probe *p, const struct list_proc *proc, int width)
{
	char desc[ARGSPEC_SYMBOL_MAX + 160];
	int n;

	fputs_safe(p->provider, stdout);
	putchar(':');
	fputs_safe(p->name, stdout);
	n = (int)(strlen(p->provider) + 1 + strlen(p->name));
	printf("%*s  site 0x%" PRIx64, n < width ? width - n : 0, "", p->pc);
	if (proc)
		human_runtime(proc, p->pc_offset, !p->problem);
	if (p->semaphore) {
		printf("  semaphore 0x%" PRIx64, p->semaphore);
		if (proc)
			human_runtime(proc, p->sem_offset, !p->problem);
	} else {
		printf("  semaphore none");
	}
	putchar('\n');
	for (int i = 0; i < p->nargs; i++) {
		const struct argspec *a = &p->argv[i];

		argspec_describe(a, desc, sizeof(desc));
		printf("  arg%d: ", i + 1);
		fputs_safe(desc, stdout);
		if (a->kind == ARGSPEC_SYMBOL && p->sym_value)
			printf(" at 0x%" PRIx64, p->sym_value[i]);
		putchar('\n');
	}
	if (p->problem) {
		printf("  problem: ");
		fputs_safe(p->problem, stdout);
		putchar('\n');
	}
}

static void human_module(struct list_out *out, const struct elf_module *m, const char *path,
			 const struct list_proc *proc, size_t nsel)
{
	const char *why;
	int width = 0;

	/* Line the addresses up in a column, unless a name is absurdly long. */
	for (size_t i = 0; i < m->nprobes; i++) {
		const struct sdt_probe *p = &m->probes[i];
		size_t w = strlen(p->provider) + 1 + strlen(p->name);

		if (probe_selected(out->opts, p) && w <= 48)
			width = MAX(width, (int)w);
	}
	if (out->human_any)
		putchar('\n');
	out->human_any = true;
	fputs_safe(path, stdout);
	printf("%s: ", proc && proc->deleted ? " (deleted)" : "");
	if (out->opts->sel.n)
		printf("%zu of %zu probes match\n", nsel, m->nprobes);
	else
		printf("%zu probe%s\n", m->nprobes, m->nprobes == 1 ? "" : "s");
	if (!elf_module_traceable(m, &why))
		printf("note: this module cannot be traced: %s\n", why);
	for (size_t i = 0; i < m->nprobes; i++)
		if (probe_selected(out->opts, &m->probes[i]))
			human_probe(&m->probes[i], proc, width);
}

/* ---- JSON output -------------------------------------------------------- */

static void json_int(FILE *f, int64_t v, bool is_signed)
{
	if (is_signed)
		fprintf(f, "%" PRId64, v);
	else
		fprintf(f, "%" PRIu64, (uint64_t)v);
}

static void json_reg(FILE *f, const char *key, int id)
{
	const struct arch_reg *r = arch_reg(id);

	fprintf(f, ",\"%s\":", key);
	json_string(f, r ? r->name : NULL);
}

/* base, index and scale of a memory operand, those that it has. */
static void json_address_regs(FILE *f, const struct argspec *a)
{
	if (a->base >= 0)
		json_reg(f, "base", a->base);
	if (a->index >= 0) {
		json_reg(f, "index", a->index);
		fprintf(f, ",\"scale\":%u", a->scale ? a->scale : 1u);
	}
}

static void json_arg(FILE *f, const struct sdt_probe *p, int i, const char *text, size_t len)
{
	const struct argspec *a = &p->argv[i];

	fputs("{\"spec\":", f);
	json_string_n(f, text, len);
	fprintf(f, ",\"size\":%u,\"signed\":%s,\"float\":%s,\"location\":", a->size,
		a->is_signed ? "true" : "false", a->is_float ? "true" : "false");
	json_string(f, argspec_kind_name(a->kind));
	switch (a->kind) {
	case ARGSPEC_CONST:
		fputs(",\"value\":", f);
		json_int(f, a->imm, a->is_signed);
		break;
	case ARGSPEC_REG:
		json_reg(f, "register", a->base);
		break;
	case ARGSPEC_MEM:
		fprintf(f, ",\"displacement\":%" PRId64, a->imm);
		json_address_regs(f, a);
		break;
	case ARGSPEC_SYMBOL:
		fputs(",\"symbol\":", f);
		json_string(f, a->symbol);
		fprintf(f, ",\"displacement\":%" PRId64, a->imm);
		json_address_regs(f, a);
		if (p->sym_value) {
			fputs(",\"symbol_address\":", f);
			json_hex(f, p->sym_value[i]);
		}
		break;
	case ARGSPEC_INVALID:
		fputs(",\"error\":", f);
		json_string(f, a->error);
		break;
	}
	fputc('}', f);
}

static void json_runtime(FILE *f, const char *key, const struct list_proc *proc,
			 uint64_t off, bool valid)
{
	uint64_t addr;

	fprintf(f, ",\"%s\":", key);
	if (valid && runtime_address(proc, off, &addr))
		json_hex(f, addr);
	else
		fputs("null", f);
}

static void json_probe(struct list_out *out, const struct elf_module *m, const char *path,
		       const struct sdt_probe *p, const struct list_proc *proc)
{
	FILE *f = stdout;
	const char *s = p->args;
	bool traceable = elf_module_traceable(m, NULL) && !p->problem;

	fputs(out->json_any ? ",\n" : "[\n", f);
	out->json_any = true;
	fputs("{\"module\":", f);
	json_string(f, path);
	if (proc) {
		fprintf(f, ",\"pid\":%d", (int)proc->pid);
		if (proc->deleted)
			fputs(",\"deleted\":true", f);
	}
	fputs(",\"provider\":", f);
	json_string(f, p->provider);
	fputs(",\"name\":", f);
	json_string(f, p->name);
	fputs(",\"address\":", f);
	json_hex(f, p->pc);
	fputs(",\"semaphore\":", f);
	if (p->semaphore)
		json_hex(f, p->semaphore);
	else
		fputs("null", f);
	if (proc) {
		json_runtime(f, "runtime_address", proc, p->pc_offset, !p->problem);
		if (p->semaphore)
			json_runtime(f, "runtime_semaphore", proc, p->sem_offset, !p->problem);
		else
			fputs(",\"runtime_semaphore\":null", f);
	}
	fputs(",\"arguments\":", f);
	json_string(f, p->args);
	fputs(",\"args\":[", f);
	for (int i = 0; i < p->nargs; i++) {
		size_t len;

		s = argspec_next(s, &len);
		if (i)
			fputc(',', f);
		json_arg(f, p, i, s, len);
		s += len;
	}
	fprintf(f, "],\"machine\":");
	json_string(f, arch_machine_name(m->machine));
	fprintf(f, ",\"traceable\":%s,\"problem\":", traceable ? "true" : "false");
	json_string(f, p->problem);
	fputc('}', f);
}

static void json_module(struct list_out *out, const struct elf_module *m, const char *path,
			const struct list_proc *proc)
{
	for (size_t i = 0; i < m->nprobes; i++)
		if (probe_selected(out->opts, &m->probes[i]))
			json_probe(out, m, path, &m->probes[i], proc);
}

static void json_finish(struct list_out *out)
{
	fputs(out->json_any ? "\n]\n" : "[]\n", stdout);
}

/* ---- one module --------------------------------------------------------- */

static void module_warnings(const struct elf_module *m, const char *path)
{
	fflush(stdout);   /* keep stderr lines next to the output they concern */
	for (size_t i = 0; i < m->nwarnings; i++)
		pr_warn(CMD, "%s: %s", path, m->warnings[i]);
}

static void module_print(struct list_out *out, const struct elf_module *m, const char *path,
			 const struct list_proc *proc)
{
	size_t nsel = count_selected(out->opts, m);

	module_warnings(m, path);
	if (out->opts->json)
		json_module(out, m, path, proc);
	else if (nsel || !proc)
		human_module(out, m, path, proc, nsel);
}

/* ---- files -------------------------------------------------------------- */

/* A bare name that is not in the current directory is looked up in PATH,
 * as a shell would run it.  Returns a malloc'd path, or NULL. */
static char *path_lookup(const char *name)
{
	const char *env = getenv("PATH");
	char *dirs, *dir, *save = NULL, *found = NULL;
	struct stat st;

	if (strchr(name, '/') || !env || access(name, F_OK) == 0)
		return NULL;
	dirs = xstrdup(env);
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

/* A file with no probes at all: if it is a Python, say why. */
static void python_hint(const char *path)
{
	char *why = explain_file(path);

	if (why)
		pr_warn(CMD, "%s", why);
	free(why);
}

/* For a file that is not ELF, or whose ELF header libelf refused: say
 * which, and name scripts (a pyenv shim above all) for what they are. */
static void not_elf_message(const char *path)
{
	char head[1024], *why;
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0) {
		n = pread(fd, head, sizeof(head) - 1, 0);
		close(fd);
	}
	if (n >= 4 && memcmp(head, "\177ELF", 4) == 0) {
		pr_warn(CMD, "%s: damaged ELF file: its ELF header is cut short or invalid", path);
		return;
	}
	if (n < 2 || head[0] != '#' || head[1] != '!') {
		pr_warn(CMD, "%s: not an ELF file", path);
		return;
	}
	head[n] = '\0';
	why = explain_script(path, head);
	pr_warn(CMD, "%s", why);
	free(why);
}

static void open_error(const char *path, int err)
{
	switch (err) {
	case -ENOEXEC:
		not_elf_message(path);
		break;
	case -EINVAL:
		pr_warn(CMD, "%s: damaged ELF file: its program or section headers cannot be "
			"read (truncated?)", path);
		break;
	default:
		pr_warn(CMD, "%s: %s", path, strerror(-err));
		break;
	}
}

static void list_file(struct list_out *out, const char *arg)
{
	char *found = path_lookup(arg);
	const char *path = found ? found : arg;
	struct elf_module *m;
	struct stat st;
	int err;

	/* Opening a fifo or a device could block or do something. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		fflush(stdout);
		pr_warn(CMD, "%s: not a regular file", path);
		out->status = EXIT_RUNTIME;
		free(found);
		return;
	}
	err = elf_module_open(path, -1, &m);
	if (err) {
		fflush(stdout);
		open_error(path, err);
		out->status = EXIT_RUNTIME;
		free(found);
		return;
	}
	if (m->nprobes == 0) {
		module_warnings(m, path);
		if (!out->opts->json) {
			if (out->human_any)
				putchar('\n');
			out->human_any = true;
			fputs_safe(path, stdout);
			printf(": no stapsdt probes\n");
			fflush(stdout);
		}
		python_hint(path);
	} else {
		module_print(out, m, path, NULL);
	}
	elf_module_free(m);
	free(found);
}

/* ---- a process ---------------------------------------------------------- */

static void maps_error(pid_t pid, int err)
{
	char proc[64];
	struct stat st;

	if (err == -ESRCH) {
		pr_warn(CMD, "no process with pid %d", (int)pid);
		return;
	}
	if (err != -EACCES && err != -EPERM) {
		pr_warn(CMD, "pid %d: cannot read /proc/%d/maps: %s", (int)pid, (int)pid,
			strerror(-err));
		return;
	}
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if (stat(proc, &st) == 0 && st.st_uid != geteuid())
		pr_warn(CMD, "pid %d: permission denied: it runs as uid %u and ptap as uid %u; "
			"reading another user's process needs root (CAP_SYS_PTRACE)",
			(int)pid, (unsigned)st.st_uid, (unsigned)geteuid());
	else
		pr_warn(CMD, "pid %d: permission denied reading /proc/%d/maps: the process is "
			"not dumpable (set-user-ID, or prctl PR_SET_DUMPABLE 0); only root "
			"(CAP_SYS_PTRACE) may read it", (int)pid, (int)pid);
}

/* Nothing (selected) in a process: if it runs a Python, say why. */
static void list_pid_why(const struct list_out *out, pid_t pid)
{
	struct explain e;

	fflush(stdout);
	if (!explain_process(pid, &out->opts->sel, &e) && e.python)
		pr_warn(CMD, "%s", e.text);
	free(e.text);
}

static void list_pid(struct list_out *out, pid_t pid)
{
	struct proc_maps maps;
	size_t *first, nmods, with_probes = 0, nprobes = 0;
	char *exe;
	int err;

	err = procmaps_read(pid, &maps);
	if (err) {
		maps_error(pid, err);
		out->status = EXIT_RUNTIME;
		return;
	}
	first = xcalloc(maps.n ? maps.n : 1, sizeof(*first));
	nmods = procmaps_modules(&maps, first);
	if (!nmods) {
		pr_warn(CMD, "pid %d: no files mapped: a kernel thread, or a process that is "
			"exiting", (int)pid);
		out->status = EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < nmods; i++) {
		const struct map_entry *e = &maps.v[first[i]];
		struct list_proc proc = {
			.pid = pid, .maps = &maps, .dev = e->dev, .ino = e->ino,
			.path = e->path, .deleted = e->deleted,
		};
		struct elf_module *m;
		int fd;

		fd = procmaps_open(pid, e);
		if (fd < 0) {
			pr_warn(CMD, "pid %d: %s%s: cannot open it as mapped: %s", (int)pid,
				e->path, e->deleted ? " (deleted)" : "",
				fd == -ESTALE ? "the path now names another file" : strerror(-fd));
			out->status = EXIT_RUNTIME;
			continue;
		}
		err = elf_module_open(e->path, fd, &m);
		close(fd);
		if (err) {
			pr_warn(CMD, "pid %d: %s: %s", (int)pid, e->path,
				err == -ENOEXEC ? "not an ELF file" :
				err == -EINVAL ? "damaged ELF file" : strerror(-err));
			out->status = EXIT_RUNTIME;
			continue;
		}
		if (count_selected(out->opts, m)) {
			with_probes++;
			nprobes += count_selected(out->opts, m);
		}
		module_print(out, m, e->path, &proc);
		elf_module_free(m);
	}
	if (!out->opts->json) {
		exe = procmaps_exe_path(pid);
		if (out->human_any)
			putchar('\n');
		printf("pid %d (", (int)pid);
		fputs_safe(exe ? exe : "?", stdout);
		printf("): %zu %sprobe%s in %zu of %zu modules\n", nprobes,
		       out->opts->sel.n ? "matching " : "", nprobes == 1 ? "" : "s", with_probes, nmods);
		free(exe);
	}
	if (!nprobes)
		list_pid_why(out, pid);
out:
	free(first);
	procmaps_free(&maps);
}

int cmd_list(int argc, char **argv)
{
	struct list_opts opts = { 0 };
	struct list_out out = { .opts = &opts, .status = EXIT_OK };
	int first = 0, rc;
	bool done;

	rc = parse_options(argc, argv, &opts, &first, &done);
	if (rc != EXIT_OK || done) {
		selection_free(&opts.sel);
		return rc;
	}
	if (opts.pid)
		list_pid(&out, opts.pid);
	else
		for (int i = first; i < argc; i++)
			list_file(&out, argv[i]);
	if (opts.json)
		json_finish(&out);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pr_warn(CMD, "writing the output: %s", strerror(errno));
		out.status = EXIT_RUNTIME;
	}
	selection_free(&opts.sel);
	return out.status;
}

/*
 * Why a program has none of the probes a command needs; see explain.h.
 *
 * A Python is recognised by what it defines (Py_BytesMain or Py_Main:
 * the interpreter itself, or the libpython it runs from) or by its name
 * (python3.11, libpython3.11.so.1.0); its markers, if it was built with
 * --with-dtrace, have provider "python".  For a process, the modules are
 * those of /proc/PID/maps, each opened as the very inode it has mapped
 * (tracer/procmaps.c), and only the executable and python-named ones are
 * searched for symbols, so that asking costs little however many
 * libraries the process has.
 */
#define _GNU_SOURCE
#include "ui/explain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/module.h"
#include "tracer/procmaps.h"
#include "tracer/python.h"

/* Whether the file defines the interpreter's entry points. */
static bool has_python_main(const char *path, int fd)
{
	uint64_t v;

	return elf_module_symbol(path, fd, "Py_BytesMain", &v) == 0 ||
	       elf_module_symbol(path, fd, "Py_Main", &v) == 0;
}

static bool python_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return glob_match("python*", base) || glob_match("libpython*", base);
}

/*
 * A Python whose executable only calls into a shared libpython keeps its
 * markers, if any, in that library.  Look for it where an installation
 * with its own prefix puts it (PREFIX/bin/python3.11 loads
 * PREFIX/lib/libpython3.11.so.1.0, which is what pyenv builds do) and
 * nowhere else: a guess elsewhere could name a library this interpreter
 * never loads.  Returns a malloc'd path or NULL.
 */
static char *prefix_libpython(const char *path)
{
	static const char *const libdirs[] = { "lib", "lib64" };
	const char *base = strrchr(path, '/'), *bindir_slash;
	char *prefix, *found = NULL;

	if (!base)
		return NULL;
	for (bindir_slash = base; bindir_slash > path && bindir_slash[-1] != '/'; bindir_slash--)
		;
	if (bindir_slash == path)
		return NULL;
	prefix = xstrndup(path, (size_t)(bindir_slash - 1 - path));
	base++;
	for (size_t i = 0; i < ARRAY_SIZE(libdirs) && !found; i++) {
		char *cand = xasprintf("%s/%s/lib%s.so.1.0", prefix, libdirs[i], base);

		if (access(cand, R_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(prefix);
	return found;
}

char *explain_file(const char *path)
{
	struct elf_module *lib = NULL;
	char *libpath, *text = NULL;

	if (has_python_main(path, -1))
		return xasprintf("%s: this Python was built without --with-dtrace, so it has no "
				 "stapsdt markers; " EXPLAIN_DEBIAN_PYTHON, path);
	if (!python_named(path))
		return NULL;
	libpath = prefix_libpython(path);
	if (libpath && elf_module_open(libpath, -1, &lib) == 0 && lib->nprobes == 0)
		text = xasprintf("%s: this Python was built without --with-dtrace: neither it nor "
				 "its %s has stapsdt markers; " EXPLAIN_DEBIAN_PYTHON, path, libpath);
	else if (lib)
		text = xasprintf("%s: this Python's markers are in its shared library: "
				 "ptap list %s", path, libpath);
	else
		text = xasprintf("%s: this Python runs its interpreter from a shared libpython "
				 "(ldd %s names it), which has the markers if it was built with "
				 "--with-dtrace; " EXPLAIN_DEBIAN_PYTHON, path, path);
	elf_module_free(lib);
	free(libpath);
	return text;
}

char *explain_script(const char *path, const char *head)
{
	size_t len = strcspn(head, "\n");

	if (strstr(path, "/shims/") && strstr(head, "pyenv"))
		return xasprintf("%s: not an ELF file but a pyenv shim, a script that runs the "
				 "Python pyenv selects; pyenv builds Python without --with-dtrace, "
				 "so it has no stapsdt markers; " EXPLAIN_DEBIAN_PYTHON, path);
	return xasprintf("%s: not an ELF file but a script (%.*s): list the program it runs",
			 path, (int)MIN(len, 200), head);
}

char *explain_patterns(const struct selection *sel)
{
	size_t i, shown = sel->n <= 5 ? sel->n : 3;
	char *text = xstrdup(""), *next, *safe;

	if (!sel->n)
		return xstrdup("any probe");
	for (i = 0; i < shown; i++) {
		next = xasprintf("%s%s%s", text, !i ? "" : i + 1 < sel->n || shown < sel->n ? ", " : " or ",
				 sel->pats[i].text);
		free(text);
		text = next;
	}
	if (shown < sel->n) {
		next = xasprintf("%s or %zu other patterns", text, sel->n - shown);
		free(text);
		text = next;
	}
	safe = xstrdup_safe(text);
	free(text);
	return safe;
}

/* Whether every pattern names provider "python" exactly: then only the
 * interpreter's own markers can ever match. */
static bool only_python(const struct selection *sel)
{
	for (size_t i = 0; i < sel->n; i++)
		if (strcmp(sel->pats[i].provider, "python"))
			return false;
	return sel->n > 0;
}

/* What the modules of a process hold. */
struct scan {
	size_t modules;
	size_t probes;           /* stapsdt probes, all modules */
	size_t matching;         /* of them, selected */
	size_t python_probes;    /* of them, provider "python" */
	size_t unopened;         /* modules not opened for want of resources */
	int open_err;            /* the first one's errno */
	char *interp;            /* the module that is the interpreter, if any */
	unsigned version;        /* its version, 0 unknown */
	bool interp_is_exe;
};

static void scan_module(struct scan *sc, pid_t pid, const struct map_entry *e, const char *exe,
			const struct selection *sel)
{
	struct elf_module *m;
	size_t i, py = 0;
	bool is_exe = exe && !strcmp(e->path, exe);
	int fd;

	fd = procmaps_open(pid, e);
	if (fd < 0) {
		/* out of descriptors or memory: nothing is known of it */
		if ((fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) && !sc->unopened++)
			sc->open_err = -fd;
		return;
	}
	if (elf_module_open(e->path, fd, &m)) {
		close(fd);
		return;
	}
	sc->modules++;
	for (i = 0; i < m->nprobes; i++) {
		sc->probes++;
		py += !strcmp(m->probes[i].provider, "python");
		sc->matching += selection_match(sel, &m->probes[i], false) >= 0;
	}
	sc->python_probes += py;
	if (!sc->interp && (py || ((is_exe || python_named(e->path)) && has_python_main(e->path, fd)))) {
		sc->interp = xstrdup(e->path);
		sc->interp_is_exe = is_exe;
		sc->version = python_version(m, fd);
	}
	elf_module_free(m);
	close(fd);
}

static char *compose(const struct scan *sc, const struct selection *sel, pid_t pid,
		     const char *exe, struct explain *e)
{
	char *pats = explain_patterns(sel), *interp = sc->interp ? xstrdup_safe(sc->interp) : NULL;
	const char *newer = python_missing_function_markers(sc->version);
	char *text, *who = xasprintf("pid %d (%s)", (int)pid, exe), *never;

	never = sel->n ? xasprintf(" and %s can never fire", pats) : xstrdup("");
	e->python = sc->interp != NULL;
	e->never = e->python && only_python(sel);
	if (sc->matching)
		text = xasprintf("%s has %zu probe%s matching %s, but none could be armed (see the "
				 "messages above)", who, sc->matching, sc->matching == 1 ? "" : "s",
				 pats);
	else if (sc->unopened)
		text = xasprintf("%s: %zu of its %zu modules could not be opened (%s%s), so what "
				 "probes it has is not known", who, sc->unopened,
				 sc->modules + sc->unopened, strerror(sc->open_err),
				 sc->open_err == EMFILE ? ": raise the limit, ulimit -n" : "");
	else if (sc->python_probes && newer)
		text = xasprintf("%s: no probe matching %s: %s", who, pats, newer);
	else if (sc->python_probes)
		text = xasprintf("%s: its Python (%s) has %zu markers, none matching %s", who,
				 interp, sc->python_probes, pats);
	else if (interp && sc->interp_is_exe)
		text = xasprintf("%s is a Python built without --with-dtrace, so it has no stapsdt "
				 "markers%s; " EXPLAIN_DEBIAN_PYTHON, who, never);
	else if (interp)
		text = xasprintf("%s runs a Python built without --with-dtrace: its %s has no "
				 "stapsdt markers%s; " EXPLAIN_DEBIAN_PYTHON, who, interp, never);
	else if (selection_wants_python(sel))
		text = xasprintf("%s is not a Python: none of its %zu modules is a Python "
				 "interpreter%s, so %s cannot fire unless it runs one", who,
				 sc->modules, sc->probes ? " (it has other stapsdt probes: ptap list -p)"
				 : " or has stapsdt probes", pats);
	else
		text = xasprintf("%s: none of its %zu modules has a probe matching %s%s", who,
				 sc->modules, pats, sc->probes ? " (it has others: ptap list -p)" : "");
	free(never);
	free(who);
	free(pats);
	free(interp);
	return text;
}

int explain_process(pid_t pid, const struct selection *sel, struct explain *e)
{
	struct proc_maps maps;
	struct scan sc;
	size_t *first, n, i;
	char *exe = procmaps_exe_path(pid), *safe = xstrdup_safe(exe ? exe : "?");
	int err;

	memset(e, 0, sizeof(*e));
	memset(&sc, 0, sizeof(sc));
	err = procmaps_read(pid, &maps);
	if (err) {
		e->text = err == -ESRCH ? xasprintf("pid %d (%s) has ended", (int)pid, safe)
			: xasprintf("pid %d (%s): cannot read /proc/%d/maps: %s", (int)pid, safe,
				    (int)pid, strerror(-err));
		free(exe);
		free(safe);
		return err;
	}
	first = xcalloc(maps.n ? maps.n : 1, sizeof(*first));
	n = procmaps_modules(&maps, first);
	for (i = 0; i < n; i++)
		scan_module(&sc, pid, &maps.v[first[i]], exe, sel);
	e->text = compose(&sc, sel, pid, safe, e);
	free(sc.interp);
	free(first);
	procmaps_free(&maps);
	free(exe);
	free(safe);
	return 0;
}

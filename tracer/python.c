/*
 * CPython's markers; see python.h.  Argument layouts are those of
 * CPython's Include/pydtrace.d, the same from 3.6 to 3.11: filename and
 * function name are UTF-8 C strings, the line an int.
 */
#define _GNU_SOURCE
#include "tracer/python.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "elf/addr.h"
#include "tracer/event.h"
#include "tracer/select.h"

static const struct python_marker markers[] = {
	{ "function__entry", KP_PY_ENTRY, { RENDER_STR, RENDER_STR, RENDER_S32, RENDER_DEFAULT }, 4 },
	{ "function__return", KP_PY_RETURN, { RENDER_STR, RENDER_STR, RENDER_S32, RENDER_DEFAULT }, 4 },
	{ "line", KP_PY_LINE, { RENDER_STR, RENDER_STR, RENDER_S32 }, 3 },
	{ "gc__start", KP_PY_GC_START, { RENDER_S32 }, 1 },
	{ "gc__done", KP_PY_GC_DONE, { RENDER_S64 }, 1 },
	{ "import__find__load__start", KP_PY_IMPORT_START, { RENDER_STR }, 1 },
	{ "import__find__load__done", KP_PY_IMPORT_DONE, { RENDER_STR, RENDER_S32 }, 2 },
	{ "audit", KP_PY_AUDIT, { RENDER_STR, RENDER_HEX }, 2 },
};

const struct python_marker *python_marker(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(markers); i++)
		if (!strcmp(markers[i].name, name))
			return &markers[i];
	return NULL;
}

/* Py_Version is a const unsigned long: PY_VERSION_HEX of the build. */
static unsigned version_from_symbol(const struct elf_module *m)
{
	uint64_t value, off;
	uint32_t hex = 0;
	int fd;
	ssize_t r;

	if (elf_module_symbol(m->path, -1, "Py_Version", &value))
		return 0;
	if (addr_to_offset(m->segs, m->nsegs, value, 0, &off))
		return 0;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = pread(fd, &hex, sizeof(hex), (off_t)off);
	close(fd);
	if (r != sizeof(hex) || (hex >> 24) != 3)
		return 0;
	return hex & 0xffff0000u;
}

static unsigned version_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned major, minor;

	base = base ? base + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (sscanf(base, "python%u.%u", &major, &minor) == 2 && major == 3 && minor < 100)
		return major << 24 | minor << 16;
	return 0;
}

unsigned python_version(const struct elf_module *m)
{
	unsigned v = version_from_symbol(m);

	return v ? v : version_from_name(m->path);
}

bool python_entry_needs_line(unsigned version)
{
	return version == 0x030b0000;
}

const char *python_missing_function_markers(unsigned version)
{
	if (version >= 0x030c0000 && version < 0x030f0000)
		return "CPython 3.12 to 3.14 have no function__entry/function__return markers "
		       "(PEP 669 replaced them); gc, import and audit markers remain "
		       "(ptap monitor), or use a 3.11 interpreter such as Debian's /usr/bin/python3.11";
	return NULL;
}

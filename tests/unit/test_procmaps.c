/*
 * The /proc/PID/maps parser (procmaps_parse_buf in tracer/procmaps.c) on
 * text: real lines of python3.11, pseudo mappings, deleted files, paths
 * with spaces, and lines that must be refused.  The buffers are heap
 * copies of exactly the text and its NUL, so that the sanitizer build
 * catches a read past them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "tracer/procmaps.h"
#include "tap.h"

static const char python_maps[] =
	"00400000-0041f000 r--p 00000000 fe:01 1835131                            /usr/bin/python3.11\n"
	"0041f000-006cf000 r-xp 0001f000 fe:01 1835131                            /usr/bin/python3.11\n"
	"00a7e000-00abf000 rw-p 0067d000 fe:01 1835131                            /usr/bin/python3.11\n"
	"01d4e000-01e6c000 rw-p 00000000 00:00 0                                  [heap]\n"
	"7f5c0c000000-7f5c0c021000 rw-p 00000000 00:00 0 \n"
	"7f5c10e00000-7f5c10e02000 r--s 00001000 00:2a 77                         /tmp/a dir/with space.bin (deleted)\n"
	"7ffd5e1b4000-7ffd5e1b6000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

/* Parse a heap copy of text; the entries' paths are their own copies. */
static int parse(const char *text, struct proc_maps *m, size_t *bad_at)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);
	const char *bad = NULL;
	int rc;

	memcpy(buf, text, len + 1);
	rc = procmaps_parse_buf(buf, m, &bad);
	if (bad_at)
		*bad_at = bad ? (size_t)(bad - buf) : (size_t)-1;
	free(buf);
	return rc;
}

static void test_python(void)
{
	struct proc_maps m;

	is_int(parse(python_maps, &m, NULL), 0, "python3.11's maps parse");
	is_int(m.n, 8, "eight entries (the last line has no newline)");
	if (m.n != 8)
		return;
	is_u64(m.v[1].start, 0x41f000, "start");
	is_u64(m.v[1].end, 0x6cf000, "end");
	is_u64(m.v[1].offset, 0x1f000, "offset");
	is_int(m.v[1].prot, PROT_READ | PROT_EXEC, "r-x");
	is_u64(m.v[1].dev, makedev(0xfe, 1), "device fe:01");
	is_u64(m.v[1].ino, 1835131, "inode in decimal");
	is_str(m.v[1].path, "/usr/bin/python3.11", "path");
	ok(procmaps_is_file(&m.v[1]) && !m.v[1].deleted && !m.v[1].shared, "a mapped file, private");
	is_str(m.v[3].path, "[heap]", "a pseudo mapping keeps its name");
	ok(!procmaps_is_file(&m.v[3]), "and is not a file");
	ok(m.v[4].path == NULL && m.v[4].ino == 0, "an anonymous mapping has no path (trailing blank)");
	is_str(m.v[5].path, "/tmp/a dir/with space.bin", "spaces stay, ' (deleted)' goes");
	ok(m.v[5].deleted && m.v[5].shared && m.v[5].prot == PROT_READ, "deleted, shared, r--");
	is_u64(m.v[7].start, 0xffffffffff600000ULL, "vsyscall's 64-bit start");
	ok(m.v[7].prot == PROT_EXEC, "--x");
	procmaps_free(&m);
	ok(m.v == NULL && m.n == 0, "procmaps_free empties the list");
}

static void test_refused(void)
{
	static const struct { const char *text; size_t bad_at; const char *what; } bad[] = {
		{ "00400000-00300000 r--p 00000000 fe:01 1 /x\n", 0, "end below start" },
		{ "00400000-00500000 r--pp 00000000 fe:01 1 /x\n", 0, "five permission letters" },
		{ "00400000-00500000 r- 00000000 fe:01 1 /x\n", 0, "two permission letters" },
		{ "00400000 r--p 00000000 fe:01 1 /x\n", 0, "no end" },
		{ "00400000-00500000 r--p 00000000 fe01 1 /x\n", 0, "no ':' in the device" },
		{ "00400000-00500000 r--p 00000000 fe:01\n", 0, "no inode" },
		{ "garbage\n", 0, "garbage" },
		{ "00400000-00500000 r--p 00000000 fe:01 1 /ok\n\nxyz\n", 45, "a bad line after a good one" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proc_maps m;
		size_t at;

		is_int(parse(bad[i].text, &m, &at), -EINVAL, "%s: -EINVAL", bad[i].what);
		ok(m.v == NULL && m.n == 0 && at == bad[i].bad_at, "  ... nothing kept, line at %zu (got %zu)",
		   bad[i].bad_at, at);
	}
}

static void test_edges(void)
{
	struct proc_maps m;
	const char *bad = (const char *)1;
	char empty[] = "";

	is_int(procmaps_parse_buf(empty, &m, &bad), 0, "empty text: no entries");
	ok(m.n == 0 && bad == NULL, "  ... and no bad line");
	is_int(parse("\n\n\n", &m, NULL), 0, "blank lines are skipped");
	is_int(m.n, 0, "  ... giving nothing");
	is_int(parse("1-2 rw-p 0 0:0 0 (deleted)\n", &m, NULL), 0, "a path that is only '(deleted)'");
	ok(m.n == 1 && m.v[0].path && !strcmp(m.v[0].path, "(deleted)") && !m.v[0].deleted,
	   "  ... is kept as it is");
	procmaps_free(&m);
	is_int(parse("1-2 rw-p 0 0:0 0 x (deleted)\n", &m, NULL), 0, "'x (deleted)'");
	ok(m.n == 1 && !strcmp(m.v[0].path, "x") && m.v[0].deleted, "  ... is x, deleted");
	procmaps_free(&m);
	is_int(parse("0-ffffffffffffffff rw-p ffffffffffffffff ff:ff 18446744073709551615 /big\n", &m, NULL),
	       0, "the largest numbers");
	ok(m.n == 1 && m.v[0].end == UINT64_MAX && m.v[0].offset == UINT64_MAX, "  ... are kept");
	procmaps_free(&m);
	is_int(procmaps_parse_buf(empty, &m, NULL), 0, "bad_line may be NULL");
}

int main(void)
{
	test_python();
	test_refused();
	test_edges();
	return done_testing();
}

/*
 * libFuzzer harness: the /proc/PID/maps parser (procmaps_parse_buf in
 * tracer/procmaps.c, which procmaps_read runs on the file's text).
 *
 * The input is the text of a maps file (fuzz/corpus/maps/ holds real ones,
 * with deleted files, paths with spaces, pseudo mappings).  The kernel
 * writes that text, but a path in it is whatever the target named its
 * files, so every byte after the inode is the target's to choose.  The
 * checks are what arm.c and list.c rely on: each entry's end is not below
 * its start, and a path has no " (deleted)" left on it when deleted is
 * set, holds no newline, and is only there when non-empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps maps;
	const char *bad;
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = procmaps_parse_buf(text, &maps, &bad);
	if (rc) {
		/* The bad line is reported from inside the text, and nothing is kept. */
		if (rc != -EINVAL || !bad || bad < text || bad > text + size || maps.v || maps.n)
			abort();
	} else {
		for (size_t i = 0; i < maps.n; i++) {
			const struct map_entry *e = &maps.v[i];

			if (e->end < e->start)
				abort();
			if (e->path && (!e->path[0] || strchr(e->path, '\n')))
				abort();
			if (e->deleted && !e->path)
				abort();
			procmaps_is_file(e);
		}
	}
	procmaps_free(&maps);
	free(text);
	return 0;
}

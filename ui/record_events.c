/*
 * ptap record's event formats: every activation on a timeline.
 *
 * Chrome trace events (chrome://tracing, Perfetto): one "complete" event
 * per activation, written to the output as soon as it closes; the viewer
 * sorts them, so a frame that was running when ptap attached and is only
 * known when it returns is written then like any other.
 *
 *   {"traceEvents":[
 *   {"name":"parse","cat":"python","ph":"X","ts":1234.567,"dur":89.012,
 *    "pid":4242,"tid":4242,"args":{"file":"/app/parse.py","line":12}},
 *   ...],"displayTimeUnit":"ms","otherData":{...}}
 *
 * speedscope: one evented profile per thread, opening and closing events
 * in time order, frames indexed in a shared table.  A thread's events
 * must sit together in the file, and threads run at once, so each
 * thread's events wait in a small buffer, then in a temporary file, in
 * chunks linked from one to the next (a thread keeps only where its
 * first and last chunks are); the document is written at the end, thread
 * by thread.  Frames entered before ptap attached, known only when they
 * return, are opened at the start of their thread's profile.
 *
 * Times are each thread's corrected clock (ui/callstack.h) in ns:
 * microseconds with three decimals for Chrome, nanoseconds for
 * speedscope.
 */
#define _GNU_SOURCE
#include "ui/record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"

#define CHUNK_EVENTS 256

/* One speedscope event, as spilled. */
struct spill_ev {
	uint64_t at;
	uint32_t frame;
	uint32_t open;
};

struct spill_chunk {
	uint64_t next;              /* file offset of the thread's next chunk, 0 none */
	uint32_t count;
	uint32_t pad;
};

struct rec_profile {
	pid_t pid, tid;
	uint64_t start, end;        /* first and last event time */
	bool any;                   /* has events */
	struct spill_ev *buf;       /* events not yet spilled */
	size_t nbuf;
	uint64_t first, last;       /* spilled chunks, 1 + offset; 0 none */
	uint32_t *early;            /* frames entered before attach, in the
	                               order they returned */
	size_t nearly, earlycap;
	uint64_t origin;            /* when they began */
};

struct rec_events {
	enum record_format fmt;
	FILE *out;
	int spill;                  /* speedscope: the unlinked temporary file */
	uint64_t spill_end;
	struct u64map profiles;     /* pid << 32 | tid -> 1 + index */
	struct rec_profile *profs;
	size_t nprofs, profcap;
	struct u64map names;        /* pid -> malloc'd process name */
	bool written;               /* chrome: an event is out (commas) */
	bool comma;                 /* speedscope: an event of this profile is out */
	int err;                    /* first spill error, -errno */
};

static void chrome_begin(struct rec_events *e)
{
	fputs("{\"traceEvents\":[\n", e->out);
}

struct rec_events *rec_events_new(enum record_format fmt, FILE *out, int *err)
{
	struct rec_events *e = xcalloc(1, sizeof(*e));
	const char *dir = getenv("TMPDIR");
	char *path;

	e->fmt = fmt;
	e->out = out;
	e->spill = -1;
	u64map_init(&e->profiles);
	u64map_init(&e->names);
	if (fmt == REC_CHROME) {
		chrome_begin(e);
		return e;
	}
	path = xasprintf("%s/ptap-record-XXXXXX", dir && *dir ? dir : "/tmp");
	e->spill = mkostemp(path, O_CLOEXEC);
	if (e->spill < 0) {
		*err = -errno;
		free(path);
		rec_events_free(e);
		return NULL;
	}
	unlink(path);
	free(path);
	e->spill_end = 0;
	return e;
}

void rec_events_free(struct rec_events *e)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	if (!e)
		return;
	for (i = 0; i < e->nprofs; i++) {
		free(e->profs[i].buf);
		free(e->profs[i].early);
	}
	free(e->profs);
	u64map_free(&e->profiles);
	i = 0;
	while (u64map_next(&e->names, &i, &k, &v))
		free(v);
	u64map_free(&e->names);
	if (e->spill >= 0)
		close(e->spill);
	free(e);
}

void rec_events_process(struct rec_events *e, pid_t pid, const char *name)
{
	if (u64map_get(&e->names, (uint64_t)pid))
		return;
	u64map_put(&e->names, (uint64_t)pid, xstrdup(name));
	if (e->fmt != REC_CHROME)
		return;
	fprintf(e->out, "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
		"\"args\":{\"name\":", e->written ? ",\n" : "", pid, pid);
	json_string(e->out, name);
	fputs("}}", e->out);
	e->written = true;
}

static struct rec_profile *profile_of(struct rec_events *e, const struct cs_thread *th)
{
	uint64_t key = (uint64_t)(uint32_t)th->pid << 32 | (uint32_t)th->tid;
	uintptr_t i = (uintptr_t)u64map_get(&e->profiles, key);
	struct rec_profile *p;

	if (likely(i))
		return &e->profs[i - 1];
	VEC_RESERVE(e->profs, e->profcap, e->nprofs + 1);
	p = &e->profs[e->nprofs++];
	memset(p, 0, sizeof(*p));
	p->pid = th->pid;
	p->tid = th->tid;
	p->buf = xmalloc(CHUNK_EVENTS * sizeof(*p->buf));
	u64map_put(&e->profiles, key, (void *)(uintptr_t)e->nprofs);
	return p;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t r;

	while (len) {
		r = pwrite(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The profile's buffer, as a chunk at the end of the spill file linked
 * from its previous one. */
static void profile_spill(struct rec_events *e, struct rec_profile *p)
{
	struct spill_chunk c = { .count = (uint32_t)p->nbuf };
	uint64_t off = e->spill_end, link = off + 1;
	int r;

	r = pwrite_all(e->spill, &c, sizeof(c), off);
	if (!r)
		r = pwrite_all(e->spill, p->buf, p->nbuf * sizeof(*p->buf), off + sizeof(c));
	if (!r && p->last)
		r = pwrite_all(e->spill, &link, sizeof(link), p->last - 1);
	if (r) {
		if (!e->err)
			e->err = r;
		return;
	}
	if (!p->first)
		p->first = link;
	p->last = link;
	e->spill_end += sizeof(c) + p->nbuf * sizeof(*p->buf);
	p->nbuf = 0;
}

static void profile_add(struct rec_events *e, struct rec_profile *p, uint64_t at, uint32_t frame,
			bool open)
{
	if (!p->any || at < p->start)
		p->start = at;
	if (at > p->end)
		p->end = at;
	p->any = true;
	p->buf[p->nbuf].at = at;
	p->buf[p->nbuf].frame = frame;
	p->buf[p->nbuf].open = open;
	if (++p->nbuf == CHUNK_EVENTS)
		profile_spill(e, p);
}

void rec_events_open(struct rec_events *e, const struct rec_model *m, const struct cs_thread *th,
		     const struct cs_frame *f)
{
	if (e->fmt == REC_SPEEDSCOPE)
		profile_add(e, profile_of(e, th), f->start, m->nodes[f->id].frame, true);
}

static void put_us(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void chrome_event(struct rec_events *e, const struct rec_frame *fr, const struct cs_thread *th,
			 uint64_t start, uint64_t end)
{
	FILE *out = e->out;

	fputs(e->written ? ",\n{\"name\":" : "{\"name\":", out);
	e->written = true;
	json_string_n(out, fr->func, fr->func_len);
	fputs(",\"cat\":\"python\",\"ph\":\"X\",\"ts\":", out);
	put_us(out, start);
	fputs(",\"dur\":", out);
	put_us(out, end - start);
	fprintf(out, ",\"pid\":%d,\"tid\":%d,\"args\":{\"file\":", th->pid, th->tid);
	json_string_n(out, fr->file, fr->file_len);
	fprintf(out, ",\"line\":%lld}}", (long long)fr->line);
}

void rec_events_close(struct rec_events *e, const struct rec_model *m, const struct cs_thread *th,
		      const struct cs_frame *f, uint64_t end)
{
	uint32_t frame = m->nodes[f->id].frame;
	struct rec_profile *p;

	if (e->fmt == REC_CHROME) {
		chrome_event(e, &m->frames[frame], th, f->start, end);
		return;
	}
	p = profile_of(e, th);
	if (f->before_attach) {
		VEC_RESERVE(p->early, p->earlycap, p->nearly + 1);
		p->early[p->nearly++] = frame;
		p->origin = f->start;
		if (!p->any || f->start < p->start)
			p->start = f->start;
		p->any = true;
	}
	profile_add(e, p, end, frame, false);
}

static void speedscope_event(struct rec_events *e, uint64_t at, uint32_t frame, bool open)
{
	fprintf(e->out, "%s{\"type\":\"%c\",\"frame\":%" PRIu32 ",\"at\":%" PRIu64 "}",
		e->comma ? "," : "", open ? 'O' : 'C', frame, at);
	e->comma = true;
}

static int speedscope_profile(struct rec_events *e, struct rec_profile *p)
{
	FILE *out = e->out;
	const char *name = u64map_get(&e->names, (uint64_t)p->pid);
	uint64_t next = p->first;
	struct spill_chunk c;
	char *title;
	size_t i;

	if (p->pid == p->tid)
		title = xasprintf("%s pid %d", name ? name : "python", p->pid);
	else
		title = xasprintf("%s pid %d thread %d", name ? name : "python", p->pid, p->tid);
	fputs("{\"type\":\"evented\",\"name\":", out);
	json_string(out, title);
	free(title);
	fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":%" PRIu64 ",\"endValue\":%" PRIu64
		",\"events\":[", p->start, p->end);
	e->comma = false;
	for (i = p->nearly; i-- > 0;)
		speedscope_event(e, p->origin, p->early[i], true);
	while (next) {
		if (pread(e->spill, &c, sizeof(c), (off_t)(next - 1)) != (ssize_t)sizeof(c) ||
		    c.count > CHUNK_EVENTS ||
		    pread(e->spill, p->buf, c.count * sizeof(*p->buf), (off_t)(next - 1 + sizeof(c))) !=
			    (ssize_t)(c.count * sizeof(*p->buf)))
			return -EIO;
		for (i = 0; i < c.count; i++)
			speedscope_event(e, p->buf[i].at, p->buf[i].frame, p->buf[i].open);
		next = c.next;
	}
	return 0;
}

static int speedscope_finish(struct rec_events *e, const struct rec_model *m, const char *title)
{
	FILE *out = e->out;
	size_t i;
	int r;

	/* every thread's last events join its chunks first */
	for (i = 0; i < e->nprofs; i++)
		if (e->profs[i].nbuf)
			profile_spill(e, &e->profs[i]);
	if (e->err)
		return e->err;
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
	      "\"exporter\":\"ptap " PTAP_VERSION "\",\"name\":", out);
	json_string(out, title);
	fputs(",\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", out);
	for (i = 0; i < m->nframes; i++) {
		const struct rec_frame *fr = &m->frames[i];

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		json_string_n(out, fr->func, fr->func_len);
		fputs(",\"file\":", out);
		json_string_n(out, fr->file, fr->file_len);
		fprintf(out, ",\"line\":%lld}", (long long)fr->line);
	}
	fputs("]},\n\"profiles\":[", out);
	for (i = 0; i < e->nprofs; i++) {
		if (i)
			fputs(",\n", out);
		r = speedscope_profile(e, &e->profs[i]);
		if (r)
			return r;
		fputs("]}", out);
	}
	fputs("]}\n", out);
	return 0;
}

int rec_events_finish(struct rec_events *e, const struct rec_model *m, const char *title,
		      uint64_t overhead_ns)
{
	if (e->fmt == REC_SPEEDSCOPE)
		return speedscope_finish(e, m, title);
	fputs("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"ptap " PTAP_VERSION
	      "\",\"title\":", e->out);
	json_string(e->out, title);
	fprintf(e->out, ",\"correction_ns_per_hit\":%" PRIu64 "}}\n", overhead_ns);
	return 0;
}

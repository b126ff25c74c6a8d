/*
 * ptap record's model: frames and the tree of call stacks.
 *
 * A frame is a distinct (filename, line, function), interned as top
 * interns its rows (hashed bytes, compared byte for byte, never
 * CPython's pointers).  A node of the tree is a frame under a parent
 * node, so each node stands for one whole stack, root first; the call
 * stacks of ui/callstack.c carry node indices, so an entry finds its
 * node from the node of the frame it is called from, and the stacks
 * credit each node with the time its stack was on top (own time).  A
 * node's total is then the sum of its subtree's own times, which is what
 * a flame graph draws and what folded stacks add up to.
 *
 * A return on an empty stack belongs to a frame entered before ptap
 * attached: it becomes a child of the root (its callers are unknown),
 * named after a frame of the same file and function if one was seen
 * (a return has the line that returned, an entry the def line).
 */
#define _GNU_SOURCE
#include "ui/record.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "tracer/select.h"
#include "ui/format.h"

static const char unreadable_text[] = "<unreadable>";

static void rec_credit(void *ctx, uint32_t id, uint64_t own, uint64_t total UNUSED,
		       uint64_t now UNUSED)
{
	struct rec_model *m = ctx;

	m->nodes[id].own_ns += own;
}

static void rec_close(void *ctx, const struct cs_thread *th, const struct cs_frame *f,
		      uint64_t end)
{
	struct rec_model *m = ctx;

	if (m->events)
		rec_events_close(m->events, m, th, f, end);
}

void rec_model_init(struct rec_model *m, struct rec_events *events)
{
	static const struct callstack_hooks hooks = { .credit = rec_credit, .close = rec_close };

	memset(m, 0, sizeof(*m));
	m->events = events;
	u64map_init(&m->children);
	callstack_init(&m->stacks, true, &hooks, m);
	VEC_RESERVE(m->nodes, m->nodecap, 64);
	memset(&m->nodes[0], 0, sizeof(m->nodes[0]));
	m->nodes[0].frame = REC_ROOT;
	m->nnodes = 1;
}

void rec_model_free(struct rec_model *m)
{
	size_t i;

	for (i = 0; i < m->nframes; i++) {
		free(m->frames[i].file);
		free(m->frames[i].func);
	}
	free(m->frames);
	free(m->slots);
	free(m->nodes);
	u64map_free(&m->children);
	callstack_free(&m->stacks);
}

/* FNV-1a over the file, a separator, the function, then the line mixed in. */
static uint64_t frame_hash(const char *file, size_t flen, const char *func, size_t nlen,
			   int64_t line)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < flen; i++)
		h = (h ^ (unsigned char)file[i]) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull;
	for (i = 0; i < nlen; i++)
		h = (h ^ (unsigned char)func[i]) * 0x100000001b3ull;
	h ^= (uint64_t)line * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	return h * 0xbf58476d1ce4e5b9ull;
}

static void slots_grow(struct rec_model *m)
{
	size_t cap = m->mask ? (m->mask + 1) * 2 : 256, i, j;
	uint32_t *slots = xcalloc(cap, sizeof(*slots));

	for (i = 0; i < m->nframes; i++) {
		for (j = m->frames[i].hash & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = (uint32_t)i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
}

static uint32_t frame_intern(struct rec_model *m, const char *file, size_t flen, const char *func,
			     size_t nlen, int64_t line)
{
	uint64_t h = frame_hash(file, flen, func, nlen, line);
	struct rec_frame *fr;
	size_t i;

	if (likely(m->mask)) {
		for (i = h & m->mask; m->slots[i]; i = (i + 1) & m->mask) {
			fr = &m->frames[m->slots[i] - 1];
			if (fr->hash == h && fr->line == line && fr->file_len == flen &&
			    fr->func_len == nlen && !memcmp(fr->func, func, nlen) &&
			    !memcmp(fr->file, file, flen))
				return m->slots[i] - 1;
		}
	}
	if ((m->nframes + 1) * 2 > (m->mask ? m->mask + 1 : 0))
		slots_grow(m);
	VEC_RESERVE(m->frames, m->framecap, m->nframes + 1);
	fr = &m->frames[m->nframes];
	fr->hash = h;
	fr->file = xstrndup(file, flen);
	fr->file_len = (uint32_t)flen;
	fr->func = xstrndup(func, nlen);
	fr->func_len = (uint32_t)nlen;
	fr->line = line;
	for (i = h & m->mask; m->slots[i]; i = (i + 1) & m->mask)
		;
	m->slots[i] = (uint32_t)m->nframes + 1;
	return (uint32_t)m->nframes++;
}

/* The node of frame under parent, made if new. */
static uint32_t node_child(struct rec_model *m, uint32_t parent, uint32_t frame)
{
	uint64_t key = (uint64_t)parent << 32 | ((uint64_t)frame + 1);
	uintptr_t found = (uintptr_t)u64map_get(&m->children, key);
	struct rec_node *n;
	uint32_t idx;

	if (likely(found))
		return (uint32_t)found;
	VEC_RESERVE(m->nodes, m->nodecap, m->nnodes + 1);
	idx = (uint32_t)m->nnodes++;
	n = &m->nodes[idx];
	memset(n, 0, sizeof(*n));
	n->frame = frame;
	n->parent = parent;
	n->depth = m->nodes[parent].depth + 1;
	n->next_sibling = m->nodes[parent].first_child;
	m->nodes[parent].first_child = idx;
	u64map_put(&m->children, key, (void *)(uintptr_t)idx);
	return idx;
}

static void arg_text(struct rec_model *m, const struct value *v, const char **s, size_t *len)
{
	if (value_str(v, s, len))
		return;
	*s = unreadable_text;
	*len = sizeof(unreadable_text) - 1;
	m->unreadable++;
}

/* The frame of a return on an empty stack; see the top of the file. */
static uint32_t frame_early(struct rec_model *m, const char *file, size_t flen, const char *func,
			    size_t nlen, int64_t line)
{
	size_t i;

	for (i = 0; i < m->nframes; i++) {
		const struct rec_frame *fr = &m->frames[i];

		if (fr->file_len == flen && fr->func_len == nlen && !memcmp(fr->func, func, nlen) &&
		    !memcmp(fr->file, file, flen))
			return (uint32_t)i;
	}
	return frame_intern(m, file, flen, func, nlen, line);
}

void rec_model_event(struct rec_model *m, const struct event *ev)
{
	const char *file, *func;
	size_t flen, nlen;
	struct cs_thread *th;
	uint32_t node = 0;
	int64_t line = 0;

	if (unlikely(ev->nargs < 3))
		return;
	th = callstack_thread(&m->stacks, ev->pid, ev->tid, ev->time_ns);
	if (ev->probe->known == KP_PY_RETURN && th->depth) {
		callstack_leave(&m->stacks, th, ev->time_ns, 0);
		return;
	}
	arg_text(m, &ev->args[0], &file, &flen);
	arg_text(m, &ev->args[1], &func, &nlen);
	value_int(&ev->args[2], &line);
	if (ev->probe->known == KP_PY_RETURN) {
		node = node_child(m, 0, frame_early(m, file, flen, func, nlen, line));
		callstack_leave(&m->stacks, th, ev->time_ns, node);
		return;
	}
	if (ev->probe->known != KP_PY_ENTRY)
		return;
	node = node_child(m, th->depth ? th->frames[th->depth - 1].id : 0,
			  frame_intern(m, file, flen, func, nlen, line));
	m->nodes[node].calls++;
	callstack_enter(&m->stacks, th, node, ev->time_ns);
	if (m->events)
		rec_events_open(m->events, m, th, &th->frames[th->depth - 1]);
}

static int frame_cmp(const struct rec_model *m, uint32_t a, uint32_t b)
{
	const struct rec_frame *x = &m->frames[m->nodes[a].frame], *y = &m->frames[m->nodes[b].frame];
	int c = memcmp(x->func, y->func, MIN(x->func_len, y->func_len));

	if (c || x->func_len != y->func_len)
		return c ? c : (x->func_len < y->func_len ? -1 : 1);
	c = memcmp(x->file, y->file, MIN(x->file_len, y->file_len));
	if (c || x->file_len != y->file_len)
		return c ? c : (x->file_len < y->file_len ? -1 : 1);
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort a sibling list by frame name (insertion sort: lists are short). */
static uint32_t sort_siblings(const struct rec_model *m, uint32_t head)
{
	uint32_t sorted = 0, next;

	while (head) {
		uint32_t *p = &sorted;

		next = m->nodes[head].next_sibling;
		while (*p && frame_cmp(m, *p, head) <= 0)
			p = &m->nodes[*p].next_sibling;
		m->nodes[head].next_sibling = *p;
		*p = head;
		head = next;
	}
	return sorted;
}

void rec_model_finish(struct rec_model *m)
{
	size_t i;

	/* children always come after their parents: one backward pass sums */
	for (i = 0; i < m->nnodes; i++)
		m->nodes[i].total_ns = m->nodes[i].own_ns;
	for (i = m->nnodes; i-- > 1;)
		m->nodes[m->nodes[i].parent].total_ns += m->nodes[i].total_ns;
	for (i = 0; i < m->nnodes; i++)
		m->nodes[i].first_child = sort_siblings(m, m->nodes[i].first_child);
}

void rec_frame_label(FILE *f, const struct rec_frame *fr, void (*put)(FILE *, const char *, size_t))
{
	put(f, fr->func, fr->func_len);
	fputs(" (", f);
	put(f, fr->file, fr->file_len);
	fprintf(f, ":%lld)", (long long)fr->line);
}

/*
 * Open-addressing u64 -> pointer map; see hashmap.h.
 */
#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void u64map_free(struct u64map *m)
{
	free(m->slots);
	u64map_init(m);
}

static void insert_slot(struct u64map *m, uint64_t key, void *value)
{
	size_t i;

	for (i = u64map_hash(key) & m->mask; m->slots[i].key; i = (i + 1) & m->mask) {
		if (m->slots[i].key == key) {
			m->slots[i].value = value;
			return;
		}
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->count++;
}

static void resize(struct u64map *m, size_t cap)
{
	struct u64map_slot *old = m->slots;
	size_t oldcap = m->slots ? m->mask + 1 : 0;
	size_t i;

	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	m->count = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].key)
			insert_slot(m, old[i].key, old[i].value);
	free(old);
}

void u64map_put(struct u64map *m, uint64_t key, void *value)
{
	size_t cap = m->slots ? m->mask + 1 : 0;

	/* keep the load factor under 1/2 so linear probes stay short */
	if ((m->count + 1) * 2 > cap)
		resize(m, cap ? cap * 2 : 16);
	insert_slot(m, key, value);
}

void *u64map_del(struct u64map *m, uint64_t key)
{
	size_t i, j, home;
	void *value;

	if (!m->count)
		return NULL;
	for (i = u64map_hash(key) & m->mask; m->slots[i].key != key; i = (i + 1) & m->mask)
		if (!m->slots[i].key)
			return NULL;
	value = m->slots[i].value;
	m->slots[i].key = 0;
	m->count--;
	/* backward-shift the entries that probed past the hole */
	for (j = (i + 1) & m->mask; m->slots[j].key; j = (j + 1) & m->mask) {
		home = u64map_hash(m->slots[j].key) & m->mask;
		/* move j into i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = 0;
			i = j;
		}
	}
	return value;
}

/*
 * An open-addressing hash map from 64-bit keys to pointers.
 *
 * Used where lookups sit on the probe-hit path (address -> armed site), so
 * a lookup is a multiply, a mask and a short linear probe with no
 * allocation.  Key 0 is reserved as the empty marker; callers never store
 * address 0.  Deletion uses backward shifting, so there are no tombstones
 * and probe sequences stay short however long the map lives.
 */
#ifndef PTAP_COMMON_HASHMAP_H
#define PTAP_COMMON_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key;   /* 0 = empty */
	void *value;
};

struct u64map {
	struct u64map_slot *slots;
	size_t mask;    /* capacity - 1, capacity a power of two (0 when empty) */
	size_t count;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
/* Insert or replace; key must not be 0. */
void u64map_put(struct u64map *m, uint64_t key, void *value);
/* Remove key; returns its value or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);

static inline size_t u64map_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

static inline void *u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i;

	if (!m->count)
		return NULL;
	for (i = u64map_hash(key) & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			return m->slots[i].value;
	return NULL;
}

/* Iterate: for (i = 0; u64map_next(m, &i, &k, &v); ) ... */
static inline int u64map_next(const struct u64map *m, size_t *i, uint64_t *key, void **value)
{
	for (; m->slots && *i <= m->mask; (*i)++) {
		if (m->slots[*i].key) {
			*key = m->slots[*i].key;
			*value = m->slots[*i].value;
			(*i)++;
			return 1;
		}
	}
	return 0;
}

#endif

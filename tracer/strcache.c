/*
 * The code-name string cache; see strcache.h for why it is exact.
 */
#include "tracer/strcache.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Bound the memory a target with endless distinct names can make us use. */
#define STRCACHE_MAX_ENTRIES (1u << 20)

void strcache_init(struct strcache *c)
{
	memset(c, 0, sizeof(*c));
	u64map_init(&c->map);
}

void strcache_reset(struct strcache *c, uint8_t state)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (u64map_next(&c->map, &i, &k, &v))
		free(v);
	u64map_free(&c->map);
	c->state = state;
}

bool strcache_offer(struct strcache *c, uint64_t addr, const uint8_t *header, const char *text,
		    size_t len)
{
	uint64_t type, length;
	uint32_t state;
	struct cstr *e;

	if (c->state != STRCACHE_ON || c->map.count >= STRCACHE_MAX_ENTRIES)
		return false;
	memcpy(&type, header + c->lay.type_off, sizeof(type));
	memcpy(&length, header + c->lay.length_off, sizeof(length));
	memcpy(&state, header + c->lay.state_off, sizeof(state));
	if (type != c->lay.unicode_type || (state & c->lay.state_mask) != c->lay.state_mask || length != len)
		return false;
	e = xmalloc(sizeof(*e) + len + 1);
	e->len = (uint32_t)len;
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	free(u64map_del(&c->map, addr));
	u64map_put(&c->map, addr, e);
	return true;
}

void strcache_drop(struct strcache *c, uint64_t addr)
{
	free(u64map_del(&c->map, addr));
}

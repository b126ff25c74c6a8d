/*
 * .eh_frame's FDEs with an LSDA; see ehframe.h.  The format is the
 * LSB's (DWARF call frame information with GNU augmentations): records of
 * a 4-byte length (0xffffffff: an 8-byte length follows; 0: terminator),
 * then a 4-byte id, 0 for a CIE, else the distance back to the FDE's CIE.
 * A CIE's augmentation string says what its augmentation data holds
 * ('z': its length first; 'L': the LSDA pointer's encoding; 'P': the
 * personality's encoding and pointer; 'R': the encoding of FDE
 * addresses; 'S', 'B': nothing).  An FDE holds pc_begin and pc_range in
 * the 'R' encoding, then, with 'z', its augmentation data: the LSDA
 * pointer in the 'L' encoding.
 */
#include "elf/ehframe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define PE_OMIT 0xff
#define PE_PCREL 0x10

struct cursor {
	const uint8_t *base;    /* the section */
	size_t len;
	size_t pos;
	size_t end;             /* of the current record */
	uint64_t vaddr;
	bool bad;
};

static uint64_t get(struct cursor *c, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	if (c->bad || c->end - c->pos < n) {
		c->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->base[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static uint64_t uleb(struct cursor *c)
{
	uint64_t v = 0, b;
	unsigned shift = 0;

	do {
		b = get(c, 1);
		if (shift < 64)
			v |= (b & 0x7f) << shift;
		shift += 7;
	} while (!c->bad && (b & 0x80));
	return v;
}

static int64_t sleb(struct cursor *c)
{
	uint64_t v = 0, b;
	unsigned shift = 0;

	do {
		b = get(c, 1);
		if (shift < 64)
			v |= (b & 0x7f) << shift;
		shift += 7;
	} while (!c->bad && (b & 0x80));
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned s = 64 - 8 * bytes;

	return (int64_t)(v << s) >> s;
}

/* A pointer in encoding enc; pc-relative ones are made absolute, except
 * a raw 0, which says "none" (an FDE without an LSDA under a CIE that
 * has one). */
static uint64_t pointer(struct cursor *c, uint8_t enc)
{
	uint64_t at = c->vaddr + c->pos, v;

	switch (enc & 0x0f) {
	case 0x00: v = get(c, 8); break;
	case 0x01: v = uleb(c); break;
	case 0x02: v = get(c, 2); break;
	case 0x03: v = get(c, 4); break;
	case 0x04: v = get(c, 8); break;
	case 0x09: v = (uint64_t)sleb(c); break;
	case 0x0a: v = (uint64_t)sext(get(c, 2), 2); break;
	case 0x0b: v = (uint64_t)sext(get(c, 4), 4); break;
	case 0x0c: v = get(c, 8); break;
	default: c->bad = true; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: return v;
	case PE_PCREL: return v ? v + at : 0;
	default: return v;      /* text/data-relative: not used by GNU tools here */
	}
}

struct cie {
	uint8_t fde_enc;        /* 'R' */
	uint8_t lsda_enc;       /* 'L', PE_OMIT if none */
	bool has_z;
};

static bool parse_cie(struct cursor *c, struct cie *cie)
{
	const char *aug;
	size_t auglen, i;
	uint64_t zlen, zend;
	uint8_t version;

	cie->fde_enc = 0;
	cie->lsda_enc = PE_OMIT;
	cie->has_z = false;
	version = (uint8_t)get(c, 1);
	if (c->bad)
		return false;
	aug = (const char *)c->base + c->pos;
	auglen = strnlen(aug, c->end - c->pos);
	if (auglen == c->end - c->pos)
		return false;
	c->pos += auglen + 1;
	if (auglen >= 2 && aug[0] == 'e' && aug[1] == 'h')
		return false;   /* an ancient GCC's form: not handled */
	uleb(c);                /* code alignment */
	sleb(c);                /* data alignment */
	if (version == 1)
		get(c, 1);
	else
		uleb(c);        /* return address register */
	if (auglen == 0 || aug[0] != 'z')
		return !c->bad;
	cie->has_z = true;
	zlen = uleb(c);
	if (c->bad || zlen > c->end - c->pos)
		return false;
	zend = c->pos + zlen;
	for (i = 1; i < auglen && !c->bad; i++) {
		switch (aug[i]) {
		case 'L': cie->lsda_enc = (uint8_t)get(c, 1); break;
		case 'R': cie->fde_enc = (uint8_t)get(c, 1); break;
		case 'P': pointer(c, (uint8_t)get(c, 1)); break;
		case 'S': case 'B': break;
		default: c->pos = zend; i = auglen; break;   /* unknown: skip the rest */
		}
	}
	c->pos = zend;
	return !c->bad;
}

int ehframe_lsda_ranges(const uint8_t *data, size_t len, uint64_t vaddr, struct eh_range **out)
{
	struct cursor c = { data, len, 0, len, vaddr, false };
	struct eh_range *v = NULL;
	size_t n = 0, cap = 0, cie_at, saved;
	uint64_t rlen, id, lo, range, lsda, zlen;
	struct cie cie;

	*out = NULL;
	while (c.pos < len) {
		c.end = len;
		rlen = get(&c, 4);
		if (rlen == 0xffffffffu)
			rlen = get(&c, 8);
		if (c.bad)
			goto bad;
		if (rlen == 0)
			break;          /* terminator */
		if (rlen > len - c.pos)
			goto bad;
		c.end = c.pos + rlen;
		id = get(&c, 4);
		if (id == 0) {          /* a CIE: read when an FDE names it */
			c.pos = c.end;
			continue;
		}
		/* the CIE is id bytes before the id field */
		if (id > c.pos - 4)
			goto bad;
		cie_at = c.pos - 4 - id;
		saved = c.end;
		{
			struct cursor cc = { data, len, cie_at, len, vaddr, false };
			uint64_t clen = get(&cc, 4), cid;

			if (clen == 0xffffffffu)
				clen = get(&cc, 8);
			if (cc.bad || clen > len - cc.pos)
				goto bad;
			cc.end = cc.pos + clen;
			cid = get(&cc, 4);
			if (cc.bad || cid != 0 || !parse_cie(&cc, &cie))
				goto bad;
		}
		c.end = saved;
		lo = pointer(&c, cie.fde_enc);
		range = pointer(&c, cie.fde_enc & 0x0f);
		lsda = 0;
		if (cie.has_z) {
			zlen = uleb(&c);
			if (!c.bad && zlen && cie.lsda_enc != PE_OMIT)
				lsda = pointer(&c, cie.lsda_enc);
		}
		if (c.bad)
			goto bad;
		if (lsda) {
			VEC_RESERVE(v, cap, n + 1);
			v[n].lo = lo;
			v[n].hi = lo + range;
			n++;
		}
		c.pos = c.end;
	}
	*out = v;
	return (int)MIN(n, (size_t)0x7fffffff);
bad:
	free(v);
	return -EINVAL;
}

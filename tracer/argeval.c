/*
 * Compiling argument specs and evaluating them at a hit; see argeval.h.
 */
#include "tracer/argeval.h"

#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "common/util.h"

void arg_scratch_init(struct arg_scratch *s, size_t max)
{
	s->max = max ? max : ARGEVAL_STR_DEFAULT;
	s->buf = xmalloc((s->max + ARGEVAL_STR_PRE) * ARGSPEC_MAX_ARGS);
}

void arg_scratch_free(struct arg_scratch *s)
{
	free(s->buf);
	s->buf = NULL;
}

static uint16_t reg_offset(int id, uint8_t *shift, uint8_t *width, bool *vec)
{
	const struct arch_reg *r = arch_reg(id);
	size_t file_off;

	if (!r)
		return REG_NONE;
	switch (r->file) {
	case REGFILE_GPR:
		file_off = offsetof(struct arch_regs, gpr);
		break;
	case REGFILE_VEC:
		file_off = offsetof(struct arch_regs, vec);
		*vec = true;
		break;
	default:
		return REG_NONE;
	}
	if (shift)
		*shift = r->shift;
	if (width)
		*width = r->width;
	return (uint16_t)(file_off + r->offset);
}

void argeval_compile(struct arg_prog *prog, const struct argspec *specs, const uint64_t *sym_value,
		     int nargs, const uint8_t *render)
{
	int i;

	memset(prog, 0, sizeof(*prog));
	prog->nargs = MIN(nargs, ARGSPEC_MAX_ARGS);
	for (i = 0; i < prog->nargs; i++) {
		const struct argspec *s = &specs[i];
		struct arg_op *op = &prog->op[i];

		op->kind = (uint8_t)s->kind;
		op->size = s->size;
		op->is_signed = s->is_signed;
		op->is_float = s->is_float;
		op->render = render ? render[i] : RENDER_DEFAULT;
		op->scale = s->scale ? s->scale : 1;
		op->base_off = op->index_off = REG_NONE;
		op->imm = s->imm;
		switch (s->kind) {
		case ARGSPEC_REG:
			op->base_off = reg_offset(s->base, &op->base_shift, &op->base_width,
						  &prog->need_vec);
			break;
		case ARGSPEC_MEM:
		case ARGSPEC_SYMBOL:
			op->base_off = s->base >= 0 ? reg_offset(s->base, NULL, NULL, &prog->need_vec)
						    : REG_NONE;
			op->index_off = s->index >= 0 ? reg_offset(s->index, NULL, NULL, &prog->need_vec)
						      : REG_NONE;
			if (s->kind == ARGSPEC_SYMBOL)
				op->imm = (int64_t)(sym_value ? sym_value[i] : 0);
			break;
		case ARGSPEC_CONST:
			break;
		default:
			op->kind = ARGSPEC_INVALID;
			op->error = s->error;
			break;
		}
		if ((s->kind == ARGSPEC_REG || s->kind == ARGSPEC_MEM) && op->base_off == REG_NONE &&
		    s->base >= 0) {
			op->kind = ARGSPEC_INVALID;
			op->error = "register cannot be read";
		}
	}
}

static inline uint64_t reg_at(const struct arch_regs *r, uint16_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)r + off, sizeof(v));
	return v;
}

static inline uint64_t truncate(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

static inline int64_t sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - size * 8;

	return size >= 8 ? (int64_t)v : (int64_t)(v << shift) >> shift;
}

/* Turn the raw bits of an argument into its value as rendered. */
void argeval_finish(const struct arg_op *op, uint64_t raw, struct value *v)
{
	unsigned size = op->size;
	float f32;
	double f64;
	uint32_t bits32;

	raw = truncate(raw, size);
	switch (op->render) {
	case RENDER_HEX:
	case RENDER_STR:
		v->type = VAL_HEX;
		v->u = raw;
		return;
	case RENDER_S8: case RENDER_S16: case RENDER_S32: case RENDER_S64:
		size = 1u << (op->render - RENDER_S8);
		v->type = VAL_S64;
		v->i = sign_extend(truncate(raw, size), size);
		return;
	case RENDER_U8: case RENDER_U16: case RENDER_U32: case RENDER_U64:
		size = 1u << (op->render - RENDER_U8);
		v->type = VAL_U64;
		v->u = truncate(raw, size);
		return;
	case RENDER_F32:
		bits32 = (uint32_t)raw;
		memcpy(&f32, &bits32, 4);
		v->type = VAL_F64;
		v->f = f32;
		return;
	case RENDER_F64:
		memcpy(&f64, &raw, 8);
		v->type = VAL_F64;
		v->f = f64;
		return;
	default:
		break;
	}
	if (op->is_float) {
		v->type = VAL_F64;
		if (size == 4) {
			bits32 = (uint32_t)raw;
			memcpy(&f32, &bits32, 4);
			v->f = f32;
		} else {
			memcpy(&f64, &raw, 8);
			v->f = f64;
		}
	} else if (op->is_signed) {
		v->type = VAL_S64;
		v->i = sign_extend(raw, size);
	} else {
		v->type = VAL_U64;
		v->u = raw;
	}
}

static void set_error(struct value *v, int err, uint64_t ptr)
{
	v->type = VAL_ERR;
	v->err = err;
	v->u = ptr;
}

/* Reading one string argument, chunk by chunk. */
struct strread {
	uint64_t ptr;           /* address of the text */
	size_t pre;             /* bytes read before ptr (a str header), 0 or cache->lay.header */
	size_t got;             /* bytes read so far, counting pre */
	char *buf;              /* scratch for this argument */
};

/* The next piece of s to read: up to the end of its page. */
static void strread_piece(struct strread *s, size_t max, struct mem_piece *p)
{
	uint64_t at = s->ptr - s->pre + s->got;

	p->addr = at;
	p->buf = s->buf + s->got;
	p->len = MIN(s->pre + max - s->got, mem_page_rest(at));
}

/* Start reading string argument i at ptr, or answer it from the cache. */
static bool strread_start(const struct arg_prog *prog, int i, uint64_t ptr, struct strcache *cache,
			  struct arg_scratch *scratch, struct strread *s, struct value *v)
{
	const struct cstr *e;

	if (!ptr) {
		set_error(v, -EFAULT, 0);
		return false;
	}
	if (cache && (prog->cache_mask & (1u << i))) {
		e = strcache_get(cache, ptr);
		if (e) {
			v->type = VAL_STR;
			v->str = e->text;
			v->len = e->len;
			cache->hits++;
			return false;
		}
		if (cache->state == STRCACHE_ON)
			cache->misses++;
	}
	s->ptr = ptr;
	s->got = 0;
	s->buf = scratch->buf + (size_t)i * (scratch->max + ARGEVAL_STR_PRE);
	/* for a cacheable name, read the str header in front of it too, when
	 * it is on the same page: the check costs no extra system call */
	s->pre = cache && cache->state == STRCACHE_ON && (prog->cache_mask & (1u << i)) &&
		 (ptr & 4095) >= cache->lay.header ? cache->lay.header : 0;
	return true;
}

/* A piece of string argument i arrived: 1 if the string is complete. */
static int strread_done(struct strread *s, const struct mem_piece *p, size_t max,
			struct strcache *cache, struct value *v)
{
	const char *text = s->buf + s->pre, *nul;
	size_t have;

	if (p->err) {
		if (s->got > s->pre) {
			/* the text runs into an unreadable page: show what we have */
			v->type = VAL_STR;
			v->str = text;
			v->len = (uint32_t)(s->got - s->pre);
			v->truncated = true;
		} else {
			set_error(v, p->err, s->ptr);
		}
		return 1;
	}
	s->got += p->len;
	if (s->got <= s->pre)
		return 0;
	have = s->got - s->pre;
	nul = memchr(text, '\0', have);
	if (!nul && have < max)
		return 0;       /* no NUL before the page ended: read on */
	v->type = VAL_STR;
	v->str = text;
	v->len = nul ? (uint32_t)(nul - text) : (uint32_t)max;
	v->truncated = !nul;
	if (nul && s->pre && cache)
		strcache_offer(cache, s->ptr, (const uint8_t *)s->buf, text, v->len);
	return 1;
}

int argeval_run(const struct arg_prog *prog, const struct arch_regs *regs, uint64_t bias,
		struct mem *mem, struct arg_scratch *scratch, struct strcache *cache,
		struct value *out)
{
	struct mem_piece pieces[2 * ARGSPEC_MAX_ARGS];
	int what[2 * ARGSPEC_MAX_ARGS];   /* >= 0: operand i; < 0: string -1-i */
	struct strread str[ARGSPEC_MAX_ARGS];
	uint64_t raw[ARGSPEC_MAX_ARGS];
	int i, j, n = 0, r;

	for (i = 0; i < prog->nargs; i++) {
		const struct arg_op *op = &prog->op[i];
		uint64_t addr, v;

		out[i].truncated = false;
		out[i].type = VAL_U64;  /* until finished below */
		switch (op->kind) {
		case ARGSPEC_CONST:
			raw[i] = (uint64_t)op->imm;
			break;
		case ARGSPEC_REG:
			v = reg_at(regs, op->base_off) >> op->base_shift;
			if (op->base_shift)
				v = truncate(v, op->base_width);
			raw[i] = v;
			break;
		case ARGSPEC_MEM:
		case ARGSPEC_SYMBOL:
			addr = (uint64_t)op->imm + (op->kind == ARGSPEC_SYMBOL ? bias : 0);
			if (op->base_off != REG_NONE)
				addr += reg_at(regs, op->base_off);
			if (op->index_off != REG_NONE)
				addr += reg_at(regs, op->index_off) * op->scale;
			raw[i] = 0;
			pieces[n].addr = addr;
			pieces[n].buf = &raw[i];
			pieces[n].len = op->size;
			what[n++] = i;
			continue;
		default:
			set_error(&out[i], -EINVAL, 0);
			continue;
		}
		argeval_finish(op, raw[i], &out[i]);
		/* a string whose pointer we already have joins the same read */
		if (op->render == RENDER_STR &&
		    strread_start(prog, i, out[i].u, cache, scratch, &str[i], &out[i])) {
			strread_piece(&str[i], scratch->max, &pieces[n]);
			what[n++] = -1 - i;
		}
	}
	while (n) {
		r = mem_read_pieces(mem, pieces, n);
		if (r == -ESRCH)
			return r;
		for (j = 0, i = n, n = 0; j < i; j++) {
			int a = what[j];

			if (a >= 0) {
				/* a memory operand: finish it; a string through it starts */
				if (pieces[j].err) {
					set_error(&out[a], pieces[j].err, pieces[j].addr);
					continue;
				}
				argeval_finish(&prog->op[a], raw[a], &out[a]);
				if (prog->op[a].render == RENDER_STR &&
				    strread_start(prog, a, out[a].u, cache, scratch, &str[a], &out[a])) {
					strread_piece(&str[a], scratch->max, &pieces[n]);
					what[n++] = -1 - a;
				}
				continue;
			}
			a = -1 - a;
			if (!strread_done(&str[a], &pieces[j], scratch->max, cache, &out[a])) {
				strread_piece(&str[a], scratch->max, &pieces[n]);
				what[n++] = -1 - a;
			}
		}
	}
	return 0;
}

static const char *const render_names[] = {
	[RENDER_DEFAULT] = "-",
	[RENDER_STR] = "str",
	[RENDER_HEX] = "hex",
	[RENDER_S8] = "s8", [RENDER_S16] = "s16", [RENDER_S32] = "s32", [RENDER_S64] = "s64",
	[RENDER_U8] = "u8", [RENDER_U16] = "u16", [RENDER_U32] = "u32", [RENDER_U64] = "u64",
	[RENDER_F32] = "f32", [RENDER_F64] = "f64",
};

int render_parse(const char *name, size_t len, uint8_t *render)
{
	static const struct { const char *alias; uint8_t r; } aliases[] = {
		{ "", RENDER_DEFAULT }, { "string", RENDER_STR }, { "ptr", RENDER_HEX },
		{ "x", RENDER_HEX }, { "int", RENDER_S32 }, { "long", RENDER_S64 },
		{ "float", RENDER_F32 }, { "double", RENDER_F64 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(render_names); i++) {
		if (strlen(render_names[i]) == len && !strncmp(render_names[i], name, len)) {
			*render = (uint8_t)i;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_SIZE(aliases); i++) {
		if (strlen(aliases[i].alias) == len && !strncmp(aliases[i].alias, name, len)) {
			*render = aliases[i].r;
			return 0;
		}
	}
	return -EINVAL;
}

const char *render_name(uint8_t render)
{
	return render < ARRAY_SIZE(render_names) ? render_names[render] : "?";
}

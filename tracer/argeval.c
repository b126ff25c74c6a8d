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
	s->buf = xmalloc(s->max * ARGSPEC_MAX_ARGS);
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
			prog->has_mem = true;
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
		if (op->render == RENDER_STR)
			prog->has_str = true;
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
static void finish_value(const struct arg_op *op, uint64_t raw, struct value *v)
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

/* Read every string argument, page by page, all strings in one call. */
static int read_strings(const struct arg_prog *prog, struct mem *mem, struct arg_scratch *scratch,
			struct value *out)
{
	struct mem_piece pieces[ARGSPEC_MAX_ARGS];
	int which[ARGSPEC_MAX_ARGS];
	size_t got[ARGSPEC_MAX_ARGS] = { 0 };
	size_t max = scratch->max;
	int i, n, r;

	for (;;) {
		n = 0;
		for (i = 0; i < prog->nargs; i++) {
			struct value *v = &out[i];
			size_t room;

			if (prog->op[i].render != RENDER_STR || v->type != VAL_HEX)
				continue;
			if (!v->u) {
				set_error(v, -EFAULT, 0);
				continue;
			}
			room = max - got[i];
			pieces[n].addr = v->u + got[i];
			pieces[n].buf = scratch->buf + (size_t)i * max + got[i];
			pieces[n].len = MIN(room, mem_page_rest(pieces[n].addr));
			which[n++] = i;
		}
		if (!n)
			return 0;
		r = mem_read_pieces(mem, pieces, n);
		if (r == -ESRCH)
			return r;
		for (i = 0; i < n; i++) {
			struct value *v = &out[which[i]];
			const char *start = scratch->buf + (size_t)which[i] * max;
			const char *nul;

			if (pieces[i].err) {
				if (got[which[i]]) {
					/* the string runs into an unreadable page: show what we have */
					v->type = VAL_STR;
					v->str = start;
					v->len = (uint32_t)got[which[i]];
					v->truncated = true;
				} else {
					set_error(v, pieces[i].err, v->u);
				}
				continue;
			}
			nul = memchr(pieces[i].buf, '\0', pieces[i].len);
			got[which[i]] += pieces[i].len;
			if (nul || got[which[i]] >= max) {
				v->type = VAL_STR;
				v->str = start;
				v->len = nul ? (uint32_t)(nul - start) : (uint32_t)max;
				v->truncated = !nul;
			}
			/* else: no NUL before the page ended; the next round reads on */
		}
	}
}

int argeval_run(const struct arg_prog *prog, const struct arch_regs *regs, uint64_t bias,
		struct mem *mem, struct arg_scratch *scratch, struct value *out)
{
	struct mem_piece pieces[ARGSPEC_MAX_ARGS];
	uint64_t raw[ARGSPEC_MAX_ARGS];
	int which[ARGSPEC_MAX_ARGS];
	int i, n = 0, r;

	for (i = 0; i < prog->nargs; i++) {
		const struct arg_op *op = &prog->op[i];
		uint64_t addr, v;

		out[i].truncated = false;
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
			which[n++] = i;
			break;
		default:
			set_error(&out[i], -EINVAL, 0);
			continue;
		}
		out[i].type = VAL_U64;  /* placeholder until finished below */
	}
	if (n) {
		r = mem_read_pieces(mem, pieces, n);
		if (r == -ESRCH)
			return r;
		for (i = 0; i < n; i++)
			if (pieces[i].err)
				set_error(&out[which[i]], pieces[i].err, pieces[i].addr);
	}
	for (i = 0; i < prog->nargs; i++)
		if (out[i].type != VAL_ERR)
			finish_value(&prog->op[i], raw[i], &out[i]);
	if (prog->has_str)
		return read_strings(prog, mem, scratch, out);
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

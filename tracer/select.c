/*
 * Probe selection; see select.h.
 */
#define _GNU_SOURCE
#include "tracer/select.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "tracer/python.h"

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* "function-entry" -> "function__entry" (DTrace's spelling of the name). */
static char *normalize_name(const char *s, size_t len)
{
	char *out = xmalloc(2 * len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '-' && !(i + 1 < len && s[i + 1] == '-') && !(i && s[i - 1] == '-')) {
			*o++ = '_';
			*o++ = '_';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int parse_types(struct pattern *p, const char *list, const char **why)
{
	const char *s = list, *end;
	size_t len;

	p->ntypes = 0;
	for (;;) {
		end = s + strcspn(s, ",)");
		len = (size_t)(end - s);
		while (len && *s == ' ')
			s++, len--;
		while (len && s[len - 1] == ' ')
			len--;
		if (p->ntypes == ARGSPEC_MAX_ARGS) {
			*why = "more than 12 types in the type list";
			return -EINVAL;
		}
		if (render_parse(s, len, &p->render[p->ntypes])) {
			*why = "unknown type in the type list (use str, hex, s8..s64, u8..u64, "
			       "f32, f64, or - for the spec's own)";
			return -EINVAL;
		}
		p->ntypes++;
		if (*end == ')')
			return end[1] ? (*why = "text after the type list", -EINVAL) : 0;
		if (!*end) {
			*why = "type list without a closing ')'";
			return -EINVAL;
		}
		s = end + 1;
	}
}

int selection_add(struct selection *s, const char *text, const char **why)
{
	struct pattern p = { 0 };
	const char *paren = strchr(text, '('), *colon;
	size_t head = paren ? (size_t)(paren - text) : strlen(text);
	int err;

	if (!head) {
		*why = "empty probe name";
		return -EINVAL;
	}
	colon = memchr(text, ':', head);
	if (colon && memchr(colon + 1, ':', head - (size_t)(colon - text) - 1)) {
		*why = "expected PROVIDER:NAME, with one ':'";
		return -EINVAL;
	}
	if (colon && (colon == text || colon + 1 == text + head)) {
		*why = "empty provider or probe name";
		return -EINVAL;
	}
	if (strpbrk(text, " \t\n")) {
		*why = "blank in a probe name";
		return -EINVAL;
	}
	if (paren) {
		err = parse_types(&p, paren + 1, why);
		if (err)
			return err;
	}
	p.text = xstrdup(text);
	if (colon) {
		p.provider = xstrndup(text, (size_t)(colon - text));
		p.name = normalize_name(colon + 1, head - (size_t)(colon - text) - 1);
	} else {
		p.provider = xstrdup("*");
		p.name = normalize_name(text, head);
	}
	p.literal = !has_wildcard(p.provider) && !has_wildcard(p.name) && colon;
	VEC_RESERVE(s->pats, s->cap, s->n + 1);
	s->pats[s->n++] = p;
	return 0;
}

void selection_free(struct selection *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->pats[i].text);
		free(s->pats[i].provider);
		free(s->pats[i].name);
	}
	free(s->pats);
	memset(s, 0, sizeof(*s));
}

bool selection_wants_python(const struct selection *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (glob_match(s->pats[i].provider, "python"))
			return true;
	return false;
}

int selection_match(const struct selection *s, const struct sdt_probe *p, bool globs_take_line)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct pattern *pat = &s->pats[i];

		if (!glob_match(pat->provider, p->provider) || !glob_match(pat->name, p->name))
			continue;
		/* to arm, a glob never pulls in python:line; only its own name does */
		if (!globs_take_line && !pat->literal && !strcmp(p->provider, "python") &&
		    !strcmp(p->name, "line"))
			continue;
		return (int)i;
	}
	return -1;
}

static void PRINTF_LIKE(3, 4) say(selection_notice_fn notice, void *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	notice(ctx, msg);
	free(msg);
}

void selection_apply(struct selection *s, struct tmodule *m, uint32_t *next_id,
		     selection_notice_fn notice, void *ctx)
{
	struct elf_module *e = m->elf;
	bool entry_armed = false;
	uint8_t render[ARGSPEC_MAX_ARGS];
	size_t i;
	int j;

	m->probes = xcalloc(e->nprobes ? e->nprobes : 1, sizeof(*m->probes));

	for (i = 0; i < e->nprobes; i++) {
		const struct sdt_probe *p = &e->probes[i];
		struct probe_info *pi = &m->probes[i];
		const struct python_marker *pm = NULL;
		const struct pattern *pat;

		pi->provider = p->provider;
		pi->name = p->name;
		pi->module = e->path;
		pi->sdt = p;
		pi->id = (*next_id)++;
		pi->pattern = selection_match(s, p, false);
		if (!strcmp(p->provider, "python"))
			pm = python_marker(p->name);
		pi->known = pm ? pm->known : KP_OTHER;

		memset(render, RENDER_DEFAULT, sizeof(render));
		if (pm)
			memcpy(render, pm->render, (size_t)MIN(pm->nrender, ARGSPEC_MAX_ARGS));
		if (pi->pattern >= 0) {
			pat = &s->pats[pi->pattern];
			for (j = 0; j < pat->ntypes; j++)
				if (pat->render[j] != RENDER_DEFAULT || !pm)
					render[j] = pat->render[j];
			if (pat->ntypes > p->nargs)
				say(notice, ctx, "%s: %s:%s has %d argument%s; the type list of '%s' names %d",
					e->path, p->provider, p->name, p->nargs, p->nargs == 1 ? "" : "s",
					pat->text, pat->ntypes);
		}
		argeval_compile(&pi->prog, p->argv, p->sym_value, p->nargs, render);
		/* CPython's filename and function name: code-object names */
		if ((pi->known == KP_PY_ENTRY || pi->known == KP_PY_RETURN) && p->nargs >= 2)
			for (j = 0; j < 2; j++)
				if (pi->prog.op[j].render == RENDER_STR)
					pi->prog.cache_mask |= (uint16_t)(1u << j);

		if (pi->pattern < 0)
			continue;
		if (p->problem) {
			say(notice, ctx, "%s: %s:%s at 0x%llx cannot be armed: %s", e->path, p->provider,
				p->name, (unsigned long long)p->pc, p->problem);
			continue;
		}
		if (pi->known == KP_PY_LINE && m->python_debug &&
		    python_entry_needs_line(m->python_version)) {
			say(notice, ctx, "%s is a debug build of CPython 3.11, which aborts (assertion "
			    "'cframe.use_tracing') when its line marker is enabled; python:line not "
			    "armed", e->path);
			continue;
		}
		pi->action = ACT_ARM;
		s->pats[pi->pattern].matched++;
		m->narmed++;
		if (pi->known == KP_PY_ENTRY)
			entry_armed = true;
	}

	/* CPython 3.11: function__entry only fires while `line` is enabled
	 * (never in a debug build, which then aborts) */
	if (entry_armed && python_entry_needs_line(m->python_version) && m->python_debug)
		say(notice, ctx, "%s is a debug build of CPython 3.11: enabling its line marker "
		    "would abort it (assertion 'cframe.use_tracing'), so function__entry fires only "
		    "while a sys.settrace or sys.setprofile hook is set; trace the release "
		    "interpreter to see every call", e->path);
	else if (entry_armed && python_entry_needs_line(m->python_version)) {
		for (i = 0; i < e->nprobes; i++) {
			struct probe_info *pi = &m->probes[i];

			if (pi->known == KP_PY_LINE && pi->action == ACT_NONE && !e->probes[i].problem &&
			    e->probes[i].semaphore) {
				pi->action = ACT_SEMAPHORE;
				m->nsem_only++;
			}
		}
	}
}

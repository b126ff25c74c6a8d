/*
 * Value printing; see format.h.
 */
#include "ui/format.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "common/json.h"
#include "common/util.h"

void format_escaped(FILE *f, const char *s, size_t len)
{
	fput_escaped(f, s, len, ESC_C);
}

void format_str_json(FILE *f, const struct value *v)
{
	const char *s;
	size_t len;

	if (value_str(v, &s, &len))
		json_string_n(f, s, len);
	else
		fputs("null", f);
}

const char *format_value_error(const struct value *v)
{
	switch (v->err) {
	case -EFAULT: return "unreadable";
	case -EINVAL: return "bad spec";
	case -ESRCH: return "process gone";
	default: return "error";
	}
}

void format_value(FILE *f, const struct value *v)
{
	switch (v->type) {
	case VAL_S64:
		fput_i64(f, v->i);
		break;
	case VAL_U64:
		fput_u64(f, v->u);
		break;
	case VAL_HEX:
		fprintf(f, "0x%" PRIx64, v->u);
		break;
	case VAL_F64:
		fprintf(f, "%.17g", v->f);
		break;
	case VAL_STR:
		fputc('"', f);
		format_escaped(f, v->str, v->len);
		fputs(v->truncated ? "\"..." : "\"", f);
		break;
	default:
		if (v->err == -EFAULT && !v->u)
			fputs("NULL", f);
		else if (v->err == -EFAULT)
			fprintf(f, "<unreadable 0x%" PRIx64 ">", v->u);
		else
			fprintf(f, "<%s>", format_value_error(v));
	}
}

void format_value_json(FILE *f, const struct value *v)
{
	switch (v->type) {
	case VAL_S64:
		fprintf(f, "%" PRId64, v->i);
		break;
	case VAL_U64:
		fprintf(f, "%" PRIu64, v->u);
		break;
	case VAL_HEX:
		json_hex(f, v->u);
		break;
	case VAL_F64:
		json_double(f, v->f);
		break;
	case VAL_STR:
		json_string_n(f, v->str, v->len);
		break;
	default:
		fputs("null", f);
	}
}

int exit_status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/*
 * ptap top's batch output: one table per interval, for scripts and logs.
 *
 * Text: a comment line with the interval's figures, a line naming the
 * columns, then one row per frame, fields separated by blanks and padded
 * into columns:
 *
 *   # time=2.000 interval=1.000 mode=interval events=2843 total=5620 errors=0 unreadable=0 correction_ns=10210 rows=3/3
 *       PID FILENAME              LINE FUNCTION     CALLS      OWN(ms)    TOTAL(ms)
 *      4242 /home/me/app/parse.py   12 tokenize      2310      412.525      980.112
 *
 * A final table, its comment line starting "# final", follows the end
 * of tracing.  File and function names are printed whole; bytes that
 * would break the columns (blanks, control characters: see fputs_safe)
 * are written \xHH and a backslash as \\, so every row splits into
 * exactly seven fields.  Times are in milliseconds with three decimals
 * (microseconds), "-" with --no-times; correction_ns is what was taken
 * off each hit (0: nothing).
 *
 * JSON: one object per table and line, with the same figures and
 * "rows": [{"pid", "filename", "line", "function", "calls", "own_ns",
 * "total_ns"}, ...] (times null with --no-times).
 */
#include "ui/top.h"

#include <inttypes.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"

static void print_escaped(FILE *f, const char *s, size_t len, size_t pad_to)
{
	size_t w = escaped_width(s, len, ESC_FIELD);

	fput_escaped(f, s, len, ESC_FIELD);
	for (; w < pad_to; w++)
		fputc(' ', f);
}

static double secs(uint64_t ns)
{
	return ns / 1e9;
}

static uint64_t interval_ns(const struct top_snapshot *s)
{
	return s->last_end_ns - s->last_start_ns;
}

void top_batch_text(FILE *f, const struct top_table *t)
{
	const struct top_snapshot *s = t->snap;
	size_t i, wfile = strlen("FILENAME"), wfunc = strlen("FUNCTION");

	for (i = 0; i < t->nrows; i++) {
		wfile = MAX(wfile, escaped_width(t->rows[i]->filename, t->rows[i]->filename_len, ESC_FIELD));
		wfunc = MAX(wfunc, escaped_width(t->rows[i]->function, t->rows[i]->function_len, ESC_FIELD));
	}
	fprintf(f, "# %stime=%.3f interval=%.3f mode=%s events=%" PRIu64 " total=%" PRIu64
		" errors=%" PRIu64 " unreadable=%" PRIu64 " correction_ns=%" PRIu64 " rows=%zu/%zu\n",
		t->final ? "final " : "", secs(s->taken_ns), secs(interval_ns(s)),
		t->cumulative ? "cumulative" : "interval", s->events_last, s->events_total,
		t->arg_errors, s->unreadable_total, s->overhead_ns, t->nrows, t->nmatched);
	fprintf(f, "%7s %-*s %6s %-*s %9s %12s %12s\n", "PID", (int)wfile, "FILENAME", "LINE",
		(int)wfunc, "FUNCTION", "CALLS", "OWN(ms)", "TOTAL(ms)");
	for (i = 0; i < t->nrows; i++) {
		const struct top_row *r = t->rows[i];

		fprintf(f, "%7d ", r->pid);
		print_escaped(f, r->filename, r->filename_len, wfile);
		fprintf(f, " %6" PRId64 " ", r->line);
		print_escaped(f, r->function, r->function_len, wfunc);
		fprintf(f, " %9" PRIu64, top_row_calls(r, t->cumulative));
		if (s->timed)
			fprintf(f, " %12.3f %12.3f\n", top_row_time(r, t->cumulative)->own_ns / 1e6,
				top_row_time(r, t->cumulative)->total_ns / 1e6);
		else
			fprintf(f, " %12s %12s\n", "-", "-");
	}
	fputc('\n', f);
	fflush(f);
}

void top_batch_json(FILE *f, const struct top_table *t)
{
	const struct top_snapshot *s = t->snap;
	size_t i;

	fprintf(f, "{\"time\":%.6f,\"interval\":%.6f,\"mode\":\"%s\",\"final\":%s", secs(s->taken_ns),
		secs(interval_ns(s)), t->cumulative ? "cumulative" : "interval",
		t->final ? "true" : "false");
	fprintf(f, ",\"events\":%" PRIu64 ",\"total_events\":%" PRIu64 ",\"errors\":%" PRIu64
		",\"unreadable\":%" PRIu64 ",\"correction_ns\":%" PRIu64 ",\"matched\":%zu,\"rows\":[",
		s->events_last, s->events_total, t->arg_errors, s->unreadable_total, s->overhead_ns,
		t->nmatched);
	for (i = 0; i < t->nrows; i++) {
		const struct top_row *r = t->rows[i];

		fprintf(f, "%s{\"pid\":%d,\"filename\":", i ? "," : "", r->pid);
		json_string_n(f, r->filename, r->filename_len);
		fprintf(f, ",\"line\":%" PRId64 ",\"function\":", r->line);
		json_string_n(f, r->function, r->function_len);
		fprintf(f, ",\"calls\":%" PRIu64, top_row_calls(r, t->cumulative));
		if (s->timed)
			fprintf(f, ",\"own_ns\":%" PRIu64 ",\"total_ns\":%" PRIu64 "}",
				top_row_time(r, t->cumulative)->own_ns,
				top_row_time(r, t->cumulative)->total_ns);
		else
			fputs(",\"own_ns\":null,\"total_ns\":null}", f);
	}
	fputs("]}\n", f);
	fflush(f);
}

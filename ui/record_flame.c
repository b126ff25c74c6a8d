/*
 * ptap record's tree formats, written once tracing has ended.
 *
 * Folded stacks: one line per node with own time, its stack root first,
 * frames "function (file:line)" joined by ';', a blank, then the own time
 * in whole microseconds (what flamegraph.pl, inferno and speedscope read):
 *
 *   main (/app/run.py:10);parse (/app/parse.py:12) 4180
 *
 * A ';' or a control byte in a name would break a line: written '?'.
 *
 * Flame graph: one SVG document, nothing outside it.  Each node is a
 * rectangle as wide as its total time, above its parent, children in the
 * order of their names (so equal stacks line up from one recording to
 * the next); nodes narrower than a tenth of a pixel are left out with
 * their subtrees.  Each rectangle's group carries its place in time
 * (data-l: offset from the root's start, data-t: total, data-d: depth),
 * so that a small inline script can zoom (click: the frame fills the
 * width, its ancestors stay below at full width, the rest hides; "Reset
 * zoom" or the root goes back) and say what is under the pointer (the
 * line at the bottom; <title> gives the same as a tooltip).  Labels are
 * cut to the width, at an estimate of 7 pixels a character, first here
 * and again by the script after a zoom.  Names are escaped for XML, and
 * bytes that are not UTF-8 written '?', so the document always parses.
 */
#include "ui/record.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define SVG_WIDTH 1200
#define SVG_PAD 10
#define ROW 16                  /* a frame's height, with a pixel of gap */
#define TOP 40                  /* the title and a blank line */
#define BOTTOM 30               /* the details line */
#define CHAR_W 7                /* px per character of the 12px monospace font */
#define MIN_PX 0.1

/* The next node of a depth-first walk from the root, or 0 at the end. */
static uint32_t next_node(const struct rec_model *m, uint32_t n, bool skip_children)
{
	if (!skip_children && m->nodes[n].first_child)
		return m->nodes[n].first_child;
	for (; n; n = m->nodes[n].parent)
		if (m->nodes[n].next_sibling)
			return m->nodes[n].next_sibling;
	return 0;
}

static void put_folded(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fputc(s[i] == ';' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], f);
}

static void folded_stack(FILE *f, const struct rec_model *m, uint32_t n)
{
	if (m->nodes[n].parent) {
		folded_stack(f, m, m->nodes[n].parent);
		fputc(';', f);
	}
	rec_frame_label(f, &m->frames[m->nodes[n].frame], put_folded);
}

int rec_write_folded(FILE *f, const struct rec_model *m)
{
	uint32_t n;

	for (n = next_node(m, 0, false); n; n = next_node(m, n, false)) {
		uint64_t us = (m->nodes[n].own_ns + 500) / 1000;

		if (!us)
			continue;
		folded_stack(f, m, n);
		fprintf(f, " %" PRIu64 "\n", us);
	}
	return 0;
}

/* The length of the UTF-8 sequence at s (at most len bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Text for an XML attribute or element: markup escaped, control bytes
 * and bytes that are not UTF-8 as '?'. */
static void put_xml(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		switch (p[i]) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		}
		n = p[i] < 0x20 || p[i] == 0x7f ? 0 : utf8_len(p + i, len - i);
		if (!n) {
			fputc('?', f);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
}

static void put_xml_str(FILE *f, const char *s)
{
	put_xml(f, s, strlen(s));
}

/* A warm colour from the function's name: the same name, the same colour. */
static void frame_colour(FILE *f, const struct rec_frame *fr)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < fr->func_len; i++)
		h = (h ^ (unsigned char)fr->func[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	fprintf(f, "rgb(%u,%u,%u)", 205 + (unsigned)(h % 50), 80 + (unsigned)((h >> 8) % 150),
		(unsigned)((h >> 20) % 60));
}

static void put_ms(FILE *f, uint64_t ns)
{
	fprintf(f, "%.3f ms", ns / 1e6);
}

static void svg_frame(FILE *f, const struct rec_model *m, uint32_t n, uint64_t offset,
		      unsigned maxdepth)
{
	const struct rec_node *nd = &m->nodes[n];
	const struct rec_frame *fr = n ? &m->frames[nd->frame] : NULL;
	double scale = (double)(SVG_WIDTH - 2 * SVG_PAD) / (double)m->nodes[0].total_ns;
	double x = SVG_PAD + offset * scale, w = nd->total_ns * scale;
	int y = TOP + (int)(maxdepth - nd->depth) * ROW;
	int chars = (int)((w - 6) / CHAR_W);
	size_t nlen = fr ? fr->func_len : 3;

	fprintf(f, "<g class=\"f\" data-l=\"%" PRIu64 "\" data-t=\"%" PRIu64 "\" data-d=\"%u\" "
		"data-n=\"", offset, nd->total_ns, nd->depth);
	if (fr)
		put_xml(f, fr->func, fr->func_len);
	else
		fputs("all", f);
	fputs("\"><title>", f);
	if (fr)
		rec_frame_label(f, fr, put_xml);
	else
		fputs("all", f);
	fputs(": total ", f);
	put_ms(f, nd->total_ns);
	fprintf(f, " (%.2f%%), own ", 100.0 * nd->total_ns / m->nodes[0].total_ns);
	put_ms(f, nd->own_ns);
	fprintf(f, ", %" PRIu64 " call%s</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
		"height=\"%d\" rx=\"2\" fill=\"", nd->calls, nd->calls == 1 ? "" : "s", x, y, w,
		ROW - 1);
	if (fr)
		frame_colour(f, fr);
	else
		fputs("rgb(200,200,200)", f);
	fprintf(f, "\"/><text x=\"%.2f\" y=\"%d\">", x + 3, y + ROW - 4);
	if (chars >= 3) {
		if (!fr)
			fputs("all", f);
		else if (nlen <= (size_t)chars)
			put_xml(f, fr->func, fr->func_len);
		else {
			put_xml(f, fr->func, (size_t)chars - 2);
			fputs("..", f);
		}
	}
	fputs("</text></g>\n", f);
}

static const char svg_script[] =
	"var W = %d, PAD = %d, CW = %d;\n"
	"var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"var details = document.getElementById('details');\n"
	"var reset = document.getElementById('reset');\n"
	"var idle = details.textContent;\n"
	"function num(g, k) { return Number(g.getAttribute('data-' + k)); }\n"
	"function label(g, w) {\n"
	"  var n = g.getAttribute('data-n'), k = Math.floor((w - 6) / CW);\n"
	"  g.querySelector('text').textContent = k < 3 ? '' : n.length <= k ? n : n.slice(0, k - 2) + '..';\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text');\n"
	"  g.style.display = '';\n"
	"  r.setAttribute('x', x.toFixed(2));\n"
	"  r.setAttribute('width', w.toFixed(2));\n"
	"  t.setAttribute('x', (x + 3).toFixed(2));\n"
	"  label(g, w);\n"
	"}\n"
	"function zoom(z) {\n"
	"  var l = num(z, 'l'), t = num(z, 't'), d = num(z, 'd'), span = W - 2 * PAD;\n"
	"  frames.forEach(function (g) {\n"
	"    var gl = num(g, 'l'), gt = num(g, 't'), gd = num(g, 'd');\n"
	"    if (gd < d && gl <= l && gl + gt >= l + t) {\n"
	"      place(g, PAD, span); g.setAttribute('opacity', '0.6');\n"
	"    } else if (gd >= d && gl >= l && gl + gt <= l + t) {\n"
	"      place(g, PAD + (gl - l) / t * span, gt / t * span); g.removeAttribute('opacity');\n"
	"    } else {\n"
	"      g.style.display = 'none';\n"
	"    }\n"
	"  });\n"
	"  reset.style.display = d > 0 ? '' : 'none';\n"
	"}\n"
	"document.documentElement.addEventListener('click', function (e) {\n"
	"  var g = e.target.closest('g.f');\n"
	"  if (g) zoom(g);\n"
	"  else if (e.target.closest('#reset')) zoom(frames[0]);\n"
	"});\n"
	"document.documentElement.addEventListener('mouseover', function (e) {\n"
	"  var g = e.target.closest('g.f');\n"
	"  details.textContent = g ? g.querySelector('title').textContent : idle;\n"
	"});\n";

int rec_write_flamegraph(FILE *f, const struct rec_model *m, const char *title,
			 uint64_t overhead_ns)
{
	uint64_t *offset = xcalloc(m->nnodes, sizeof(*offset));
	uint64_t min_ns, root = m->nodes[0].total_ns;
	unsigned maxdepth = 0;
	uint32_t n;
	int height;

	/* the depth to draw: nodes wide enough to show */
	min_ns = (uint64_t)(root * MIN_PX / (SVG_WIDTH - 2 * SVG_PAD));
	for (n = m->nodes[0].first_child; n; n = next_node(m, n, m->nodes[n].total_ns < min_ns))
		if (m->nodes[n].total_ns >= min_ns && m->nodes[n].depth > maxdepth)
			maxdepth = m->nodes[n].depth;
	height = TOP + (int)(maxdepth + 1) * ROW + BOTTOM;
	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", SVG_WIDTH, height, SVG_WIDTH, height);
	fputs("<style>\ntext { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      "g.f text { pointer-events: none; }\n"
	      "g.f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; }\n"
	      "#title { font-size: 17px; }\n#reset { cursor: pointer; fill: #0645ad; }\n"
	      "</style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fdf8ee\"/>\n",
		SVG_WIDTH, height);
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", SVG_WIDTH / 2);
	put_xml_str(f, title);
	fprintf(f, "</text>\n<text id=\"reset\" x=\"%d\" y=\"24\" style=\"display:none\">"
		"Reset zoom</text>\n", SVG_PAD);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\">all: ", SVG_PAD, height - 10);
	put_ms(f, root);
	if (overhead_ns)
		fprintf(f, ", times less %.1f us per hit", overhead_ns / 1e3);
	fputs("; click a frame to zoom</text>\n", f);
	/* the frames, depth first, each placed after its earlier siblings */
	for (n = 0;;) {
		const struct rec_node *nd = &m->nodes[n];
		bool narrow = nd->total_ns < min_ns || !root;

		if (!narrow) {
			svg_frame(f, m, n, offset[n], maxdepth);
			if (nd->first_child)
				offset[nd->first_child] = offset[n];
		}
		if (nd->next_sibling)
			offset[nd->next_sibling] = offset[n] + nd->total_ns;
		n = next_node(m, n, narrow);
		if (!n)
			break;
	}
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", f);
	fprintf(f, svg_script, SVG_WIDTH, SVG_PAD, CHAR_W);
	fputs("]]></script>\n</svg>\n", f);
	free(offset);
	return 0;
}

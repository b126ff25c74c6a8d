/*
 * embed: a C program that embeds CPython (libpython3.11.so.1.0, Debian's,
 * which carries the python markers), so the markers are in a shared
 * library of the process, not in its executable.
 *
 *   embed [--calls N] [--loops L] [--expect FILE] [--ready FIFO --go FIFO]
 *         [--linger FIFO]
 *
 * After Py_Initialize it runs SNIPPET (filename "<embed>") to define two
 * functions, then, after the handshake, calls embed_driver(N) L times
 * from C; embed_driver calls embed_work N times (N defaults to 1000).
 * Expectations, one JSON line per function, to --expect FILE or stdout,
 * as the Python samples print them:
 *
 *	{"function": "embed_work", "filename": "<embed>", "line": 2, "calls": N*L}
 *	{"function": "embed_driver", "filename": "<embed>", "line": 6, "calls": L}
 *
 * (line is co_firstlineno, what python:function__entry reports on 3.11.)
 * There are no probes of the program's own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

static const char snippet[] =
	"# the embedded sample's functions\n"
	"def embed_work(i):\n"
	"    return i * 2\n"
	"\n"
	"\n"
	"def embed_driver(n):\n"
	"    total = 0\n"
	"    for i in range(n):\n"
	"        total += embed_work(i)\n"
	"    return total\n";

static int extra_option(const char *opt, const char *val, void *ctx)
{
	long *calls = ctx;
	char *end;

	if (strcmp(opt, "--calls") || !val)
		return 0;
	errno = 0;
	*calls = strtol(val, &end, 10);
	if (errno || end == val || *end || *calls < 0) {
		fprintf(stderr, "embed: bad number for --calls\n");
		exit(2);
	}
	return 2;
}

static void py_fail(const char *what)
{
	fprintf(stderr, "embed: %s failed\n", what);
	if (PyErr_Occurred())
		PyErr_Print();
	exit(1);
}

/* One expectation line for fn, the way ptap_sample.call_row prints it. */
static void expect_function(FILE *out, PyObject *fn, long calls)
{
	char name[256], file[SAMPLE_LINE_MAX / 2];
	size_t name_len = 0, file_len = 0;
	PyCodeObject *code;
	const char *s;

	code = (PyCodeObject *)PyObject_GetAttrString(fn, "__code__");
	if (!code || !PyCode_Check(code))
		py_fail("__code__");
	s = PyUnicode_AsUTF8(code->co_name);
	if (!s)
		py_fail("co_name");
	sample_json_str(name, sizeof(name), &name_len, s);
	s = PyUnicode_AsUTF8(code->co_filename);
	if (!s)
		py_fail("co_filename");
	sample_json_str(file, sizeof(file), &file_len, s);
	fprintf(out, "{\"function\": %.*s, \"filename\": %.*s, \"line\": %d, \"calls\": %ld}\n",
		(int)name_len, name, (int)file_len, file, code->co_firstlineno, calls);
	Py_DECREF(code);
}

int main(int argc, char **argv)
{
	struct sample_opts o;
	long calls = 1000, i;
	PyObject *code, *globals, *work, *driver, *result;
	FILE *out = stdout;

	sample_parse(argc, argv, &o, extra_option, &calls,
		     "  --calls N       embed_work calls per embed_driver call (default 1000)\n");
	if (o.threads) {
		fprintf(stderr, "embed: --threads is not supported\n");
		return 2;
	}

	Py_Initialize();
	globals = PyDict_New();
	if (!globals || PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()))
		py_fail("globals");
	code = Py_CompileString(snippet, "<embed>", Py_file_input);
	if (!code)
		py_fail("compile");
	result = PyEval_EvalCode(code, globals, globals);
	if (!result)
		py_fail("snippet");
	Py_DECREF(result);
	work = PyDict_GetItemString(globals, "embed_work");
	driver = PyDict_GetItemString(globals, "embed_driver");
	if (!work || !driver)
		py_fail("lookup");

	sample_ready(&o);
	sample_wait_go(&o);
	for (i = 0; i < o.loops; i++) {
		result = PyObject_CallFunction(driver, "l", calls);
		if (!result)
			py_fail("embed_driver");
		Py_DECREF(result);
	}

	if (o.expect) {
		out = fopen(o.expect, "w");
		if (!out) {
			fprintf(stderr, "embed: %s: %s\n", o.expect, strerror(errno));
			return 1;
		}
	}
	expect_function(out, work, calls * o.loops);
	expect_function(out, driver, o.loops);
	if (out != stdout)
		fclose(out);
	else
		fflush(out);
	sample_wait_linger(&o);

	Py_DECREF(code);
	Py_DECREF(globals);
	if (Py_FinalizeEx() < 0)
		return 1;
	return 0;
}

/*
 * nomarkers: a stand-in for a Python built without --with-dtrace, such as
 * pyenv's: it defines (and exports) the interpreter's entry point,
 * Py_BytesMain, as CPython's executable or libpython does, and has no
 * stapsdt notes at all.  Installed as build/samples/python3.9 so that
 * its name reads as a Python's too.
 *
 *   python3.9 [--ready FIFO --go FIFO] [--linger FIFO]
 *
 * It fires nothing: after the handshake it only waits for --linger (or
 * ends).  There is nothing to expect, and ptap must say why.
 */
#include "sample.h"

int Py_BytesMain(int argc, char **argv);

/* what CPython's main() calls; here it runs the handshake */
__attribute__((visibility("default"), noinline)) int Py_BytesMain(int argc, char **argv)
{
	struct sample_opts o;

	sample_parse(argc, argv, &o, NULL, NULL, NULL);
	sample_ready(&o);
	sample_wait_go(&o);
	sample_wait_linger(&o);
	return 0;
}

int main(int argc, char **argv)
{
	return Py_BytesMain(argc, argv);
}

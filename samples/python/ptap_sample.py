"""What the Python samples share: options, the attach handshake, expectations.

Each sample announces what CPython's markers will report while it runs, as
JSON lines, to --expect FILE or to stdout.  The handshake is the C samples'
one: write "ready PID" into the --ready fifo, then block until a line
arrives on the --go fifo; --linger FIFO blocks again before exiting.

This file is kept apart from the samples on purpose: tests count the calls
of functions in the samples' own files, and nothing here runs between --go
and the end of a sample's measured work, except where a sample says so.
Run everything with Debian's /usr/bin/python3.11 (it has the markers).
"""

import argparse
import json
import os
import re
import sys


def parser(description):
    """An ArgumentParser with the common options already added."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--expect", metavar="FILE",
                   help="write the expectations to FILE (default: stdout)")
    p.add_argument("--ready", metavar="FIFO",
                   help='after startup, write "ready PID" into FIFO')
    p.add_argument("--go", metavar="FIFO",
                   help="then wait for one line from FIFO before the work")
    p.add_argument("--linger", metavar="FIFO",
                   help="after the work, wait for one line from FIFO before exiting")
    return p


def _wait_line(path):
    with open(path, "rb", buffering=0) as f:
        while True:
            c = f.read(1)
            if not c or c == b"\n":
                return


def ready_go(args):
    """The attach handshake; each half is skipped when its fifo is not given."""
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready %d\n" % os.getpid())
    if args.go:
        _wait_line(args.go)


def step(paths, done):
    """Between two rounds of work: append "round DONE" to the file paths[0]
    (the rounds done so far), then wait for a line from the fifo paths[1]."""
    with open(paths[0], "a") as f:
        f.write("round %d\n" % done)
    _wait_line(paths[1])


def linger(args):
    if args.linger:
        _wait_line(args.linger)


def write_expect(args, rows):
    """rows: dicts (or lists), one JSON line each, keys in insertion order."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.expect:
        with open(args.expect, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def call_row(fn, calls, **extra):
    """The expectation for fn: what function__entry reports for it, and how
    often.  function__entry's line on 3.11 is co_firstlineno (the def line,
    or the first decorator's line), its filename co_filename."""
    code = fn.__code__
    row = {"function": code.co_name, "filename": code.co_filename,
           "line": code.co_firstlineno, "calls": calls}
    row.update(extra)
    return row


_TAG = re.compile(r"#\s*L:([\w-]+)")


def line_tags(path):
    """Map each '# L:tag' comment in path to its line number, so expected
    line numbers follow the source when it is edited."""
    tags = {}
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            m = _TAG.search(text)
            if m:
                tags[m.group(1)] = n
    return tags


def fib_calls(n):
    """How many calls a naive recursive fib(n) makes: 1 + calls(n-1) + calls(n-2)."""
    a, b = 1, 1      # calls(0), calls(1)
    for _ in range(n - 1):
        a, b = b, a + b + 1
    return b if n >= 1 else a

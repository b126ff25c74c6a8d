#!/usr/bin/python3.11
"""pool: a multiprocessing Pool of 3 forked workers mapping square() over inputs.

    /usr/bin/python3.11 pool.py [--items N] [--expect FILE]
                                [--ready FIFO --go FIFO] [--linger FIFO]

The Pool is created after the handshake with the "fork" start method, so
the workers are children forked from a process the tracer already holds:
they inherit its memory (armed int3 bytes and raised semaphores included).
square() runs only in the children, N times in all (default 300, one
item per task); each worker's first call waits until all 3 have made one,
so every worker calls it, however fast the others are.  How the rest of
the calls split depends on scheduling, so only the total is announced:

    {"function": "square", "filename": ..., "line": <def line>,
     "calls": N, "in_children": true, "workers": 3}

A test checks that every call is seen, from pids other than the parent's.
"""
import multiprocessing

import ptap_sample


started = None     # a Barrier(3), given to each worker when it starts
first = True


def begin(barrier):
    global started
    started = barrier


def square(x):
    global first
    if first:
        first = False
        started.wait()
    return x * x


if __name__ == "__main__":
    p = ptap_sample.parser("a forked Pool of 3 workers")
    p.add_argument("--items", type=int, default=300, help="how many inputs (default 300)")
    args = p.parse_args()
    ptap_sample.ready_go(args)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(3, initializer=begin, initargs=(ctx.Barrier(3),)) as pool:
        results = pool.map(square, range(args.items), chunksize=1)
    for x, r in enumerate(results):     # a loop: a comprehension would be a function too
        assert r == x * x
    ptap_sample.write_expect(args, [ptap_sample.call_row(square, args.items, in_children=True,
                                                         workers=3)])
    ptap_sample.linger(args)

#!/usr/bin/python3.11
"""fib: a naive recursive fib(N), the reference load for call counting.

    /usr/bin/python3.11 fib.py [--n N] [--loops L] [--expect FILE]
                               [--ready FIFO --go FIFO] [--linger FIFO]

Expectation (one JSON line, to --expect FILE or stdout), e.g. for N=20:
    {"function": "fib", "filename": "/abs/path/fib.py", "line": <def line>,
     "calls": 21891}
calls is the number of python:function__entry firings for fib (L times
1 + calls(N-1) + calls(N-2)); line is what the marker reports, the def
line (co_firstlineno); filename is absolute even when the script is named
by a relative path (CPython 3.9+ makes __main__'s path absolute).
Nothing else in this file is a function: the driver is module-level code.
"""
import ptap_sample


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


if __name__ == "__main__":
    p = ptap_sample.parser("recursive fib(N), counted by function__entry")
    p.add_argument("--n", type=int, default=20, help="N (default 20)")
    p.add_argument("--loops", type=int, default=1, help="compute fib(N) this many times")
    args = p.parse_args()
    ptap_sample.ready_go(args)
    for _ in range(args.loops):
        fib(args.n)
    ptap_sample.write_expect(args, [ptap_sample.call_row(fib, args.loops * ptap_sample.fib_calls(args.n))])
    ptap_sample.linger(args)

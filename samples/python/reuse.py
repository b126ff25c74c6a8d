#!/usr/bin/python3.11
"""reuse: functions whose code objects die and whose memory is reused.

    /usr/bin/python3.11 reuse.py [--rounds N] [--expect FILE]
                                 [--ready FIFO --go FIFO] [--linger FIFO]

Round r (0 .. N-1, default N=50) compiles
    def fn_RRRR(x):
        return x + r
under the filename "<reuse-RRRR>" into a fresh namespace, runs that module
code, calls fn_RRRR (1 + r % 7) times, then drops every reference and
runs gc.collect(): the function, its code object and its name and
filename strings are freed, and the next round's strings (same lengths)
are allocated in the same memory.  function__entry passes pointers to the
strings' UTF-8 data, so the same pointer values come back with other
text: a tracer that caches strings by address reports the wrong names.
Checked with bpftrace on Debian's python3.11 (printing arg0/arg1 as
numbers): over 50 rounds the 50 filenames came at 13 distinct addresses
(up to 8 filenames at one address), the 50 names at 13 (up to 7); the
exact counts vary from run to run.

Expectations, one JSON line per function:
    {"function": "fn_RRRR", "filename": "<reuse-RRRR>", "line": 1,
     "calls": 1 + r % 7}
    {"function": "<module>", "filename": "<reuse-RRRR>", "line": 0, "calls": 1}
(the module code of each round is a function entry too, at line 0).
"""
import gc

import ptap_sample


if __name__ == "__main__":
    p = ptap_sample.parser("code objects freed and their memory reused")
    p.add_argument("--rounds", type=int, default=50, help="how many functions (default 50)")
    args = p.parse_args()
    gc.disable()
    ptap_sample.ready_go(args)
    for r in range(args.rounds):
        src = "def fn_%04d(x):\n    return x + %d\n" % (r, r)
        ns = {}
        exec(compile(src, "<reuse-%04d>" % r, "exec"), ns)
        fn = ns["fn_%04d" % r]
        for i in range(1 + r % 7):
            fn(i)
        del fn, ns, src
        gc.collect()
    # Built only now: keeping the names in a list would keep them alive.
    rows = []
    for r in range(args.rounds):
        rows.append({"function": "fn_%04d" % r, "filename": "<reuse-%04d>" % r,
                     "line": 1, "calls": 1 + r % 7})
        rows.append({"function": "<module>", "filename": "<reuse-%04d>" % r,
                     "line": 0, "calls": 1})
    ptap_sample.write_expect(args, rows)
    ptap_sample.linger(args)

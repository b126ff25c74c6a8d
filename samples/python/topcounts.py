#!/usr/bin/python3.11
"""topcounts: a deterministic load for the top view's batch mode.

    /usr/bin/python3.11 topcounts.py [--scale S] [--expect FILE]
                                     [--ready FIFO --go FIFO] [--linger FIFO]
                                     [--step DONE NEXT]

After the handshake, calls each function of TABLE exactly S*count times
(S defaults to 1), from module-level loops, in S rounds of count calls
each, then writes the expectations and exits (after --linger, if given).
With --step, after each round but the last it appends "round R" to the
file DONE and waits for a line from the fifo NEXT, so that a test can
place the rounds in different intervals of the top view.  The functions live in three files:
this one, topcounts_a.py and topcounts_b.py; there are ties (alpha, beta
and delta: 500 each; gamma and local: 120 each) and two functions named
helper in different files at different lines.

Expectations, one JSON line per function, most calls first:
    {"filename": ..., "line": <def line>, "function": ..., "calls": N}
They cover every function of the three files that runs after the
handshake; the <module> code of each file runs once, before it.
"""
import ptap_sample
import topcounts_a
import topcounts_b


def local(x):
    return x


TABLE = (
    (topcounts_a.alpha, 500),
    (topcounts_a.beta, 500),
    (topcounts_b.delta, 500),
    (topcounts_a.helper, 300),
    (topcounts_b.helper, 200),
    (topcounts_a.gamma, 120),
    (local, 120),
    (topcounts_b.epsilon, 1),
)

if __name__ == "__main__":
    p = ptap_sample.parser("exact call counts for the top view")
    p.add_argument("--scale", type=int, default=1, help="multiply every count by S")
    p.add_argument("--step", nargs=2, metavar=("DONE", "NEXT"),
                   help="between rounds, report to DONE and wait for a line from NEXT")
    args = p.parse_args()
    ptap_sample.ready_go(args)
    for r in range(args.scale):
        if r and args.step:
            ptap_sample.step(args.step, r)
        for fn, count in TABLE:
            for i in range(count):
                fn(i)
    rows = []
    for fn, count in TABLE:
        row = ptap_sample.call_row(fn, count * args.scale)
        rows.append({"filename": row["filename"], "line": row["line"],
                     "function": row["function"], "calls": row["calls"]})
    ptap_sample.write_expect(args, rows)
    ptap_sample.linger(args)

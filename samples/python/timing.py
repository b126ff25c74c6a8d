#!/usr/bin/python3.11
"""timing: functions whose own and total times are known, for top and record.

    /usr/bin/python3.11 timing.py [--scale S] [--expect FILE]
                                  [--ready FIFO --go FIFO] [--linger FIFO]

Every piece of time here is a busy loop bounded by the wall clock (spin
until time.perf_counter() passes a target), written out in each function
so that no Python call runs inside it.  --scale multiplies every duration
(1 by default).  After the handshake it runs, in the main thread unless
said otherwise:

  nested     outer: 2 x 20 ms, calls middle twice; middle: 15 ms, calls
             leaf 3 times; leaf: 5 ms
  recursion  rec(5): 4 ms at each of 5 levels (total: its outermost call,
             20 ms); ping(4) -> pong(3) -> ping(2) -> pong(1), 3 ms each
  generator  drain: 2 ms after each of the 4 values of gen, which spins
             3 ms before each yield: the first call (def line) and its 4
             resumptions (the yield's line; the last one ends it) are rows
             of their own, as CPython reports them
  exception  catcher (2 ms) -> relay (3 ms) -> thrower (4 ms), which
             raises; catcher catches
  threads    two threads at once, each worker: 10 ms, calls tleaf twice
             (5 ms each)
  many       many: calls tiny 100 times, tiny spins 1 ms: 200 hits whose
             cost ptap must take off many's total time

A loop ends on time, but the machine may run something else when its end
comes, so each loop also measures itself (perf_counter() before and
after), and so does each activation (from its start or resumption to its
return, yield or raise), kept in lists: clock() and list.append are C
functions, no Python call, no event.  The known times come from those:
own, the function's loops; total, every loop on the same thread within
its outermost activations (a recursion counted once).  Neither holds what
ptap's hits cost the program, which a function's own measure of its
start and end would.

Expectations, one JSON line per function:
    {"function", "filename", "line", "calls", "own_ms", "total_ms",
     "nominal_own_ms", "nominal_total_ms"}
own_ms and total_ms as measured, nominal_* as designed (null for many's
own time, which is only its loop's bookkeeping).
"""
import sys
import threading
from bisect import bisect_left, bisect_right
from threading import get_ident
from time import perf_counter as clock

import ptap_sample

SCALE = 1.0
ACTS = []               # (key, thread, start, end) of every activation
SPINS = []              # (key, thread, start, end) of every busy loop


def leaf():
    t0 = s = clock()
    end = s + 0.005 * SCALE
    while clock() < end:
        pass
    SPINS.append(("leaf", get_ident(), s, clock()))
    ACTS.append(("leaf", get_ident(), t0, clock()))


def middle():
    t0 = s = clock()
    end = s + 0.015 * SCALE
    while clock() < end:
        pass
    SPINS.append(("middle", get_ident(), s, clock()))
    leaf()
    leaf()
    leaf()
    ACTS.append(("middle", get_ident(), t0, clock()))


def outer():
    t0 = s = clock()
    end = s + 0.02 * SCALE
    while clock() < end:
        pass
    SPINS.append(("outer", get_ident(), s, clock()))
    middle()
    middle()
    s = clock()
    end = s + 0.02 * SCALE
    while clock() < end:
        pass
    SPINS.append(("outer", get_ident(), s, clock()))
    ACTS.append(("outer", get_ident(), t0, clock()))


def rec(n):
    t0 = s = clock()
    end = s + 0.004 * SCALE
    while clock() < end:
        pass
    SPINS.append(("rec", get_ident(), s, clock()))
    if n > 1:
        rec(n - 1)
    ACTS.append(("rec", get_ident(), t0, clock()))


def ping(n):
    t0 = s = clock()
    end = s + 0.003 * SCALE
    while clock() < end:
        pass
    SPINS.append(("ping", get_ident(), s, clock()))
    if n > 1:
        pong(n - 1)
    ACTS.append(("ping", get_ident(), t0, clock()))


def pong(n):
    t0 = s = clock()
    end = s + 0.003 * SCALE
    while clock() < end:
        pass
    SPINS.append(("pong", get_ident(), s, clock()))
    if n > 1:
        ping(n - 1)
    ACTS.append(("pong", get_ident(), t0, clock()))


def gen(n):
    t0 = clock()
    key = "gen"
    for i in range(n):
        s = clock()
        end = s + 0.003 * SCALE
        while clock() < end:
            pass
        SPINS.append((key, get_ident(), s, clock()))
        ACTS.append((key, get_ident(), t0, clock()))
        yield i                         # L:gen-yield
        t0 = clock()
        key = "gen-yield"
    ACTS.append((key, get_ident(), t0, clock()))


def drain():
    t0 = clock()
    for _ in gen(4):
        s = clock()
        end = s + 0.002 * SCALE
        while clock() < end:
            pass
        SPINS.append(("drain", get_ident(), s, clock()))
    ACTS.append(("drain", get_ident(), t0, clock()))


def thrower():
    t0 = s = clock()
    end = s + 0.004 * SCALE
    while clock() < end:
        pass
    SPINS.append(("thrower", get_ident(), s, clock()))
    ACTS.append(("thrower", get_ident(), t0, clock()))
    raise KeyError("timing")


def relay():
    t0 = s = clock()
    end = s + 0.003 * SCALE
    while clock() < end:
        pass
    SPINS.append(("relay", get_ident(), s, clock()))
    try:
        thrower()
    finally:
        ACTS.append(("relay", get_ident(), t0, clock()))


def catcher():
    t0 = s = clock()
    end = s + 0.002 * SCALE
    while clock() < end:
        pass
    SPINS.append(("catcher", get_ident(), s, clock()))
    try:
        relay()
    except KeyError:
        pass
    ACTS.append(("catcher", get_ident(), t0, clock()))


def tleaf():
    t0 = s = clock()
    end = s + 0.005 * SCALE
    while clock() < end:
        pass
    SPINS.append(("tleaf", get_ident(), s, clock()))
    ACTS.append(("tleaf", get_ident(), t0, clock()))


def worker():
    t0 = s = clock()
    end = s + 0.01 * SCALE
    while clock() < end:
        pass
    SPINS.append(("worker", get_ident(), s, clock()))
    tleaf()
    tleaf()
    ACTS.append(("worker", get_ident(), t0, clock()))


def tiny():
    t0 = s = clock()
    end = s + 0.001 * SCALE
    while clock() < end:
        pass
    SPINS.append(("tiny", get_ident(), s, clock()))
    ACTS.append(("tiny", get_ident(), t0, clock()))


def many():
    t0 = clock()
    for _ in range(100):
        tiny()
    ACTS.append(("many", get_ident(), t0, clock()))


def run_threads():
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# key: (function, line tag or None for the def line, calls, nominal own
# and total in ms at scale 1)
PLAN = {
    "leaf": (leaf, None, 6, 30, 30),
    "middle": (middle, None, 2, 30, 60),
    "outer": (outer, None, 1, 40, 100),
    "rec": (rec, None, 5, 20, 20),
    "ping": (ping, None, 2, 6, 12),
    "pong": (pong, None, 2, 6, 9),
    "gen": (gen, None, 1, 3, 3),
    "gen-yield": (gen, "gen-yield", 4, 9, 9),
    "drain": (drain, None, 1, 8, 20),
    "thrower": (thrower, None, 1, 4, 4),
    "relay": (relay, None, 1, 3, 7),
    "catcher": (catcher, None, 1, 2, 9),
    "tleaf": (tleaf, None, 4, 20, 20),
    "worker": (worker, None, 2, 20, 40),
    "tiny": (tiny, None, 100, 100, 100),
    "many": (many, None, 1, None, 100),
}


def measured_times():
    """Own and total seconds per key: own, the key's loops; total, every
    loop run inside the key's outermost activations on the same thread (a
    generator's def-line and yield-line activations are keys of their
    own, as they are rows of their own in ptap)."""
    # loops and C functions: a generator or a lambda would be Python
    # frames firing events by the thousand (a list comprehension is one)
    own = dict.fromkeys(PLAN, 0.0)
    total = dict.fromkeys(PLAN, 0.0)
    starts, sums = {}, {}           # per thread: loops' starts, and running sums
    for key, tid, start, end in SPINS:
        own[key] += end - start
    for start, end, tid in sorted([(s, e, t) for k, t, s, e in SPINS]):
        starts.setdefault(tid, []).append(start)
        run = sums.setdefault(tid, [0.0])
        run.append(run[-1] + end - start)
    # a loop lies wholly in an activation or wholly outside it: the loops
    # that start within an outermost activation are its time
    last_end = {}
    for start, neg_end, key, tid in sorted([(s, -e, k, t) for k, t, s, e in ACTS]):
        end = -neg_end
        if last_end.get((key, tid), -1.0) >= end:
            continue                # inside an activation of its own key
        last_end[(key, tid)] = end
        s = starts.get(tid, [])
        total[key] += sums[tid][bisect_right(s, end)] - sums[tid][bisect_left(s, start)] \
            if s else 0.0
    return own, total


if __name__ == "__main__":
    p = ptap_sample.parser("functions with known own and total times")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every duration by S")
    args = p.parse_args()
    SCALE = args.scale
    # a waiting thread takes the GIL within 0.1 ms, not 5: loops end on time
    sys.setswitchinterval(1e-4)
    ptap_sample.ready_go(args)
    outer()
    rec(5)
    ping(4)
    drain()
    catcher()
    run_threads()
    many()
    tags = ptap_sample.line_tags(__file__)
    own, total = measured_times()
    rows = []
    for key, (fn, tag, calls, nom_own, nom_total) in PLAN.items():
        row = ptap_sample.call_row(fn, calls)
        if tag:
            row["line"] = tags[tag]
        row["own_ms"] = round(own[key] * 1e3, 3) if nom_own is not None else None
        row["total_ms"] = round(total[key] * 1e3, 3)
        row["nominal_own_ms"] = nom_own * SCALE if nom_own is not None else None
        row["nominal_total_ms"] = nom_total * SCALE
        rows.append(row)
    ptap_sample.write_expect(args, rows)
    ptap_sample.linger(args)

#!/usr/bin/python3.11
"""workload: the demo load for `ptap top` (what `make run` opens): runs
until killed, or for --duration seconds.

    /usr/bin/python3.11 workload.py [--duration S] [--rate R]
                                    [--ready FIFO --go FIFO]

Every 10 ms it runs one tick of work spread over the modules in
workload/ (textparse, numeric, storage) and this file, with a mix that
drifts over a 20-second cycle, so the ranking in the top view keeps
moving: parsing dominates for a while, then arithmetic, then records;
some functions run every tick, some every few seconds.  It aims at about
R Python calls per second untraced (default 10000): each traced call
stops the process, so more would make a traced run sluggish.  The tick
sleeps for what is left of its 10 ms, so a slower, traced run simply
does fewer calls per second.  No expectations: it is for looking at.
"""
import math
import time

import ptap_sample
from workload import numeric, storage, textparse


def parse_some(seed, n):
    total = 0
    for k in range(n):
        total += textparse.evaluate(textparse.make_expression(seed + k))
    return total


def crunch_some(seed, n):
    found = 0
    for k in range(n):
        a = seed * 17 + k
        found += numeric.gcd(a, 360) + numeric.is_prime(a % 500) + numeric.collatz_steps(a % 90 + 1)
    return found


def store_some(log, seed, n):
    for k in range(n):
        storage.append(log, (seed, k, "item-%d" % k, seed % 7))
    if log.pending > 200:
        storage.flush(log)


def report(log, history):
    numeric.summarize(history[-50:])
    storage.rotate(log)


def tick(log, history, t, budget):
    """One tick's share of each kind of work; weights drift with t."""
    phase = 2 * math.pi * t / 20.0
    w_parse = 1.0 + math.sin(phase)
    w_math = 1.0 + math.sin(phase + 2.1)
    w_store = 1.0 + math.sin(phase + 4.2)
    total = w_parse + w_math + w_store
    seed = int(t * 100)
    # Rough calls per unit: one evaluate is ~25 calls, one crunch ~4, one record ~7.
    history.append(parse_some(seed, max(0, round(budget * w_parse / total / 25))))
    crunch_some(seed, max(0, round(budget * w_math / total / 4)))
    store_some(log, seed, max(0, round(budget * w_store / total / 7)))


if __name__ == "__main__":
    p = ptap_sample.parser("a lively, light load for the top view")
    p.add_argument("--duration", type=float, default=0, help="stop after S seconds (default: never)")
    p.add_argument("--rate", type=int, default=10000, help="target calls per second untraced")
    args = p.parse_args()
    ptap_sample.ready_go(args)
    log = storage.Log()
    history = []
    start = time.monotonic()
    next_report = start + 3
    budget = args.rate / 100
    while True:
        now = time.monotonic()
        t = now - start
        if args.duration and t >= args.duration:
            break
        tick(log, history, t, budget)
        if now >= next_report:
            report(log, history)
            next_report = now + 3
        del history[:-100]
        left = 0.01 - (time.monotonic() - now)
        if left > 0:
            time.sleep(left)

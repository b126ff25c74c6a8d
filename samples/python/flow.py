#!/usr/bin/python3.11
"""flow: a known call tree, to check the order of entry and return events.

    /usr/bin/python3.11 flow.py [--expect FILE] [--ready FIFO --go FIFO]
                                [--linger FIFO]

Three threads run one after the other (each joined before the next
starts), so the sequence within each thread is fixed:
  tid_index 0, the main thread: scenario(): fact(3) recursion, a generator
               drained by a for loop, an exception raised two frames below
               the handler that catches it
  tid_index 1, a second thread: fact(2), then catcher()
  tid_index 2, a third thread: list(countdown(2)), a generator alone
tid_index numbers threads in the order their first event in this file
appears.  Expectations, one JSON line per event, in order per thread:
    {"tid_index": 0, "kind": "entry"|"return", "function": ..., "line": N}
Only events of functions in this file are listed: filter on the filename
(threading.py and the sample's helpers run in between).  <module> is not
listed either: it is entered before the handshake and returns at exit.

What CPython 3.11's markers report (checked with bpftrace on Debian's
python3.11, line semaphore raised):
  - function__entry's line is the def line (co_firstlineno) on a call;
  - a generator fires function__return at each yield (line of the yield)
    and function__entry again at each resume, with the line of the yield
    it resumes from; creating the generator fires nothing, the first
    next() fires entry with the def line;
  - a frame left by an exception fires function__return too, with the
    line that raised (or that called the function that raised);
  - function__return's line is the line of the return statement that ran.
No comprehensions, lambdas or nested functions here: each would be a
function of this file too.
"""
import threading

import ptap_sample


def fact(n):
    if n <= 1:
        return 1                        # L:fact-base
    return n * fact(n - 1)              # L:fact-rec


def counter(n):
    i = 0
    while i < n:
        yield i                         # L:counter-yield
        i += 1
    return                              # L:counter-end


def countdown(n):
    while n > 0:
        yield n                         # L:countdown-yield
        n -= 1
    return                              # L:countdown-end


def thrower():
    raise KeyError("flow")              # L:raise


def relay():
    thrower()                           # L:relay-call
    return "unreachable"


def catcher():
    try:
        relay()
    except KeyError:
        return "caught"                 # L:caught


def scenario():
    fact(3)
    total = 0
    for v in counter(2):
        total += v
    catcher()
    return total                        # L:scenario-ret


def second():
    fact(2)
    catcher()
    return                              # L:second-ret


def third():
    list(countdown(2))
    return                              # L:third-ret


if __name__ == "__main__":
    args = ptap_sample.parser("a known call tree in three threads").parse_args()
    tags = ptap_sample.line_tags(__file__)
    defs = {"fact": fact, "counter": counter, "countdown": countdown, "thrower": thrower,
            "relay": relay, "catcher": catcher, "scenario": scenario, "second": second,
            "third": third}
    # The expected events of each thread, with lines as def names or tags.
    fact3 = [("entry", "fact", "def"), ("entry", "fact", "def"), ("entry", "fact", "def"),
             ("return", "fact", "fact-base"), ("return", "fact", "fact-rec"),
             ("return", "fact", "fact-rec")]
    fact2 = [("entry", "fact", "def"), ("entry", "fact", "def"),
             ("return", "fact", "fact-base"), ("return", "fact", "fact-rec")]
    caught = [("entry", "catcher", "def"), ("entry", "relay", "def"),
              ("entry", "thrower", "def"), ("return", "thrower", "raise"),
              ("return", "relay", "relay-call"), ("return", "catcher", "caught")]
    gen2 = [("entry", "counter", "def"), ("return", "counter", "counter-yield"),
            ("entry", "counter", "counter-yield"), ("return", "counter", "counter-yield"),
            ("entry", "counter", "counter-yield"), ("return", "counter", "counter-end")]
    down2 = [("entry", "countdown", "def"), ("return", "countdown", "countdown-yield"),
             ("entry", "countdown", "countdown-yield"), ("return", "countdown", "countdown-yield"),
             ("entry", "countdown", "countdown-yield"), ("return", "countdown", "countdown-end")]
    plan = [
        [("entry", "scenario", "def")] + fact3 + gen2 + caught + [("return", "scenario", "scenario-ret")],
        [("entry", "second", "def")] + fact2 + caught + [("return", "second", "second-ret")],
        [("entry", "third", "def")] + down2 + [("return", "third", "third-ret")],
    ]
    rows = []
    for index in range(len(plan)):
        for kind, name, where in plan[index]:
            line = defs[name].__code__.co_firstlineno if where == "def" else tags[where]
            rows.append({"tid_index": index, "kind": kind, "function": name, "line": line})

    ptap_sample.ready_go(args)
    scenario()
    for target in (second, third):
        t = threading.Thread(target=target)
        t.start()
        t.join()
    ptap_sample.write_expect(args, rows)
    ptap_sample.linger(args)

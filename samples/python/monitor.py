#!/usr/bin/python3.11
"""monitor: fires CPython's gc, import and audit markers in a known order.

    /usr/bin/python3.11 monitor.py [--expect FILE] [--ready FIFO --go FIFO]
                                   [--linger FIFO]

Between sys.audit("ptap.begin") and sys.audit("ptap.end") it runs:
gc.collect(0) and gc.collect(2) on garbage cycles it made,
`import ptap_monitor_mod` (samples/python/ptap_monitor_mod.py), an import
of a module that does not exist (ImportError caught), and
sys.audit("ptap.test", 1).  Automatic collection is off (gc.disable()),
so no collection of the interpreter's own happens in the window.

Expectations: every marker firing of the window, in order, one JSON array
per line like the C samples, from ["python:audit","ptap.begin"] to
["python:audit","ptap.end"] inclusive:
    ["python:gc__start", generation]
    ["python:gc__done", collected]        collected + uncollectable, which
                                          is also what gc.collect returns
    ["python:import__find__load__start", "ptap_monitor_mod"]
    ["python:import__find__load__done", "ptap_monitor_mod", 1]   (found: 1/0)
    ["python:audit", "event name"]        the second argument, a PyObject*
                                          tuple, is left out
The window holds more audit events than the sample's own: the import
machinery raises "import", "os.listdir", "open", "compile" or
"marshal.loads" (with or without a cached .pyc), "exec"...  They are
recorded as they happen with sys.addaudithook (a hook sees exactly the
events the audit marker fires for) and gc.callbacks, so the list is what
this run did.  A test that wants a stable subset can keep gc__*, import__*
and audit events named "ptap.*".

Checked with bpftrace on Debian's python3.11: gc__done's argument equals
gc.collect()'s return (20 for gen 0 and 10 for gen 2 with the defaults);
the "import" audit event comes just before import__find__load__start; a
module already in sys.modules fires no import marker.
"""
import gc
import sys

import ptap_sample

events = []
recording = False


def on_audit(name, args):
    if not recording:
        return
    events.append(["python:audit", name])
    # import.c raises the "import" event right before
    # import__find__load__start, for the same module.
    if name == "import":
        events.append(["python:import__find__load__start", args[0]])


def on_gc(phase, info):
    if not recording:
        return
    if phase == "start":
        events.append(["python:gc__start", info["generation"]])
    else:
        events.append(["python:gc__done", info["collected"] + info["uncollectable"]])


class Node:
    pass


def make_cycles(n):
    for _ in range(n):
        a = Node()
        b = Node()
        a.other = b
        b.other = a


if __name__ == "__main__":
    args = ptap_sample.parser("gc, import and audit markers").parse_args()
    gc.disable()
    gc.collect()
    sys.addaudithook(on_audit)
    gc.callbacks.append(on_gc)
    results = {}
    ptap_sample.ready_go(args)

    recording = True
    sys.audit("ptap.begin")
    make_cycles(10)
    results["gen0"] = gc.collect(0)
    make_cycles(5)
    results["gen2"] = gc.collect(2)
    import ptap_monitor_mod
    events.append(["python:import__find__load__done", "ptap_monitor_mod", 1])
    try:
        import ptap_no_such_module
    except ImportError:
        events.append(["python:import__find__load__done", "ptap_no_such_module", 0])
    sys.audit("ptap.test", 1)
    sys.audit("ptap.end")
    recording = False

    assert ptap_monitor_mod.VALUE == 42
    assert events[0] == ["python:audit", "ptap.begin"] and events[-1] == ["python:audit", "ptap.end"]
    ptap_sample.write_expect(args, events)
    ptap_sample.linger(args)

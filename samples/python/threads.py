#!/usr/bin/python3.11
"""threads: four threads, each calling its own function a known number of times.

    /usr/bin/python3.11 threads.py [--scale S] [--expect FILE]
                                   [--ready FIFO --go FIFO] [--linger FIFO]

Thread k calls work_k (k = 0..3) S*(k+1)*1000 times (S defaults to 1:
1000, 2000, 3000, 4000) from worker(), all four threads at once.  The
threads exist before the handshake (waiting on an Event), so a tracer
that attaches on "ready" must attach every thread of the process.

Expectations, one JSON line per function, to --expect FILE or stdout:
    {"function": "work_k", "filename": ..., "line": <def line>,
     "calls": S*(k+1)*1000, "thread": k}
    {"function": "worker", ..., "calls": 4, "before_ready": true}
worker is entered once in each thread, but before the handshake (it then
blocks on the Event): a tracer that attaches on "ready" sees its returns
and not its entries.  A row with "before_ready": true is only for
launched runs.
"""
import threading

import ptap_sample


def work_0(x):
    return x + 1


def work_1(x):
    return x + 2


def work_2(x):
    return x + 3


def work_3(x):
    return x + 4


def worker(fn, count, start):
    start.wait()
    for i in range(count):
        fn(i)


if __name__ == "__main__":
    p = ptap_sample.parser("four threads calling distinct functions")
    p.add_argument("--scale", type=int, default=1, help="multiply every count by S")
    args = p.parse_args()
    funcs = (work_0, work_1, work_2, work_3)
    start = threading.Event()
    threads = []
    rows = []
    for k in range(4):
        count = args.scale * (k + 1) * 1000
        threads.append(threading.Thread(target=worker, args=(funcs[k], count, start),
                                        name="work_%d" % k))
        rows.append(ptap_sample.call_row(funcs[k], count, thread=k))
    rows.append(ptap_sample.call_row(worker, 4, before_ready=True))
    for t in threads:
        t.start()
    ptap_sample.ready_go(args)
    start.set()
    for t in threads:
        t.join()
    ptap_sample.write_expect(args, rows)
    ptap_sample.linger(args)

"""The workloads `make bench` times, run by Debian's /usr/bin/python3.11.

    python3.11 -E -S workload.py --report FILE [--raise ADDR]... fib N
    python3.11 -E -S workload.py --report FILE [--raise ADDR]... threads T N
    python3.11 -E -S workload.py --report FILE [--raise ADDR]... keys DIR K CALLS
    python3.11 -E -S workload.py --report FILE [--raise ADDR]... mixed T N R KB

fib N        fib(N), recursive: calls(N) = 1 + calls(N-1) + calls(N-2) calls of fib
threads T N  T threads started together, each computing fib(N): T * calls(N)
keys DIR K CALLS
             the first K functions of the modules bench/run generated in DIR
             (m0.py, m1.py, ..., f<module>_<n> in each), in turn, until CALLS
             calls are made (CALLS a multiple of K: CALLS / K calls each)
mixed T N R KB
             T threads started together, each R times computing fib(N) and then
             the SHA-256 of KB kilobytes, which runs without the GIL, so the
             threads' hashing can use every CPU: T * R * calls(N) calls of fib

Only the measured window is timed: from just before the first call of the
workload to just after its last (time.perf_counter_ns), so the interpreter's
and the tracer's start-up and end are not in it, and the only Python calls in
it are the workload's own.  --raise ADDR adds 1 to the 2-byte stapsdt
semaphore at ADDR in this process (CPython tests it before firing a marker):
that is how bench/run measures the interpreter with its markers enabled and
no tracer, and how it makes bpftrace's run take CPython 3.11's tracing path
(which fires function__entry only while python:line's semaphore is raised)
without a probe on python:line.

The report, one JSON object written to FILE after the window:
  window_ns     the window's length
  calls         the workload's own count of the calls it made (known count)
  function      the name they were made to ("fib"; "keys" for the keys mode)
  cpu_ns        this process's CPU time up to the end of the window
  maxrss_kb     this process's peak RSS
  parent        the tracer (this process's parent: ptap, ref or bpftrace):
                {pid, comm, cpu_ns (until the window's end), window_cpu_ns
                (in the window), window_user_ns and window_sys_ns (the same
                split, at the clock tick's resolution), hwm_kb (peak RSS),
                threads}
"""
import argparse
import json
import os
import sys
import threading
import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def fib_calls(n):
    a, b = 1, 1     # calls(0), calls(1)
    for _ in range(n - 1):
        a, b = b, a + b + 1
    return b if n >= 1 else a


def raise_semaphore(addr):
    import ctypes
    sem = ctypes.c_uint16.from_address(addr)
    sem.value += 1


def task_cpu_ns(pid):
    """CPU time of pid's main thread, in ns (schedstat), or -1."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return -1


def task_times_ns(pid):
    """User and system CPU time of process pid (all threads), in ns, or (-1, -1)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = 1e9 / os.sysconf("SC_CLK_TCK")
        return int(fields[11]) * tick, int(fields[12]) * tick
    except (OSError, ValueError, IndexError):
        return -1, -1


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, val = line.partition(":")
                out[key] = val.strip()
    except OSError:
        pass
    return out


def run_fib(args):
    n = int(args.params[0])
    t0 = time.perf_counter_ns()
    fib(n)
    t1 = time.perf_counter_ns()
    return t1 - t0, fib_calls(n), "fib"


def run_threads(args):
    nthreads, n = int(args.params[0]), int(args.params[1])
    start = threading.Barrier(nthreads + 1)

    def worker():
        start.wait()
        fib(n)

    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    for t in threads:
        t.start()
    t0 = time.perf_counter_ns()
    start.wait()
    for t in threads:
        t.join()
    t1 = time.perf_counter_ns()
    return t1 - t0, nthreads * fib_calls(n), "fib"


def run_mixed(args):
    import hashlib
    nthreads, n, rounds, kb = (int(x) for x in args.params[:4])
    data = bytes(range(256)) * (kb * 4)
    start = threading.Barrier(nthreads + 1)

    def worker():
        start.wait()
        for _ in range(rounds):
            fib(n)
            hashlib.sha256(data).digest()

    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    for t in threads:
        t.start()
    t0 = time.perf_counter_ns()
    start.wait()
    for t in threads:
        t.join()
    t1 = time.perf_counter_ns()
    return t1 - t0, nthreads * rounds * fib_calls(n), "fib"


def run_keys(args):
    directory, k, calls = args.params[0], int(args.params[1]), int(args.params[2])
    sys.path.insert(0, directory)
    modules = []
    while os.path.exists(os.path.join(directory, f"m{len(modules)}.py")):
        modules.append(__import__(f"m{len(modules)}"))
    # function i of every module before function i + 1 of any: the keys
    # spread over as many files as they can
    funcs = []
    for i in range(max((len(vars(m)) for m in modules), default=0)):
        funcs.extend(getattr(m, f"f{j}_{i}") for j, m in enumerate(modules)
                     if hasattr(m, f"f{j}_{i}"))
    if len(funcs) < k or calls % k:
        sys.exit(f"workload: {len(funcs)} functions in {directory}, {k} asked, {calls} calls")
    funcs = funcs[:k]
    rounds = calls // k
    t0 = time.perf_counter_ns()
    for _ in range(rounds):
        for f in funcs:
            f()
    t1 = time.perf_counter_ns()
    return t1 - t0, rounds * k, "keys"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--report", required=True)
    p.add_argument("--raise", dest="raise_", action="append", default=[])
    p.add_argument("mode", choices=("fib", "threads", "keys", "mixed"))
    p.add_argument("params", nargs="*")
    args = p.parse_args()
    for a in args.raise_:
        raise_semaphore(int(a, 0))
    ppid = os.getppid()
    parent_times0 = task_times_ns(ppid)
    parent_cpu0 = task_cpu_ns(ppid)
    window, calls, function = {"fib": run_fib, "threads": run_threads, "keys": run_keys,
                               "mixed": run_mixed}[args.mode](args)
    parent_cpu1 = task_cpu_ns(ppid)
    parent_times1 = task_times_ns(ppid)
    cpu_ns = time.process_time_ns()
    st = proc_status(ppid)
    import resource
    report = {
        "window_ns": window,
        "calls": calls,
        "function": function,
        "cpu_ns": cpu_ns,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "parent": {
            "pid": ppid,
            "comm": st.get("Name", "?"),
            "cpu_ns": parent_cpu1,
            "window_cpu_ns": parent_cpu1 - parent_cpu0 if parent_cpu0 >= 0 else -1,
            "window_user_ns": parent_times1[0] - parent_times0[0],
            "window_sys_ns": parent_times1[1] - parent_times0[1],
            "hwm_kb": int(st.get("VmHWM", "0 kB").split()[0]),
            "threads": int(st.get("Threads", "0")),
        },
    }
    with open(args.report, "w") as f:
        json.dump(report, f)
        f.write("\n")


if __name__ == "__main__":
    main()

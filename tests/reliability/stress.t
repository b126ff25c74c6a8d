# 200 attach/detach cycles on a busy multi-threaded python3.11, half of
# them with hits in flight (4 threads calling f() all the time) and half
# with the threads idle; then the process finishes with the right result,
# and its code, probe sites and semaphores are byte-identical to what they
# were before it was ever traced.
. "$(dirname "$0")/../lib.sh"

CYCLES=${STRESS_CYCLES:-200}
cat >"$TMP/busy.py" <<'PY'
import os, sys, threading
# a background job of a non-interactive shell starts with SIGINT ignored
run = threading.Event()      # set: the workers hammer f()
stop = threading.Event()
counts = [0] * 4
def f(i):
    return i + 1
def worker(k):
    n = 0
    while not stop.is_set():
        run.wait()
        n = f(n)
        counts[k] = n
def control(path):
    # one command per line: "run", "idle", "stop"
    with open(path) as c:
        for line in c:
            cmd = line.strip()
            if cmd == "run":
                run.set()
            elif cmd == "idle":
                run.clear()
            elif cmd == "stop":
                break
    stop.set()
    run.set()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
ctl = threading.Thread(target=control, args=(sys.argv[2],))
ctl.start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
ctl.join()
for t in ts:
    t.join()
print("ok" if all(c > 0 for c in counts) else "WRONG %s" % counts)
PY
R=$(make_fifo ready) C=$(make_fifo control) EV=$(make_fifo events)
$PY "$TMP/busy.py" "$R" "$C" >"$TMP/busy.out" 2>&1 &
BP=$!
on_exit "kill -9 $BP"
exec {ctl}>"$C"
wait_ready "$R" >/dev/null
before=$(snapshot "$BP")
text_before=$(textcheck "$BP")
like "$text_before" "^clean [0-9]+$" "before tracing: code identical to its files"

failed=0 inflight=0
for i in $(seq 1 "$CYCLES"); do
	if [ $((i % 2)) = 1 ]; then
		echo run >&$ctl
		# wait for one event: detaching then happens with hits in flight
		"$PTAP" trace -e python:function__entry -o "$EV" -p "$BP" 2>"$TMP/cycle.err" &
		TP=$!
		exec {ev}<"$EV"
		IFS= read -r -t 30 -u "$ev" first && inflight=$((inflight + 1))
		cat <&$ev >/dev/null &
		drain=$!
		exec {ev}<&-
	else
		echo idle >&$ctl
		start_ptap trace -o /dev/null -p "$BP"
		TP=$PTAP_PID
		drain=
	fi
	kill -INT "$TP"
	wait "$TP"
	rc=$?
	[ -n "$drain" ] && wait "$drain"
	if [ "$rc" != 0 ] || [ "$(tracer_of "$BP")" != 0 ]; then
		failed=$((failed + 1))
		diag "cycle $i: ptap exited $rc, tracer now $(tracer_of "$BP"):"
		diag "$(cat "$TMP/cycle.err" "$TMP/ptap.err" 2>/dev/null | tail -n 5)"
	fi
done
is "$failed" 0 "$CYCLES attach/detach cycles: each exits 0 and leaves no tracer"
is "$inflight" $((CYCLES / 2)) "half of them detached with events still coming"
is "$(textcheck "$BP")" "$text_before" "after $CYCLES cycles: code identical to its files"
is "$(snapshot "$BP")" "$before" "after $CYCLES cycles: probe sites and semaphores as never traced"
echo stop >&$ctl
exec {ctl}>&-
wait "$BP"
is "$?" 0 "the process exits 0"
is "$(cat "$TMP/busy.out")" "ok" "every worker ran to the end"

done_testing

# What the in-process engine promises a traced process, beyond exact
# events (which every other test checks on both engines):
#  - a program that handles, ignores or blocks SIGTRAP is traced exactly
#    and its handler never runs (on both engines);
#  - while attached, ptap's code and data are mapped; after a detach
#    nothing of ptap's is left: code, semaphores, mappings, descriptors;
#  - SIGKILL of ptap: a busy threaded target runs on to the right result,
#    a debugger attaching afterwards sees no trap, and `ptap cleanup`
#    then leaves code, semaphores and mappings as they were;
#  - a ptap stopped by SIGSTOP does not stop the target, and loses nothing;
#  - a process that may not map executable memory, or create a memfd,
#    is traced by int3 instead, and says so;
#  - a forked child ptap does not follow (--no-follow) gets its jumps
#    undone and ptap's mappings removed before it runs.
. "$(dirname "$0")/../lib.sh"

# sigtrap.py MODE N: installs MODE (handl, ignor, block) for SIGTRAP,
# calls f() N times, prints "calls N handler H" and exits 0
cat >"$TMP/sigtrap.py" <<'PY'
import signal, sys
mode, n = sys.argv[1], int(sys.argv[2])
ran = 0
def on_trap(sig, frame):
    global ran
    ran += 1
if mode == "handl":
    signal.signal(signal.SIGTRAP, on_trap)
elif mode == "ignor":
    signal.signal(signal.SIGTRAP, signal.SIG_IGN)
else:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTRAP})
def f(i):
    return i + 1
done = 0
for i in range(n):
    done = f(done)
print("calls", done, "handler", ran)
PY
for mode in handled ignored blocked; do
	run_status "$PTAP" trace -q -e python:function__entry -o "$TMP/sigtrap.out" -- $PY "$TMP/sigtrap.py" "${mode%ed}" 500
	is "$RC $OUT" "0 calls 500 handler 0" "SIGTRAP $mode by the program: it runs normally, its handler never called"
	is "$(grep -c '"f", 1[0-9])$' "$TMP/sigtrap.out")" 500 "  ... and all 500 calls of f are traced"
done

if [ "$ENGINE" != inproc ]; then
	skip "the rest is the in-process engine's"
	done_testing
	exit 0
fi

# busy.py READY CONTROL ACK: 4 threads call f() while told to "run";
# "more N" makes each make N more calls and then writes "did N" on ACK;
# "stop" ends it: it prints "ok" if every thread counted right
cat >"$TMP/busy.py" <<'PY'
import os, sys, threading
run = threading.Event()
stop = threading.Event()
lock = threading.Condition()
totals = [0] * 4
extra = [0] * 4
expect = [0] * 4
def f(i):
    return i + 1
def worker(k):
    n = 0
    while not stop.is_set():
        run.wait(0.05)
        if extra[k]:
            for i in range(extra[k]):
                n = f(n)
            expect[k] += extra[k]
            with lock:
                extra[k] = 0
                lock.notify_all()
        elif run.is_set():
            n = f(n)
            expect[k] += 1
    totals[k] = n
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
with open(sys.argv[2]) as c:
    for line in c:
        cmd = line.split()
        if cmd[0] == "run":
            run.set()
        elif cmd[0] == "more":
            with lock:
                for k in range(4):
                    extra[k] = int(cmd[1])
                while any(extra):
                    lock.wait()
            with open(sys.argv[3], "w") as a:
                a.write("did %s\n" % cmd[1])
        elif cmd[0] == "stop":
            break
stop.set()
for t in ts:
    t.join()
print("ok" if totals == expect and all(totals) else "WRONG %s %s" % (totals, expect))
PY
start_busy() {
	R=$(make_fifo "$1.r") C=$(make_fifo "$1.c") ACK=$(make_fifo "$1.a")
	$PY "$TMP/busy.py" "$R" "$C" "$ACK" >"$TMP/$1.out" 2>&1 &
	BP=$!
	on_exit "kill -9 $BP"
	wait_ready "$R" >/dev/null
	exec {ctl}>"$C"
}
# more N: every thread makes N more calls; prints the acknowledgement
more() { echo "more $1" >&$ctl; wait_ready "$ACK" 120; }
stop_busy() {
	echo stop >&$ctl
	exec {ctl}>&-
	wait "$BP"
	BUSY_RC=$?
}
fds() { ls "/proc/$1/fd" | sort -n | tr '\n' ' '; }

# 1. attached: ptap's code and data are mapped while it traces; after the
# detach nothing of it is left
start_busy detach
before=$(snapshot "$BP") text_before=$(textcheck "$BP") fds_before=$(fds "$BP")
echo run >&$ctl
start_ptap trace -o /dev/null -p "$BP"
maps=$(ptap_maps "$BP")
like "$maps" "memfd:ptap" "while tracing: the shared data region is mapped"
like "$maps" "r-xp 00000000 00:00 0" "while tracing: the code region is mapped"
like "$(snapshot "$BP")" "site 0x[0-9a-f]+ e9 python:function__entry" "while tracing: a jump at function__entry"
stop_ptap INT
is "$PTAP_RC" 0 "ptap detaches on SIGINT, status 0"
is "$(ptap_maps "$BP")" "" "after: nothing of ptap's is mapped"
is "$(textcheck "$BP")" "$text_before" "after: its code is its files' again"
is "$(snapshot "$BP")" "$before" "after: sites and semaphores as before"
is "$(fds "$BP")" "$fds_before" "after: the same file descriptors"
stop_busy
is "$BUSY_RC $(cat "$TMP/detach.out")" "0 ok" "it ends normally, every thread's count right"

# 2. SIGKILL of ptap with the threads calling: they run on; a debugger
# attaching then sees no trap; cleanup then takes everything back
start_busy kill
before=$(snapshot "$BP") text_before=$(textcheck "$BP")
echo run >&$ctl
start_ptap trace -o /dev/null -p "$BP"
stop_ptap KILL
is "$PTAP_RC" 137 "ptap killed with SIGKILL"
# 4 x 100000 calls, entry and return: more than the ring holds, with nobody
# to read it: the recorder must not wait, and counts what it cannot record
is "$(more 100000)" "did 100000" "after ptap's death every thread makes 100000 more calls, without waiting"

if have gdb; then
	# a leftover trap would stop the threads in the debugger: no "did"
	timeout 120 gdb -q -batch -p "$BP" -ex 'continue' </dev/null >"$TMP/gdb.out" 2>&1 &
	GP=$!
	timeout 30 bash -c "until [ \"\$(awk '/^TracerPid:/ {print \$2}' /proc/$BP/status)\" != 0 ]; do read -rt 0.05 <> <(:) || true; done"
	is "$(more 20000)" "did 20000" "a debugger attached after ptap's death: 20000 more calls, no trap"
	kill -INT "$GP" 2>/dev/null
	wait "$GP"
	unlike "$(cat "$TMP/gdb.out")" "SIGTRAP" "  ... the debugger saw no SIGTRAP"
else
	skip "gdb is not installed"
	skip "gdb is not installed"
fi
ok "$(kill -0 "$BP" 2>/dev/null; echo $?)" "after ptap's death the process runs on"
run_status "$PTAP" cleanup -p "$BP"
is "$RC" 0 "ptap cleanup exits 0"
like "$OUT" "^pid $BP: restored [0-9]+ probe sites? and [0-9]+ hooks?, lowered [0-9]+ semaphore counts?, unmapped [3-9] regions of ptap's code and data" \
	"cleanup restored the jumps and semaphores and unmapped ptap's regions"
like "$OUT" "^pid $BP: [0-9]+ events could not be recorded after ptap stopped reading$" \
	"cleanup says how many events the recorder could not record"
is "$(textcheck "$BP")" "$text_before" "after cleanup: its code is its files' again"
is "$(snapshot "$BP")" "$before" "after cleanup: sites and semaphores as before"
is "$(ptap_maps "$BP")" "" "after cleanup: nothing of ptap's is mapped"
stop_busy
is "$BUSY_RC $(cat "$TMP/kill.out")" "0 ok" "it finishes with the right result"

# 3. ptap stopped (SIGSTOP, which it cannot catch) does not stop the
# target: counted in the target (top --no-times) or queued in the ring
# (trace), nothing is lost once ptap goes on
cat >"$TMP/calls.py" <<'PY'
import os, sys
def f(i):
    return i + 1
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
open(sys.argv[2]).readline()
n = 0
for i in range(int(sys.argv[3])):
    n = f(n)
with open(sys.argv[4], "w") as d:
    d.write("done %d\n" % n)
open(sys.argv[5]).readline()
PY
for how in top trace; do
	R=$(make_fifo "$how.r") G=$(make_fifo "$how.g") D=$(make_fifo "$how.d") L=$(make_fifo "$how.l")
	$PY "$TMP/calls.py" "$R" "$G" 20000 "$D" "$L" &
	CP=$!
	on_exit "kill -9 $CP"
	wait_ready "$R" >/dev/null
	if [ $how = top ]; then
		start_ptap top -b --no-times --cumulative -d 0.2 -o "$TMP/$how.out" -p "$CP"
	else
		start_ptap trace -e python:function__entry -o "$TMP/$how.out" -p "$CP"
	fi
	kill -STOP "$PTAP_PID"
	echo go >"$G"
	is "$(wait_ready "$D" 60)" "done 20000" "$how: ptap stopped by SIGSTOP: the target makes its 20000 calls all the same"
	kill -CONT "$PTAP_PID"
	echo bye >"$L"
	wait "$CP"
	stop_ptap
	if [ $how = top ]; then
		got=$(awk '/^# final/ {f = 1} f && $4 == "f" {print $5}' "$TMP/$how.out")
	else
		got=$(grep -c '"f", 2)$' "$TMP/$how.out")
	fi
	is "$got" 20000 "$how: ... and once ptap goes on, every call is counted"
done

# 4. refused: executable memory (SELinux's execmem, W^X), a memfd; traced
# by int3 instead, exactly
for what in execmem memfd; do
	run_status "$PTAP" trace -e python:function__entry -o "$TMP/$what.out" -- \
		$PY3 "$ROOT/tests/seccomp_deny.py" "$what" $PY "$ROOT/samples/python/fib.py" --n 12 \
		--expect "$TMP/$what.exp"
	is "$RC" 0 "$what refused: the command exits 0"
	if [ $what = execmem ]; then
		like "$ERR" "pid [0-9]+: the process may not map executable memory \\(an SELinux, seccomp or W\\^X policy\\): its probes are traced with int3 stops" \
			"$what refused: ptap says so"
	else
		like "$ERR" "pid [0-9]+: the in-process engine cannot be used \\(a shared memory region: Operation not permitted\\); its probes are traced with int3 stops" \
			"$what refused: ptap says so"
	fi
	is "$(grep -c '"fib", 19)$' "$TMP/$what.out")" 465 "$what refused: all 465 calls of fib(12) traced, by int3"
done

# 5. --no-follow: a forked child gets its jumps undone and ptap's
# mappings removed before it runs
cat >"$TMP/forker.py" <<'PY'
import os, sys
def f(i):
    return i + 1
f(0)
pid = os.fork()
if pid == 0:
    with open(sys.argv[1], "w") as r:
        r.write("child %d\n" % os.getpid())
    open(sys.argv[2]).readline()
    os._exit(0 if f(1) == 2 else 1)
os.waitpid(pid, 0)
PY
R=$(make_fifo fork.r) G=$(make_fifo fork.g)
"$PTAP" trace --no-follow -o /dev/null -- $PY "$TMP/forker.py" "$R" "$G" 2>"$TMP/fork.err" &
FP=$!
read -r _ child < <(wait_ready "$R")
is "$(ptap_maps "$child")" "" "--no-follow: nothing of ptap's is mapped in the child"
like "$(textcheck "$child")" "^clean [0-9]+$" "--no-follow: the child's code is its files'"
echo go >"$G"
wait "$FP"
is "$?" 0 "--no-follow: ptap and the parent end with 0"

done_testing

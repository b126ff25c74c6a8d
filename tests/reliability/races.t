# Races ptap must survive while it attaches, traces and detaches: threads
# created and exiting all the time, children forked in the middle of hits,
# an exec while attached, a process exiting while its threads are stopped
# at hits.  In each case the target ends as it would without ptap, and
# nothing of ptap's is left in its code.
. "$(dirname "$0")/../lib.sh"

CYCLES=${RACE_CYCLES:-30}

# cycles PID N: attach and detach N times; prints the failures
cycles() {
	local pid=$1 n=$2 bad=0 i
	for i in $(seq 1 "$n"); do
		start_ptap trace -o /dev/null -p "$pid"
		stop_ptap INT
		case "$PTAP_RC" in
		0) ;;
		1) grep -q "no process with pid" "$TMP/ptap.err" || bad=$((bad + 1)) ;;  # it ended: fine
		*) bad=$((bad + 1)); diag "cycle $i: ptap exited $PTAP_RC: $(tail -n 3 "$TMP/ptap.err")" ;;
		esac
	done
	echo "$bad"
}

# 1. threads created and joined all the time
cat >"$TMP/threads.py" <<'PY'
import os, sys, threading
def f(i):
    return i + 1
def short(out, k):
    n = 0
    for i in range(200):
        n = f(n)
    out[k] = n
stop = threading.Event()
def waiter():
    open(sys.argv[2]).readline()
    stop.set()
threading.Thread(target=waiter, daemon=True).start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
made = 0
while not stop.is_set():
    out = [0] * 4
    ts = [threading.Thread(target=short, args=(out, k)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [200] * 4, out
    made += 4
print("ok", made > 0)
PY
R=$(make_fifo t.ready) S=$(make_fifo t.stop)
$PY "$TMP/threads.py" "$R" "$S" >"$TMP/threads.out" 2>&1 &
P1=$!
on_exit "kill -9 $P1"
wait_ready "$R" >/dev/null
is "$(cycles "$P1" "$CYCLES")" 0 "threads born and dying: $CYCLES attach/detach cycles all clean"
like "$(textcheck "$P1")" "^clean " "  ... and no int3 left in its code"
echo stop >"$S"
wait "$P1"
is "$?$(cat "$TMP/threads.out")" "0ok True" "  ... and it ends normally, every thread's count right"

# 2. children forked while the parent hits probes, each checked by exit code
cat >"$TMP/forks.py" <<'PY'
import os, sys, threading
def f(i):
    return i + 1
stop = threading.Event()
def waiter():
    open(sys.argv[2]).readline()
    stop.set()
threading.Thread(target=waiter, daemon=True).start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
bad = forks = 0
while not stop.is_set():
    n = f(0)
    pid = os.fork()
    if pid == 0:
        for i in range(100):
            n = f(n)
        os._exit(n % 256)
    _, st = os.waitpid(pid, 0)
    forks += 1
    if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 101:
        bad += 1
print("forks", forks > 0, "bad", bad)
PY
R=$(make_fifo f.ready) S=$(make_fifo f.stop)
$PY "$TMP/forks.py" "$R" "$S" >"$TMP/forks.out" 2>&1 &
P2=$!
on_exit "kill -9 $P2"
wait_ready "$R" >/dev/null
is "$(cycles "$P2" "$CYCLES")" 0 "forks in the middle of hits: $CYCLES attach/detach cycles all clean"
like "$(textcheck "$P2")" "^clean " "  ... and no int3 left in the parent's code"
echo stop >"$S"
wait "$P2"
is "$?$(cat "$TMP/forks.out")" "0forks True bad 0" "  ... and every child exited normally with its own status"

# 3. --no-follow: forked children get their copy of the int3s removed
R=$(make_fifo nf.ready) S=$(make_fifo nf.stop)
$PY "$TMP/forks.py" "$R" "$S" >"$TMP/nf.out" 2>&1 &
P3=$!
on_exit "kill -9 $P3"
wait_ready "$R" >/dev/null
start_ptap trace --no-follow -e python:function__entry -o "$TMP/nf.json" --json -p "$P3"
echo stop >"$S"
wait "$P3"
is "$?$(cat "$TMP/nf.out")" "0forks True bad 0" "--no-follow: every child ran untraced and exited normally"
stop_ptap
is "$PTAP_RC" 0 "  ... and ptap ends with its target"
is "$($PY3 -c 'import json,sys; print(len({json.loads(l)["pid"] for l in open(sys.argv[1])}))' "$TMP/nf.json")" 1 \
	"  ... events from the parent only"

# 4. exec while attached: the new image is traced afresh, the old one's
# int3s are gone with it
cat >"$TMP/execer.py" <<'PY'
import os, sys
def before(i):
    return i
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
open(sys.argv[2]).readline()
before(1)
os.execv(sys.executable, [sys.executable, "-c", """
import sys
def after(i):
    return i
for i in range(5):
    after(i)
open(sys.argv[1]).readline()
print("execed")
""", sys.argv[3]])
PY
R=$(make_fifo e.ready) G=$(make_fifo e.go) L=$(make_fifo e.linger)
$PY "$TMP/execer.py" "$R" "$G" "$L" >"$TMP/execer.out" 2>&1 &
P4=$!
on_exit "kill -9 $P4"
wait_ready "$R" >/dev/null
start_ptap trace --json -e python:function__entry -o "$TMP/exec.json" -p "$P4"
echo go >"$G"
# the new image reads the linger fifo after its calls: open it from here
exec {lg}>"$L"
stop_ptap INT
is "$PTAP_RC" 0 "exec while attached: ptap detaches and exits 0"
is "$(grep -c '"before"' "$TMP/exec.json") $(grep -c '"after"' "$TMP/exec.json")" "1 5" \
	"  ... the call before exec and the 5 in the new image were seen"
like "$(textcheck "$P4")" "^clean " "  ... the new image's code holds no int3"
echo bye >&$lg
exec {lg}>&-
wait "$P4"
is "$?$(cat "$TMP/execer.out")" "0execed" "  ... and the new program ends normally"

# 5. a process that exits while its threads are stopped at hits
cat >"$TMP/exiter.py" <<'PY'
import os, sys, threading
def f(i):
    return i + 1
def spin():
    n = 0
    while True:
        n = f(n)
for k in range(4):
    threading.Thread(target=spin, daemon=True).start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
open(sys.argv[2]).readline()
os._exit(7)
PY
R=$(make_fifo x.ready) G=$(make_fifo x.go)
$PY "$TMP/exiter.py" "$R" "$G" &
P5=$!
on_exit "kill -9 $P5"
wait_ready "$R" >/dev/null
start_ptap trace -o /dev/null -p "$P5"
echo go >"$G"
wait "$P5"
is "$?" 7 "exit with 4 threads hitting probes: the process's own status 7"
stop_ptap
is "$PTAP_RC" 0 "  ... and ptap ends with it, status 0"

# 6. the last thread to hit a probe exits, then ptap detaches: the memory
# must be reached through a thread still alive (before, the int3 stayed and
# the process died of SIGTRAP at its next Python call)
cat >"$TMP/lasthit.py" <<'PY'
import os, select, sys, threading
def f(i):
    return i + 1
def work(fd):
    os.read(fd, 1)
    for i in range(100):
        f(i)
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
open(sys.argv[2]).readline()
end = os.open(sys.argv[4], os.O_RDONLY | os.O_NONBLOCK)
start = os.open(sys.argv[3], os.O_RDONLY)
threading.Thread(target=work, args=(start,)).start()
select.select([end], [], [])        # C only: no Python call here
print(sum(f(i) for i in range(10)))
PY
R=$(make_fifo l.ready) G=$(make_fifo l.go) W=$(make_fifo l.work) E=$(make_fifo l.end)
$PY "$TMP/lasthit.py" "$R" "$G" "$W" "$E" >"$TMP/lasthit.out" &
P6=$!
on_exit "kill -9 $P6"
read -r _ p6 < <(wait_ready "$R")
before=$(snapshot "$p6")
start_ptap trace -e python:function__entry -o "$TMP/lasthit.events" -p "$p6"
echo go >"$G"
exec {w}>"$W" {e}>"$E"
# the main thread waits in select; then the worker runs and exits
timeout 30 bash -c "until grep -Eq 'select|poll' /proc/$p6/wchan; do read -rt 0.05 <> <(:) || true; done"
echo x >&$w
timeout 30 bash -c "until [ \$(ls /proc/$p6/task | wc -l) = 1 ]; do read -rt 0.05 <> <(:) || true; done"
stop_ptap INT
is "$PTAP_RC" 0 "last hit by a thread that is gone: ptap detaches with 0"
like "$(tail -n 1 "$TMP/lasthit.events")" "^[0-9.]+ $p6/[0-9]+ " "  ... the last event was another thread's"
unlike "$(tail -n 1 "$TMP/lasthit.events")" "^[0-9.]+ $p6/$p6 " "  ... not the main thread's"
is "$(snapshot "$p6")" "$before" "  ... every site and semaphore as before"
echo end >&$e
exec {w}>&- {e}>&-
wait "$P6"
is "$?" 0 "  ... and the process goes on and ends normally"
is "$(cat "$TMP/lasthit.out")" 55 "  ... with its result"

done_testing

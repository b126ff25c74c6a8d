# A stop with a vfork (posix_spawn, subprocess) in flight ends in bounded
# time.  The parent of a vfork child waits in the kernel until the child
# runs another program or exits, and cannot be stopped meanwhile; ptap
# once waited for it while holding the child stopped, forever.
#
# Made deterministic with posix_spawn: its child opens a fifo (a file
# action) before it runs /bin/true, and blocks there until the test opens
# the other end, with its parent waiting for it.  ptap is stopped in that
# state (Ctrl-C, --duration, --no-follow, launched); then the same with
# subprocess.run in a loop, stopped at random moments.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/spawn.py" <<'PY'
import os, sys
def f(i):
    return i + 1
ready, go, gate, done = sys.argv[1:5]
with open(ready, "w") as r:
    r.write("ready %d\n" % os.getpid())
open(go).readline()
n = 0
for i in range(1000):
    n = f(n)
# the child blocks opening the gate fifo before it execs /bin/true
pid = os.posix_spawn("/bin/true", ["true"], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 0, gate, os.O_RDONLY, 0)])
_, st = os.waitpid(pid, 0)
for i in range(1000):
    n = f(n)
with open(done, "w") as d:
    d.write("done %d %d\n" % (os.waitstatus_to_exitcode(st), n))
PY

# spawned PARENT: the pid of PARENT's child, once it is there, not yet
# running /bin/true (bounded wait on /proc, not a sleep)
spawned() {
	timeout 20 bash -c "until c=\$(cat /proc/$1/task/*/children 2>/dev/null | tr -s ' ' '\n' | head -n 1) &&
		[ -n \"\$c\" ] &&
		[ \"\$(cat /proc/\$c/comm 2>/dev/null)\" != true ] &&
		[ \"\$(awk '/^State:/ {print \$2}' /proc/\$c/status)\" = S ]; do
		read -rt 0.02 <> <(:) || true; done; echo \$c"
}

# attach MODE: ptap on spawn.py, stopped with the vfork child blocked
for mode in int duration no-follow; do
	R=$(make_fifo "$mode.ready") GO=$(make_fifo "$mode.go") G=$(make_fifo "$mode.gate")
	D=$(make_fifo "$mode.done")
	$PY "$TMP/spawn.py" "$R" "$GO" "$G" "$D" >/dev/null 2>&1 &
	SP=$!
	on_exit "kill -9 $SP"
	wait_ready "$R" >/dev/null
	before=$(snapshot "$SP")
	case $mode in
	int) start_ptap trace -o /dev/null -p "$SP" ;;
	duration) start_ptap trace -o /dev/null --duration 3 -p "$SP" ;;
	no-follow) start_ptap trace -o /dev/null --no-follow -p "$SP" ;;
	esac
	timeout 10 bash -c "echo go >'$GO'"
	child=$(spawned "$SP")
	is "$(tracer_of "$child")" "$PTAP_PID" "$mode: the vfork child, blocked before its exec, is traced"
	t0=$SECONDS
	if [ "$mode" = duration ]; then stop_ptap_within 30; else stop_ptap_within 30 INT; fi
	is "$PTAP_HUNG" 0 "$mode: ptap stops in bounded time ($((SECONDS - t0)) s) with the parent in vfork"
	is "$PTAP_RC" 0 "$mode: and exits 0"
	is "$(tracer_of "$SP")" 0 "$mode: nobody traces the parent"
	is "$(tracer_of "$child")" 0 "$mode: nor the child"
	is "$(snapshot "$SP")" "$before" "$mode: sites and semaphores as before"
	timeout 10 bash -c ": >'$G'"      # the child's open returns: it runs /bin/true
	line=$(wait_ready "$D")
	is "$line" "done 0 2000" "$mode: the child ran /bin/true, the parent went on"
	wait "$SP"
	is "$?" 0 "$mode: and exited 0, no SIGTRAP"
done

# launched, --duration: ptap ends itself in bounded time; the command, held
# in vfork (and traced until ptap exits: a signal waits for the tracer),
# gets its SIGTERM when its child runs /bin/true
R=$(make_fifo launched.ready) GO=$(make_fifo launched.go) G=$(make_fifo launched.gate)
D=$(make_fifo launched.done)
"$PTAP" trace -q -o /dev/null --duration 3 -- $PY "$TMP/spawn.py" "$R" "$GO" "$G" "$D" &
PTAP_PID=$! _ptap_drain=
on_exit "kill -9 $PTAP_PID"
read -r _ SP < <(wait_ready "$R")
timeout 10 bash -c "echo go >'$GO'"
child=$(spawned "$SP")
t0=$SECONDS
stop_ptap_within 30
is "$PTAP_HUNG" 0 "launched, --duration: ptap stops in bounded time ($((SECONDS - t0)) s)"
is "$PTAP_RC" 0 "  ... and exits 0"
is "$(tracer_of "$SP")" 0 "  ... nobody traces the command"
timeout 10 bash -c ": >'$G'"
timeout 20 bash -c "while [ -e /proc/$SP ]; do read -rt 0.05 <> <(:) || true; done"
ok "$([ ! -e "/proc/$SP" ]; echo $?)" "  ... which ends, its child having run /bin/true"

# the real thing: subprocess.run in a loop, ptap stopped at random moments
cat >"$TMP/sub.py" <<'PY'
import os, subprocess, sys
def f(i):
    return i + 1
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
n = 0
while True:
    n = f(n)
    subprocess.run(["/bin/true"])
PY
R=$(make_fifo sub.ready)
$PY "$TMP/sub.py" "$R" >/dev/null 2>&1 &
SP=$!
on_exit "kill -9 $SP"
wait_ready "$R" >/dev/null
hung=0 bad=0
for i in $(seq 1 "${VFORK_CYCLES:-25}"); do
	start_ptap trace -o /dev/null -p "$SP"
	stop_ptap_within 30 INT
	[ "$PTAP_HUNG" = 1 ] && hung=$((hung + 1))
	[ "$PTAP_RC" = 0 ] || bad=$((bad + 1))
	[ -d "/proc/$SP" ] || break
done
is "$hung" 0 "subprocess.run in a loop, $i attach/stop cycles: ptap never hangs"
is "$bad" 0 "  ... and always exits 0"
like "$(awk '/^State:/ {print $2}' "/proc/$SP/status" 2>/dev/null)" "^[RSD]$" "  ... the target is alive"
is "$(tracer_of "$SP")" 0 "  ... and untraced"

done_testing

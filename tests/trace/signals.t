# Every way a trace stops leaves the target as it was: SIGINT, SIGTERM,
# SIGHUP and --duration for an attached process (bytes and semaphores
# identical, nobody tracing it, not stopped), and for a launched command
# the signal reaches the command and ptap reports its status.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/loop.py" <<'PY'
import os, signal, sys
# a background job of a non-interactive shell starts with SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
def f(i):
    return i + 1
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
n = 0
try:
    while True:
        n = f(n)
except KeyboardInterrupt:
    print("interrupted", n > 0)
    sys.exit(3)
PY

# attached: each stop path
for how in INT TERM HUP duration; do
	R=$(make_fifo "ready-$how")
	$PY "$TMP/loop.py" "$R" >"$TMP/loop-$how.out" 2>&1 &
	LP=$!
	on_exit "kill -9 $LP"
	wait_ready "$R" >/dev/null
	before=$(snapshot "$LP")
	if [ "$how" = duration ]; then
		run_status timeout 60 "$PTAP" trace -o /dev/null --duration 0.5 -p "$LP"
		is "$RC" 0 "--duration: ptap exits 0 by itself"
	else
		start_ptap trace -o /dev/null -p "$LP"
		stop_ptap "$how"
		is "$PTAP_RC" 0 "SIG$how: ptap detaches and exits 0"
	fi
	is "$(snapshot "$LP")" "$before" "$how: sites and semaphores byte-identical to before"
	is "$(tracer_of "$LP")" 0 "$how: nobody traces the target"
	state=$(awk '/^State:/ {print $2}' "/proc/$LP/status")
	ok "$([ "$state" = R ] || [ "$state" = S ]; echo $?)" "$how: the target is running (state $state)"
	kill -INT "$LP"
	wait "$LP"
	is "$?" 3 "$how: the target still handles its own SIGINT (exit 3)"
	is "$(cat "$TMP/loop-$how.out")" "interrupted True" "$how: and its output is intact"
done

# launched: a SIGINT sent to ptap alone is passed on to the command
R=$(make_fifo ready-launched)
start_ptap trace -o /dev/null -- $PY "$TMP/loop.py" "$R"
wait_ready "$R" >/dev/null
stop_ptap INT
is "$PTAP_RC" 3 "launched: SIGINT reaches the command, ptap exits with its status 3"

# launched: --duration ends the command ptap started, and ptap exits 0
run_status timeout 60 "$PTAP" trace -q -o /dev/null --duration 0.5 -- $PY "$TMP/loop.py" /dev/null
is "$RC" 0 "launched with --duration: ptap ends the command and exits 0"

# launched: the command's own exit status and death by signal
run_status "$PTAP" trace -q -o /dev/null -- $PY -c 'import sys; sys.exit(7)'
is "$RC" 7 "launched: ptap exits with the command's status"
run_status "$PTAP" trace -q -o /dev/null -- $PY -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'
is "$RC" 139 "launched: a command killed by SIGSEGV gives 128+11"

# signals sent to a traced process are delivered as without ptap
cat >"$TMP/sigs.py" <<'PY'
import os, signal, sys
got = []
for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGRTMIN + 2):
    signal.signal(s, lambda n, f: got.append(n))
def f(i):
    return i
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
while len(got) < 4:
    f(1)
print(sorted(got))
PY
R=$(make_fifo ready-sigs)
$PY "$TMP/sigs.py" "$R" >"$TMP/sigs.out" 2>&1 &
SP=$!
on_exit "kill -9 $SP"
wait_ready "$R" >/dev/null
start_ptap trace -o /dev/null -p "$SP"
kill -USR1 "$SP"; kill -USR2 "$SP"; kill -TERM "$SP"; kill -s RTMIN+2 "$SP"
wait "$SP"
is "$?" 0 "signals to a traced process: it handled all four and exited 0"
is "$(cat "$TMP/sigs.out")" "[10, 12, 15, $(($(kill -l RTMIN) + 2))]" "USR1, USR2, TERM and RTMIN+2 each delivered once"
stop_ptap
is "$PTAP_RC" 0 "ptap ends with its target, status 0"

done_testing

# Output errors end every command with status 1, top included (its tables
# and its final table too), and the target is restored; a reader that
# closes its pipe (`| head -1`) ends ptap quietly with status 0, the
# target restored just the same.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/loop.py" <<'PY'
import os, signal, sys
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
    sys.exit(3)
PY
start_loop() {
	local r
	r=$(make_fifo "$1.ready")
	$PY "$TMP/loop.py" "$r" >/dev/null 2>&1 &
	LP=$!
	on_exit "kill -9 $LP"
	wait_ready "$r" >/dev/null
	BEFORE=$(snapshot "$LP")
}
check_target() {
	is "$(tracer_of "$LP")" 0 "$1: nobody traces the target"
	is "$(snapshot "$LP")" "$BEFORE" "$1: sites and semaphores as before"
	kill -INT "$LP"
	wait "$LP"
	is "$?" 3 "$1: the target runs on"
}
SHORT=(-- $PY -c 'def f(): pass
for i in range(3000): f()')

# top -b / --json, -o /dev/full or standard output on /dev/full: 1, said
for mode in -b --json; do
	run_status timeout 60 "$PTAP" top $mode -q -o /dev/full "${SHORT[@]}"
	is "$RC" 1 "top $mode -o /dev/full: exit 1"
	like "$ERR" "ptap: top: cannot write /dev/full: No space left on device; stopped" "  ... saying why"
	timeout 60 "$PTAP" top $mode -q "${SHORT[@]}" >/dev/full 2>"$TMP/err"
	RC=$?
	is "$RC" 1 "top $mode >/dev/full: exit 1"
	like "$(cat "$TMP/err")" "cannot write standard output: No space left on device" "  ... saying why"
done
# attached, ended by --iterations after the table that failed
start_loop iter
run_status timeout 60 "$PTAP" top -b -d 0.2 --iterations 1 -o /dev/full -p "$LP"
is "$RC" 1 "top -b --iterations 1 -o /dev/full: exit 1"
check_target "top -b --iterations"
# monitor --summary: the totals, printed at the end, fail too
run_status timeout 60 "$PTAP" monitor --summary -q -o /dev/full "${SHORT[@]}"
is "$RC" 1 "monitor --summary -o /dev/full: exit 1"
like "$ERR" "cannot write /dev/full" "  ... saying why"

# | head -1: quiet, 0, restored
start_loop head
timeout 60 "$PTAP" trace -p "$LP" 2>"$TMP/err" | head -n 1 >"$TMP/out"
RC=${PIPESTATUS[0]}
is "$RC" 0 "trace -p PID | head -1: ptap exits 0"
is "$(wc -l <"$TMP/out")" 1 "  ... head got its line"
unlike "$(cat "$TMP/err")" "cannot write|Broken pipe" "  ... and ptap says nothing of the closed pipe"
check_target "trace | head -1"
timeout 60 "$PTAP" trace -- $PY -c 'for i in range(300000): pass' 2>"$TMP/err" | head -n 1 >"$TMP/out"
RC=${PIPESTATUS[0]}
is "$RC" 0 "trace -- COMMAND | head -1: exit 0"
unlike "$(cat "$TMP/err")" "cannot write|Broken pipe" "  ... quietly"
start_loop tophead
timeout 60 "$PTAP" top -b -d 0.2 -p "$LP" 2>"$TMP/err" | head -n 1 >"$TMP/out"
RC=${PIPESTATUS[0]}
is "$RC" 0 "top -b | head -1: exit 0"
unlike "$(cat "$TMP/err")" "cannot write|Broken pipe" "  ... quietly"
check_target "top -b | head -1"

done_testing

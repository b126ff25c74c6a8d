# Every signal whose default action ends a process takes ptap's clean stop
# path, as SIGTERM does (tests/trace/signals.t): SIGQUIT (Ctrl-\), SIGUSR1,
# SIGPIPE or SIGXCPU sent to ptap, a real-time signal, even SIGSEGV sent
# with kill.  Each time the attached target keeps running, restored, and
# ptap exits 0.  A file-size limit (SIGXFSZ) is an output error: exit 1,
# target restored.
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
# check_target WHAT: restored, untraced, still running its own code
check_target() {
	is "$(tracer_of "$LP")" 0 "$1: nobody traces the target"
	is "$(snapshot "$LP")" "$BEFORE" "$1: sites and semaphores as before"
	like "$(textcheck "$LP")" "^clean " "$1: no int3 left in its code"
	kill -INT "$LP"
	wait "$LP"
	is "$?" 3 "$1: the target runs on (exit 3 on its own SIGINT)"
}

# A background job of a script starts with SIGINT and SIGQUIT ignored (and
# ptap leaves an inherited SIG_IGN alone, but for SIGINT, SIGTERM and
# SIGHUP): ptap runs here with every signal at its default.
printf '#!/bin/sh\nexec env --default-signal "%s" "$@"\n' "$PTAP" >"$TMP/ptap-dfl"
chmod +x "$TMP/ptap-dfl"
REAL_PTAP=$PTAP
PTAP=$TMP/ptap-dfl

rtmin=$(kill -l SIGRTMIN 2>/dev/null || echo 34)
for sig in QUIT USR1 USR2 PIPE XCPU VTALRM PROF IO PWR ALRM SEGV $((rtmin + 3)); do
	start_loop "sig-$sig"
	start_ptap trace -o /dev/null -p "$LP"
	stop_ptap_within 30 "$sig"
	is "$PTAP_RC" 0 "SIG$sig sent to ptap: it detaches and exits 0"
	check_target "SIG$sig"
done
PTAP=$REAL_PTAP


# a launched command: SIGQUIT sent to ptap alone is passed on to it
R=$(make_fifo launched.ready)
PTAP=$TMP/ptap-dfl start_ptap trace -o /dev/null -- $PY -c 'import os, signal, sys
signal.signal(signal.SIGQUIT, lambda *a: sys.exit(5))
open(sys.argv[1], "w").write("ready\n")
while True:
    signal.pause()' "$R"
wait_ready "$R" >/dev/null
stop_ptap_within 30 QUIT
is "$PTAP_RC" 5 "SIGQUIT to ptap tracing a command: the command gets it (exits 5), ptap too"

# ulimit -f with -o: the write fails with EFBIG, ptap stops as on any
# output error and says so
start_loop xfsz
run_status timeout 60 bash -c "ulimit -f 4; exec '$PTAP' trace -e 'python:function__entry' -o '$TMP/big.out' -p $LP"
is "$RC" 1 "-o FILE over the file-size limit: exit 1"
like "$ERR" "cannot write $TMP/big.out: File too large; stopped" "  ... saying why"
check_target "SIGXFSZ"

# a stop signal while ptap attaches to many processes: it attaches no
# more, and stops at once, every one it attached let go
pids=()
for i in $(seq 1 30); do
	R=$(make_fifo "many$i.ready")
	$PY -c 'import os, sys
open(sys.argv[1], "w").write("ready\n")
os.read(os.open(sys.argv[1], os.O_RDONLY), 1)' "$R" &
	pids+=($!)
	on_exit "kill -9 $!"
	wait_ready "$R" >/dev/null
done
start_ptap trace -o /dev/null -p "$(IFS=,; echo "${pids[*]}")"
stop_ptap_within 30 HUP
is "$PTAP_RC" 0 "SIGHUP while attaching to 30 processes: ptap exits 0"
n=$(grep -c '^ptap: tracing pid' "$TMP/ptap.err")
n=$((n + 1))    # the first line, read by start_ptap
ok "$([ "$n" -lt 30 ]; echo $?)" "  ... having attached no more after it ($n of 30)"
bad=0
for p in "${pids[@]}"; do
	[ "$(tracer_of "$p")" = 0 ] || bad=$((bad + 1))
done
is "$bad" 0 "  ... and let go every one it had"

done_testing

# Bad input to ptap trace: a clear one-line message naming the thing, and
# the documented exit status (1 runtime error, 2 usage error, 126/127 for a
# command that cannot run, as a shell).
. "$(dirname "$0")/../lib.sh"

run_status "$PTAP" trace -p 0
is "$RC" 2 "pid 0 is a usage error"
run_status "$PTAP" trace -p 4194000
is "$RC" 1 "a pid that does not exist: exit 1"
is "$ERR" "ptap: trace: no process with pid 4194000" "  ... and says so"
run_status "$PTAP" trace -p abc
is "$RC" 2 "-p abc: usage error"
like "$ERR" "'abc' is not a process id" "  ... naming the argument"
run_status "$PTAP" trace
is "$RC" 2 "no target: usage error"
like "$ERR" "nothing to trace: give -p PID or -- COMMAND" "  ... saying what to give"
run_status "$PTAP" trace --bogus -p 1
is "$RC" 2 "an unknown option: usage error"
like "$ERR" "unknown option '--bogus'" "  ... naming it"
run_status "$PTAP" trace -e 'a:b:c' -- true
is "$RC" 2 "a malformed -e: usage error"
like "$ERR" "bad probe pattern 'a:b:c'" "  ... naming the pattern"
run_status "$PTAP" trace -e 'python:x(nosuchtype)' -- true
is "$RC" 2 "an unknown type in a type list: usage error"
run_status "$PTAP" trace -- /nonexistent/cmd
is "$RC" 127 "a command that does not exist: 127"
is "$ERR" "ptap: trace: /nonexistent/cmd: No such file or directory" "  ... and says so"
run_status "$PTAP" trace -- nosuchcommand-ptap
is "$RC" 127 "a command not in PATH: 127"
is "$ERR" "ptap: trace: nosuchcommand-ptap: command not found" "  ... and says so"
printf 'not a program\n' >"$TMP/notexec"
run_status "$PTAP" trace -- "$TMP/notexec"
is "$RC" 126 "a file that is not executable: 126"

# -e naming nothing: the command still runs (its libraries could have had
# the probe), then ptap says which program had none, and exits 1
run_status "$PTAP" trace -e 'nosuch:probe' -- $PY -c 'print("ran")'
is "$RC" 1 "-e naming nothing: exit 1, not an empty success"
is "$OUT" "ran" "  ... the command having run to its end, its output untouched"
like "$ERR" "^ptap: trace: nothing to trace: pid [0-9]+ \(/usr/bin/python3\.11\): its Python \(/usr/bin/python3\.11\) has 8 markers, none matching nosuch:probe$" \
	"  ... and ptap names the program, the pattern and what it has"

# a program with no markers at all
run_status "$PTAP" trace -- /bin/true
is "$RC" 1 "a program without probes: exit 1"
like "$ERR" "^ptap: trace: nothing to trace: pid [0-9]+ \(/usr/bin/true\) is not a Python: none of its [0-9]+ modules is a Python interpreter or has stapsdt probes, so python:\* cannot fire unless it runs one$" \
	"  ... and ptap says it is not a Python"

# a Python without markers (a build without --with-dtrace), named plainly
nomarkers=
for c in /root/.pyenv/versions/*/bin/python3.*; do
	[ -x "$c" ] && ! readelf -n "$c" 2>/dev/null | grep -q stapsdt && nomarkers=$c && break
done
if [ -n "$nomarkers" ]; then
	t0=$SECONDS
	run_status timeout 30 "$PTAP" trace -- "$nomarkers" -c 'import time; time.sleep(20)'
	is "$RC" 1 "a Python without markers: exit 1"
	ok $((SECONDS - t0 < 15 ? 0 : 1)) "  ... at once, not after the program's 20 s ($((SECONDS - t0)) s)"
	like "$ERR" "^ptap: trace: nothing to trace: pid [0-9]+ \($nomarkers\) runs a Python built without --with-dtrace: its [^ ]*libpython[^ ]* has no stapsdt markers and python:\* can never fire; Debian's /usr/bin/python3\.11 \(package python3\.11\) has them; the command was ended$" \
		"  ... naming the interpreter, its library and Debian's"
	is "$(grep -c 'stapsdt markers' <<<"$ERR")" 1 "  ... once"
else
	skip "no Python without markers on this machine"
fi

# attaching to a process where nothing matches: exit 1, process left alone
sleep 30 &
SL=$!
on_exit "kill $SL"
run_status "$PTAP" trace -p "$SL"
is "$RC" 1 "attach with nothing to trace: exit 1"
is "$ERR" "ptap: trace: nothing to trace: pid $SL (/usr/bin/sleep) is not a Python: none of its $(awk '$2 ~ /x/ && $6 ~ /^\// {print $6}' /proc/$SL/maps | sort -u | wc -l) modules is a Python interpreter or has stapsdt probes, so python:* cannot fire unless it runs one" \
	"  ... naming the program and why"
is "$(tracer_of "$SL")" 0 "  ... and lets the process go"

# a thread id instead of a process id
R=$(make_fifo ready)
$PY -c 'import threading, sys, os
t = threading.Thread(target=sys.stdin.readline); t.start()
open(sys.argv[1], "w").write("ready %d %d\n" % (os.getpid(), t.native_id)); t.join()' "$R" < <(sleep 20) &
TP=$!
on_exit "kill $TP"
read -r _ pid tid < <(wait_ready "$R")
run_status "$PTAP" trace -p "$tid"
is "$RC" 1 "a thread id: exit 1"
is "$ERR" "ptap: trace: pid $tid is a thread of process $pid: give the process's pid" "  ... naming the process"

# permissions: a process already traced, and another user's process
R=$(make_fifo ready2)
$PY -c 'import os, sys
open(sys.argv[1], "w").write("ready %d\n" % os.getpid())
while True:
    pass' "$R" &
BP=$!
on_exit "kill -9 $BP"
wait_ready "$R" >/dev/null
start_ptap trace -o /dev/null -p "$BP"
run_status "$PTAP" trace -p "$BP"
is "$RC" 1 "a process already traced: exit 1"
like "$ERR" "pid $BP \(python3.11\) is already traced by pid $PTAP_PID \(ptap\)" "  ... naming the program and its tracer"
stop_ptap INT
if [ "$(id -u)" = 0 ] && have setpriv; then
	run_status setpriv --reuid=nobody --regid=nogroup --clear-groups "$PTAP" trace -p "$BP"
	is "$RC" 1 "another user's process: exit 1"
	like "$ERR" "pid $BP \(python3.11\) belongs to uid 0 and you are uid [0-9]+: run ptap as that user, or as root" \
		"  ... saying whose it is and what to do"
else
	skip "needs root and setpriv to act as another user"
	skip "needs root and setpriv to act as another user"
fi

done_testing

# The stop paths not covered by tests/trace/signals.t: an internal error
# (the output cannot be written), a closed pipe, ptap's terminal closing (SIGHUP through
# the tty), the traced process exiting on its own; and whatever the stop,
# the CPU affinity ptap changed is given back exactly, and SIGSTOP/SIGCONT
# reach the traced process and its real parent as without ptap.
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
# start_loop NAME: a busy python in LP, ready
start_loop() {
	local r
	r=$(make_fifo "$1.ready")
	$PY "$TMP/loop.py" "$r" >/dev/null 2>&1 &
	LP=$!
	on_exit "kill -9 $LP"
	wait_ready "$r" >/dev/null
}
# end_loop: the loop still handles its own SIGINT
end_loop() {
	kill -INT "$LP"
	wait "$LP"
}

# an internal error: the output fills up
start_loop full
before=$(snapshot "$LP")
run_status timeout 60 "$PTAP" trace -o /dev/full -p "$LP"
is "$RC" 1 "output cannot be written: ptap stops with status 1"
like "$ERR" "cannot write /dev/full: No space left on device; stopped" "  ... saying why"
is "$(snapshot "$LP")" "$before" "  ... sites and semaphores restored"
like "$(textcheck "$LP")" "^clean " "  ... no int3 left"
end_loop
is "$?" 3 "  ... and the process runs on (exit 3 on its SIGINT)"

# standard output closed under ptap (| head): the reader's choice, so
# ptap ends quietly (more in output_errors.t)
run_status bash -c "'$PTAP' trace -- $PY -c 'for i in range(300000): pass' | head -n 1"
is "$(wc -l <<<"$OUT")" 1 "trace | head -1: head gets its line"
unlike "$ERR" "cannot write" "  ... and ptap stops without a word on it"

# ptap's terminal closing: ptap top in a tmux session killed under it.
# Twice: as the session leader, it gets the SIGHUP; under a shell that
# ignores the hangup, it finds its terminal gone on its own.
if have tmux; then
	for how in leader shell; do
		start_loop "hup-$how"
		before=$(snapshot "$LP")
		if [ "$how" = leader ]; then
			cmd="exec env TERM=tmux-256color $PTAP top -p $LP"
		else
			cmd="trap '' HUP; TERM=tmux-256color $PTAP top -p $LP; echo \$? >$TMP/hup.rc"
		fi
		tmux -L ptap-stops new-session -d -s hup -x 100 -y 30 "$cmd"
		on_exit "tmux -L ptap-stops kill-server"
		timeout 20 bash -c "until [ \"\$(awk '/^TracerPid:/ {print \$2}' /proc/$LP/status)\" != 0 ]; do read -rt 0.05 <> <(:) || true; done"
		tp=$(tracer_of "$LP")
		tmux -L ptap-stops kill-server
		timeout 20 bash -c "while [ -d /proc/$tp ]; do read -rt 0.05 <> <(:) || true; done"
		ok "$([ ! -d "/proc/$tp" ]; echo $?)" "$how: terminal closed under ptap top: ptap ends"
		is "$(tracer_of "$LP")" 0 "  ... nobody traces the process"
		is "$(snapshot "$LP")" "$before" "  ... sites and semaphores restored"
		end_loop
		is "$?" 3 "  ... and it runs on"
	done
else
	for i in 1 2 3 4 5 6 7 8; do skip "tmux is not installed"; done
fi

# the traced process exiting on its own: ptap ends with it, its journal too
start_loop exit
start_ptap trace -o /dev/null -p "$LP"
journal=$(ls "${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/ptap}" /tmp/ptap-"$(id -u)" 2>/dev/null | grep -c "^$LP-")
is "$journal" 1 "while tracing: ptap keeps a journal for the process"
end_loop
stop_ptap
is "$PTAP_RC" 0 "the process ended: ptap ends too, status 0"
journal=$(ls "${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/ptap}" /tmp/ptap-"$(id -u)" 2>/dev/null | grep -c "^$LP-")
is "$journal" 0 "  ... and its journal is gone"

# CPU affinity: pinned while traced by the ptrace engine, given back
# exactly after; the in-process engine, whose targets never wait for ptap,
# pins nothing
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
	start_loop cpus
	cpus() { awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$1/status"; }
	taskset -p -c 0-$((ncpu - 1)) "$LP" >/dev/null
	orig=$(cpus "$LP")
	start_ptap trace --engine inproc -o /dev/null -p "$LP"
	is "$(cpus "$LP")" "$orig" "the in-process engine: its affinity is left alone"
	stop_ptap INT
	start_ptap trace --engine ptrace -o /dev/null -p "$LP"
	pinned=$(cpus "$LP")
	ok "$([[ "$pinned" =~ ^[0-9]+$ ]]; echo $?)" "while traced: pinned to one CPU ($pinned)"
	stop_ptap INT
	is "$(cpus "$LP")" "$orig" "after detach: its affinity is $orig again"
	start_ptap trace --engine ptrace --no-pin -o /dev/null -p "$LP"
	is "$(cpus "$LP")" "$orig" "--no-pin: its affinity is left alone"
	stop_ptap INT
	# a target that may not run on ptap's CPU is left where it is
	taskset -p -c 1 "$LP" >/dev/null
	taskset -c 0 "$PTAP" trace --engine ptrace -o /dev/null -p "$LP" >/dev/null 2>"$TMP/pin.err" &
	TP=$!
	timeout 20 bash -c "until [ \"\$(awk '/^TracerPid:/ {print \$2}' /proc/$LP/status)\" != 0 ]; do read -rt 0.05 <> <(:) || true; done"
	is "$(cpus "$LP")" 1 "a target not allowed on ptap's CPU keeps its own ($(cpus "$LP"))"
	kill -INT "$TP"
	wait "$TP"
	is "$(cpus "$LP")" 1 "  ... and keeps it after"
	end_loop
	# a launched command: it inherits ptap's pinned mask, and gets back
	# the mask ptap itself had before pinning, not that one CPU
	R=$(make_fifo aff.ready)
	all=$(seq -s, 0 $((ncpu - 1)))
	taskset -c "0-$((ncpu - 1))" "$PTAP" trace --engine ptrace -o /dev/null -- $PY -c 'import os, signal, sys
def mask(*_):
    open(sys.argv[2], "w").write(",".join(map(str, sorted(os.sched_getaffinity(0)))))
    sys.exit(0)
signal.signal(signal.SIGINT, mask)
open(sys.argv[1], "w").write("ready %d\n" % os.getpid())
while True:
    signal.pause()' "$R" "$TMP/aff.mask" 2>"$TMP/aff.err" &
	TP=$!
	read -r _ apid < <(wait_ready "$R")
	pinned=$(cpus "$apid")
	ok "$([[ "$pinned" =~ ^[0-9]+$ ]]; echo $?)" "launched: pinned to one CPU while traced ($pinned)"
	kill -INT "$TP"
	wait "$TP"
	is "$?" 0 "launched, Ctrl-C passed on: the command and ptap end with 0"
	is "$(cat "$TMP/aff.mask" 2>/dev/null)" "$all" "  ... and the command had every CPU again ($all)"
else
	for i in 1 2 3 4 5 6 7 8 9; do skip "one CPU: nothing to pin"; done
fi

# SIGSTOP/SIGCONT: the process stops and continues, and its real parent
# sees both through waitpid, exactly as without ptap
cat >"$TMP/parent.py" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    def f(i):
        return i + 1
    n = 0
    while True:
        n = f(n)
with open(sys.argv[1], "w") as out:
    out.write("child %d\n" % pid)
    out.flush()
    while True:
        _, st = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        if os.WIFSTOPPED(st):
            out.write("stopped %d\n" % os.WSTOPSIG(st))
        elif os.WIFCONTINUED(st):
            out.write("continued\n")
        else:
            out.write("ended %d\n" % (os.WTERMSIG(st) if os.WIFSIGNALED(st) else -1))
            break
        out.flush()
PY
EVF=$(make_fifo parent.events)
$PY "$TMP/parent.py" "$EVF" &
PP=$!
on_exit "kill -9 $PP"
exec {pe}<"$EVF"
read -r -t 30 -u "$pe" _ child
start_ptap trace -o /dev/null -p "$child"
kill -STOP "$child"
read -r -t 30 -u "$pe" line
is "$line" "stopped 19" "SIGSTOP to a traced process: its parent sees it stopped"
like "$(awk '/^State:/ {print $2}' "/proc/$child/status")" "^[tT]$" "  ... and it is stopped"
kill -CONT "$child"
read -r -t 30 -u "$pe" line
is "$line" "continued" "SIGCONT: its parent sees it continue"
kill -STOP "$child"
read -r -t 30 -u "$pe" line
stop_ptap INT
# PTRACE_DETACH wakes a task in group-stop, which goes straight back into
# it: wait (bounded) for it to be there, rather than catch it on its way
timeout 10 bash -c "until [ \"\$(awk '/^State:/ {print \$2}' /proc/$child/status)\" = T ]; do read -rt 0.02 <> <(:) || true; done"
is "$(awk '/^State:/ {print $2}' "/proc/$child/status")" "T" "detached while stopped: it stays stopped, as ptap found it"
kill -CONT "$child"
read -r -t 30 -u "$pe" line
is "$line" "continued" "  ... and SIGCONT still continues it"
kill -TERM "$child"
read -r -t 30 -u "$pe" line
is "$line" "ended 15" "  ... and it ends by its own SIGTERM"
wait "$PP"

done_testing

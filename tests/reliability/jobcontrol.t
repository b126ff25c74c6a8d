# ptap stopped by job control (Ctrl-Z, or SIGTTOU/SIGTTIN from the
# terminal) lets every target go first, restored, so that none waits at
# its next hit while ptap is stopped; once continued, it attaches to them
# again and traces on.
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
state() { awk '/^State:/ {print $2}' "/proc/$1/status"; }
# wait_state PID LETTERS: until its state is one of them (bounded)
wait_state() { timeout 20 bash -c "until [[ \"\$(awk '/^State:/ {print \$2}' /proc/$1/status)\" =~ ^[$2]\$ ]]; do read -rt 0.02 <> <(:) || true; done"; }
# wait_tracer PID WANT: until its TracerPid is WANT (bounded)
wait_tracer() { timeout 20 bash -c "until [ \"\$(awk '/^TracerPid:/ {print \$2}' /proc/$1/status)\" = $2 ]; do read -rt 0.02 <> <(:) || true; done"; }
# utime PID: its user CPU time, in ticks (it runs: this grows)
utime() { awk '{print $14}' "/proc/$1/stat"; }
# grows PID: whether it gets CPU time within 10 s
grows() { local a; a=$(utime "$1"); timeout 10 bash -c "while [ \$(awk '{print \$14}' /proc/$1/stat) = $a ]; do read -rt 0.02 <> <(:) || true; done"; }

R=$(make_fifo ready)
$PY "$TMP/loop.py" "$R" >/dev/null 2>&1 &
LP=$!
on_exit "kill -9 $LP"
wait_ready "$R" >/dev/null
BEFORE=$(snapshot "$LP")
start_ptap trace -e python:function__entry -o "$TMP/events" -p "$LP"
for sig in TSTP TTOU TTIN; do
	kill "-$sig" "$PTAP_PID"
	wait_state "$PTAP_PID" T
	is "$(state "$PTAP_PID")" T "SIG$sig: ptap stops"
	is "$(tracer_of "$LP")" 0 "  ... having let the target go"
	is "$(snapshot "$LP")" "$BEFORE" "  ... restored"
	ok "$(grows "$LP"; echo $?)" "  ... which runs on, not waiting for ptap"
	n=$(wc -l <"$TMP/events")
	kill -CONT "$PTAP_PID"
	wait_tracer "$LP" "$PTAP_PID"
	is "$(tracer_of "$LP")" "$PTAP_PID" "SIGCONT: ptap attaches again"
	timeout 20 bash -c "while [ \$(wc -l <'$TMP/events') -le $n ]; do read -rt 0.02 <> <(:) || true; done"
	ok "$([ "$(wc -l <"$TMP/events")" -gt "$n" ]; echo $?)" "  ... and traces on"
done
stop_ptap_within 30 INT
is "$PTAP_RC" 0 "then SIGINT: ptap exits 0"
like "$(cat "$TMP/ptap.err")" "stopped by SIGTSTP: every process let go, restored; ptap attaches again when continued" \
	"  ... having said what it did at the stop"
is "$(snapshot "$LP")" "$BEFORE" "  ... and the target is restored"
kill -INT "$LP"
wait "$LP"
is "$?" 3 "  ... and runs on (exit 3 on its SIGINT)"

# Ctrl-Z on a command ptap started: the terminal stops the whole job (here
# its process group: a group of its own, as a shell's job, whose parent is
# in this session, so that stop signals are not discarded as they are in
# an orphaned group), the command too; fg continues both, and ptap
# attaches to the command again
R=$(make_fifo launched.ready)
$PY3 -c 'import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])' \
	"$PTAP" trace -e python:function__entry -o "$TMP/levents" -- $PY "$TMP/loop.py" "$R" \
	2>"$TMP/l.err" &
SP=$!
on_exit "kill -9 $SP"
read -r _ CP < <(wait_ready "$R")
timeout 20 bash -c "until [ -s '$TMP/levents' ]; do read -rt 0.02 <> <(:) || true; done"
TP=$(awk '/^TracerPid:/ {print $2}' "/proc/$CP/status")
# Several times: the command, busy in its hits, is often caught inside
# ptap's code by the stop signal, and must still stop once let go.
for cycle in 1 2 3 4 5; do
	kill -TSTP -- "-$TP"
	wait_state "$TP" T
	wait_state "$CP" tT
	is "$(state "$TP")" T "the job stopped ($cycle): ptap stopped"
	is "$(tracer_of "$CP")" 0 "  ... having let its command go"
	like "$(state "$CP")" "^[tT]$" "  ... which is stopped too, by the terminal's signal"
	kill -CONT -- "-$TP"
	wait_tracer "$CP" "$TP"
	is "$(tracer_of "$CP")" "$TP" "the job continued ($cycle): ptap traces its command again"
	n=$(wc -l <"$TMP/levents")
	timeout 20 bash -c "while [ \$(wc -l <'$TMP/levents') -le $n ]; do read -rt 0.02 <> <(:) || true; done"
	ok "$([ "$(wc -l <"$TMP/levents")" -gt "$n" ]; echo $?)" "  ... and its events come"
done
# a stop that found a thread stopped inside ptap's code left its regions
# mapped: ptap unmaps them once it is attached again and the thread has
# left them (at the attach, or at a tick after), so one set stays, not
# one a stop
if [ "$ENGINE" = inproc ]; then
	one_set() { [ "$(grep -c 'memfd:ptap' "/proc/$CP/maps")" = 1 ]; }
	wait_for 30 one_set
	is "$(grep -c 'memfd:ptap' "/proc/$CP/maps")" 1 \
		"after 5 stops, one data region of ptap's in the command (those left at a stop are unmapped once ptap is attached again)"
fi
kill -INT "$TP"
wait "$SP"
is "$?" 3 "SIGINT to ptap: passed on, the command exits 3, and so does ptap"

# Ctrl-Z in ptap top's screen, in a shell with job control (in tmux): the
# screen goes, the shell says the job stopped, the target is let go; fg
# brings the screen back, tracing again; q ends it, the target restored
if have tmux; then
	printf 'set -g status off\nset -g escape-time 0\nset -s exit-empty off\n' >"$TMP/tmux.conf"
	TM="tmux -S $TMP/tmux.sock -f $TMP/tmux.conf"
	on_exit "$TM kill-server"
	on_screen() { $TM capture-pane -p -t job >"$TMP/screen" 2>/dev/null && grep -Eq -- "$1" "$TMP/screen"; }
	see() { timeout 20 bash -c "until $TM capture-pane -p -t job | grep -Eq -- '$1'; do read -rt 0.05 <> <(:) || true; done"; }
	R=$(make_fifo top.ready)
	$PY "$TMP/loop.py" "$R" >/dev/null 2>&1 &
	LP=$!
	on_exit "kill -9 $LP"
	wait_ready "$R" >/dev/null
	BEFORE=$(snapshot "$LP")
	$TM new-session -d -s job -x 100 -y 30 "env -i PATH=/usr/bin:/bin TERM=tmux-256color PS1='\$ ' bash --norc --noprofile -i"
	see '^\$'
	$TM send-keys -t job "$PTAP top -p $LP" Enter
	see 'FILENAME'
	ok "$(on_screen 'FILENAME'; echo $?)" "ptap top's screen is up in an interactive shell"
	TP=$(tracer_of "$LP")
	$TM send-keys -t job C-z
	see 'Stopped'
	ok "$(on_screen 'Stopped'; echo $?)" "Ctrl-Z: the shell says the job stopped (the screen gave the terminal back)"
	wait_tracer "$LP" 0
	is "$(tracer_of "$LP")" 0 "  ... and the target was let go"
	is "$(snapshot "$LP")" "$BEFORE" "  ... restored"
	$TM send-keys -t job "fg" Enter
	see 'FILENAME'
	wait_tracer "$LP" "$TP"
	is "$(tracer_of "$LP")" "$TP" "fg: the screen is back, and ptap traces the target again"
	$TM send-keys -t job q
	see '^\$ *$'
	wait_tracer "$LP" 0
	is "$(snapshot "$LP")" "$BEFORE" "q: the target restored"
	kill -INT "$LP"
	wait "$LP"
	is "$?" 3 "  ... and it runs on"
else
	for i in 1 2 3 4 5 6 7; do skip "tmux is not installed"; done
fi

done_testing

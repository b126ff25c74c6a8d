#!/usr/bin/env bash
# `ptap top` with no target: the whole system.  Two Pythons running before
# ptap and one started after it are all counted under their own pids; the
# late one (samples/python/latecomer.py) waits until its own
# function__entry semaphore is raised, then makes 777 calls, counted
# exactly.  Each way of ending (SIGINT, --duration, q and Ctrl-C on the screen)
# leaves every process running, its sites and semaphores as before.
# Only this test's processes are looked at: the machine may run others
# (and as root, they and ptap run as a user of their own: common.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../top/common.sh"
. "$(dirname "$0")/common.sh"

start_tc A
pid_a=$TC_PID
start_tc B --scale 2
pid_b=$TC_PID
sites_a=$(sites "$pid_a")
sites_b=$(sites "$pid_b")

"${AS[@]}" "$PTAP" top -b --cumulative -n 0 -d 0.2 >"$TMP/all.out" 2>"$TMP/all.err" &
ptap_pid=$!
on_exit "kill -9 $ptap_pid"
wait_for 30 eval "file_has $TMP/all.err '^ptap: top: tracing pid $pid_a\$' &&
	file_has $TMP/all.err '^ptap: top: tracing pid $pid_b\$'"
ok $? "the two processes running before ptap are traced"
is "$(tracer_of "$pid_a") $(tracer_of "$pid_b")" "$ptap_pid $ptap_pid" "... by this ptap"

# the late one: started now, found by a later scan of /proc
start_late late 777
pid_c=$LATE_PID
is "$LATE_LINE" "ready $pid_c" "the late process started after ptap"
wait_for 30 file_has "$TMP/all.err" "^ptap: top: tracing pid $pid_c\$"
ok $? "the late process is found and traced"
go A
go B
work_done A
work_done B
wait_for 60 lines_at_least "$TMP/late.expect" 1
ok $? "the late process saw its semaphore raised and made its calls"
# no Python helper runs while a whole-system ptap does: it would be traced
tables_now() { grep -c '^# ' "$TMP/all.out"; }
seen=$(tables_now)
wait_for 30 eval '[ "$(tables_now)" -gt "$seen" ]'
ok $? "a cumulative table after all three finished their work"
cp "$TMP/all.out" "$TMP/all.mid"
kill -INT "$ptap_pid"
wait "$ptap_pid"
is "$?" 0 "SIGINT: ptap ends with status 0"
r=$($TABLES text "$TMP/all.mid" expect "$TMP/A.expect" --last --pid "$pid_a")
ok $? "pid A ($pid_a), before ptap: exact calls under its own pid ($r)"
r=$($TABLES text "$TMP/all.mid" expect "$TMP/B.expect" --last --pid "$pid_b")
ok $? "pid B ($pid_b), before ptap: exact calls under its own pid ($r)"
r=$($TABLES text "$TMP/all.mid" expect "$TMP/late.expect" --last --pid "$pid_c")
ok $? "pid C ($pid_c), after ptap: its 777 calls counted exactly ($r)"
like "$(cat "$TMP/all.err")" "whole system: [0-9]+ processes traced, [0-9]+ skipped" \
	"SIGINT: the closing summary counts the processes"

# intact: running, untraced, every site and semaphore as before
intact() { # intact HOW
	local p
	for p in "$pid_a" "$pid_b" "$pid_c"; do
		kill -0 "$p" 2>/dev/null
		ok $? "$1: pid $p still runs"
		is "$(tracer_of "$p")" 0 "$1: pid $p no longer traced"
	done
	is "$(sites "$pid_a")" "$sites_a" "$1: pid A: sites and semaphores as before"
	is "$(sites "$pid_b")" "$sites_b" "$1: pid B: sites and semaphores as before"
	is "$(sites "$pid_c")" "$sites_c" "$1: pid C: sites and semaphores as before it was traced"
	like "$(textcheck "$pid_c")" "^clean [0-9]+" "$1: pid C: its code equals its files"
}
# C was never seen untraced: its sites hold the nop, its semaphores 0
sites_c=$(sites "$pid_c")
unlike "$sites_c" "^site 0x[0-9a-f]+ cc |^sem 0x[0-9a-f]+ [1-9]" \
	"pid C: no int3 and no raised semaphore left"
intact "SIGINT"

# --duration
"${AS[@]}" "$PTAP" top -b -n 0 -d 0.2 --duration 1.5 >"$TMP/dur.out" 2>"$TMP/dur.err"
is "$?" 0 "--duration: ptap ends with status 0"
for p in "$pid_a" "$pid_b" "$pid_c"; do
	grep -q "^ptap: top: tracing pid $p\$" "$TMP/dur.err"
	ok $? "--duration: pid $p was traced"
done
intact "--duration"

# q on the screen
if ! have tmux; then
	skip "tmux is not installed"
else
	tmux_setup
	start_top 160 30 "${AS[@]}" -- -d 0.5 --cumulative
	traced_by_one() {
		local a b c
		a=$(tracer_of "$pid_a") b=$(tracer_of "$pid_b") c=$(tracer_of "$pid_c")
		[ "$a" != 0 ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
	}
	wait_for 30 traced_by_one
	ok $? "q: all three traced by the ptap on the screen"
	see "every process with Python markers" "the title says the whole system"
	see "traced [0-9]+ +skipped [0-9]+" "the header counts traced and skipped processes"
	see "^q Quit +h Help .* P Pid " "the key bar shows P"
	# one more late process, to have rows on the screen
	start_late late2 300
	pid_d=$LATE_PID
	see "^ *$pid_d .*latecomer.py +[0-9]+ counted +300 " "the screen: a process started later, its calls exact"
	key P
	see "only pid [0-9]+" "P narrows the table to one pid"
	key P
	see "^every process *$" "P again: every pid"
	key h
	see "^ *P +only the pid of the first row" "the help page lists P"
	key q
	# a process that ends keeps its cumulative rows, and leaves the interval's
	echo bye >"$TMP/late2.linger"
	wait "$pid_d"
	is "$?" 0 "pid $pid_d (started under the screen) ends normally"
	see "1 process ended" "the header counts the process that ended"
	see "^ *$pid_d .*latecomer.py +[0-9]+ counted +300 " "cumulative: its row stays"
	key c
	see "^calls in the last" "c: counts per interval"
	wait_for 20 eval '! on_screen "^ *$pid_d "'
	ok $? "per interval: its row is gone"
	key q
	top_ended
	is "$TOP_RC" 0 "q: ptap ends with status 0"
	like "$(cat "$TMP/top.err")" "whole system: [0-9]+ processes traced" \
		"q: the closing summary after the screen"
	intact "q"

	# Ctrl-C on the screen
	start_top 120 30 "${AS[@]}" -- -d 0.5
	wait_for 30 traced_by_one
	ok $? "Ctrl-C: all three traced by the ptap on the screen"
	see "traced [0-9]+ +skipped" "Ctrl-C: the screen is up"
	key C-c
	top_ended
	is "$TOP_RC" 0 "Ctrl-C: ptap ends with status 0"
	intact "Ctrl-C"
fi

release A
release B
echo bye >"$TMP/late.linger"
for p in "$pid_a" "$pid_b" "$pid_c"; do
	wait "$p"
	is "$?" 0 "pid $p ends normally"
done
done_testing

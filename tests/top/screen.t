#!/usr/bin/env bash
# `ptap top`'s screen, driven in tmux: the header and columns, rows equal
# to topcounts.py's exact counts, every key, resizes, colours and
# NO_COLOR, the end of a launched command, and q leaving an attached
# process running with its code and semaphores restored.
#
# Every step waits, bounded, for what it expects on the screen (tmux
# capture-pane, polled); keys go in with tmux send-keys.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

tmux_setup || exit 0

# ---------------------------------------------------------------------
# An attached topcounts.py, paused before it starts its work, run from a
# deep directory so that its file names are too long for the columns.
deep=$TMP/a/directory/deep/enough/that/file/names/do/not/fit/in/their/column
mkdir -p "$deep"
cp "$ROOT"/samples/python/{topcounts,topcounts_a,topcounts_b,ptap_sample}.py "$deep"
TOPC=$deep/topcounts.py
start_topcounts S
pid=$TC_PID
before=$(sites "$pid")
start_top 120 40 -- -n 0 -p "$pid"
see "^ptap top - pid $pid +running +0:00:[0-9]{2}$" "title: what is traced, running, elapsed time"
see "^Python 3\.11 +pid $pid +events/s [0-9-]+ +in ptap ([0-9]+%|<1%|-) +total 0 +errors 0 +unreadable 0$" \
	"header: python version, pid, events/s, share of time in ptap, total, errors, unreadable strings"
see "^ *PID FILENAME +LINE FUNCTION +CALLS +OWN +TOTAL +%$" "column titles: times, and the share column"
see "^q Quit +h Help +p Pause +c Cumulative +r Reset +<> Sort +R Reverse +/ Filter +\+- Interval$" \
	"key bar"
see "q detaches; the processes go on running" "status line: what q does to an attached process"
see "^calls in the last 1 s +sort CALLS, most first" "mode line: per interval, sorted by calls"

# Pause: the display stands still while counting goes on.
key p
see "PAUSED +0:00:" "p: the title says PAUSED"
go S
work_done S
t0=$(clock)
wait_for 20 eval '[ "$(clock)" -ge $((t0 + 2)) ]'
ok $? "paused: the clock still runs"
see "total 0 " "paused: two seconds after the work, the counts shown have not moved"
key c
see "^calls since start, refresh every 1 s" "c while paused: cumulative"
see "^ +\(no calls counted yet\)" "c while paused: still the frozen snapshot"
key p
see "^ *$pid .*/topcounts_a\.py +4 alpha +500 +[0-9.]+(us|ms|s) +[0-9.]+(us|ms|s) +[0-9.]+$" \
	"p again: running, alpha's 500 calls appear, with its times"
see "running +0:00:" "p again: the title says running"
r=$($TABLES screen "$TMP/screen" expect "$TMP/S.expect" --pid "$pid")
ok $? "cumulative rows equal topcounts' exact counts ($r)"
r=$($TABLES screen "$TMP/screen" order)
ok $? "rows in the documented order ($r)"
is "$(rows | grep -o "$pid topcounts[^;]*;" | tr -d '\n')" \
	"$pid topcounts_a.py 4 alpha 500;$pid topcounts_a.py 8 beta 500;$pid topcounts_b.py 5 delta 500;$pid topcounts_a.py 12 helper 300;$pid topcounts_b.py 16 helper 200;$pid topcounts.py 28 local 120;$pid topcounts_a.py 16 gamma 120;$pid topcounts_b.py 9 epsilon 1;" \
	"topcounts' rows in order, ties by file name and line"

# Per interval: the process is idle now, so the next interval has no
# calls, only the time of the frame it waits in.
key c
see "^calls in the last (1|0\.[0-9]+) s" "c: the mode line says per interval"
# idle_interval: a row of _wait_line with 0 calls and a time, no calls at all
idle_interval() {
	on_screen " _wait_line +0 +[0-9.]+(us|ms|s) " &&
		[ -z "$(rows | tr ';' '\n' | awk '$5 != 0')" ]
}
wait_for 20 idle_interval
ok $? "c: per interval, an idle interval has no calls, only the time of the frame that waits"
see "^calls in the last (1|0\.[0-9]+) s" "c: the mode line says per interval"
key c
see "^ *$pid .*/topcounts_a\.py +4 alpha +500 " "c again: cumulative counts are back"

# Filter.
key /
see "^Filter: +Enter keeps it, Esc clears it" "/: the filter line opens"
key -l help
see "^Filter: help " "/: typed text shows"
key Enter
see "filter \"help\"" "Enter: the filter is named in the mode line"
on_screen "rows 2 of 2"
is "$(rows)" "$pid topcounts_a.py 12 helper 300;$pid topcounts_b.py 16 helper 200;" \
	"filter 'help': exactly the two helpers"
key Escape
wait_for 20 eval '! on_screen "filter \"help\""'
ok $? "Esc: the filter is gone"
see "^ *$pid .*/topcounts_a\.py +4 alpha +500 " "Esc: every row is back"

# Sort: s and > move right, < left, R reverses; shown on one file's rows.
key /
key -l topcounts
key Enter
see "rows 8 of 8" "filter 'topcounts': the 8 functions"
key s
see "sort OWN, most first" "s: sort by OWN"
key s
see "sort TOTAL, most first" "s: sort by TOTAL"
key s
see "sort PID, ascending" "s: sort by PID"
key s s s
see "sort FUNCTION, ascending" "s s s: sort by FUNCTION"
on_screen "sort FUNCTION"
is "$(rows | tr ';' '\n' | awk '{print $4}' | tr '\n' ' ')" \
	"alpha beta delta epsilon gamma helper helper local " "FUNCTION: names in order"
key R
see "sort FUNCTION, descending" "R: reversed"
is "$(rows | tr ';' '\n' | awk '{print $4 $5}' | tr '\n' ' ')" \
	"local120 helper200 helper300 gamma120 epsilon1 delta500 beta500 alpha500 " \
	"R: the whole order upside down"
key '<'
see "sort LINE, ascending" "<: the column to the left, ascending again"
key '>' '>'
see "sort CALLS, most first" "> >: back to CALLS"
is "$(rows | tr ';' '\n' | awk '{print $4}' | tr '\n' ' ')" \
	"alpha beta delta helper helper local gamma epsilon " "CALLS: most first, ties in order"

# Interval keys.
key +
see "refresh every 2 s" "+: a longer interval"
key - -
see "refresh every 0\.5 s" "- -: a shorter one"
key +

# Resize: 80x24 keeps a sane table; the file names lose directories first.
$TM resize-window -t top -x 80 -y 24
see "^q Quit +h Help" "80x24: key bar"
wait_for 20 eval 'on_screen "^ *PID FILENAME +LINE FUNCTION +CALLS +OWN +TOTAL +%$" && [ "$(wc -l <"$TMP/screen")" -eq 24 ]'
ok $? "80x24: column titles, 24 lines"
is "$(awk 'length($0) > 80' "$TMP/screen" | wc -l)" 0 "80x24: no line wider than 80"
like "$(sed -n 2p "$TMP/screen")" "^Python 3\.11  pid $pid  events/s [0-9-]+  in ptap ([0-9]+%|<1%|-)  total [0-9]+  errors 0$" \
	"80x24: the figures close up and leave out the zero unreadable count, nothing cut"
# (in-process, the recorder's cost may not be sampled yet: then no correction)
if [ "$ENGINE" = ptrace ]; then CORR='  times less [0-9]+\.[0-9]us/hit'
else CORR='(  rows [0-9]+ of [0-9]+)?(  times less ([0-9]+ns|[0-9]+\.[0-9]us)/hit)?'; fi
like "$(sed -n 3p "$TMP/screen")" "^calls since start, refresh every 1 s  filter \"topcounts\"$CORR$" \
	"80x24: the mode line closes up and leaves out the sort order and rows, never the filter or the correction"
r=$($TABLES screen "$TMP/screen" expect "$TMP/S.expect" --pid "$pid")
ok $? "80x24: rows still exact ($r)"
like "$(cat "$TMP/screen")" "^ *$pid \.\.\./[a-z/]*topcounts_a\.py +4 alpha +500" \
	"80x24: a long file name shortened to .../dir/topcounts_a.py"
$TM resize-window -t top -x 200 -y 50
see "^ *$pid $deep/topcounts_a\.py +4 alpha +500 " "200x50: the whole file name"
is "$(awk 'length($0) > 200' "$TMP/screen" | wc -l)" 0 "200x50: no line wider than 200"
$TM resize-window -t top -x 48 -y 12
see "^Python 3\.11  pid $pid  events/s [0-9-]+(  in ptap ([0-9]+%|<1%|-))?$" \
	"48x12: figures, only those that fit whole"
like "$(sed -n 3p "$TMP/screen")" "^calls since start, refresh every 1 s  filter \"to$" \
	"48x12: the mode line keeps the filter, cut at the edge"
$TM resize-window -t top -x 40 -y 10
see "^ptap top" "40x10: still a title"
$TM resize-window -t top -x 120 -y 40
see "^ *$pid .*/topcounts_a\.py +4 alpha +500 " "back to 120x40: rows again"

# Help.
key h
see "^ ptap top: keys" "h: the help page"
for k in "q F10" "h \? F1" "space p" "c" "r" "<" "> s" "R" "/" "Esc" "\+" "-" "Up Down" "PgUp PgDn" \
	"Home End"; do
	on_screen "^  $k +[a-z]" || fail "help lists '$k'"
done
pass "help: every key of the table is listed"
key x
see "^ *PID FILENAME" "any key: back to the table"
key '?'
see "^ ptap top: keys" "?: the help page too"
key Escape
see "^ *PID FILENAME" "Esc: back to the table"

# Reset.
key r
see "^calls since reset at 0:[0-9:]+," "r: cumulative counts since the reset"
see "total 0 " "r: the total is zero"
see "^ +\(no calls counted yet\)" "r: no rows"

# q: clean detach; the process goes on, restored.
key q
top_ended
is "$TOP_RC" 0 "q: exit status 0"
ok "$(kill -0 "$pid" 2>/dev/null; echo $?)" "q: the attached process is still running"
is "$(tracer_of "$pid")" 0 "q: nobody traces it"
is "$(sites "$pid")" "$before" "q: every probe site byte and semaphore as before"
is "$(cat "$TMP/top.err")" "" "q: nothing on stderr"
release S
wait "$pid"
is "$?" 0 "the process then ends normally"
TOPC=$ROOT/samples/python/topcounts.py

# ---------------------------------------------------------------------
# A launched command that ends: the screen says so and keeps the table;
# the command's output goes to the log, not over the screen.
start_top 120 40 TMPDIR="$TMP" -- --cumulative -n 0 -- "$PY" "$TOPC"
see "ENDED: exit 0 +0:00:" "launched: ENDED and the exit status in the title"
see "^ *[0-9]+ .*/topcounts_a\.py +4 alpha +500 " "launched: the last table stays"
log=$(grep -Eo "$TMP/ptap-top-[0-9]+\.log" "$TMP/screen" | head -n 1)
like "$log" "^$TMP/ptap-top-[0-9]+\.log$" "launched: the log file is named on the screen"
unlike "$(cat "$TMP/screen")" '"calls"' "launched: the command's output is not on the screen"
key /
key -l topcounts
key Enter
see "filter \"topcounts\"" "launched, ended: the filter works"
r=$($TABLES screen "$TMP/screen" expect "$log")
ok $? "launched: rows equal the expectations the command wrote into the log ($r)"
key c
see "^calls in the last " "ended: keys still work (c)"
key q
top_ended
is "$TOP_RC" 0 "launched: q exits with the command's status (0)"
like "$(cat "$TMP/top.err")" "the command's output is in $log" "launched: stderr names the log"

# A launched command still running when q comes: ended on purpose, status 0.
start_top 100 30 -- --cumulative -n 3 -- "$PY" -c "import time; time.sleep(60)"
see "running +0:00:" "long command: running"
see "rows 1-3 of [0-9]{2,}" "-n 3: three rows of many"
# (a capture can fall between a redraw's status line and its rows: wait,
# bounded, for one whole; with more or fewer rows it never comes)
three_rows() { on_screen "rows 1-3 of" && [ "$($TABLES screen "$TMP/screen" rows | wc -l)" = 3 ]; }
wait_for 20 three_rows
ok $? "-n 3: three rows in the table"
[ "$($TABLES screen "$TMP/screen" rows | wc -l)" = 3 ] || sed 's/^/#  |/' "$TMP/screen"
$TM capture-pane -e -p -t top >"$TMP/color"
ok "$(grep -qP '\e\[([0-9]+;)*(3[0-7]|4[0-7]|38;5;[0-9]+)(;[0-9]+)*m' "$TMP/color"; echo $?)" \
	"colours in use by default"
key q
top_ended
is "$TOP_RC" 0 "q ends a launched command; ptap exits 0"

# standard input a pipe at its end: keys come from /dev/tty, and the pipe's
# hang-up is not the terminal's
$TM kill-session -t top 2>/dev/null
rm -f "$TMP/top.rc"
$TM new-session -d -s top -x 100 -y 30 "echo | env TERM=tmux-256color $PTAP top -- $PY -c \
'import time; time.sleep(60)' 2>$TMP/top.err; echo \$? >$TMP/top.rc; $TM wait-for -S top-done"
see "running +0:00:0[2-9]" "stdin an ended pipe: top keeps running"
key q
top_ended
is "$TOP_RC" 0 "  ... and q, read from the terminal, ends it with 0"

# NO_COLOR: attributes only (reverse titles, bold), no colour.
start_top 100 30 NO_COLOR=1 -- -- "$PY" -c "import time; time.sleep(60)"
see "running +0:00:" "NO_COLOR: running"
see "^ *PID FILENAME" "NO_COLOR: column titles"
$TM capture-pane -e -p -t top >"$TMP/mono"
ok "$(! grep -qP '\e\[([0-9]+;)*(3[0-7]|4[0-7]|38;5;[0-9]+)(;[0-9]+)*m' "$TMP/mono"; echo $?)" \
	"NO_COLOR: no colour escape"
ok "$(grep -qP '\e\[([0-9]+;)*7(;[0-9]+)*m' "$TMP/mono"; echo $?)" "NO_COLOR: reverse video marks the titles"
key q
top_ended

# ---------------------------------------------------------------------
# Two attached processes: both pids in the header and in the rows.
start_topcounts P1
p1=$TC_PID
start_topcounts P2
p2=$TC_PID
start_top 120 40 -- --cumulative -n 0 -p "$p1" -p "$p2"
see "^Python 3\.11 +pids $p1 $p2 " "two pids: both in the header"
go P1
go P2
work_done P1
work_done P2
see "^ *$p2 .*/topcounts_a\.py +4 alpha +500 " "two pids: the second one's rows"
see "^ *$p1 .*/topcounts_a\.py +4 alpha +500 " "two pids: the first one's rows"
key /
key -l topcounts
key Enter
see "rows 16 of 16" "two pids: 8 functions each"
r=$($TABLES screen "$TMP/screen" expect "$TMP/P1.expect" --pid "$p1")
ok $? "two pids: the first one's counts exact ($r)"
r=$($TABLES screen "$TMP/screen" expect "$TMP/P2.expect" --pid "$p2")
ok $? "two pids: the second one's counts exact ($r)"
release P1
see "^Python 3\.11 +pid $p2 +1 process ended " "one process ended: counted as ended in the header"
release P2
see "ENDED: every process ended" "both ended: ENDED"
key q
top_ended
is "$TOP_RC" 0 "two pids: exit status 0"

done_testing

#!/usr/bin/env bash
# `ptap top`'s screen as a new user meets it, driven in tmux: the table
# fills the height and scrolls (arrows, PgUp/PgDn, Home/End, position
# shown), every row reachable in any order; narrow terminals keep the
# numbers whole and shorten the file name first; column widths stay put
# between refreshes; the help page closes on q, Esc, h (F1 opens it, F10
# quits); the interval shown is the one asked for; a notice is shown
# whole until a key; --iterations; what it says where it cannot draw
# (TERM=dumb, an unknown TERM, a background job, timeout(1)) before
# attaching anything; -o FILE on a terminal stops on q; a Python without
# markers ends it with the reason.
#
# The rows come from rows.py, written here: f_00 .. f_39 on lines 2 to
# 41, f_NN called NN + 1 times, then a function with a long name on line
# 42 called 100 times; it then waits on a fifo.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

tmux_setup || exit 0

deep=$TMP/a/deep/directory/for/the/rows/sample
mkdir -p "$deep"
LONG=a_function_with_a_rather_long_name_indeed
{
	echo "import sys"
	for i in $(seq -w 0 39); do echo "def f_$i(): pass"; done
	echo "def $LONG(): pass"
	echo "for i, f in enumerate([$(seq -f 'f_%02g' -s, 0 39)]):"
	echo "    for _ in range(i + 1): f()"
	echo "for _ in range(100): $LONG()"
	echo "open(sys.argv[1]).readline()"
} >"$deep/rows.py"
# expect LINE: the calls of the function on that line
expect() {
	case $1 in
	0 | 1) echo 1 ;;     # <module>: line 0 or 1 as CPython reports it
	42) echo 100 ;;
	*) echo $(($1 - 1)) ;;
	esac
}
# table_ok: every row on the screen is one of rows.py's, its numbers
# whole and right, its names whole or shortened as documented
table_ok() {
	local pid=$1 n=0 bad=0 p file line func calls
	while read -r p file line func calls _; do
		n=$((n + 1))
		[ "$p" = "$pid" ] && [ "$calls" = "$(expect "$line")" ] || { bad=$((bad + 1)); diag "row: $p $file $line $func $calls"; continue; }
		case $file in
		"$deep/rows.py" | ...*) [[ "$deep/rows.py" == *"${file#...}" ]] || { bad=$((bad + 1)); diag "file: $file"; } ;;
		*) bad=$((bad + 1)); diag "file: $file" ;;
		esac
		want=f_$(printf %02d $((line - 2)))
		[ "$line" = 42 ] && want=$LONG
		[ "$line" -le 1 ] && want="<module>"
		[ "$func" = "$want" ] || [[ "$func" == *... && "$want" == "${func%...}"* ]] ||
			{ bad=$((bad + 1)); diag "function: $func for $want"; }
	done < <(awk '/^ *PID /{t=1; next} t && $1 ~ /^[0-9]+$/' "$TMP/screen")
	echo "$n rows, $bad wrong"
	[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
}
mode_line() { sed -n 3p "$TMP/screen"; }
first_row() { awk '/^ *PID /{getline; print $3, $4, $5; exit}' "$TMP/screen"; }
last_row() { awk '/^ *PID /{t=1; next} t && $1 ~ /^[0-9]+$/ {r = $3 " " $4 " " $5} END {print r}' "$TMP/screen"; }

mkfifo "$TMP/rows.linger"
start_top 100 30 -- --cumulative -- "$PY" "$deep/rows.py" "$TMP/rows.linger"
see " $LONG +100 " "rows.py's calls counted"
pid=$(awk '/^ *PID /{getline; print $1; exit}' "$TMP/screen")

# The height is filled: 30 lines less 4 above and 2 below the table.
see "rows 1-24 of [0-9]+( |$)" "the table fills the height: 24 rows of more, the position shown"
is "$(awk '/^ *PID /{t=1; next} t && $1 ~ /^[0-9]+$/' "$TMP/screen" | wc -l)" 24 "  ... 24 rows drawn"

key /
key -l rows.py
key Enter
see "rows 1-24 of 42( |$)" "filter rows.py: its 42 frames, 24 shown"
is "$(first_row)" "42 $LONG 100" "the busiest first"
r=$(table_ok "$pid")
ok $? "every row exact ($r)"

# Scrolling.
key Down
see "rows 2-25 of 42( |$)" "Down: one row further"
is "$(first_row)" "41 f_39 40" "  ... f_39 at the top"
key NPage
see "rows 19-42 of 42( |$)" "PgDn: a page further, no further than the end"
is "$(last_row)" "2 f_00 1" "  ... the last row, f_00 (after <module>, also 1 call, at a lower line)"
key Home
see "rows 1-24 of 42( |$)" "Home: the first page"
key End
see "rows 19-42 of 42( |$)" "End: the last page"
key Up
see "rows 18-41 of 42( |$)" "Up: one row back"
key PPage
see "rows 1-24 of 42( |$)" "PgUp: a page back, not before the first"

# Sorted by line, the busy function is the last row: End reaches it.
key '<' '<'
wait_for 20 eval 'on_screen "rows 1-24 of 42( |$)" && [ "$(first_row | cut -d " " -f 2)" = "<module>" ]'
ok $? "< <: sorted by LINE (<module> first), from the first row"
key End
see "rows 19-42 of 42( |$)" "End, sorted by LINE"
is "$(last_row)" "42 $LONG 100" "  ... the busiest function reached at the end"
r=$(table_ok "$pid")
ok $? "  ... every row exact ($r)"
key '>' '>'
wait_for 20 eval 'on_screen "rows 1-24 of 42( |$)" && [ "$(first_row)" = "42 $LONG 100" ]'
ok $? "> >: sorted by CALLS again, the busiest first"

# Stable widths: a filter that leaves only short names keeps the columns.
x_calls() { awk '/^ *PID /{print index($0, "CALLS"); exit}' "$TMP/screen"; }
on_screen "CALLS"
before=$(x_calls)
key Escape / f _ 0 Enter
see 'filter "f_0"' "filter f_0: the short names only"
see "rows 10 of 10( |$)" "  ... f_00 to f_09"
is "$(x_calls)" "$before" "the columns stay where they were (CALLS at column $before)"
key Escape
key /
key -l rows.py
key Enter
see "rows 1-24 of 42( |$)" "filter rows.py again"

# Narrow terminals: numbers whole, the file name shortened first.
$TM resize-window -t top -x 40 -y 20
see "^ *PID FILENAME +LINE FUNCTION +CALLS$" "40 columns: every column but %"
r=$(table_ok "$pid")
ok $? "40 columns: every number whole and right, names shortened as documented ($r)"
like "$(grep " 100$" "$TMP/screen")" "^ *$pid \.\.\.[^ ]* +42 a_function\S*\.\.\. +100$" \
	"  ... the file name shortened (from the left), then the long function name"
is "$(awk 'length($0) > 40' "$TMP/screen" | wc -l)" 0 "  ... no line wider than 40"
$TM resize-window -t top -x 60 -y 20
see "^ *PID FILENAME +LINE FUNCTION +CALLS +OWN +TOTAL( +%)?$" "60 columns: the times back (OWN, TOTAL before %, which fits if the times are short)"
r=$(table_ok "$pid")
ok $? "60 columns: every row exact ($r)"
like "$(grep " f_39 " "$TMP/screen")" "^ *$pid \.\.\.[^ ]* +41 f_39 +40 +[0-9.]+[mun]?s +[0-9.]+[mun]?s( +[0-9.]+)?$" "  ... short names whole"
$TM resize-window -t top -x 20 -y 5
see "^ptap top +running$" "20x5: the title keeps its words apart"
like "$(sed -n 4p "$TMP/screen")" "^ *PID +LINE +[A-Z]* *CALLS$" "20x5: the numbers' titles whole"
$TM resize-window -t top -x 100 -y 30
see "rows 1-24 of 42( |$)" "back to 100x30"

# Help: h, ? and F1 open it; q, Esc and h close it without quitting.
key h
see "^ ptap top: keys" "h: the help page"
key q
see "^ *PID FILENAME" "q on the help page: back to the table"
see "running +[0-9]+:[0-9]{2}:[0-9]{2}$" "  ... still running"
key F1
see "^ ptap top: keys" "F1: the help page"
key Escape
see "^ *PID FILENAME" "Esc: back to the table"
key '?'
see "^ ptap top: keys" "?: the help page"
key h
see "^ *PID FILENAME" "h again: back to the table"
key F10
top_ended
is "$TOP_RC" 0 "F10 quits, as q does (and ends rows.py)"

# ---------------------------------------------------------------------
# The interval shown is the one asked for, refresh after refresh.
start_top 100 20 -- -d 0.2 -- "$PY" -c 'import time
def f(): time.sleep(0.01)
while True: f()'
see "^calls in the last 0\.2 s" "-d 0.2: the interval asked for"
labels= prev=
for i in 1 2 3 4 5 6; do
	t0=$(clock)
	wait_for 5 eval 'on_screen "^calls in the last" && [ "$(mode_line)" != "$prev" ]'
	prev=$(mode_line)
	labels+="$(mode_line | sed -E 's/^calls in the last ([0-9.]+ s).*/\1/');"
done
is "$labels" "0.2 s;0.2 s;0.2 s;0.2 s;0.2 s;0.2 s;" "  ... the same figure as it refreshes (measured lengths only in parentheses)"
key q
top_ended

# --iterations on the screen: N refreshes, then exit 0.
start_top 100 20 -- --iterations 3 -d 0.2 -- "$PY" -c 'import time; time.sleep(60)'
top_ended
is "$TOP_RC" 0 "--iterations 3 on the screen: ends by itself, exit 0"

# A notice is shown whole until a key is pressed.
start_top 100 30 TMPDIR="$TMP" -- -- "$PYD" -c 'import time; time.sleep(60)'
see "running +0:00:" "python3.11d: running"
log=$(ls "$TMP"/ptap-top-*.log)
wait_for 20 file_has "$log" "^ptap: "
notice=$(sed -n 's/^ptap: //p' "$log" | head -n 1)
status_text() { awk 'NR > 5 && /[^ ]/ && !/^q Quit/' "$TMP/screen" | grep -v '(no calls' | tr '\n' ' ' | sed 's/ *$//; s/  */ /g'; }
wait_for 20 eval 'on_screen "^q Quit" && [ "$(status_text)" = "$(tr -s " " <<<"$notice")" ]'
ok $? "the notice, $((${#notice} / 100 + 1)) lines long, shown whole"
[ "$(status_text)" = "$(tr -s " " <<<"$notice")" ] || diag "notice: $notice" "screen: $(status_text)"
key c
see "^command output and 1 notice: $log " "a key: the status line again, naming the log that has it"
key q
top_ended
is "$(cat "$TMP/top.err")" "ptap: top: the command's output and ptap's notices are in $log" \
	"  ... and at the end stderr says where the notices are, in English"

# A Python without markers: the screen ends at once and says why.
start_top 100 20 -- -- "$SAMPLES/python3.9"
see "ENDED: nothing to trace +0:00:" "a Python without markers: ENDED, nothing to trace"
see "^Python \(none with markers\) " "  ... the header says there is no Python with markers"
see "is a Python built without --with-dtrace" "  ... and the table says why"
key q
top_ended
is "$TOP_RC" 1 "  ... q: exit 1"
like "$(cat "$TMP/top.err")" "^ptap: top: nothing to trace: pid [0-9]+ \($SAMPLES/python3\.9\) is a Python built without --with-dtrace, so it has no stapsdt markers and python:function__entry or python:function__return can never fire; Debian's /usr/bin/python3\.11 \(package python3\.11\) has them; the command was ended$" \
	"  ... said again on stderr"

# ---------------------------------------------------------------------
# Where the screen cannot work, ptap says so before attaching anything.
start_topcounts B
before=$(sites "$TC_PID")
for term in dumb nosuchterminal; do
	start_shell 100 20 "env TERM=$term $PTAP top -p $TC_PID"
	top_ended
	is "$TOP_RC" 1 "TERM=$term: exit 1"
done
like "$(cat "$TMP/top.err")" "^ptap: top: the terminal type TERM=nosuchterminal is not in the terminfo database; use -b for batch output" \
	"TERM=nosuchterminal: says so"
start_shell 100 20 "env TERM=dumb $PTAP top -p $TC_PID"
top_ended
is "$(cat "$TMP/top.err")" "ptap: top: the terminal (TERM=dumb) cannot move the cursor, which the screen needs; use -b for batch output, or set TERM to the terminal's type" \
	"TERM=dumb: says it cannot move the cursor"
# a background job of an interactive shell, and timeout(1)
start_shell 100 20 "set -m; env TERM=tmux-256color $PTAP top -p $TC_PID & wait \$!"
top_ended
is "$TOP_RC" 1 "a background job: exit 1 (not stopped by the terminal)"
like "$(cat "$TMP/top.err")" "^ptap: top: the terminal belongs to another job \(ptap was started in the background, or by timeout\(1\) without --foreground\), so the screen cannot be drawn; nothing was attached; use -b for batch output$" \
	"  ... saying why and what to use"
start_shell 100 20 "env TERM=tmux-256color timeout 60 $PTAP top -p $TC_PID"
top_ended
is "$TOP_RC" 1 "under timeout without --foreground: exit 1"
like "$(cat "$TMP/top.err")" "the terminal belongs to another job" "  ... saying why"
is "$(tracer_of "$TC_PID")" 0 "none of them attached"
is "$(awk '{print $3}' "/proc/$TC_PID/stat")" S "  ... and the target is not stopped"

# -o FILE from a terminal: tables go to the file, q stops.
start_shell 100 20 "$PTAP top -o $TMP/o.txt -d 0.2 -p $TC_PID"
wait_for 20 file_has "$TMP/top.err" "writing"
is "$(tail -n 1 "$TMP/top.err")" "ptap: top: writing a table every 0.2 s to $TMP/o.txt; press q (or Ctrl-C) to stop" \
	"-o FILE on a terminal: says where the tables go and that q stops"
wait_for 20 eval '[ "$(grep -c "^# " "$TMP/o.txt" 2>/dev/null)" -ge 2 ]'
ok $? "  ... tables in the file"
key q
top_ended
is "$TOP_RC" 0 "  ... q: exit 0"
is "$(tracer_of "$TC_PID")" 0 "  ... the target let go"
is "$(sites "$TC_PID")" "$before" "  ... its code and semaphores as before"
go B
work_done B
release B

done_testing

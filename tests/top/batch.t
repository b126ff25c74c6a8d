#!/usr/bin/env bash
# `ptap top` batch mode, text and JSON, on topcounts.py, whose every call
# count is known: exact counts per interval (summed over the tables) and
# cumulative, the documented row order (calls desc, then pid, filename,
# line, function), -n, --iterations, the command's exit status, and what
# a target looks like after ptap let it go.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

# --- Launched, cumulative, a single table at the end (the interval is long).
run_status "$PTAP" top -b --cumulative -n 0 -d 60 -- "$PY" "$TOPC" --expect "$TMP/c.expect"
is "$RC" 0 "launched, --cumulative: exit status 0, the command's"
is "$($TABLES text "$TMP/out" count)" "1 1" "one table, the final one"
like "$(head -n 2 "$TMP/out")" "^# final time=[0-9.]+ interval=[0-9.]+ mode=cumulative events=[0-9]+ total=[0-9]+ errors=0 unreadable=0 rows=([0-9]+)/\1
 +PID FILENAME +LINE FUNCTION +CALLS +OWN\(ms\) +TOTAL\(ms\)$" "comment line with the figures, then the column names"
r=$($TABLES text "$TMP/out" expect "$TMP/c.expect" --last)
ok $? "--cumulative: exact calls for every function of topcounts ($r)"
r=$($TABLES text "$TMP/out" order)
ok $? "rows in the documented order ($r)"
# The ties, by hand: alpha, beta (topcounts_a.py) and delta (topcounts_b.py)
# have 500 calls each; local (topcounts.py) and gamma (topcounts_a.py) 120:
# "topcounts.py" sorts before "topcounts_a.py" ('.' < '_').
got=$($TABLES text "$TMP/out" rows | grep -E ' (alpha|beta|delta|local|gamma|helper) ' | tr '\n' ';')
like "$got" "^[0-9]+ topcounts_a.py 4 alpha 500;[0-9]+ topcounts_a.py 8 beta 500;[0-9]+ topcounts_b.py 5 delta 500;[0-9]+ topcounts_a.py 12 helper 300;[0-9]+ topcounts_b.py 16 helper 200;[0-9]+ topcounts.py 28 local 120;[0-9]+ topcounts_a.py 16 gamma 120;$" \
	"ties broken by file name, then line; the two helpers apart"

# --- Per interval: counts start again each interval; over all tables,
# the final one included, they add up to the exact totals.  The workload
# runs in three rounds, and the next round starts only once a table was
# printed after the last one ended, so the rounds fall in different
# intervals however fast the engine is.
tables_above() { [ "$($TABLES text "$TMP/out" count | cut -d' ' -f1)" -gt "$1" ]; }
mkfifo "$TMP/i.next"
"$PTAP" top -b -n 0 -d 0.1 -- "$PY" "$TOPC" --scale 3 --expect "$TMP/i.expect" \
	--step "$TMP/i.done" "$TMP/i.next" >"$TMP/out" 2>"$TMP/err" &
ptap_pid=$!
on_exit "kill -9 $ptap_pid"
for r in 1 2; do
	wait_for 60 lines_at_least "$TMP/i.done" "$r" || break
	n=$($TABLES text "$TMP/out" count | cut -d' ' -f1)
	wait_for 60 tables_above "$n" || break
	echo next >"$TMP/i.next"
done
wait "$ptap_pid"
is "$?" 0 "per interval: exit status 0"
read -r ntables nfinal <<<"$($TABLES text "$TMP/out" count)"
ok $((ntables < 3 || nfinal != 1)) "per interval: several tables ($ntables), the last one final"
r=$($TABLES text "$TMP/out" expect "$TMP/i.expect")
ok $? "per interval: calls summed over the tables are exact ($r)"
r=$($TABLES text "$TMP/out" expect "$TMP/i.expect" --last)
ok $((!$?)) "per interval: no single table holds everything (counts restart)"
r=$($TABLES text "$TMP/out" order)
ok $? "per interval: every table in order ($r)"
unlike "$(grep '^# ' "$TMP/out" | grep -v '^# final' | grep -v 'mode=interval')" "." \
	"per interval: every table says mode=interval"

# --- JSON, per interval.
run_status "$PTAP" top --json -n 0 -d 0.1 -- "$PY" "$TOPC" --scale 10 --expect "$TMP/j.expect"
is "$RC" 0 "--json: exit status 0"
r=$($TABLES json "$TMP/out" expect "$TMP/j.expect")
ok $? "--json: calls summed over the objects are exact ($r)"
r=$($TABLES json "$TMP/out" events)
ok $? "--json: events of each interval = the sum of its rows ($r)"
r=$($TABLES json "$TMP/out" order)
ok $? "--json: rows in order ($r)"
last=$(tail -n 1 "$TMP/out")
like "$last" '^\{"time":[0-9.]+,"interval":[0-9.]+,"mode":"interval","final":true,"events":[0-9]+,"total_events":[0-9]+,"errors":0,"unreadable":0,"correction_ns":[0-9]+,"matched":[0-9]+,"rows":\[' \
	"--json: the keys, the last object final"
like "$(grep -m 1 '"rows":\[{' "$TMP/out")" '"rows":\[\{"pid":[0-9]+,"filename":"[^"]+","line":[0-9]+,"function":"[^"]+","calls":[0-9]+,"own_ns":[0-9]+,"total_ns":[0-9]+\}' \
	"--json: rows with pid, filename, line, function, calls, own_ns, total_ns"

# --- --json --cumulative: the last object holds the totals.
run_status "$PTAP" top --json --cumulative -n 0 -d 0.1 -- "$PY" "$TOPC" --scale 3 --expect "$TMP/jc.expect"
r=$($TABLES json "$TMP/out" expect "$TMP/jc.expect" --last)
ok $? "--json --cumulative: the last object is exact ($r)"

# --- Attached after a handshake: only the calls after "go" are seen, so
# the top three are exactly alpha, beta, delta (a three-way tie).
start_topcounts a1
before=$(sites "$TC_PID")
"$PTAP" top -b --cumulative -n 3 -d 60 -p "$TC_PID" >"$TMP/a1.out" 2>"$TMP/a1.err" &
ptap_pid=$!
on_exit "kill -9 $ptap_pid"
wait_for 30 file_has "$TMP/a1.err" "^ptap: tracing pid $TC_PID: "
ok $? "-p: ptap says it is tracing pid $TC_PID"
go a1
work_done a1
release a1
wait "$ptap_pid"
is "$?" 0 "-p: exit status 0 when the process ended"
is "$($TABLES text "$TMP/a1.out" rows | tr '\n' ';')" \
	"$TC_PID topcounts_a.py 4 alpha 500;$TC_PID topcounts_a.py 8 beta 500;$TC_PID topcounts_b.py 5 delta 500;" \
	"-p -n 3: exactly the three 500-call functions, ties in file and line order"
like "$(head -n 1 "$TMP/a1.out")" "rows=3/[0-9]+$" "-n 3: the comment says 3 rows shown of more"
[ -n "$before" ]
ok $? "sites and semaphores were readable before ($(printf '%s\n' "$before" | wc -l) lines)"

# --- --iterations on an idle attached process: N tables, no final one;
# ptap detaches and the process goes on, its code and semaphores restored.
start_topcounts a2
before=$(sites "$TC_PID")
run_status "$PTAP" top -b -d 0.1 --iterations 3 -p "$TC_PID"
is "$RC" 0 "--iterations 3: exit status 0"
is "$($TABLES text "$TMP/out" count)" "3 0" "--iterations 3: three tables, no final one"
like "$(sed -n 2p "$TMP/out")" "^ +PID FILENAME +LINE FUNCTION +CALLS +OWN\(ms\) +TOTAL\(ms\)$" "an empty interval still names its columns"
ok "$(kill -0 "$TC_PID" 2>/dev/null; echo $?)" "--iterations: the target is still running"
is "$(tracer_of "$TC_PID")" 0 "--iterations: nobody traces it any more"
is "$(sites "$TC_PID")" "$before" "--iterations: every site byte and semaphore as before"
go a2
work_done a2
release a2
wait "$TC_PID"
is "$?" 0 "--iterations: the target then runs to its normal end"

# --- The command's exit status, and the final table printed anyway.
run_status "$PTAP" top -b -n 0 -- "$PY" -c 'import sys
def f(): pass
for i in range(7): f()
sys.exit(3)'
is "$RC" 3 "exit status of the command (3)"
is "$(grep -c '^# final ' <<<"$OUT")" 1 "a final table after the command ended"
like "$OUT" "^ +[0-9]+ <string> +2 f +7 +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$" "the command's f: 7 calls from <string> line 2"

# --- Names with blanks, a backslash and a control byte: seven fields a row.
mkdir -p "$TMP/odd dir"
printf 'def f():\n    pass\nfor i in range(4):\n    f()\n' >"$TMP/odd dir/a\\b"$'\t'"c.py"
run_status "$PTAP" top -b --cumulative -n 0 -- "$PY" "$TMP/odd dir/a\\b"$'\t'"c.py"
row=$(grep ' f \+4 ' <<<"$OUT")
like "$row" "^ +[0-9]+ [^ ]*/odd\\\\x20dir/a\\\\\\\\b\\\\x09c\\.py +1 f +4 +[0-9]+\\.[0-9]{3} +[0-9]+\\.[0-9]{3}$" \
	"file name escaped: blank as \\x20, backslash as \\\\, tab as \\x09"
is "$(awk '{print NF}' <<<"$row")" 7 "  ... and the row has exactly seven fields"

# --- Not a terminal: batch mode without -b.
"$PTAP" top -n 2 -- "$PY" -c 'pass' >"$TMP/auto.out" 2>"$TMP/auto.err"
like "$(head -n 2 "$TMP/auto.out")" "^# final time=.*
 +PID FILENAME +LINE FUNCTION +CALLS +OWN\(ms\) +TOTAL\(ms\)$" "standard output not a terminal: batch mode"

# --- Habits from neighbouring tools: --sort takes the column names as the
# screen shows them, in any case; -f (strace's "follow forks") changes
# nothing and says that children are followed anyway.
run_status "$PTAP" top -b --cumulative -n 0 -d 60 --sort FILENAME -- "$PY" "$TOPC" --expect /dev/null
is "$RC" 0 "--sort FILENAME: accepted"
files=$(awk '$1 ~ /^[0-9]+$/ {print $2}' "$TMP/out")
is "$files" "$(LC_ALL=C sort <<<"$files")" "--sort FILENAME: rows in file name order"
run_status "$PTAP" top -b --cumulative -n 0 -d 60 --sort Calls -- "$PY" "$TOPC" --expect /dev/null
is "$RC" 0 "--sort Calls: accepted"
r=$($TABLES text "$TMP/out" order)
ok $? "--sort Calls: the calls order ($r)"
run_status "$PTAP" top -b -f --cumulative -n 0 -d 60 -- "$PY" "$TOPC" --expect /dev/null
is "$RC" 0 "-f: accepted"
like "$ERR" "^ptap: top: note: -f changes nothing: threads and forked children are followed by default \(--no-follow to stay in the first process\)$" \
	"  ... with a note that children are followed by default"
like "$($TABLES text "$TMP/out" rows)" "alpha 500$" "  ... and the table as without it"
run_status "$PTAP" top --help
like "$OUT" "-n, --rows N +show at most N rows \(default: as many as fit on" "--help: -n is the rows"
like "$OUT" "not top\(1\)'s -n,
 +which is --iterations here" "  ... not top(1)'s iterations, which --iterations is"

# --- Attached to something that is not a Python: say what it is, exit 1.
sleep 30 &
sl=$!
on_exit "kill $sl"
run_status "$PTAP" top -b -p "$sl"
is "$RC" 1 "-p of sleep: exit 1"
like "$ERR" "^ptap: top: nothing to trace: pid $sl \(/usr/bin/sleep\) is not a Python: none of its [0-9]+ modules is a Python interpreter or has stapsdt probes, so python:function__entry or python:function__return cannot fire unless it runs one$" \
	"  ... naming /usr/bin/sleep and why"
is "$OUT" "" "  ... and no table"
is "$(tracer_of "$sl")" 0 "  ... and sleep let go"

# --- Usage errors.
# (no target is no error: the whole system, tests/system/top.t)
for args in "-d 0" "-d x" "-n -1" "--sort bogus" "-e python:line" "--iterations 0" "-a -p 1"; do
	# shellcheck disable=SC2086
	run_status "$PTAP" top $args -b -- "$PY" -c pass
	[ "$args" = "-a -p 1" ] && run_status "$PTAP" top -b -a -p 1
	is "$RC" 2 "usage error: '$args' exits 2"
	like "$ERR" "^ptap top: .*
Try 'ptap top --help'.$" "usage error: '$args' says why"
done
run_status "$PTAP" top --help
like "$OUT" "^Usage: ptap top " "--help prints the usage"

done_testing

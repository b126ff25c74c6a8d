#!/usr/bin/env bash
# `ptap monitor` on samples/python/monitor.py, which runs gc.collect(0),
# gc.collect(2), an import that works, one that fails and
# sys.audit("ptap.test", 1) between the audit events ptap.begin and
# ptap.end, and records every marker firing of that window as it happens.
# ptap's lines for the window must be exactly those; --summary's totals
# must be the window's figures (the run attached before the window and
# detached after it), and its interval rows must add up to the totals.
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python
CHECK="/usr/bin/python3 $ROOT/tests/monitor/check.py"

# check_run DESCRIPTION MODE OUTPUT: compare OUTPUT with $TMP/expect
check_run() {
	run_status $CHECK "$2" "$TMP/expect" "$3"
	ok "$RC" "$1 ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
}

# Text, launched.
run_status "$PTAP" monitor -- $PY "$P/monitor.py" --expect "$TMP/expect"
ok "$RC" "monitor exits 0"
printf '%s\n' "$OUT" >"$TMP/mon.txt"
is "$(head -n1 "$TMP/mon.txt" | tr -s ' ')" " TIME WHO EVENT DETAIL" "text: a header line"
check_run "text: every gc, import and audit event of the window, in order" window "$TMP/mon.txt"
got=$(sed -n '/audit *ptap\.begin$/,/audit *ptap\.end$/p' "$TMP/mon.txt" | grep -E '  (gc start|gc done|import|import done|import failed)  |audit +ptap\.test$' |
	sed -E 's/^ *[0-9.]+ python3\.11\([0-9]+\) +//; s/  +/ | /')
want="gc start | generation 0
gc done | collected $(sed -n 's/^\["python:gc__done", \([0-9]*\)\]$/\1/p' "$TMP/expect" | head -n1)
gc start | generation 2
gc done | collected $(sed -n 's/^\["python:gc__done", \([0-9]*\)\]$/\1/p' "$TMP/expect" | sed -n 2p)
import | ptap_monitor_mod
import done | ptap_monitor_mod
import | ptap_no_such_module
import failed | ptap_no_such_module
audit | ptap.test"
is "$got" "$want" "text: the exact gc, import and ptap.test lines"

# JSON.
run_status "$PTAP" monitor --json -o "$TMP/mon.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
ok "$RC" "monitor --json exits 0"
check_run "JSON: the same window" window "$TMP/mon.json"
keys=$($PY3 -c '
import json, sys
seen = set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    seen.add(",".join(o))
print("\n".join(sorted(seen)))' "$TMP/mon.json")
is "$keys" "time_ns,pid,tid,event,collected
time_ns,pid,tid,event,generation
time_ns,pid,tid,event,module
time_ns,pid,tid,event,module,found
time_ns,pid,tid,event,name" "JSON: the members of each kind of event"

# Wall-clock times.
before=$(date +%s)
run_status "$PTAP" monitor --wall -- $PY "$P/monitor.py" --expect "$TMP/expect"
after=$(date +%s)
t=$(grep -m1 'audit  *ptap\.test' <<<"$OUT" | awk '{print $1}')
like "$t" '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}$' "--wall: HH:MM:SS.microseconds"
secs=$(date -d "$(date +%F) ${t%.*}" +%s 2>/dev/null || echo 0)
ok $(( secs >= before - 1 && secs <= after + 1 ? 0 : 1 )) "--wall: the time is now ($t between $(date -d @"$before" +%T) and $(date -d @"$after" +%T))"
run_status "$PTAP" monitor --wall --json -o "$TMP/mon.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
unix=$(grep -m1 '"name":"ptap.test"' "$TMP/mon.json" | sed 's/.*"unix_ns":\([0-9]*\).*/\1/')
ok $(( ${unix:-0} / 1000000000 >= before - 1 && ${unix:-0} / 1000000000 <= after + 1 ? 0 : 1 )) \
	"--wall --json: unix_ns is now"

# --summary over exactly the window: attach at "ready", let it go, stop
# ptap once the sample has written its expectations (it then lingers, so
# its exit's own collections are not counted).
summary_run() { # summary_run OUTPUT ARGS...: one attached --summary run
	local out=$1 R G E L SP
	shift
	R=$(make_fifo "r$RANDOM") G=$(make_fifo "g$RANDOM") E=$(make_fifo "e$RANDOM") L=$(make_fifo "l$RANDOM")
	$PY "$P/monitor.py" --ready "$R" --go "$G" --expect "$E" --linger "$L" >/dev/null 2>&1 &
	SP=$!
	on_exit "kill -9 $SP"
	[ "$(wait_ready "$R")" = "ready $SP" ] || diag "the sample did not get ready"
	start_ptap monitor --summary -p "$SP" -o "$out" "$@"
	echo go >"$G"
	timeout 60 cat "$E" >"$TMP/expect"
	stop_ptap INT
	echo done >"$L"
	wait "$SP"
}
summary_run "$TMP/sum.json" --json -d 0.05
is "$PTAP_RC" 0 "--summary --json: ptap exits 0 on SIGINT"
check_run "--summary --json: totals are the window's, intervals add up" summary "$TMP/sum.json"
n=$(grep -c '"summary":"interval"' "$TMP/sum.json")
ok $(( n >= 1 ? 0 : 1 )) "--summary -d 0.05: interval rows as time passes ($n)"

summary_run "$TMP/sum.txt"
is "$PTAP_RC" 0 "--summary (text): ptap exits 0"
is "$(head -n1 "$TMP/sum.txt" | tr -s ' ')" " TIME PERIOD IMPORTS FAILED COLLECTIONS GEN0 GEN1 GEN2 COLLECTED AVERAGE AUDITS" \
	"--summary: the header, with the audit events as --json has them"
total=$(grep ' total ' "$TMP/sum.txt" | awk '{$1 = ""; $2 = ""; print}' | sed 's/^ *//')
want=$($CHECK totals "$TMP/expect")
is "${total% *}" "${want% *}" "--summary: the total row is the window's: 1 import, 1 failed, 2 collections (gen0, gen2), objects collected and their average"
ok $((${total##* } >= ${want##* } ? 0 : 1)) "  ... and at least the window's audit events (${total##* } >= ${want##* }: the fifos and files opened around it add some)"
is "${want% *}" "1 1 2 1 0 1 30 15.0" "the window's figures are the sample's documented ones"
ok $((${want##* } >= 3 ? 0 : 1)) "  ... and its audit events at least ptap.begin, ptap.test, ptap.end (${want##* })"
# the sample lingers idle after the window: the rest of the last interval
# holds nothing, and gets no row
last=$(grep -B1 ' total ' "$TMP/sum.txt" | head -n1)
unlike "$last" "^ *[0-9.]+ +[0-9.]+s( +0)+ +-( +0)?$" "--summary: no empty row for the rest of the last interval"

# Idle to the end: the rest of the last interval holds nothing, and gets
# no row (a row of zeros shorter than the interval said nothing).
R=$(make_fifo ri) G=$(make_fifo gi) E=$(make_fifo ei) L=$(make_fifo li)
$PY "$P/monitor.py" --ready "$R" --go "$G" --expect "$E" --linger "$L" >/dev/null 2>&1 &
SP=$!
on_exit "kill -9 $SP"
wait_ready "$R" >/dev/null
start_ptap monitor --summary --json -d 0.05 -p "$SP" -o "$TMP/idle.json"
echo go >"$G"
timeout 60 cat "$E" >/dev/null
n=$(grep -c '"interval"' "$TMP/idle.json")
wait_for 20 eval '[ "$(grep -c "\"interval\"" "$TMP/idle.json")" -ge $((n + 3)) ]'
ok $? "--summary: intervals go on while the process idles"
stop_ptap INT
echo done >"$L"
wait "$SP"
last=$(grep '"interval"' "$TMP/idle.json" | tail -n 1)
r=$($PY3 -c '
import json, sys
o = json.loads(sys.argv[1])
empty = not any(o[k] for k in ("imports", "import_failures", "collections", "collected", "audits"))
print("empty, %.3f s" % o["seconds"] if empty else "not empty")
sys.exit(1 if empty and o["seconds"] < 0.045 else 0)' "$last")
ok $? "--summary: no row for an empty rest of the last interval (the last row: $r)"

# Usage errors.
run_status "$PTAP" monitor --summary --stack -- $PY -c pass
is "$RC" 2 "--summary with --stack: exit 2"
run_status "$PTAP" monitor -d 0 --summary -- $PY -c pass
is "$RC" 2 "-d 0: exit 2"
run_status "$PTAP" monitor -e nosuch -- $PY -c pass
is "$RC" 2 "-e naming none of monitor's events: exit 2"
like "$ERR" "^ptap monitor: -e 'nosuch' names none of monitor's events: give gc, import, audit, audit:NAME" \
	"  ... saying what -e takes"

# -e: the kinds, audit events by name, and patterns as trace reads them;
# each run's lines are exactly the window's events of those kinds.
check_only() { # check_only DESCRIPTION OUTPUT: the window equals expect.only
	run_status $CHECK window "$TMP/expect.only" "$2"
	ok "$RC" "$1 ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
}
run_status "$PTAP" monitor --json -e gc -e 'audit:ptap.*' -o "$TMP/e1.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
ok "$RC" "-e gc -e 'audit:ptap.*': exit 0"
grep -E '"python:gc__|"python:audit", "ptap\.' "$TMP/expect" >"$TMP/expect.only"
check_only "  ... exactly the collections and the ptap.* audit events" "$TMP/e1.json"
is "$(grep -c '"import' "$TMP/e1.json")" 0 "  ... and no import"
run_status "$PTAP" monitor --json -e import -o "$TMP/e2.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
n=$(grep -c '"event":"import' "$TMP/e2.json")
ok $((n >= 4 ? 0 : 1)) "-e import: the imports ($n events, the window's 4 among them)"
is "$(grep -vc '"event":"import' "$TMP/e2.json")" 0 "  ... and nothing else"
run_status "$PTAP" monitor -e 'python:gc__st*' -- $PY "$P/monitor.py" --expect "$TMP/expect"
events=$(sed -n '/^ *[0-9.]* python3/p' <<<"$OUT" | awk '{print $3, $4}' | sort | uniq -c | awk '{print $2, $3}' | tr '\n' ';')
is "$events" "gc start;" "-e 'python:gc__st*': gc starts alone"
n=$(grep -c 'gc start' <<<"$OUT")
ok $((n >= 2 ? 0 : 1)) "  ... the window's two among them ($n)"
run_status "$PTAP" monitor --help
ok "$RC" "--help exits 0"
like "$OUT" "--summary" "--help lists --summary"

done_testing

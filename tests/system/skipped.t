#!/usr/bin/env bash
# What the whole-system mode passes over, and `ptap ps`: another user's
# Python (ptap run as a user of its own, created here), a Python already
# traced by another tracer, a Python without markers; each named once in
# the closing summary, each shown by ptap ps (and --json) with the reason;
# every process left running and intact.  Only this test's processes are
# looked at: the machine may run others.  The whole-system runs are made as
# ptap-own, so that they cannot touch any other Python of the machine.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../top/common.sh"

if [ "$(id -u)" != 0 ]; then
	skip "creating users needs root"
	done_testing
	exit 0
fi
for u in ptap-own ptap-other; do
	id "$u" >/dev/null 2>&1 || useradd -r -M -U -s /usr/sbin/nologin "$u" >/dev/null 2>&1
done
if ! id ptap-own >/dev/null 2>&1 || ! id ptap-other >/dev/null 2>&1; then
	skip "useradd could not create the test users"
	done_testing
	exit 0
fi
chmod 755 "$TMP"
# as USER: a command with no privileges beyond that user's
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

# idle Python: writes "ready PID" into $TMP/NAME.ready, then waits on NAME.linger
idle() { # idle NAME [USER]
	local name=$1 user=${2:-}
	mkfifo -m 666 "$TMP/$name.ready" "$TMP/$name.linger"
	local code='import os, sys
open(sys.argv[1], "w").write("ready %d\n" % os.getpid())
open(sys.argv[2]).read()'
	if [ -n "$user" ]; then
		setpriv --reuid="$user" --regid="$user" --clear-groups \
			"$PY" -c "$code" "$TMP/$name.ready" "$TMP/$name.linger" &
	else
		"$PY" -c "$code" "$TMP/$name.ready" "$TMP/$name.linger" &
	fi
	IDLE_PID=$!
	on_exit "kill -9 $IDLE_PID"
	local line
	line=$(wait_ready "$TMP/$name.ready")
	[ "$line" = "ready $IDLE_PID" ] || diag "$name: handshake said '$line'"
}

idle own1 ptap-own
own1=$IDLE_PID
idle own2 ptap-own
own2=$IDLE_PID
idle other ptap-other
other=$IDLE_PID
idle traced ptap-own
traced=$IDLE_PID
mkfifo -m 666 "$TMP/nomark.ready" "$TMP/nomark.go"
setpriv --reuid=ptap-own --regid=ptap-own --clear-groups \
	"$SAMPLES/python3.9" --ready "$TMP/nomark.ready" --go "$TMP/nomark.go" &
nomark=$!
on_exit "kill -9 $nomark"
wait_ready "$TMP/nomark.ready" >/dev/null
ours="$own1 $own2 $other $traced"
for p in $ours; do eval "sites_$p=\$(sites $p)"; done

# another tracer (a ptap of ptap-own's) holds one of them
setpriv --reuid=ptap-own --regid=ptap-own --clear-groups \
	"$PTAP" trace -q -e python:gc__start -p "$traced" >/dev/null 2>"$TMP/other.err" &
tracer=$!
on_exit "kill -9 $tracer"
wait_for 30 eval '[ "$(tracer_of $traced)" = "$tracer" ]'
ok $? "pid $traced is traced by another ptap ($tracer)"

# ---- ptap ps, as root ----
run_status "$PTAP" ps
is "$RC" 0 "ps: exit 0"
line_of() { printf '%s\n' "$OUT" | awk -v p="$1" '$1 == p'; }
like "$(printf '%s\n' "$OUT" | head -n 1)" "^ +PID +USER +PYTHON +MARKERS +TRACE +COMMAND$" "ps: the header"
like "$(line_of "$own1")" "^ *$own1 +ptap-own +3\\.11 +8 +yes +$PY -c " "ps: a Python of ptap-own, traceable by root"
like "$(line_of "$other")" "^ *$other +ptap-other +3\\.11 +8 +yes " "ps: ptap-other's, traceable by root"
like "$(line_of "$traced")" "^ *$traced +ptap-own +3\\.11 +8 +no: traced by pid $tracer \\(ptap\\) " \
	"ps: the one another tracer holds, with its pid and name"
like "$(line_of "$nomark")" "^ *$nomark +ptap-own +3\\.9 +0 +no: no markers +.*python3\\.9 --ready" \
	"ps: the Python without markers"
run_status "$PTAP" ps --json
is "$RC" 0 "ps --json: exit 0"
got=$(printf '%s' "$OUT" | $PY3 -c '
import json, sys
want = [int(x) for x in sys.argv[1:]]
rows = {r["pid"]: r for r in json.load(sys.stdin)}
for p in want:
    r = rows.get(p)
    if not r:
        print(p, "missing"); continue
    print(p, r["user"], r["python"], len(r["markers"]), r["traceable"], r["verdict"],
          r.get("tracer_pid", "-"), "function__entry" in r["markers"],
          (r["why"] or "-").split(":")[0])
' "$own1" "$other" "$traced" "$nomark")
is "$got" "$own1 ptap-own 3.11 8 True yes - True -
$other ptap-other 3.11 8 True yes - True -
$traced ptap-own 3.11 8 False no: traced by pid $tracer (ptap) $tracer True pid $traced (python3.11) is already traced by pid $tracer (ptap)
$nomark ptap-own 3.9 0 False no: no markers - False pid $nomark ($SAMPLES/python3.9) is a Python built without --with-dtrace, so it has no stapsdt markers and python" \
	"ps --json: user, version, markers, verdict and reason of each"

# ---- ptap ps, as ptap-own ----
run_status as ptap-own "$PTAP" ps
is "$RC" 0 "ps as ptap-own: exit 0"
like "$(line_of "$own1")" "^ *$own1 +ptap-own +3\\.11 +8 +yes " "ps as ptap-own: its own Python, traceable"
like "$(line_of "$other")" "^ *$other +ptap-other +\\? +0 +no: other user " \
	"ps as ptap-own: ptap-other's Python, another user's"

# ---- the whole system, as ptap-own (not root) ----
run_status as ptap-own "$PTAP" top -b -n 0 -d 0.2 --duration 1.5
is "$RC" 0 "top as ptap-own: exit 0"
like "$ERR" "^ptap: top: tracing pid $own1$" "top as ptap-own: ptap-own's first Python traced"
like "$ERR" "^ptap: top: tracing pid $own2$" "top as ptap-own: ptap-own's second Python traced"
like "$ERR" "ptap: top: skipped: pid $other \\(python3.11\\) belongs to another user \\(uid $(id -u ptap-other)\\)" \
	"top as ptap-own: ptap-other's Python skipped, named in the summary"
is "$(printf '%s\n' "$ERR" | grep -c "skipped: pid $other ")" 1 "... once"
unlike "$ERR" "tracing pid ($other|$traced|$nomark)$" "top as ptap-own: nothing else of this test traced"

# ---- trace -a, as ptap-own ----
run_status as ptap-own "$PTAP" trace -a --duration 1.5 -e python:gc__start
is "$RC" 0 "trace -a as ptap-own: exit 0"
for p in "$own1" "$own2"; do
	like "$ERR" "^ptap: trace: tracing pid $p$" "trace -a: pid $p traced"
done
like "$ERR" "skipped: pid $traced \\(python3.11\\) is already traced by pid $tracer \\(ptap\\)" \
	"trace -a: the Python another tracer holds skipped, named with that tracer"
like "$ERR" "skipped: pid $nomark \\($SAMPLES/python3.9\\) is a Python built without --with-dtrace" \
	"trace -a: the Python without markers skipped, with list's reason"
like "$ERR" "skipped: pid $other \\(python3.11\\) belongs to another user" \
	"trace -a: ptap-other's Python skipped"
unlike "$ERR" "skipped: pid ($own1|$own2) " "trace -a: no traced process named as skipped"
run_status "$PTAP" trace -e python:gc__start
is "$RC" 2 "trace without a target or -a: a usage error"
like "$ERR" "give -p PID or -- COMMAND \\(or -a, every process that has the probes\\)" "... that names -a"

# let the other tracer go; everyone intact
kill -INT "$tracer"
wait "$tracer"
for p in $ours; do
	kill -0 "$p" 2>/dev/null
	ok $? "pid $p still runs"
	is "$(tracer_of "$p")" 0 "pid $p is not traced"
	eval "want=\$sites_$p"
	is "$(sites "$p")" "$want" "pid $p: sites and semaphores as before"
done
for n in own1 own2 other traced; do echo bye >"$TMP/$n.linger"; done
echo go >"$TMP/nomark.go"
for p in $ours; do
	wait "$p"
	is "$?" 0 "pid $p ends normally"
done
done_testing

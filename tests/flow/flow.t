#!/usr/bin/env bash
# `ptap flow` on samples/python/flow.py, whose call tree is known: fact(3)
# recursion, a generator drained by a for loop, an exception caught two
# frames up, and three threads.  The sample prints the exact entry/return
# sequence per thread; tests/flow/check.py compares ptap's output with it,
# event by event, depth included.  Then --function and --max-depth select
# exactly the events inside the chosen calls, an attach sees returns of
# calls it never saw enter without the depth going negative, and the
# usage errors.
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python
CHECK="/usr/bin/python3 $ROOT/tests/flow/check.py"

# check_run DESCRIPTION MODE ARGS...: run check.py on $TMP/flow.out against $TMP/expect
check_run() {
	local what=$1
	shift
	run_status $CHECK "$1" "$TMP/expect" "$TMP/flow.out" "${@:2}"
	ok "$RC" "$what ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
}

# The whole tree, as JSON.
run_status "$PTAP" flow -q --json -o "$TMP/flow.out" -- $PY "$P/flow.py" --expect "$TMP/expect"
ok "$RC" "flow --json on flow.py exits 0"
is "$ERR" "" "nothing on stderr with -q"
check_run "JSON: the entry/return sequence and depth of every thread, exactly" tree
bad=$($PY3 -c '
import json, sys
keys = ["time_ns", "pid", "tid", "depth", "kind", "function", "filename", "line"]
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    if list(o) != keys or o["depth"] < 0 or o["kind"] not in ("entry", "return"):
        print(n, line.strip())
' "$TMP/flow.out" | head -n 3)
is "$bad" "" "JSON: every object has time_ns, pid, tid, depth, kind, function, filename, line; depth >= 0"
mod=$(grep '"function":"<module>","filename":"'"$P"'/flow.py"' "$TMP/flow.out" | $PY3 -c '
import json, sys
print(" ".join("%s@%d" % (o["kind"], o["depth"]) for o in map(json.loads, sys.stdin)))')
like "$mod" '^entry@([0-9]+) return@\1$' \
	"JSON: flow.py's <module> returns at the depth it entered: balanced over the whole run"

# The same as text.
run_status "$PTAP" flow -- $PY "$P/flow.py" --expect "$TMP/expect"
ok "$RC" "flow (text) exits 0"
printf '%s\n' "$OUT" >"$TMP/flow.out"
is "$(head -n1 "$TMP/flow.out" | tr -s ' ')" " TIME(us) WHO CALLS" "text: a header line"
check_run "text: the same sequence, indentation = 2 spaces per depth" tree
pid=$(grep -o 'python3.11([0-9]*)' "$TMP/flow.out" | head -n1 | sed 's/.*(\(.*\))/\1/')
check_run "text: the main thread is python3.11(PID), the others PID:TID" labels "$pid"
like "$(grep -m1 '=> scenario in ' "$TMP/flow.out")" \
	"^ *[0-9]+ python3\.11\([0-9]+\) +=> scenario in $P/flow\.py:[0-9]+$" \
	"text: TIME(us) WHO => function in file:line"

# --function: exactly what happens inside the selected calls.
for fn in fact catcher counter countdown scenario; do
	run_status "$PTAP" flow -q --json --function "$fn" -o "$TMP/flow.out" -- $PY "$P/flow.py" --expect "$TMP/expect"
	ok "$RC" "--function $fn exits 0"
	check_run "--function $fn: exactly the events inside its calls, depth from 0" function "$fn"
done
run_status "$PTAP" flow -q --function fact -- $PY "$P/flow.py" --expect "$TMP/expect"
printf '%s\n' "$OUT" >"$TMP/flow.out"
$CHECK calls - "$TMP/flow.out" >"$TMP/got"
F=$P/flow.py
cat >"$TMP/want" <<EOF
=> fact in $F:39
  => fact in $F:39
    => fact in $F:39
    <= fact in $F:41
  <= fact in $F:42
<= fact in $F:42
=> fact in $F:39
  => fact in $F:39
  <= fact in $F:41
<= fact in $F:42
EOF
# the expected lines, with the sample's real line numbers
def=$(grep -n '^def fact' "$F" | cut -d: -f1)
base=$(grep -n 'L:fact-base' "$F" | cut -d: -f1)
rec=$(grep -n 'L:fact-rec' "$F" | cut -d: -f1)
sed -i "s/=> fact in \(.*\):39/=> fact in \1:$def/; s/<= fact in \(.*\):41/<= fact in \1:$base/; s/<= fact in \(.*\):42/<= fact in \1:$rec/" "$TMP/want"
same_file "$TMP/got" "$TMP/want" "--function fact (text): fact(3) in the main thread, fact(2) in the second, indented from 0"

run_status "$PTAP" flow -q --json --function scenario --max-depth 2 -o "$TMP/flow.out" -- $PY "$P/flow.py" --expect "$TMP/expect"
check_run "--function scenario --max-depth 2: scenario and its direct calls only" function scenario 2
run_status "$PTAP" flow -q --json --function 'c*nt*' -o "$TMP/flow.out" -- $PY "$P/flow.py" --expect "$TMP/expect"
n=$(grep -c '"function":"count' "$TMP/flow.out")
is "$n" 12 "--function takes a glob: 'c*nt*' selects counter and countdown (6 events each)"

# Attach after startup: the calls on the stack at attach time return
# without an entry ptap saw; they show at depth 0 and the depth stays >= 0.
R=$(make_fifo ready) G=$(make_fifo go) E=$(make_fifo expectfifo)
$PY "$P/flow.py" --ready "$R" --go "$G" --expect "$E" >/dev/null 2>&1 &
SP=$!
on_exit "kill -9 $SP"
is "$(wait_ready "$R")" "ready $SP" "attach: the sample is ready"
start_ptap flow --json -p "$SP" -o "$TMP/flow.out"
like "$PTAP_LINE" "^ptap: tracing pid $SP: " "attach: ptap attached"
echo go >"$G"
timeout 60 cat "$E" >"$TMP/expect"
wait "$SP"
is "$?" 0 "attach: the sample finishes with status 0"
stop_ptap
is "$PTAP_RC" 0 "attach: ptap exits 0 when the process ends"
check_run "attach: the same sequence and depths" tree
first=$(grep -m1 '"function":"scenario"' "$TMP/flow.out" | sed 's/.*"depth":\([0-9]*\).*/\1/')
is "$first" 0 "attach: scenario() starts at depth 0 (its caller's entry was never seen)"
like "$(cat "$TMP/ptap.err")" "ptap: flow: [0-9]+ returns? without a matching entry .* shown at depth 0" \
	"attach: the unmatched returns are counted on stderr"
neg=$(grep -c '"depth":-' "$TMP/flow.out")
is "$neg" 0 "attach: no negative depth"

# Usage errors.
run_status "$PTAP" flow -e 'python:*' -- $PY -c pass
is "$RC" 2 "-e is refused (flow picks its own probes): exit 2"
like "$ERR" "ptap flow: flow chooses its probes itself" "-e: the message says why"
run_status "$PTAP" flow --max-depth 0 -- $PY -c pass
is "$RC" 2 "--max-depth 0: exit 2"
run_status "$PTAP" flow
is "$RC" 2 "no target: exit 2"
run_status "$PTAP" flow --help
ok "$RC" "--help exits 0"
like "$OUT" "--function NAME" "--help lists --function"
# -e in the help of the commands that take it (monitor's its own), and only there
for cmd in trace flow monitor top; do
	want=0; [ "$cmd" = trace ] || [ "$cmd" = monitor ] && want=1
	is "$("$PTAP" "$cmd" --help | grep -c -- '^  -e, --probe')" "$want" "$cmd --help: -e listed $want time(s)"
done

done_testing

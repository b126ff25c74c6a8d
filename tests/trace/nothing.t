#!/usr/bin/env bash
# When nothing a command needs can ever fire, every command says which
# program and why, and exits 1 rather than printing an empty result:
# launched and attached, on build/samples/python3.9 (a stand-in for a
# Python built without --with-dtrace) and on a program that is no Python.
. "$(dirname "$0")/../lib.sh"

NM=$SAMPLES/python3.9
[ -x "$NM" ] || { skip "samples not built"; done_testing; exit 0; }
WHY="is a Python built without --with-dtrace, so it has no stapsdt markers and"
DEB="can never fire; Debian's /usr/bin/python3\.11 \(package python3\.11\) has them"

# Launched: stopped at once (the sample would wait for ever on --go).
mkfifo "$TMP/go"
for c in "trace|python:\*" "top -b|python:function__entry or python:function__return" \
	"top --json|python:function__entry or python:function__return" \
	"flow|python:function__entry or python:function__return" \
	"monitor|python:gc__start, python:gc__done, python:import__find__load__start, python:import__find__load__done or python:audit" \
	"monitor --stack|python:gc__start, .* or python:audit" "monitor -e audit|python:audit"; do
	cmd=${c%|*} pats=${c#*|}
	# shellcheck disable=SC2086
	run_status timeout 30 "$PTAP" $cmd -- "$NM" --ready /dev/null --go "$TMP/go"
	is "$RC" 1 "$cmd, launched: exit 1"
	like "$ERR" "^ptap: ${cmd%% *}: nothing to trace: pid [0-9]+ \($NM\) $WHY $pats $DEB; the command was ended$" \
		"  ... naming the program, why, and the probes that cannot fire"
	unlike "$OUT" "[0-9]" "  ... and no result"
done

# Attached: said at once, the process let go untouched.
R=$(make_fifo ready) G=$(make_fifo go2)
"$NM" --ready "$R" --go "$G" &
np=$!
on_exit "kill $np"
wait_ready "$R" >/dev/null
for cmd in trace "top -b" flow monitor; do
	# shellcheck disable=SC2086
	run_status "$PTAP" $cmd -p "$np"
	is "$RC" 1 "$cmd -p: exit 1"
	like "$ERR" "^ptap: ${cmd%% *}: nothing to trace: pid $np \($NM\) $WHY .* $DEB$" "  ... and why"
done
is "$(tracer_of "$np")" 0 "the process let go"
run_status "$PTAP" list -p "$np"
is "$RC" 0 "list -p: exit 0 (nothing to list is no error)"
like "$OUT" "^pid $np \($NM\): 0 probes in 0 of [0-9]+ modules$" "  ... no probes"
is "$ERR" "ptap: list: pid $np ($NM) is a Python built without --with-dtrace, so it has no stapsdt markers; Debian's /usr/bin/python3.11 (package python3.11) has them" \
	"  ... and why, as for a file"
echo go >"$G"
wait "$np"

# pyenv's own interpreter, where there is one: named with its library
real=$(ls /root/.pyenv/versions/*/bin/python3.* 2>/dev/null | grep -E 'python3\.[0-9]+$' | head -n 1)
if [ -n "$real" ] && ! readelf -n "$real" 2>/dev/null | grep -q stapsdt; then
	R=$(make_fifo ready3)
	"$real" -c 'import sys; open(sys.argv[1], "w").write("ready\n"); sys.stdin.readline()' "$R" < <(sleep 60 2>/dev/null) &
	rp=$!
	on_exit "kill $rp"
	wait_ready "$R" >/dev/null
	run_status "$PTAP" list -p "$rp"
	like "$ERR" "^ptap: list: pid $rp \($real\) runs a Python built without --with-dtrace: its [^ ]*/libpython[^ ]* has no stapsdt markers; Debian's" \
		"list -p of pyenv's python: names it and its libpython"
	run_status "$PTAP" top -b -p "$rp"
	is "$RC" 1 "top -b -p of pyenv's python: exit 1"
	like "$ERR" "^ptap: top: nothing to trace: pid $rp \($real\) runs a Python built without --with-dtrace" \
		"  ... and why"
else
	skip "no pyenv python without markers here"; skip "no pyenv python"; skip "no pyenv python"
fi

# Not a Python, launched: it runs to its end (it could have run a Python),
# then ptap says what it was.
run_status "$PTAP" flow -- /bin/sh -c 'exit 0'
is "$RC" 1 "flow of sh -c 'exit 0': exit 1 when it ends"
like "$ERR" "^ptap: flow: nothing to trace: pid [0-9]+ \(/[a-z/]*sh\) is not a Python: none of its [0-9]+ modules is a Python interpreter or has stapsdt probes, so python:function__entry or python:function__return cannot fire unless it runs one$" \
	"  ... naming it"
# ... and a shell that runs a Python with markers is traced as ever
run_status "$PTAP" trace -e python:function__entry -o /dev/null -- /bin/sh -c "$PY -c pass"
is "$RC" 0 "a shell running Debian's python3.11: exit 0"
unlike "$ERR" "nothing to trace" "  ... nothing said"

done_testing

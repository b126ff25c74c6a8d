#!/usr/bin/env bash
# Every example of README.md, run as written (from the top of the
# checkout, `ptap` being the build under test), its output compared with
# the README's in shape (tests/readme/examples.py): the lines shown must
# come out, in order, numbers aside.  The list below is the README's, in
# its order: an example added, changed or removed there fails here until
# this list says how to run it.
#
# Two examples show pyenv's shim, first on PATH on the machine they were
# written on: they run only where that is so.  `list -p` runs on a
# process started here (its pid put in the command for the README's).
. "$(dirname "$0")/../lib.sh"

# The README shows what the default engine prints.
if [ "$ENGINE" != inproc ]; then
	skip "the README's examples show the default engine's output"
	done_testing
	exit 0
fi

EX="$PY3 $ROOT/tests/readme/examples.py"
README=$ROOT/README.md
SHIM=/root/.pyenv/shims/python3.11

# The examples, in README order, each with what it needs and its exit
# status:
#   -      runs anywhere
#   shim   needs pyenv's shim first on PATH
#   pid    needs a live python3.11 whose pid replaces 30679
#   dbg    needs python3.11-dbg (the frame names)
#   svg    writes ptap.svg where it runs (removed after, if it was not there)
known=(
	"ptap list /usr/bin/python3.11|-|0"
	"ptap list -p 30679 -e 'function__*'|pid|0"
	"ptap list --json /usr/bin/python3.11|-|0"
	"ptap list python3.11        # pyenv's shim, first on PATH|shim|1"
	"ptap trace -e python:function__entry -- /usr/bin/python3.11 samples/python/fib.py|-|0"
	"ptap top -b -- python3.11 samples/python/fib.py     # pyenv's shim, first on PATH|shim|1"
	"ptap top -b --cumulative -n 2 --sort own -- /usr/bin/python3.11 samples/python/timing.py|-|0"
	"ptap top --json --cumulative -n 1 --sort total -- /usr/bin/python3.11 samples/python/timing.py | tail -n 1|-|0"
	"ptap record -- /usr/bin/python3.11 samples/python/timing.py --scale 5|svg|0"
	"ptap flow --function catcher -- /usr/bin/python3.11 samples/python/flow.py|-|0"
	"ptap monitor -- /usr/bin/python3.11 samples/python/monitor.py|-|0"
	"ptap monitor --summary -d 0.01 -- /usr/bin/python3.11 samples/python/monitor.py|-|0"
	"ptap monitor --stack -- /usr/bin/python3.11 -c 'import gc; gc.collect(0)'|dbg|0"
)

listed=$($EX list "$README")
is "$listed" "$(printf '%s\n' "${known[@]}" | sed 's/|[^|]*|[^|]*$//')" \
	"the README's examples are the ones this test runs, in order"

# every example that names an interpreter names Debian's, but for those
# that show pyenv's shim on purpose
bad=$(grep -E 'python3\.11 ' <<<"$listed" | grep -v '/usr/bin/python3\.11' | grep -vc "pyenv's shim")
is "$bad" 0 "every example names /usr/bin/python3.11 (but the pyenv ones)"

# ptap as the examples call it: the build under test, first on PATH
mkdir -p "$TMP/bin"
ln -s "$PTAP" "$TMP/bin/ptap"

py_pid=
R=$(make_fifo ready)
"$PY" -c 'import sys; open(sys.argv[1], "w").write("ready\n"); sys.stdin.readline()' "$R" < <(sleep 120 2>/dev/null) &
py_pid=$!
on_exit "kill $py_pid"
wait_ready "$R" >/dev/null

# A pty (script(1)) as a terminal would be, so that the example's output
# and ptap's come line by line, as a user sees them.
have script || { skip "script(1) is not installed"; done_testing; exit 0; }
i=0
for entry in "${known[@]}"; do
	status=${entry##*|} cmd=${entry%|*}
	need=${cmd##*|} cmd=${cmd%|*}
	n=$i
	i=$((i + 1))
	case $need in
	shim)
		if [ "$(command -v python3.11)" != "$SHIM" ]; then
			skip "$cmd: pyenv's shim is not first on PATH here"
			continue
		fi ;;
	pid) cmd=${cmd//30679/$py_pid} ;;
	svg) [ -e "$ROOT/ptap.svg" ] || on_exit "rm -f '$ROOT/ptap.svg'" ;;
	dbg)
		if ! dpkg-query -W -f '${Status}' python3.11-dbg 2>/dev/null | grep -q 'ok installed'; then
			skip "$cmd: python3.11-dbg is not installed"
			continue
		fi ;;
	esac
	(cd "$ROOT" && PATH="$TMP/bin:$PATH" timeout 120 script -qec "$cmd" /dev/null) \
		</dev/null >"$TMP/ex$n.out" 2>&1
	rc=$?
	r=$($EX check "$README" "$n" "$TMP/ex$n.out")
	ok $? "$cmd: $r"
	is "$rc" "$status" "  ... exit status $status"
done

done_testing

# ptap trace on Debian's python3.11: exact call counts from the samples'
# own expectations, through every way an interpreter gets started.
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python
ENTRY=(-e python:function__entry)

# calls NAME PTAP-ARGS... -- CMD...: trace, then compare per-function counts
calls() {
	local name=$1
	shift
	local opts=()
	while [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	run_status "$PTAP" trace -q --json "${opts[@]}" -o "$TMP/$name.json" -- "$@" --expect "$TMP/$name.exp"
	is "$RC" 0 "$name: exit status 0"
	run_status $PY3 "$ROOT/tests/events.py" python-calls "$TMP/$name.exp" "$TMP/$name.json"
	ok "$RC" "$name: exact calls ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
}

calls fib "${ENTRY[@]}" -- $PY "$P/fib.py"
is "$(grep -c '"fib"' "$TMP/fib.json")" 21891 "fib(20): exactly 21891 entries of fib"

# function__entry alone on 3.11 also raises the line semaphore, but never
# arms python:line itself
run_status "$PTAP" trace -l -e python:function__entry -- $PY -c pass
like "$OUT" 'python:line .*semaphore only' "trace -l: python:line has its semaphore raised, no breakpoint"
if [ "$ENGINE" = inproc ]; then
	like "$OUT" 'python:function__entry .* jump ' "trace -l: function__entry has a jump"
else
	like "$OUT" 'python:function__entry .* int3 ' "trace -l: function__entry has an int3"
fi

calls threads "${ENTRY[@]}" -- $PY "$P/threads.py"
tids=$($PY3 - "$TMP/threads.json" <<'PY'
import json, sys
by = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["args"][1].startswith("work_"):
        by.setdefault(e["args"][1], set()).add(e["tid"])
print(len(by), sorted(len(t) for t in by.values()), len(set().union(*by.values())))
PY
)
is "$tids" "4 [1, 1, 1, 1] 4" "threads: each work_k seen from one thread, 4 distinct tids"

calls pool "${ENTRY[@]}" -- $PY "$P/pool.py"
pids=$($PY3 - "$TMP/pool.json" <<'PY'
import json, sys
first = None; workers = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    first = first or e["pid"]
    if e["args"][1] == "square":
        workers.add(e["pid"])
print(len(workers), first in workers)
PY
)
is "$pids" "3 False" "pool: square() seen in 3 worker pids, none in the parent"

calls wrapper "${ENTRY[@]}" -- "$P/wrapper.sh"
calls embed "${ENTRY[@]}" -- "$SAMPLES/embed" --loops 2
calls reuse "${ENTRY[@]}" -- $PY "$P/reuse.py"

# --no-follow: the pool's workers are not traced, and their copies of the
# breakpoints are removed, so they run normally
run_status "$PTAP" trace -q --json --no-follow "${ENTRY[@]}" -o "$TMP/nf.json" -- $PY "$P/pool.py" --expect "$TMP/nf.exp"
is "$RC" 0 "--no-follow: the pool finishes normally"
is "$(grep -c '"square"' "$TMP/nf.json")" 0 "--no-follow: no events from the workers"
is "$($PY3 -c 'import json,sys; print(sum(json.loads(l)["calls"] for l in open(sys.argv[1])))' "$TMP/nf.exp")" 300 \
	"--no-follow: the workers still did all 300 calls"

# typed arguments of every default marker, and the JSON shape
run_status "$PTAP" trace -q --json -- $PY -c 'import gc; gc.collect(1)'
like "$OUT" '"probe":"python:gc__start","args":\[1\]' "gc__start's generation is an integer"
like "$OUT" '"probe":"python:import__find__load__start","args":\["[a-z_.]+"\]' "import start's module name is a string"
unlike "$OUT" '"probe":"python:line"' "python:line is not traced by default"

done_testing

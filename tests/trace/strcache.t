# The string cache for CPython's file and function names stays exact when
# code objects are freed and their names' memory is reused by other
# functions (samples/python/reuse.py), and it is really used.  Without
# invalidation at code_dealloc, this sample comes out wrong for nearly
# every function (measured: 393 of 400); with it, none.  The same for
# top --no-times, whose counts the in-process engine keeps inside the
# target, keyed by the names' addresses as long as they live.
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python

for mode in cache no-cache; do
	opt=()
	[ "$mode" = no-cache ] && opt=(--no-string-cache)
	run_status "$PTAP" trace --json "${opt[@]}" -e python:function__entry -o "$TMP/$mode.json" -- \
		$PY "$P/reuse.py" --rounds 150 --expect "$TMP/$mode.exp"
	is "$RC" 0 "$mode: reuse.py exits 0"
	run_status $PY3 "$ROOT/tests/events.py" python-calls "$TMP/$mode.exp" "$TMP/$mode.json"
	ok "$RC" "$mode: every function's calls exact although names' memory is reused ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
done
run_status "$PTAP" top -b -n 0 --cumulative --no-times -d 100 -o "$TMP/top.txt" -- \
	$PY "$P/reuse.py" --rounds 150 --expect "$TMP/top.exp"
is "$RC" 0 "top --no-times: reuse.py exits 0"
r=$($PY3 "$ROOT/tests/top/tables.py" text "$TMP/top.txt" expect "$TMP/top.exp" --last)
ok $? "top --no-times: every function's calls exact although names' memory is reused ($r)"
run_status "$PTAP" trace -e python:function__entry -o /dev/null -- $PY "$P/reuse.py" --rounds 150 --expect /dev/null
hits=$(sed -n 's/.*names from the string cache \([0-9]*\), read \([0-9]*\).*/\1 \2/p' <<<"$ERR")
ok "$([ -n "$hits" ] && [ "${hits% *}" -gt "${hits#* }" ]; echo $?)" \
	"with the cache most names come from it (cache, read: $hits)"
run_status "$PTAP" trace --no-string-cache -e python:function__entry -o /dev/null -- $PY "$P/fib.py" --expect /dev/null
unlike "$ERR" "string cache" "--no-string-cache: nothing answered from the cache"

# the same event stream, probe and arguments, with and without the cache
for mode in cache no-cache; do
	opt=()
	[ "$mode" = no-cache ] && opt=(--no-string-cache)
	run_status "$PTAP" trace -q --json "${opt[@]}" -o "$TMP/threads-$mode.json" -- \
		$PY "$P/threads.py" --expect /dev/null
	is "$RC$ERR" 0 "$mode: threads.py traced, exit 0, nothing on stderr"
	$PY3 -c 'import json, sys
rows = sorted(json.dumps([e["probe"], e["args"]]) for e in map(json.loads, open(sys.argv[1]))
              if not e["probe"].endswith("audit"))
print("\n".join(rows))' "$TMP/threads-$mode.json" >"$TMP/threads-$mode"
done
same_file "$TMP/threads-cache" "$TMP/threads-no-cache" "threads.py: identical events with and without the cache"

# the debug interpreter has the hook too (function__return: see below)
run_status "$PTAP" trace -e python:function__return -o /dev/null -- $PYD "$P/fib.py" --expect /dev/null
like "$ERR" "names from the string cache [1-9]" "python3.11d: the cache is used"

# a 3.11 debug build aborts when its line marker is enabled: ptap never
# raises it there, says why, and the interpreter runs to its end
run_status "$PTAP" trace -e python:function__entry -o /dev/null -- $PYD -c 'print("alive")'
is "$RC" 0 "python3.11d traced for function__entry exits 0"
is "$OUT" "alive" "  ... having run to its end"
like "$ERR" "debug build of CPython 3.11: enabling its line marker would abort it" "  ... and ptap says why entries are rare"
run_status "$PTAP" trace -e python:line -o /dev/null -- $PYD -c 'print("alive")'
is "$RC" 1 "-e python:line on python3.11d: not armed, so nothing to trace: exit 1"
like "$ERR" "python:line not armed" "  ... saying why it was not armed"
like "$ERR" "nothing to trace: pid [0-9]+ \($PYD\) has 1 probe matching python:line, but none could be armed" \
	"  ... and that nothing else can fire"
like "$ERR" "python:line not armed" "  ... with the reason"

done_testing

# A reader that stops reading: ptap blocks writing its events, its ticker
# (SIGALRM) interrupts that write again and again, and every write is
# retried; once the reader reads on, every event arrives and ptap exits 0.
. "$(dirname "$0")/../lib.sh"

F=$(make_fifo events)
"$PTAP" trace -q -e python:function__entry -o "$F" -- $PY "$ROOT/samples/python/fib.py" --expect /dev/null &
TP=$!
on_exit "kill -9 $TP"
exec {rd}<"$F"
# wait (bounded) until ptap sleeps in a pipe write, then for five wake-ups
# by its ticker while it stays there
blocked() { grep -q pipe "/proc/$TP/wchan" 2>/dev/null; }
switches() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$TP/status"; }
# (a ticker's wake-up takes ptap out of the write for a moment: each
# check waits, bounded, to see it in the write, rather than sampling once)
wait_for 30 blocked
ok $? "ptap is blocked writing to a reader that does not read"
start=$(switches)
timeout 30 bash -c "until [ \$(awk '/^voluntary_ctxt_switches/ {print \$2}' /proc/$TP/status) -ge $((start + 5)) ]; do read -rt 0.05 <> <(:) || true; done"
wait_for 10 blocked
ok $? "  ... and is back in the write after five wake-ups"
cat <&$rd >"$TMP/received"
exec {rd}<&-
wait "$TP"
is "$?" 0 "the reader reads on: ptap finishes with status 0"
is "$(grep -c '"fib"' "$TMP/received")" 21891 "  ... having written every event (21891 calls of fib)"

done_testing

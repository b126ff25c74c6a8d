# Attaching to a running python3.11: every thread is taken, every call
# made after the handshake is seen exactly, and after ptap detaches the
# process holds its original bytes and semaphores, is traced by nobody,
# and finishes with its normal output and status.  Then many attach and
# detach cycles on one busy process.
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python
R=$(make_fifo ready) G=$(make_fifo go) L=$(make_fifo linger) E=$(make_fifo expect.fifo)

$PY "$P/threads.py" --ready "$R" --go "$G" --linger "$L" --expect "$E" >"$TMP/sample.out" 2>&1 &
SP=$!
on_exit "kill -9 $SP"
line=$(wait_ready "$R")
is "$line" "ready $SP" "the sample is ready to be attached"
before=$(snapshot "$SP")
like "$before" 'site 0x[0-9a-f]+ 90 python:function__entry' "before: the function__entry site holds its nop"

start_ptap trace --json -e python:function__entry -p "$SP" -o "$TMP/events.json"
like "$PTAP_LINE" "^ptap: tracing pid $SP: 5 threads, [1-9][0-9]* probe sites? armed" \
	"ptap attached to all 5 threads and armed"
is "$(tracer_of "$SP")" "$PTAP_PID" "the sample is traced by ptap"
during=$(snapshot "$SP")
if [ "$ENGINE" = inproc ]; then
	like "$during" 'site 0x[0-9a-f]+ e9 python:function__entry' "while tracing: a jump at the site"
else
	like "$during" 'site 0x[0-9a-f]+ cc python:function__entry' "while tracing: an int3 at the site"
fi

echo go >"$G"
timeout 60 cat "$E" >"$TMP/expect"      # the sample closes it when its work is done
stop_ptap INT
is "$PTAP_RC" 0 "SIGINT: ptap detaches and exits 0"
run_status $PY3 "$ROOT/tests/events.py" python-calls "$TMP/expect" "$TMP/events.json"
ok "$RC" "every work_k call after the handshake seen exactly ($(tail -n1 <<<"$OUT"))"
[ "$RC" = 0 ] || diag "$OUT"
after=$(snapshot "$SP")
is "$after" "$before" "after detach: sites and semaphores byte-identical to before"
is "$(tracer_of "$SP")" 0 "after detach: nobody traces the sample"
echo done >"$L"
wait "$SP"
is "$?" 0 "the sample finishes with status 0"

# Many attach/detach cycles on one busy process.  It counts calls of f()
# and checks, at the end, that its running sum matches the closed form.
cat >"$TMP/busy.py" <<'PY'
import os, sys, threading
stop = threading.Event()
def waiter(path):
    open(path).readline()
    stop.set()
def f(i):
    return 2 * i + 1
threading.Thread(target=waiter, args=(sys.argv[2],), daemon=True).start()
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
n = total = 0
while not stop.is_set():
    total += f(n)
    n += 1
print("ok" if total == n * n else "WRONG %d %d" % (n, total))
PY
R2=$(make_fifo ready2) S2=$(make_fifo stop2)
$PY "$TMP/busy.py" "$R2" "$S2" >"$TMP/busy.out" 2>&1 &
BP=$!
on_exit "kill -9 $BP"
wait_ready "$R2" >/dev/null
before=$(snapshot "$BP")
cycles=0 bad=0
for i in $(seq 1 25); do
	# the busy loop hits function__entry all the time: ptap detaches
	# with hits in flight
	start_ptap trace -o /dev/null -p "$BP"
	sig=INT; [ $((i % 3)) = 1 ] && sig=TERM; [ $((i % 3)) = 2 ] && sig=HUP
	stop_ptap $sig
	[ "$PTAP_RC" = 0 ] && cycles=$((cycles + 1)) || bad=$((bad + 1))
	[ "$(tracer_of "$BP")" = 0 ] || bad=$((bad + 1))
done
is "$cycles/$bad" "25/0" "25 attach/detach cycles (SIGINT, SIGTERM, SIGHUP), each exits 0 and leaves no tracer"
is "$(snapshot "$BP")" "$before" "after 25 cycles: sites and semaphores byte-identical"
echo stop >"$S2"
wait "$BP"
is "$?" 0 "the busy process exits 0"
is "$(cat "$TMP/busy.out")" "ok" "its arithmetic is intact"

# An interpreter whose file was replaced on disk after it started, under
# a name that says no version: its version comes from the mapped file
# itself (Py_Version), never from whatever the path names now.
mkdir -p "$TMP/rp"
cp "$PY" "$TMP/rp/interp"
R=$(make_fifo rp.ready) G=$(make_fifo rp.go)
"$TMP/rp/interp" "$P/fib.py" --n 12 --ready "$R" --go "$G" --expect "$TMP/rp.expect" &
RP=$!
on_exit "kill -9 $RP"
wait_ready "$R" >/dev/null
cp /bin/true "$TMP/rp/decoy"
mv -f "$TMP/rp/decoy" "$TMP/rp/interp"
start_ptap trace -e python:function__entry -o "$TMP/rp.out" -p "$RP"
echo go >"$G"
wait "$RP"
stop_ptap
is "$(grep -c '"fib", ' "$TMP/rp.out")" 465 "replaced interpreter: read as 3.11, all 465 calls of fib(12)"

done_testing

# A child forked while ptap arms its parent has whatever part of ptap's
# writes came before the fork; ptap must restore in it exactly that, each
# byte and count once.  It once took the parent's whole arming as the
# child's: at the stop it warned "the int3 ... was changed by someone
# else (now 0x90)" and lowered counts the child never had, taking back
# another tracer's.
#
# The parent's semaphores are raised by one beforehand, as another tracer
# would; then it forks children (which block, alive) as fast as it can
# while ptap attaches, traces and stops.  Every child must end with the
# parent's bytes and counts from before ptap: no int3, every count 1.
. "$(dirname "$0")/../lib.sh"

cat >"$TMP/forker.py" <<'PY'
import os, sys
def f(i):
    return i + 1
ready, go, kids = sys.argv[1:4]
with open(ready, "w") as r:
    r.write("ready %d\n" % os.getpid())
open(go).readline()
out = open(kids, "w", buffering=1)
n = 0
for i in range(100):
    n = f(n)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w)
        os.read(r, 1)          # alive until the parent's end of the pipe closes
        os._exit(0)
    os.close(r)
    out.write("%d\n" % pid)
out.write("end\n")
os.read(os.open(go, os.O_RDONLY), 1)    # wait for the test
PY
# raise PID: add one to every semaphore of PID, as another tracer would
raise_sems() {
	snapshot "$1" | $PY3 -c '
import struct, sys
pid = int(sys.argv[1])
with open("/proc/%d/mem" % pid, "r+b", buffering=0) as m:
    for line in sys.stdin:
        kind, addr, val = line.split()[:3]
        if kind == "sem":
            m.seek(int(addr, 16)); m.write(struct.pack("<H", int(val) + 1))' "$1"
}
# differ SNAPSHOT KIDS: how many children's sites or semaphores differ
differ() {
	$PY3 -c '
import struct, sys
want = [l.split()[:3] for l in open(sys.argv[1])]
bad = 0
for k in open(sys.argv[2]):
    if not k.strip().isdigit():
        continue
    try:
        with open("/proc/%s/mem" % k.strip(), "rb", buffering=0) as m:
            for kind, addr, val in want:
                m.seek(int(addr, 16))
                got = struct.unpack("<H", m.read(2))[0] if kind == "sem" else "%02x" % m.read(1)[0]
                if str(got) != val:
                    bad += 1
                    print("# child %s: %s %s is %s, not %s" % (k.strip(), kind, addr, got, val))
                    break
    except OSError:
        pass
print(bad)' "$1" "$2"
}

cycles=${FORK_CYCLES:-10} bad=0 warned=0 hung=0
for i in $(seq 1 "$cycles"); do
	R=$(make_fifo "ready$i") GO=$(make_fifo "go$i")
	$PY "$TMP/forker.py" "$R" "$GO" "$TMP/kids$i" >/dev/null 2>&1 &
	FP=$!
	on_exit "kill -9 $FP"
	wait_ready "$R" >/dev/null
	raise_sems "$FP"
	snapshot "$FP" >"$TMP/before$i"
	timeout 10 bash -c "echo go >'$GO'"
	start_ptap trace -o /dev/null -p "$FP"
	timeout 30 bash -c "until grep -q '^end' '$TMP/kids$i'; do read -rt 0.02 <> <(:) || true; done"
	stop_ptap_within 30 INT
	hung=$((hung + PTAP_HUNG))
	grep -q "changed by someone else" "$TMP/ptap.err" && warned=$((warned + 1))
	n=$(differ "$TMP/before$i" "$TMP/kids$i" | tee "$TMP/differ$i" | tail -n 1)
	grep '^#' "$TMP/differ$i"
	bad=$((bad + n))
	timeout 10 bash -c "echo go >'$GO'"
	kill -9 "$FP"
	wait "$FP" 2>/dev/null
done
is "$hung" 0 "$cycles cycles of attach and stop while forking: ptap always stops"
is "$warned" 0 "  ... never finds an int3 of its own gone in a child"
is "$bad" 0 "  ... and every child ends with its parent's bytes and counts from before ptap"

done_testing

# ptap killed with SIGKILL: a launched command dies with it (it would
# otherwise run into a leftover int3); an attached process keeps ptap's
# int3s or jumps, the in-process engine's code and data, and the
# semaphores, and `ptap cleanup -p PID` takes them back, from ptap's
# journal or, without one, from the ELF files and what the jumps lead to,
# so the process then runs on unharmed.
. "$(dirname "$0")/../lib.sh"

# A python process that makes calls (so every kind of int3, hooks
# included, gets placed), says so, then waits on a fifo before calling more.
cat >"$TMP/idle.py" <<'PY'
import os, sys
def f(i):
    return i + 1
def work(n):
    for i in range(n):
        n = f(n)
    return n
with open(sys.argv[1], "w") as r:
    r.write("ready %d\n" % os.getpid())
open(sys.argv[2]).readline()            # go: make calls under ptap
exec(compile("def g(): pass\ng()\n", "<dyn>", "exec"))   # a code object freed
with open(sys.argv[3], "w") as r:
    r.write("worked\n")
open(sys.argv[4]).readline()            # idle until released
print("done", work(100000))
PY

# kill_attached NAME: start idle.py, attach ptap, let it work, SIGKILL ptap
kill_attached() {
	local name=$1
	R=$(make_fifo "$name.r") G=$(make_fifo "$name.g") W=$(make_fifo "$name.w") L=$(make_fifo "$name.l")
	$PY "$TMP/idle.py" "$R" "$G" "$W" "$L" >"$TMP/$name.out" 2>&1 &
	IP=$!
	on_exit "kill -9 $IP"
	wait_ready "$R" >/dev/null
	BEFORE=$(snapshot "$IP")
	start_ptap trace -o /dev/null -p "$IP"
	echo go >"$G"
	wait_ready "$W" >/dev/null
	stop_ptap KILL
}

# The in-process engine leaves its code (the recorder and the trampolines,
# one region near each module it patched: python3.11 and the loader), its
# control page and its shared data.
if [ "$ENGINE" = inproc ]; then
	WOULD=", would unmap [3-9] regions of ptap's code and data" DID=", unmapped [3-9] regions of ptap's code and data"
	INFERRED=$DID
else
	# (the ptrace engine keeps ptap and the target on one CPU; only the
	# journal knows the thread's own affinity)
	WOULD=", would give back the CPU affinity of 1 thread" DID=", gave back the CPU affinity of 1 thread"
	INFERRED=
fi

kill_attached journal
is "$PTAP_RC" 137 "ptap killed with SIGKILL"
is "$(tracer_of "$IP")" 0 "the kernel detached the process"
like "$(textcheck "$IP")" "bytes differ" "int3s or jumps were left in its code"
run_status "$PTAP" cleanup -n -p "$IP"
like "$OUT" "^pid $IP: would restore 7 probe sites and 2 hooks, would lower 8 semaphore counts$WOULD \(from ptap's journal\)$" \
	"cleanup -n: 7 probe sites, the loader's and CPython's hooks, 8 semaphores (and the pinned thread, or the regions)"
like "$(textcheck "$IP")" "bytes differ" "cleanup -n changed nothing"
run_status "$PTAP" cleanup -p "$IP"
is "$RC" 0 "cleanup exits 0"
like "$OUT" "^pid $IP: restored 7 probe sites and 2 hooks, lowered 8 semaphore counts$DID \(from ptap's journal\)$" \
	"cleanup says what it restored, from the journal"
like "$(textcheck "$IP")" "^clean [0-9]+$" "its code is byte-identical to its files again"
is "$(snapshot "$IP")" "$BEFORE" "sites and semaphores as before ptap"
is "$(ptap_maps "$IP")" "" "nothing of ptap's is mapped any more"
is "$(tracer_of "$IP")" 0 "nobody traces it"
run_status "$PTAP" cleanup -p "$IP"
is "$OUT" "pid $IP: nothing left by ptap" "a second cleanup finds nothing"
echo bye >"$L"
wait "$IP"
is "$?" 0 "the process runs on and exits 0"
is "$(cat "$TMP/journal.out")" "done 200000" "with its own output"

# the same without the journal (deleted, or another machine's ptap)
kill_attached nojournal
rm -f "${XDG_RUNTIME_DIR:-/tmp/ptap-$(id -u)}"/*"$IP"-* /tmp/ptap-"$(id -u)"/"$IP"-* 2>/dev/null
run_status "$PTAP" cleanup -p "$IP"
like "$OUT" "^pid $IP: restored 7 probe sites and 2 hooks, lowered 8 semaphore counts$INFERRED \(inferred from the probes found armed\)$" \
	"without a journal: the same found from the ELF files, semaphores inferred"
like "$(textcheck "$IP")" "^clean [0-9]+$" "its code is byte-identical to its files again"
is "$(snapshot "$IP")" "$BEFORE" "sites and semaphores as before ptap"
is "$(ptap_maps "$IP")" "" "nothing of ptap's is mapped any more"
echo bye >"$L"
wait "$IP"
is "$?" 0 "the process runs on and exits 0"

# a launched command dies with ptap instead of running into an int3
R=$(make_fifo launched.r) G=$(make_fifo launched.g) W=$(make_fifo launched.w) L=$(make_fifo launched.l)
"$PTAP" trace -o /dev/null -- $PY "$TMP/idle.py" "$R" "$G" "$W" "$L" 2>/dev/null &
TP=$!
read -r _ cp < <(wait_ready "$R")
echo go >"$G"
wait_ready "$W" >/dev/null
kill -9 "$TP"
wait "$TP"
timeout 10 tail --pid="$cp" -f /dev/null
ok "$([ ! -d "/proc/$cp" ]; echo $?)" "SIGKILL of ptap: the launched command is killed with it"

# bad input
run_status "$PTAP" cleanup -p 4194000
is "$RC" 1 "cleanup of a pid that does not exist: exit 1"
is "$ERR" "ptap: cleanup: no process with pid 4194000" "  ... and says so"
run_status "$PTAP" cleanup
is "$RC" 2 "cleanup without -p: usage error"

done_testing

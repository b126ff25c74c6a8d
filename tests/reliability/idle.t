# An idle target costs ptap next to nothing: attached to a Python that
# makes no call (blocked reading a fifo), ptap must not wake more than 300
# times a second.  The in-process engine looks at its rings after a hit,
# then less and less often (1 ms, doubling to 8 ms: about 125 a second
# when nothing comes, besides its ticks), where it once looked every 1 ms
# (about 800 wake-ups a second measured); the ptrace engine sleeps in
# waitpid.  Wake-ups are ptap's context switches over the same interval,
# from /proc/PID/status: a busier machine makes fewer of them, never more.
# Then a burst after the quiet spell is still counted exactly.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3.11
cat >"$TMP/idle.py" <<'PY'
import sys
def f(i):
    return i
ready, go = sys.argv[1:3]
open(ready, "w").write("ready\n")
n = int(open(go).readline())
for i in range(n):
    f(i)
PY
ready=$(make_fifo ready)
go=$(make_fifo go)
$PY -E -S "$TMP/idle.py" "$ready" "$go" &
py=$!
on_exit "kill -9 $py"
wait_ready "$ready" >/dev/null

start_ptap top --batch --cumulative --no-times -p "$py"
like "$PTAP_LINE" "^ptap: tracing pid $py" "ptap attached to the idle Python"

switches() {
	awk '/^(non)?voluntary_ctxt_switches:/ {n += $2} END {print n}' "/proc/$PTAP_PID/status"
}
# leave the attach behind, then count over two seconds
nap 0.5
s0=$(switches)
t0=$(date +%s%N)
nap 2
s1=$(switches)
t1=$(date +%s%N)
rate=$(((s1 - s0) * 1000000000 / (t1 - t0)))
diag "ptap woke $((s1 - s0)) times in $(((t1 - t0) / 1000000)) ms: $rate a second"
ok "$([ "$rate" -le 300 ] && echo 0 || echo 1)" \
	"ptap wakes at most 300 times a second while its target is idle ($rate)"

echo 50000 >"$go"
wait "$py"
is "$?" 0 "the Python made its 50000 calls and exited normally"
stop_ptap_within 20
is "$PTAP_RC" 0 "ptap exits 0 once its target is gone"
row=$(awk '$4 == "f" && $2 ~ /idle\.py$/' "$TMP/ptap.out" | tail -n 1)
like "$row" "^ *$py +[^ ]*idle\\.py +2 +f +50000( +-)*$" "the burst after the quiet spell: f counted 50000 times"
done_testing

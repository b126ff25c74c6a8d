# ptap's journal on a full disk: ptap says it cannot keep it (and keeps
# none, rather than one cut short), and after a SIGKILL `ptap cleanup`
# finds everything by comparing with the files.  A journal that is empty
# or short is never trusted alone: cleanup compares with the files too.
. "$(dirname "$0")/../lib.sh"

# the same python as cleanup.t: calls made under ptap, then idle
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
open(sys.argv[2]).readline()
exec(compile("def g(): pass\ng()\n", "<dyn>", "exec"))
with open(sys.argv[3], "w") as r:
    r.write("worked\n")
open(sys.argv[4]).readline()
print("done", work(100000))
PY
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
# finish NAME: the process is clean, and runs on
finish() {
	like "$(textcheck "$IP")" "^clean [0-9]+$" "$1: its code is its files' again"
	is "$(snapshot "$IP")" "$BEFORE" "$1: sites and semaphores as before ptap"
	timeout 10 bash -c "echo bye >'$L'"
	wait "$IP"
	is "$?" 0 "$1: the process runs on and exits 0"
}
ALL='restored 7 probe sites and 2 hooks, lowered 8 semaphore counts'
# the in-process engine's regions (code near python3.11 and the loader,
# control page, data) take the pinned thread's place
if [ "$ENGINE" = inproc ]; then
	ALL="$ALL, unmapped 4 regions of ptap's code and data"
	LINES=22 WHAT="4 regions, 7 sites, 2 hooks, 8 semaphores"
else
	LINES=19 WHAT="7 sites, 2 hooks, 8 semaphores, the thread pinned"
fi

# 1. XDG_RUNTIME_DIR on a tmpfs that is full
mkdir -p "$TMP/run"
if mount -t tmpfs -o size=64k,mode=0700 ptap-test "$TMP/run" 2>/dev/null; then
	on_exit "umount -l '$TMP/run'"
	mkdir -m 0700 "$TMP/run/ptap"
	dd if=/dev/zero of="$TMP/run/fill" bs=4k 2>/dev/null
	export XDG_RUNTIME_DIR=$TMP/run
	kill_attached full
	like "$PTAP_LINE$(cat "$TMP/ptap.err")" "cannot keep ptap's journal in $TMP/run/ptap: No space left on device" \
		"a full disk: ptap says it cannot keep its journal"
	is "$(ls "$TMP/run/ptap" | grep -c "^$IP-")" 0 "  ... and leaves no journal cut short"
	run_status "$PTAP" cleanup -p "$IP"
	is "$RC" 0 "cleanup exits 0"
	like "$OUT" "^pid $IP: $ALL \(inferred from the probes found armed\)$" "  ... having found everything in the files"
	finish "full disk"
	unset XDG_RUNTIME_DIR
else
	for i in 1 2 3 4 5 6 7; do skip "cannot mount a tmpfs (needs root)"; done
fi

# 2. an empty journal (what a full disk left before ptap removed its
# journals): not trusted
jdir=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/ptap}
jdir=${jdir:-/tmp/ptap-$(id -u)}
kill_attached empty
j=$(ls "$jdir" | grep "^$IP-")
is "$(wc -l <"$jdir/$j")" "$LINES" "the journal of a killed ptap: a first line, $WHAT"
: >"$jdir/$j"
run_status "$PTAP" cleanup -p "$IP"
like "$OUT" "^pid $IP: $ALL \(ptap's journal was begun but not written; inferred from the probes found armed\)$" \
	"an empty journal: cleanup compares with the files and says so"
ok "$([ ! -e "$jdir/$j" ]; echo $?)" "  ... and removes it"
finish "empty journal"

# 3. a journal cut short: its first 10 lines
kill_attached short
j=$(ls "$jdir" | grep "^$IP-")
head -n 10 "$jdir/$j" >"$TMP/short" && cat "$TMP/short" >"$jdir/$j"
run_status "$PTAP" cleanup -p "$IP"
like "$OUT" "^pid $IP: $ALL \(from ptap's journal, which was cut short: [1-9][0-9]* found by comparing with the files, their semaphores inferred\)$" \
	"a short journal: the rest found in the files"
finish "short journal"

done_testing

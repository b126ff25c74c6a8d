# CPU affinity: ptap pins every thread it traces to its own CPU and gives
# each its own mask back at detach, but only what it changed, and only if
# the program has not set its own since; after a SIGKILL of ptap,
# `ptap cleanup` gives the masks back from the journal.
. "$(dirname "$0")/../lib.sh"

ncpu=$(nproc)
if [ "$ncpu" -lt 2 ]; then
	skip "one CPU: nothing to pin"
	done_testing
	exit 0
fi
if [ "$ENGINE" = inproc ]; then
	skip "the in-process engine pins nothing (tests/trace/inproc.t)"
	done_testing
	exit 0
fi
ALL=0-$((ncpu - 1))

# A python that obeys commands, one per line on a fifo, and answers on
# another: "threads N" starts N threads (which wait, making no call that
# could meet a breakpoint: ptap is killed under them); "aff CPU" sets its
# main thread's affinity; "spawn" starts one more (which inherits it).
cat >"$TMP/aff.py" <<'PY'
import os, sys, threading
cmd_path, ans_path = sys.argv[1:3]
def f(i):
    return i + 1
def busy(stop):
    stop.wait()
stop = threading.Event()
ans = open(ans_path, "w", buffering=1)
ans.write("ready %d\n" % os.getpid())
for line in open(cmd_path):
    words = line.split()
    if words[0] == "threads" or words[0] == "spawn":
        for i in range(int(words[1]) if len(words) > 1 else 1):
            t = threading.Thread(target=busy, args=(stop,))
            t.start()
        ans.write("ok %d\n" % t.native_id)
    elif words[0] == "aff":
        os.sched_setaffinity(0, {int(words[1])})
        ans.write("ok\n")
    elif words[0] == "end":
        break
stop.set()
PY
# cpus PID or cpus PID/task/TID: its affinity
cpus() { awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$1/status"; }
# all_cpus PID: the distinct masks of its threads
all_cpus() { for t in /proc/$1/task/*; do cpus "$1/task/${t##*/}"; done | sort -u | tr '\n' ' '; }
# start NAME: aff.py with 3 busy threads, every thread on every CPU
start() {
	C=$(make_fifo "$1.cmd") A=$(make_fifo "$1.ans")
	$PY "$TMP/aff.py" "$C" "$A" >/dev/null 2>&1 &
	AP=$!
	on_exit "kill -9 $AP"
	exec {ans}<>"$A" {cmd}<>"$C"      # read-write: opening a fifo so never blocks
	read -r -t 30 -u "$ans" _ _
	echo "threads 3" >&$cmd
	read -r -t 30 -u "$ans" _ _
	taskset -a -p -c "$ALL" "$AP" >/dev/null
}
ask() { echo "$*" >&$cmd; read -r -t 30 -u "$ans" _ REPLY_TID; }
finish() {
	echo end >&$cmd
	exec {cmd}>&- {ans}<&-
	wait "$AP"
}

# 1. SIGKILL of ptap, then cleanup: every thread gets its mask back
start kill
start_ptap trace -o /dev/null -p "$AP"
pinned=$(all_cpus "$AP")
like "$pinned" "^[0-9]+ $" "while traced: every thread on one CPU ($pinned)"
stop_ptap KILL
is "$(all_cpus "$AP")" "$pinned" "ptap killed: the threads stay pinned"
run_status "$PTAP" cleanup -p "$AP"
like "$OUT" "gave back the CPU affinity of 4 threads \(from ptap's journal\)" "cleanup gives 4 threads their affinity back"
is "$(all_cpus "$AP")" "$ALL " "  ... all of them on every CPU again"
finish

# 2. the program sets its own affinity while traced: detaching keeps it;
# a thread it starts then inherits the program's mask, kept too
start own
start_ptap trace -o /dev/null -p "$AP"
c=$(cpus "$AP")
other=$(( c == 0 ? 1 : 0 ))
ask aff "$other"
ask spawn
new=$REPLY_TID
is "$(cpus "$AP/task/$new")" "$other" "a thread started after the program chose CPU $other has that mask"
stop_ptap_within 30 INT
is "$(cpus "$AP")" "$other" "detached: the main thread keeps the CPU the program chose ($other)"
is "$(cpus "$AP/task/$new")" "$other" "  ... and so does the thread it started then"
others=$(for t in /proc/$AP/task/*; do
	[ "${t##*/}" = "$AP" ] || [ "${t##*/}" = "$new" ] || cpus "$AP/task/${t##*/}"; done | sort -u)
is "$others" "$ALL" "  ... while the threads ptap pinned have their own mask back"
finish

done_testing

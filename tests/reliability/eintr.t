# What a program sees of ptap's stops: a thread blocked in a system call
# that the kernel does not restart after a stop returns EINTR.  ptap's
# ptrace engine attaches without stopping anything (PTRACE_SEIZE) but
# stops every thread once to detach (PTRACE_INTERRUPT), as strace and gdb
# do; so over N attach and detach cycles, epoll_wait and sigtimedwait
# return EINTR exactly N times, and calls the kernel restarts (poll, read,
# nanosleep, a futex wait) never.  These figures are the ptrace engine's;
# an engine that stops the threads less would change them, and this test
# says by how much.
. "$(dirname "$0")/../lib.sh"

have cc || { skip "no C compiler"; done_testing; exit 0; }
cc -O2 -o "$TMP/eintr" "$ROOT/tests/reliability/eintr.c" -pthread
R=$(make_fifo ready) C=$(make_fifo cmd)
"$TMP/eintr" "$R" "$C" >"$TMP/counts" &
EP=$!
on_exit "kill -9 $EP"
exec {cmd}<>"$C"   # read-write: opening a fifo so never blocks
wait_ready "$R" >/dev/null
# Every thread blocked in its call, none running: a stop that finds a
# thread between two calls (just back from an EINTR, on a busy machine)
# would interrupt nothing, so each stop waits for this first.
all_blocked() {
	local t nr state
	for t in /proc/"$EP"/task/*; do
		read -r nr _ <"$t/syscall" 2>/dev/null || return 1
		case $nr in running | -1) return 1 ;; esac
		state=$(sed 's/.*) //' "$t/stat" 2>/dev/null) || return 1
		[ "${state%% *}" = S ] || return 1
	done
}
N=${EINTR_CYCLES:-20}
for i in $(seq 1 "$N"); do
	wait_for 30 all_blocked || { fail "the threads of the sample did not block"; done_testing; exit 0; }
	start_ptap trace -e 'eintr:*' -o /dev/null -p "$EP"
	wait_for 30 all_blocked || { fail "the threads of the sample did not block again"; done_testing; exit 0; }
	stop_ptap_within 30 INT
done
echo report >&$cmd
timeout 10 bash -c "until grep -q '^end' '$TMP/counts'; do read -rt 0.02 <> <(:) || true; done"
count() { awk -v c="$1" '$1 == c {print $2}' "$TMP/counts"; }
diag "$N attach/detach cycles; EINTR seen by the program: $(grep -v end "$TMP/counts" | tr '\n' ' ')"
# the in-process engine stops the threads to attach too (its jumps)
if [ "$ENGINE" = inproc ]; then W=$((2 * N)) WHEN="attach and once per detach"; else W=$N WHEN=detach; fi
is "$(count epoll_wait)" "$W" "epoll_wait: EINTR once per $WHEN ($W)"
is "$(count sigtimedwait)" "$W" "sigtimedwait: EINTR once per $WHEN ($W)"
for c in poll read nanosleep futex; do
	is "$(count "$c")" 0 "$c: restarted by the kernel, never EINTR"
done
exec {cmd}>&-
wait "$EP"
is "$?" 0 "the program ends normally"

done_testing

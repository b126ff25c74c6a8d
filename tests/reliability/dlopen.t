# Libraries half mapped when ptap looks: attaching in the middle of a
# dlopen (the library's code mapped, its data not yet), and a dlopen and
# dlclose churn.  What cannot be armed then is armed once the loader is
# done (its hook tells ptap), and nothing is reported that is not wrong.
. "$(dirname "$0")/../lib.sh"

# 1. middl.c stops its own dlopen of libprobes.so half-way (a seccomp
# filter holds the loader's mmap of the library's writable segment until
# the test says go): the gated probe fires only while its semaphore is
# raised, so its 5 events prove the semaphore was raised after the load.
if have cc && cc -O2 -o "$TMP/middl" "$ROOT/tests/reliability/middl.c" -ldl -pthread 2>"$TMP/cc.err"; then
	R=$(make_fifo mid.ready) G=$(make_fifo mid.go)
	"$TMP/middl" "$R" "$G" "$SAMPLES/libprobes.so" 5 >"$TMP/mid.out" 2>&1 &
	MP=$!
	on_exit "kill -9 $MP"
	read -r _ pid < <(wait_ready "$R")
	is "$pid" "$MP" "middl stopped in its dlopen"
	like "$(grep libprobes.so "/proc/$MP/maps")" "r-xp" "  ... with the library's code mapped"
	unlike "$(grep libprobes.so "/proc/$MP/maps")" "rw-p" "  ... and not its data"
	start_ptap trace -e 'libprobes:*' -o "$TMP/mid.events" -p "$MP"
	timeout 10 bash -c "echo go >'$G'"
	stop_ptap_within 30
	is "$PTAP_RC" 0 "ptap ends with the program"
	is "$(cat "$TMP/mid.out")" "ran 5" "  ... which ran the library's sequence 5 times"
	is "$(grep -c 'libprobes:call(' "$TMP/mid.events")" 5 "libprobes:call: 5 events"
	is "$(grep -c 'libprobes:gated(' "$TMP/mid.events")" 5 "libprobes:gated: 5 events, its semaphore raised once the load was complete"
	is "$(cat "$TMP/ptap.err" | grep -Ev '^ptap: trace: [0-9]+ events?,')" "" "  ... and no warning of a semaphore not raised"
else
	diag "$(cat "$TMP/cc.err" 2>/dev/null)"
	for i in 1 2 3 4 5 6 7 8 9; do skip "no C compiler"; done
fi

# 2. attach and stop 40 times a program that opens and closes a library
# all the time: no warning (a semaphore or a byte in a library being
# unmapped is not an error: it goes with the library), and its code is
# its files' again after
R=$(make_fifo churn.ready)
"$SAMPLES/dlopen" --reopen --loops 100000000 --ready "$R" >/dev/null 2>&1 &
DP=$!
on_exit "kill -9 $DP"
wait_ready "$R" >/dev/null
warned=0 bad=0
for i in $(seq 1 "${DLOPEN_CYCLES:-40}"); do
	start_ptap trace -e '*' -o /dev/null -p "$DP"
	stop_ptap_within 30 INT
	[ "$PTAP_RC" = 0 ] || bad=$((bad + 1))
	if grep -Ev '^ptap: trace: [0-9]+ events?,' "$TMP/ptap.err" | grep -q .; then
		warned=$((warned + 1))
		diag "cycle $i: $(head -n 2 "$TMP/ptap.err")"
	fi
done
is "$bad" 0 "dlopen/dlclose churn: ptap exits 0 every time"
is "$warned" 0 "  ... and never warns"
kill -STOP "$DP"
like "$(textcheck "$DP")" "^clean " "  ... the program's code is its files' again"
kill -9 "$DP"

done_testing

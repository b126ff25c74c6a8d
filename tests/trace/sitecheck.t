# The in-process engine's site check on markers placed where a jump would
# be wrong (samples/sitecheck.c): a branch into the bytes after the nop,
# tables of absolute addresses and of offsets pointing there, an address
# taken there, a displaced %rip-relative load, a displaced call, a second
# marker within the bytes, a site at the end of its section.  Each is
# refused a jump with its reason and traced by int3 instead; the plain
# marker takes a jump.  Either way every event is exact, the functions
# compute what they should, and the code is the file's again afterwards.
# Verdicts are cached per build-id: a second run decodes nothing.  And a
# thread that a signal interrupted inside the bytes after a nop, still in
# its handler, makes that site keep its int3: the handler returns there.
. "$(dirname "$0")/../lib.sh"

export XDG_CACHE_HOME=$TMP/cache
REFUSED="branch_in:the branch at 0x[0-9a-f]+ jumps to 0x[0-9a-f]+, inside the bytes a jump would overwrite
table_abs:(the data word|a relocation) at 0x[0-9a-f]+ points inside the bytes a jump would overwrite
table_rel:the jump table at 0x[0-9a-f]+ \\(entry 1\\) points inside the bytes a jump would overwrite
lea_in:the code at 0x[0-9a-f]+ takes the address 0x[0-9a-f]+, inside the bytes a jump would overwrite
riprel:a displaced instruction reads or writes memory through %rip
call_next:a call is displaced
twin_a:another address ptap may write \\(0x[0-9a-f]+\\) is within its bytes
at_end:the site is at the end of its executable section"

for v in nopie pie; do
	S=$SAMPLES/sitecheck-$v
	run_status env PTAP_VERBOSE=2 "$PTAP" trace -l -e 'sitecheck:*' -- "$S"
	is "$RC" 0 "$v: trace -l exits 0"
	if [ "$ENGINE" = inproc ]; then
		like "$ERR" "sitecheck-$v: 10 sites checked in [0-9.]+ ms$" "$v: the file's sites checked (no cache yet)"
		like "$OUT" "sitecheck:plain  0x[0-9a-f]+  semaphore none  jump  " "$v: plain: a jump"
		like "$OUT" "sitecheck:twin_b  0x[0-9a-f]+  semaphore none  jump  " "$v: twin_b: a jump"
		while IFS=: read -r name why; do
			like "$OUT" "sitecheck:$name  0x[0-9a-f]+  semaphore none  int3 \\($why" "$v: $name: int3 ($why)"
		done <<<"$REFUSED"
		run_status env PTAP_VERBOSE=2 "$PTAP" trace -l -e 'sitecheck:*' -- "$S"
		like "$ERR" "sitecheck-$v: 10 sites checked in [0-9.]+ ms \\(verdicts cached\\)$" \
			"$v: a second run takes the verdicts from the cache"
		is "$(grep -c '  jump  ' <<<"$OUT")" 2 "$v: ... the same two jumps"
	else
		is "$(grep -c '  int3  ' <<<"$OUT")" 10 "$v: the ptrace engine: ten int3s"
	fi
	run_status "$PTAP" trace -q --json -e 'sitecheck:*' -o "$TMP/$v.json" -- "$S" --loops 5 \
		--threads 2 --jump-into --expect "$TMP/$v.exp"
	is "$RC" 0 "$v: every function computed what it should (the sample exits 0)"
	run_status $PY3 "$ROOT/tests/events.py" c-samples "$TMP/$v.exp" "$TMP/$v.json" 'sitecheck:*'
	ok "$RC" "$v: every event exact ($(head -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
	is "$(grep -c '"probe":"sitecheck:' "$TMP/$v.json")" 100 "$v: 10 markers x 5 loops x 2 threads"
done

# attached, and let go: the code is the file's again
R=$(make_fifo ready) G=$(make_fifo go) L=$(make_fifo linger)
"$SAMPLES/sitecheck-pie" --loops 3 --ready "$R" --go "$G" --linger "$L" --jump-into >/dev/null &
SP=$!
on_exit "kill -9 $SP"
wait_ready "$R" >/dev/null
start_ptap trace -e 'sitecheck:*' -o "$TMP/attached.out" -p "$SP"
echo go >"$G"
echo bye >"$L"
wait "$SP"
is "$?" 0 "attached: the sample computed everything right and exited 0"
stop_ptap
is "$(grep -c 'sitecheck:' "$TMP/attached.out")" 30 "attached: all 30 events"

# a thread parked in a signal handler that interrupted it inside plain's
# displaced bytes: plain keeps its int3, and the handler returns safely
if [ "$ENGINE" = inproc ]; then
	R=$(make_fifo park.r) G=$(make_fifo park.g)
	"$SAMPLES/sitecheck-pie" --park "$R" --park-go "$G" &
	PP=$!
	on_exit "kill -9 $PP"
	like "$(wait_ready "$R" 60)" "^parked 0x[0-9a-f]+$" "a thread is parked in a handler, interrupted inside plain's bytes"
	run_status "$PTAP" trace -l -e sitecheck:plain -p "$PP"
	like "$OUT" "sitecheck:plain  0x[0-9a-f]+  semaphore none  int3 \\(a thread is inside the bytes a jump would overwrite \\(or a signal frame on its stack points there\\)\\)" \
		"plain keeps its int3: a signal frame on the thread's stack points into its bytes"
	echo go >"$G"
	wait "$PP"
	is "$?" 0 "the handler returns into plain's bytes, unchanged: exit 0"
fi

done_testing

# ptap trace on every C sample: each event's probe and arguments must be
# exactly what the sample says it fired (tests/events.py), for non-PIE and
# PIE executables, several threads, a linked library, a dlopen'd one
# (also closed and reopened at another address), and semaphores.
. "$(dirname "$0")/../lib.sh"

S=$SAMPLES
OPERANDS=(-e 'sample:strings(str)' -e 'sample:long_string(str)'
	-e 'sample:twelve(-,-,-,-,-,-,-,-,-,str)' -e 'sample:twelve_o0(-,-,-,-,-,-,-,-,-,str)'
	-e 'sample:*')
LIBPROBES=(-e 'libprobes:call(-,str)' -e 'libprobes:gated(-,str)' -e 'libprobes:*')
DLOPEN=(-e 'dlopen:opened(str)' -e 'dlopen:closed(str)' -e 'dlopen:*')

# check NAME GLOB PTAP-OPTIONS... -- SAMPLE ARGS...
check() {
	local name=$1 glob=$2
	shift 2
	local opts=()
	while [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	run_status "$PTAP" trace -q --json -s 2048 "${opts[@]}" -o "$TMP/$name.json" -- "$@" --expect "$TMP/$name.exp"
	is "$RC" 0 "$name: ptap exits with the sample's status 0"
	run_status $PY3 "$ROOT/tests/events.py" c-samples "$TMP/$name.exp" "$TMP/$name.json" "$glob"
	ok "$RC" "$name: every event exact ($(head -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$OUT"
}

for v in nopie pie; do
	check "operands-$v" 'sample:*' "${OPERANDS[@]}" -- "$S/operands-$v" --loops 2
	check "operands-$v-threads" 'sample:*' "${OPERANDS[@]}" -- "$S/operands-$v" --loops 2 --threads 4
	check "semaphores-$v" 'sema:*' -e 'sema:message(str)' -e 'sema:*' -- "$S/semaphores-$v" --loops 5
done
check linked '*' "${LIBPROBES[@]}" -e 'linked:*' -- "$S/linked" --loops 3
check dlopen '*' "${LIBPROBES[@]}" "${DLOPEN[@]}" -- "$S/dlopen" --loops 3
check dlopen-reopen '*' "${LIBPROBES[@]}" "${DLOPEN[@]}" -- "$S/dlopen" --loops 6 --reopen

# a probe whose semaphore is not selected stays down: the sample fires it
# only when raised, so its expectations must not contain it
run_status "$PTAP" trace -q --json -e 'sema:idle' -o "$TMP/idle.json" -- "$S/semaphores-pie" --loops 4 --expect "$TMP/idle.exp"
is "$(grep -c 'sema:idle' "$TMP/idle.exp")" 4 "sema:idle fired 4 times once its semaphore is raised"
is "$(grep -c 'sema:message\|sema:tick' "$TMP/idle.exp")" 0 "semaphores of unselected probes stay down"
is "$(grep -c 'sema:idle' "$TMP/idle.json")" 4 "ptap saw the 4 sema:idle firings"

# the text format: time, pid/tid, probe(args)
run_status "$PTAP" trace -q -e 'sema:message(str)' -- "$S/semaphores-nopie" --loops 1
like "$OUT" '^[0-9]+\.[0-9]{6} [0-9]+/[0-9]+ sema:message\("[^"]*", [0-9]+\)$' "text line: time pid/tid probe(\"str\", n)"

done_testing

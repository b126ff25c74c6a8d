#!/usr/bin/env bash
# ptap trace against hostile target memory (samples/hostile.c): string
# pointers to unmapped pages, NULL, kernel space, non-canonical and
# wrapping addresses, a guard page; strings without a NUL that run into a
# PROT_NONE page; memory operands through wild registers; string pointers
# that are themselves in memory; a page another thread rewrites while ptap
# reads it.  ptap prints error values (<unreadable 0x...>, NULL) and
# truncated strings, exactly as the sample announces them, never crashes,
# and the target runs to its end unharmed (it checks its own memory, then
# says "intact").
. "$(dirname "$0")/../lib.sh"

HOSTILE=$SAMPLES/hostile
if [ ! -x "$HOSTILE" ]; then
	skip "build/samples/hostile is missing: run make samples"
	done_testing
	exit 0
fi
PROBES=(-e 'hostile:str_*(str)' -e 'hostile:indirect(str,str,str)' -e 'hostile:deref' -e 'hostile:numbers')
RACE=2000

# check LABEL OUT EXPECT S: the lines of ptap's output OUT (without the
# time and pid/tid columns) against the sample's EXPECT file, for string
# bound S
check() {
	local label=$1 out=$2 expect=$3 s=$4
	cut -d' ' -f3- "$out" | grep -v '^hostile:str_race(' >"$TMP/got"
	grep -v '^intact$' "$expect" >"$TMP/want"
	same_file "$TMP/got" "$TMP/want" "$label: every error value and string as announced"
	is "$(tail -n 1 "$expect")" "intact" "$label: the target found its memory intact"
	is "$(grep -c '^[0-9.]* [0-9/]* hostile:str_race(' "$out")" "$RACE" \
		"$label: all $RACE reads of the racing page reported"
	# each a string of what the writer writes, never longer than the bound
	bad=$(cut -d' ' -f3- "$out" | grep '^hostile:str_race(' |
		awk -v s="$s" '!/^hostile:str_race\("z*"(\.\.\.)?\)$/ || length($0) > s + 24' |
		head -n 1 | cut -c1-200)
	is "$bad" "" "$label: racing reads give the writer's bytes, at most $s of them"
}

# no_sanitizer FILE LABEL
no_sanitizer() {
	unlike "$(cat "$1")" 'Sanitizer|runtime error:' "$2: no sanitizer report"
}

# Launched, with three string bounds: the default, the smallest, the largest.
for s in 512 1 1048576; do
	sflag=()
	[ "$s" != 512 ] && sflag=(-s "$s")
	run_status "$PTAP" trace "${sflag[@]}" "${PROBES[@]}" -- "$HOSTILE" --expect "$TMP/expect" \
		--string-size "$s" --race "$RACE"
	is "$RC" 0 "-s $s: ptap and the target exit 0"
	no_sanitizer "$TMP/err" "-s $s"
	check "-s $s" "$TMP/out" "$TMP/expect" "$s"
done
like "$ERR" "unreadable arguments" "ptap counts the unreadable arguments"

# --json: one valid object per event, the unreadable ones as null
run_status "$PTAP" trace --json "${PROBES[@]}" -- "$HOSTILE" --race 10
is "$RC" 0 "--json: exit 0"
n=$($PY3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    json.loads(line)
    n += 1
print(n)' "$TMP/out" 2>&1)
is "$n" "$((13 + 10))" "--json: 23 events, each valid JSON"

# Attached: the same, the process found by its pid after its handshake.
R=$(make_fifo ready)
G=$(make_fifo go)
"$HOSTILE" --ready "$R" --go "$G" --expect "$TMP/expect-attach" --race "$RACE" &
HP=$!
on_exit "kill -9 $HP"
read -r _ pid < <(wait_ready "$R")
# --no-pin: ptap and the sample's threads on both CPUs, so the racing
# thread really writes while ptap reads
start_ptap trace --no-pin "${PROBES[@]}" -p "$pid"
like "$PTAP_LINE" "tracing pid $pid" "attached to the hostile sample"
echo go >"$G"
wait "$HP"
is "$?" 0 "attached: the target exits 0"
stop_ptap
is "$PTAP_RC" 0 "attached: ptap exits 0 when it ends"
no_sanitizer "$TMP/ptap.err" "attached"
check "attached" "$TMP/ptap.out" "$TMP/expect-attach" 512

done_testing

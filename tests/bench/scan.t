#!/usr/bin/env bash
# A short run of bench/scan (the whole-system scans' cost, part of `make
# bench`), so that it cannot rot: 3 idle Pythons, one round.  It must run,
# trace the 3, and print every row.  Times are never checked: this machine
# is shared.
. "$(dirname "$0")/../lib.sh"

run_status env BENCH_SCAN_PROCS=3 BENCH_SCAN_ROUNDS=1 BENCH_SCAN_SECONDS=0.6 PTAP="$PTAP" \
	"$ROOT/bench/scan"
is "$RC" 0 "bench/scan, 3 processes and one round: exit status 0"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | tail -n 20 | sed 's/^/# /'
num='-?[0-9]+\.[0-9]+'
like "$OUT" "^whole-system scans: 3 idle /usr/bin/python3\.11 processes, 1 round" "the heading"
for row in "ptap ps, CPU time" "first scan, with attaching" "each later scan"; do
	like "$OUT" "^$row +$num +$num +$num$" "a row: $row"
done
if [ "$(id -u)" = 0 ]; then
	like "$OUT" "^later scan, skipping them +$num +$num +$num$" "a row: later scan, skipping them (root)"
else
	skip "the row of another user's ptap needs root"
fi
if [ "$(id -u)" = 0 ]; then
	# (as root the bench runs as nobody, who has no other process)
	like "$OUT" "^processes traced by ptap trace -a: 0 without, 3 with the idle ones$" \
		"ptap trace -a traced exactly the 3 idle Pythons"
else
	like "$OUT" "^processes traced by ptap trace -a: [0-9]+ without, [0-9]+ with the idle ones$" \
		"ptap trace -a: the processes traced"
fi
done_testing

#!/usr/bin/env bash
# A short run of `make bench` (bench/run), so that it cannot rot: a tiny
# workload, one round, every scenario.  It must run, every consumer must
# count exactly the calls the workloads made, and every table must be
# there.  Times are never checked: this machine is shared.  Then a run
# told to expect one call more than the workload makes must fail.
. "$(dirname "$0")/../lib.sh"

BENCH=$ROOT/bench/run
REF=$ROOT/build/bench/ref
if [ ! -x "$REF" ]; then
	fail "build/bench/ref is built (make samples builds it)"
	done_testing
	exit 0
fi

small() {
	env BENCH_ROUNDS=1 BENCH_N=15 BENCH_THREADS=4 BENCH_THREAD_N=11 \
		BENCH_MIXED=2,8,3,64 BENCH_KEYS=10,40 BENCH_KEY_FILES=4 BENCH_KEY_FUNCS=10 BENCH_KEY_CALLS=400 \
		PTAP="$PTAP" BENCH_REF="$REF" "$@"
}

run_status small "$BENCH"
is "$RC" 0 "bench/run, tiny and one round: exit status 0"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | tail -n 30 | sed 's/^/# /'
like "$OUT" "counts: every consumer counted exactly the calls each workload made" \
	"every consumer counted exactly the known calls"
num='-?[0-9]+\.[0-9]+'
# (like matches line by line: ^ is the start of a line)
for row in "ref \(reference loop\)" "ptap top --no-times \(counting\)" \
	"ptap top, with times \(2 hits/call\)" "ptap trace -o FILE \\(tmpfs\\)" \
	"ptap trace -o /dev/null" "ref --no-pin" "ptap top \.\.\. --no-pin"; do
	like "$OUT" "^$row +$num +[0-9]+ +([0-9]+|\(n/c\)) +$num " "fib table: a row for $(echo "$row" | tr -d '\\')"
done
like "$OUT" "^1\. fib\(15\): one thread, 1973 calls of fib in the window$" "fib(15): 1973 calls"
like "$OUT" "^ref \(reference loop\) +$num +[0-9]+ +1973 " "ref counted 1973 calls of fib"
like "$OUT" "^ptap top --no-times \(counting\) +$num +[0-9]+ +1973 " "ptap top counted 1973 calls of fib"
like "$OUT" "^ptap top, with times \(2 hits/call\) +$num +[0-9]+ +1973 " \
	"ptap top with times counted 1973 calls of fib"
like "$OUT" "^with own and total times $num( \[$num-$num\])? us per call, two hits" \
	"what timing costs beside counting alone, per call"
like "$OUT" "^  $num us per hit, ${num}x counting's per hit; ${num}x its cost per call$" \
	"  ... and per hit"
like "$OUT" "^  ptap top +${num}x the reference per hit" "ptap top's ratio to the reference"
like "$OUT" "^ptap top +$num( \[$num-$num\])? +$num( \[$num-$num\])? +${num}x$" "pinned and --no-pin compared"
like "$OUT" "^3\. 4 threads computing fib\(11\) at once$" "the threads table"
threads=$(printf '%s\n' "$OUT" | sed -n '/^3\. /,/^4\. /p')
like "$threads" "^ptap top --no-times \(counting\) +$num +[0-9]+ +1148 " \
	"ptap top counted 4 x 287 calls in the threads"
mixed=$(printf '%s\n' "$OUT" | sed -n '/^4\. /,/^5\. /p')
like "$mixed" "^4\. 2 threads, each 3 times fib\(8\) then SHA-256 of 64 KB" "the mixed-threads table"
like "$mixed" "^ptap top --no-times \(counting\) +$num +[0-9]+ +402 " \
	"ptap top counted 2 x 3 x 67 calls in the mixed threads"
like "$mixed" "^Untraced, one CPU instead of all: ${num}x the window" "what one CPU costs, untraced"
keys=$(printf '%s\n' "$OUT" | sed -n '/^5\. /,/^$/p' | awk '$1 ~ /^[0-9]+$/ {print $1}' | tr '\n' ' ')
is "$keys" "10 40 " "the distinct-keys table: a row for 10 and for 40 keys"
like "$OUT" "^  peak RSS grows by -?[0-9]+ bytes per distinct key from 10 to 40 keys$" \
	"the distinct-keys table: RSS per key"
unlike "$OUT" "no valid run" "no variant without a valid run"

# The check itself: one call more than made is a disagreement.
run_status small env BENCH_SCENARIOS=fib BENCH_BPFTRACE=0 BENCH_CHECK_SKEW=1 "$BENCH"
is "$RC" 1 "a count that disagrees with the known calls: exit status 1"
like "$OUT" "^COUNTS DISAGREE" "a count that disagrees is reported"
like "$OUT" "^  fib: ptap top --no-times \(counting\), round 1: counted 1973 hits, the workload made 1974 calls$" \
	"the disagreement is named: variant, round, counted and known"

done_testing

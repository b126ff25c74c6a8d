#!/usr/bin/env bash
# A short run of bench/server (what ptap top -p costs a running HTTP
# server, part of `make bench`), so that it cannot rot: one round of every
# way, a third of a second each.  It must run, print every row, find each
# ptap way's count of do_GET equal to the requests the client made, and
# leave the server answering with nothing of ptap in it.  Times are never
# checked: this machine is shared.
. "$(dirname "$0")/../lib.sh"

run_status env BENCH_SERVER_ROUNDS=1 BENCH_SERVER_SECONDS=0.3 PTAP="$PTAP" "$ROOT/bench/server"
is "$RC" 0 "bench/server, one round: exit status 0"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | tail -n 20 | sed 's/^/# /'
like "$OUT" "^a running service: /usr/bin/python3\.11 bench/httpd\.py \(threading HTTP server, pid [0-9]+\), one request per connection for 0\.3 s, 1 round" \
	"the heading"
n='[0-9]+'
r='[0-9]+\.[0-9]{2}'
like "$OUT" "^untraced +$n +1\.00 +-$" "a row: untraced, 1.00 of itself"
like "$OUT" "^markers enabled, no tracer +$n +$r +-$" "a row: markers enabled"
for row in "ptap top" "ptap top --no-times" "ptap trace -o FILE" "ptrace: ptap top" \
	"ptrace: ptap top --no-times"; do
	like "$OUT" "^$row +$n +$r +$n$" "a row: $row, with ptap's CPU"
done
like "$OUT" "^do_GET's calls counted by ptap: exact in 5 of 5 runs$" \
	"every ptap way counted do_GET's calls exactly"
like "$OUT" "^the server after each run: answering, with nothing of ptap left in it$" \
	"the server unharmed after every way"
done_testing

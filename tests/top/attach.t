#!/usr/bin/env bash
# `ptap top -p A -p B`: two Python processes traced at once, each frame
# counted under its own pid, exactly; then both detached and restored.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

start_topcounts A
pid_a=$TC_PID
start_topcounts B --scale 2
pid_b=$TC_PID
sites_a=$(sites "$pid_a")
sites_b=$(sites "$pid_b")

"$PTAP" top -b --cumulative -n 0 -d 0.2 -p "$pid_a" -p "$pid_b" >"$TMP/two.out" 2>"$TMP/two.err" &
ptap_pid=$!
on_exit "kill -9 $ptap_pid"
wait_for 30 file_has "$TMP/two.err" "^ptap: tracing pid $pid_b: "
ok $? "ptap is tracing both ($(grep -c '^ptap: tracing pid' "$TMP/two.err") lines)"
go A
go B
work_done A
work_done B
# Both are done with their counted work and waiting: a table printed now
# holds every call; wait for one, then check that both are still traced.
tables_now() { $TABLES text "$TMP/two.out" count | cut -d' ' -f1; }
seen=$(tables_now)
wait_for 30 eval '[ "$(tables_now)" -gt "$seen" ]'
ok $? "a cumulative table after both finished their work"
cp "$TMP/two.out" "$TMP/two.mid"
r=$($TABLES text "$TMP/two.mid" expect "$TMP/A.expect" --last --pid "$pid_a")
ok $? "pid A ($pid_a): exact calls under its own pid ($r)"
r=$($TABLES text "$TMP/two.mid" expect "$TMP/B.expect" --last --pid "$pid_b")
ok $? "pid B ($pid_b, --scale 2): exact calls under its own pid ($r)"
got=$($TABLES text "$TMP/two.mid" rows | awk '$4 == "alpha" {print $1, $5}' | tr '\n' ';')
is "$got" "$pid_b 1000;$pid_a 500;" "alpha appears once per pid, each with its own count"

# Stop ptap while both still run: they go on, restored.
kill -INT "$ptap_pid"
wait "$ptap_pid"
is "$?" 0 "SIGINT: ptap ends with status 0 (nothing was launched)"
is "$(grep -c '^# final ' "$TMP/two.out")" 1 "SIGINT: a final table"
for p in "$pid_a" "$pid_b"; do
	is "$(tracer_of "$p")" 0 "pid $p: no longer traced"
done
is "$(sites "$pid_a")" "$sites_a" "pid A: sites and semaphores as before"
is "$(sites "$pid_b")" "$sites_b" "pid B: sites and semaphores as before"
release A
release B
wait "$pid_a"
is "$?" 0 "pid A ends normally"
wait "$pid_b"
is "$?" 0 "pid B ends normally"

done_testing

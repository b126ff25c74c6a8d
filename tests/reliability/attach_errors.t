# Every message ptap gives when it cannot attach is true and names the
# program and the kernel's rule: a zombie, a kernel thread, a process that
# holds capabilities ptap lacks, too few file descriptors.  A live process
# whose main thread has exited is traced through its other threads.
. "$(dirname "$0")/../lib.sh"

# 1. a zombie: exited, its parent not collecting it
cat >"$TMP/zombie.py" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    os._exit(0)
with open(sys.argv[1], "w") as r:
    r.write("zombie %d\n" % pid)
open(sys.argv[2]).readline()
PY
R=$(make_fifo z.ready) G=$(make_fifo z.go)
$PY "$TMP/zombie.py" "$R" "$G" &
ZP=$!
on_exit "kill -9 $ZP"
read -r _ z < <(wait_ready "$R")
timeout 10 bash -c "until grep -q '^State:.Z' /proc/$z/status; do read -rt 0.02 <> <(:) || true; done"
run_status "$PTAP" trace -p "$z"
is "$RC" 1 "a zombie: exit 1"
is "$ERR" "ptap: trace: pid $z (python3.11) is a zombie: it has exited, and stays in the process table until its parent, pid $ZP (python3.11), collects its exit status; there is nothing left to trace" \
	"  ... saying it is a zombie, and whose"
timeout 10 bash -c "echo go >'$G'"
wait "$ZP"

# 2. a kernel thread (kthreadd, or any other this system shows)
kt=
for s in /proc/[0-9]*/stat; do
	read -r line <"$s" 2>/dev/null || continue
	flags=$(cut -d' ' -f7 <<<"${line##*) }")
	if [ -n "$flags" ] && [ $((flags & 0x00200000)) != 0 ]; then kt=${s#/proc/}; kt=${kt%/stat}; break; fi
done
if [ -n "$kt" ]; then
	name=$(cat "/proc/$kt/comm")
	run_status "$PTAP" trace -p "$kt"
	is "$RC" 1 "a kernel thread: exit 1"
	is "$ERR" "ptap: trace: pid $kt ($name) is a kernel thread: it runs no program of its own, so it has no probes to trace" \
		"  ... saying it is a kernel thread"
else
	skip "no kernel thread visible here"
	skip "no kernel thread visible here"
fi

# 3. a process whose main thread has exited while another runs
if have cc; then
	printf '%s\n' '#include <pthread.h>' '#include <stdio.h>' '#include <unistd.h>' '#include <sys/sdt.h>' \
		'static void *work(void *a) { (void)a; for (;;) { STAP_PROBE(zl, tick); usleep(1000); } return NULL; }' \
		'int main(int argc, char **argv) { pthread_t t; FILE *f; pthread_create(&t, NULL, work, NULL);' \
		'  f = fopen(argv[1], "w"); fprintf(f, "ready %d\n", getpid()); fclose(f); pthread_exit(NULL); }' \
		>"$TMP/zl.c"
	cc -O2 -o "$TMP/zl" "$TMP/zl.c" -pthread
	R=$(make_fifo zl.ready)
	"$TMP/zl" "$R" &
	LP=$!
	on_exit "kill -9 $LP"
	wait_ready "$R" >/dev/null
	timeout 10 bash -c "until grep -q '^State:.Z' /proc/$LP/status; do read -rt 0.02 <> <(:) || true; done"
	run_status timeout 60 "$PTAP" trace -e 'zl:*' --duration 0.5 -p "$LP"
	is "$RC" 0 "main thread exited, another running: traced, exit 0"
	like "$ERR" "tracing pid $LP: 1 thread, 1 probe site armed" "  ... through its other thread"
	ok "$([ "$(grep -c 'zl:tick()' <<<"$OUT")" -gt 10 ]; echo $?)" "  ... whose events come ($(grep -c 'zl:tick()' <<<"$OUT"))"
	is "$(tracer_of "$LP")" 0 "  ... and detached after"
	kill -9 "$LP"
else
	for i in 1 2 3 4; do skip "no C compiler"; done
fi

# 4. too few file descriptors for 30 processes: every message true.  ptap
# starts with 0, 1 and 2 alone, whatever the harness holds open, so that
# each limit runs out at the same point everywhere.
BARE_FDS='for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && { eval "exec $f>&-"; } 2>/dev/null; done;'
pids=()
for i in $(seq 1 30); do
	R=$(make_fifo "fd$i.ready")
	$PY -c 'import os, sys
open(sys.argv[1], "w").write("ready\n")
os.read(os.open(sys.argv[1], os.O_RDONLY), 1)' "$R" &
	pids+=($!)
	on_exit "kill -9 $!"
	wait_ready "$R" >/dev/null
done
run_status bash -c "$BARE_FDS ulimit -n 20; exec timeout -k 2 60 '$PTAP' trace -o /dev/null --duration 0.5 -p $(IFS=,; echo "${pids[*]}")"
traced=$(grep -c '^ptap: tracing pid' <<<"$ERR")
refused=$(grep -c '^ptap: trace: cannot trace pid [0-9]*: Too many open files: ptap keeps a few files open' <<<"$ERR")
ok "$([ "$traced" -gt 0 ] && [ $((traced + refused)) = 30 ]; echo $?)" \
	"ulimit -n 20, 30 processes: $traced traced, $refused refused for want of file descriptors"
unlike "$ERR" "exited before|zombie|without --with-dtrace|no selected probe" "  ... and nothing said that is not true"
bad=0
for p in "${pids[@]}"; do
	[ "$(tracer_of "$p")" = 0 ] && [ -d "/proc/$p" ] || bad=$((bad + 1))
done
is "$bad" 0 "  ... every process alive and untraced after"

# 4b. every limit from 6 to 19 descriptors: attaching runs out of them at
# each step in turn (the ELF files, the journal, /proc/PID/mem, the data
# region, a hold already taken for the jumps).  ptap ends by itself each
# time, says only true things, and leaves every process as it was: not
# traced, none of ptap's regions mapped, no journal.
hung= said= left=
jdir=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/ptap}
jdir=${jdir:-/tmp/ptap-$(id -u)}
for n in $(seq 6 19); do
	run_status bash -c "$BARE_FDS ulimit -n $n; exec timeout -k 2 20 '$PTAP' trace -o /dev/null --duration 0.3 -p $(IFS=,; echo "${pids[*]}")"
	[ "$RC" = 124 ] || [ "$RC" = 137 ] && hung="$hung $n"
	grep -Eq "exited before|zombie|without --with-dtrace|no selected probe|is not a Python" <<<"$ERR" && said="$said $n"
	for p in "${pids[@]}"; do
		if [ "$(tracer_of "$p")" != 0 ] || [ ! -d "/proc/$p" ] || grep -q 'memfd:ptap' "/proc/$p/maps" ||
			compgen -G "$jdir/$p-*" >/dev/null; then
			left="$left $n:$p"
		fi
	done
done
is "${hung:-none}" none "ulimit -n 6 to 19: ptap ends by itself at every limit"
is "${said:-none}" none "  ... saying nothing untrue at any"
is "${left:-none}" none "  ... and leaves every process untraced, with nothing of ptap's mapped and no journal"

# 5. a process that holds capabilities ptap lacks (needs capsh and root)
if have capsh && [ "$(id -u)" = 0 ]; then
	R=$(make_fifo cap.ready)
	$PY -c 'import os, sys
open(sys.argv[1], "w").write("ready\n")
os.read(os.open(sys.argv[1], os.O_RDONLY), 1)' "$R" &
	CP=$!
	on_exit "kill -9 $CP"
	wait_ready "$R" >/dev/null
	run_status capsh --drop=cap_sys_ptrace,cap_net_admin -- -c "exec '$PTAP' trace -p $CP"
	is "$RC" 1 "a process with capabilities ptap lacks: exit 1"
	like "$ERR" "pid $CP \(python3.11\) holds capabilities ptap does not \(CAP_NET_ADMIN, CAP_SYS_PTRACE\): the kernel lets a process trace another only if it holds all of that one's capabilities, or CAP_SYS_PTRACE in its user namespace" \
		"  ... naming them and the kernel's rule"
else
	skip "capsh or root missing"
	skip "capsh or root missing"
fi

done_testing

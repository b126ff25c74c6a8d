#!/usr/bin/env bash
# `ptap list -p PID`: the probes of every module a running process has
# mapped, with run-time addresses.  Each target waits on a fifo (never a
# sleep); tests/readelf_notes.py recomputes every run-time address from
# readelf -l and /proc/PID/maps, independently of ptap.
. "$(dirname "$0")/../lib.sh"
ORACLE="/usr/bin/python3 $ROOT/tests/readelf_notes.py"

# py_hold TAG [SETUP]: run Debian's python3.11 (or $PYBIN): SETUP, then say
# "ready" on a fifo and block reading another; sets HPID, HOLD.  Prefix
# with $AS to run it as another user.
AS=()
PYBIN=$PY
py_hold() {
	local ready
	ready=$(make_fifo "$1.ready") HOLD=$(make_fifo "$1.hold")
	chmod 0666 "$ready" "$HOLD"
	"${AS[@]}" "$PYBIN" -c "import sys
${2:-pass}
open(sys.argv[1], 'w').write('ready\n')
open(sys.argv[2]).read()" "$ready" "$HOLD" &
	HPID=$!
	on_exit "kill $HPID"
	[ "$(wait_ready "$ready")" = ready ] || diag "python $1 did not get ready"
}
# unhold: let it exit (bounded, even if it died)
unhold() { timeout 10 sh -c 'echo done >"$1"' sh "$HOLD"; wait "$HPID"; }

# check_runtime PID DESCRIPTION: the JSON of ptap list -p against maps
check_runtime() {
	"$PTAP" list --json -p "$1" >"$TMP/rt.json" 2>"$TMP/rt.err"
	ok $? "$2: ptap list --json -p exits 0"
	if $ORACLE runtime "$1" <"$TMP/rt.json" >"$TMP/rt.out" 2>&1; then
		pass "$2: run-time addresses agree with /proc/$1/maps ($(tail -n 1 "$TMP/rt.out"))"
	else
		fail "$2: run-time addresses agree with /proc/$1/maps"
		sed 's/^/# /' "$TMP/rt.out" | head -n 20
	fi
}

# --- Debian's python3.11, not PIE: run-time addresses are link-time ones.
py_hold py
pypid=$HPID

run_status "$PTAP" list -p "$pypid"
is "$RC" 0 "python3.11 -p: exit 0"
is "$ERR" "" "python3.11 -p: nothing on stderr"
first=$(printf '%s\n' "$OUT" | head -n 1)
is "$first" "$PY: 8 probes" "python3.11 -p: module header"
is "$(printf '%s\n' "$OUT" | grep -c "^$PY: ")" 1 "python3.11 -p: the executable is listed once, though mapped 5 times"
like "$OUT" "python:function__entry +site 0x[0-9a-f]+ \(runtime 0x[0-9a-f]+\)  semaphore 0x[0-9a-f]+ \(runtime 0x[0-9a-f]+\)" \
	"python3.11 -p: site and semaphore with their run-time addresses"
like "$(printf '%s\n' "$OUT" | tail -n 1)" "^pid $pypid \($PY\): 8 probes in 1 of [0-9]+ modules$" \
	"python3.11 -p: summary line"
"$PTAP" list --json -p "$pypid" >"$TMP/py.json"
same=$(/usr/bin/python3 -c '
import json, sys
ps = [p for p in json.load(open(sys.argv[1])) if p["module"] == sys.argv[2]]
print(len(ps), all(p["runtime_address"] == p["address"] and p["runtime_semaphore"] == p["semaphore"] and p["pid"] == int(sys.argv[3]) for p in ps))
' "$TMP/py.json" "$PY" "$pypid")
is "$same" "8 True" "python3.11 -p --json: 8 probes, run-time address = link-time address (ET_EXEC)"
check_runtime "$pypid" "python3.11"

run_status "$PTAP" list -p "$pypid" -e 'python:function__*' -e gc__start
is "$(printf '%s\n' "$OUT" | grep -Eo '^python:[a-z_]+' | tr '\n' ' ')" \
	"python:gc__start python:function__entry python:function__return " \
	"-e filters keep note order"
like "$OUT" "^$PY: 3 of 8 probes match" "-e: the header counts matches"
unhold

# --- A second, executable mapping of the same file is still one module.
py_hold py2 '
import mmap
f = open(sys.executable, "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ | mmap.PROT_EXEC)'
pypid=$HPID
is "$(grep -c " $PY\$" /proc/$pypid/maps)" 6 "python3.11 with an extra executable mapping of itself"
run_status "$PTAP" list -p "$pypid"
is "$RC/$(printf '%s\n' "$OUT" | grep -c "^$PY: 8 probes")" "0/1" \
	"python3.11 mapped a 6th time by mmap: still one module"
check_runtime "$pypid" "python3.11 with an extra mapping"
unhold

# --- C samples: PIE, semaphores in a RELRO-split data segment, a library.
# start_sample NAME TAG: start a sample, wait for its "ready PID"; sets SPID and GO
start_sample() {
	local ready line
	ready=$(make_fifo "$2.ready") GO=$(make_fifo "$2.go")
	"$SAMPLES/$1" --ready "$ready" --go "$GO" >/dev/null 2>&1 &
	SPID=$!
	on_exit "kill $SPID"
	line=$(wait_ready "$ready")
	[ "$line" = "ready $SPID" ] || diag "$1 said '$line' on its ready fifo"
}
# release: let the sample fire and exit (bounded, even if it died)
release() { timeout 10 sh -c 'echo go >"$1"' sh "$GO"; wait "$SPID"; }

if [ -x "$SAMPLES/operands-pie" ]; then
	start_sample operands-pie pie
	spid=$SPID
	check_runtime "$spid" "operands-pie"
	# The arithmetic by hand: a PIE's first PT_LOAD is at 0 and file offset 0,
	# so every run-time address is the load base (the offset-0 mapping) plus
	# the link-time address.
	base=$(awk -v f="$SAMPLES/operands-pie" '$6 == f && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' /proc/$spid/maps)
	"$PTAP" list --json -p "$spid" >"$TMP/pie.json"
	got=$(/usr/bin/python3 -c '
import json, sys
base = int(sys.argv[2], 16)
ps = [p for p in json.load(open(sys.argv[1])) if p["module"].endswith("/operands-pie")]
print(len(ps) > 0 and base > 0 and all(int(p["runtime_address"], 16) == base + int(p["address"], 16) for p in ps))
' "$TMP/pie.json" "$base")
	is "$got" "True" "operands-pie: run-time = load base 0x$base + link-time address"
	release
else
	skip "operands-pie not built"; skip "operands-pie not built"; skip "operands-pie not built"
fi

for s in semaphores-pie linked embed; do
	if [ -x "$SAMPLES/$s" ]; then
		start_sample "$s" "$s"
		check_runtime "$SPID" "$s"
		release
	else
		skip "$s not built"; skip "$s not built"
	fi
done
if [ -x "$SAMPLES/linked" ]; then
	start_sample linked linked2
	run_status "$PTAP" list -p "$SPID"
	like "$OUT" "^$SAMPLES/libprobes.so: 3 probes" "linked: its shared library is listed with its probes"
	like "$OUT" "libprobes:call +site 0x[0-9a-f]+ \(runtime 0x7[0-9a-f]{11}\)" "linked: library sites at run-time addresses"
	release
else
	skip "linked not built"; skip "linked not built"
fi

# --- The mapped file replaced on disk: ptap reads the inode that is mapped
# (through map_files, as root) or refuses (as another user, without that),
# never whatever the path names now.
mkdir -p "$TMP/nb"
cp "$PY" "$TMP/nb/python3.11"
chmod 0711 "$TMP"
chmod 0777 "$TMP/nb"
if [ "$(id -u)" = 0 ] && have setpriv; then
	AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
PYBIN=$TMP/nb/python3.11 py_hold replaced
AS=()
vpid=$HPID
# without openat2 (Linux < 5.6, emulated by seccomp) the path is opened all
# the same, and the decoy below is refused all the same
NOSYS=(/usr/bin/python3 "$ROOT/tests/seccomp_deny.py" openat2)
if [ "$(id -u)" = 0 ] && have setpriv; then
	run_status setpriv --reuid=nobody --regid=nogroup --clear-groups "${NOSYS[@]}" "$PTAP" list -p "$vpid"
	is "$RC" 0 "without openat2, as its unprivileged owner: exit 0"
	like "$OUT" "pid $vpid \($TMP/nb/python3.11\): 8 probes in 1 of [0-9]+ modules" \
		"  ... its 8 probes listed"
else
	skip "needs root and setpriv"; skip "needs root and setpriv"
fi
cp /bin/true "$TMP/nb/decoy"
mv -f "$TMP/nb/decoy" "$TMP/nb/python3.11"
if [ "$(id -u)" = 0 ]; then
	run_status "$PTAP" list -p "$vpid"
	is "$RC" 0 "replaced executable, as root: exit 0"
	like "$OUT" "^$TMP/nb/python3.11 \(deleted\): 8 probes" "replaced executable, as root: the mapped inode is read (map_files)"
	"$PTAP" list --json -p "$vpid" >"$TMP/del.json"
	is "$(/usr/bin/python3 -c 'import json,sys; ps=json.load(open(sys.argv[1])); print(len(ps), all(p.get("deleted") for p in ps))' "$TMP/del.json")" \
		"8 True" "replaced executable, --json: marked deleted"
else
	skip "not root"; skip "not root"; skip "not root"
fi
if [ "$(id -u)" = 0 ] && have setpriv; then
	run_status setpriv --reuid=nobody --regid=nogroup --clear-groups "$PTAP" list -p "$vpid"
	is "$RC" 1 "replaced executable, as its unprivileged owner: exit 1"
	is "$ERR" "ptap: list: pid $vpid: $TMP/nb/python3.11 (deleted): cannot open it as mapped: the path now names another file" \
		"replaced executable, as its owner: refused, the decoy is not read"
	unlike "$OUT" "probes in [1-9]" "replaced executable, as its owner: no probes from the decoy"
	run_status setpriv --reuid=nobody --regid=nogroup --clear-groups "${NOSYS[@]}" "$PTAP" list -p "$vpid"
	is "$ERR" "ptap: list: pid $vpid: $TMP/nb/python3.11 (deleted): cannot open it as mapped: the path now names another file" \
		"  ... and without openat2 as well"
else
	skip "needs root and setpriv"; skip "needs root and setpriv"; skip "needs root and setpriv"
	skip "needs root and setpriv"
fi
unhold

done_testing

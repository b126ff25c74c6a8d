# Shared helpers for ptap's integration tests (sourced by tests/*/*.t).
#
# Each .t script prints TAP: "ok N - what" / "not ok N - what", then a
# plan "1..N" from done_testing.  $PTAP is the ptap binary under test
# (tests/run sets it to the release or the sanitizer build).  Every wait
# is bounded; nothing here sleeps to synchronise.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PTAP=${PTAP:-$ROOT/ptap}
SAMPLES=$ROOT/build/samples
# Debian's interpreter, named explicitly: the python3.11 first on PATH may
# be a build without markers.
PY=/usr/bin/python3.11
PYD=/usr/bin/python3.11d
LIBPY=/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0
TMP=$(mktemp -d /tmp/ptap-test.XXXXXX)
# The engine under test (tests/run sets PTAP_ENGINE, ptap's default
# --engine): inproc (jumps into code ptap puts in the target) or ptrace.
ENGINE=${PTAP_ENGINE:-inproc}
_tap_n=0
_tap_failed=0
_tap_cleanups=()

_tap_exit() {
	local c
	for c in "${_tap_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap _tap_exit EXIT

# on_exit CMD: run CMD when the test script ends (kill helpers, ...)
on_exit() { _tap_cleanups+=("$1"); }

ok() { # ok STATUS DESCRIPTION: pass when STATUS is 0
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

pass() { ok 0 "$1"; }
fail() { ok 1 "$1"; }

is() { # is GOT EXPECTED DESCRIPTION
	if [ "$1" == "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:      '$1'"
		diag "expected: '$2'"
	fi
}

like() { # like GOT REGEX DESCRIPTION (extended regex)
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:  '$(printf '%s' "$1" | head -c 2000)'"
		diag "want: /$2/"
	fi
}

unlike() { # unlike GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "got:  '$(printf '%s' "$1" | head -c 2000)'"
		diag "must not match: /$2/"
	else
		ok 0 "$3"
	fi
}

# same_file GOT_FILE EXPECTED_FILE DESCRIPTION: equal, or show the diff
same_file() {
	if diff -u "$2" "$1" >"$TMP/diff" 2>&1; then
		ok 0 "$3"
	else
		ok 1 "$3"
		head -n 40 "$TMP/diff" | sed 's/^/# /'
	fi
}

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
diag() { printf '# %s\n' "$*"; }
done_testing() { echo "1..$_tap_n"; }

# run_status CMD...: run CMD, put its stdout in $OUT, stderr in $ERR, status in $RC
run_status() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# Ready handshakes: a sample writes one line into a fifo when it is ready
# (to be attached to, or to go on); the test blocks reading it, bounded.
#   fifo=$(make_fifo ready); $PY sample.py --ready "$fifo" & ; wait_ready "$fifo"
make_fifo() { mkfifo "$TMP/$1" && echo "$TMP/$1"; }
# wait_ready FIFO [SECONDS]: print the line read, status 1 on timeout
wait_ready() { timeout "${2:-30}" head -n 1 "$1"; }

# nap SECONDS: the pause between two polls of a bounded loop
nap() { read -rt "$1" <> <(:) || true; }

# wait_for SECONDS CMD...: poll CMD until it succeeds; status 1 on timeout
wait_for() {
	local _wf_limit=$(($1 * 20)) _wf_n=0
	shift
	until "$@"; do
		_wf_n=$((_wf_n + 1))
		[ $_wf_n -ge $_wf_limit ] && return 1
		nap 0.05
	done
}

# have CMD: whether a command exists
have() { command -v "$1" >/dev/null 2>&1; }

# Debian's own python3 runs the test helper scripts.
PY3=/usr/bin/python3

# snapshot PID: the byte at every probe site and the value of every
# semaphore of PID, one per line (see tests/snapshot.py).
snapshot() { "$PTAP" list -p "$1" --json 2>/dev/null | $PY3 "$ROOT/tests/snapshot.py" "$1"; }

# tracer_of PID: the TracerPid of PID (0 when nobody traces it)
tracer_of() { awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# start_ptap ARGS...: run "$PTAP ARGS" in the background and return once it
# has printed its first line on stderr (for an attach: "ptap: tracing pid
# ..."), which it prints after arming.  Sets PTAP_PID and PTAP_LINE; the
# rest of its stderr goes to $TMP/ptap.err, its stdout to $TMP/ptap.out.
# stop_ptap [SIGNAL] ends it and sets PTAP_RC.
start_ptap() {
	local fifo="$TMP/ptap.stderr"
	rm -f "$fifo"
	mkfifo "$fifo"
	"$PTAP" "$@" >"$TMP/ptap.out" 2>"$fifo" &
	PTAP_PID=$!
	exec {_ptap_err}<"$fifo"
	PTAP_LINE=
	IFS= read -r -t 30 -u "$_ptap_err" PTAP_LINE
	cat <&"$_ptap_err" >"$TMP/ptap.err" &
	_ptap_drain=$!
	exec {_ptap_err}<&-
	on_exit "kill -9 $PTAP_PID"
}
stop_ptap() {
	[ $# -gt 0 ] && kill "-$1" "$PTAP_PID" 2>/dev/null
	wait "$PTAP_PID"
	PTAP_RC=$?
	wait "$_ptap_drain" 2>/dev/null
}
# stop_ptap_within SECONDS [SIGNAL]: stop_ptap, but a ptap still there
# after SECONDS is killed (PTAP_RC 137, PTAP_HUNG 1): a hang fails the
# test instead of holding it until the runner's limit
stop_ptap_within() {
	local secs=$1 killer
	shift
	[ $# -gt 0 ] && kill "-$1" "$PTAP_PID" 2>/dev/null
	PTAP_HUNG=0
	(
		exec >/dev/null 2>&1
		timeout "$secs" tail --pid="$PTAP_PID" -f /dev/null
		[ $? = 124 ] && kill -9 "$PTAP_PID"
	) &
	killer=$!
	wait "$PTAP_PID"
	PTAP_RC=$?
	wait "$killer"
	wait "$_ptap_drain" 2>/dev/null
	[ "$PTAP_RC" = 137 ] && PTAP_HUNG=1
}

# ptap_maps PID: the mappings the in-process engine makes (its shared
# memfd, anonymous executable memory), one per line; none after a detach
ptap_maps() { grep -E 'memfd:ptap|^[0-9a-f]+-[0-9a-f]+ r-xp 00000000 00:00 0 *$' "/proc/$1/maps"; }

# textcheck PID: "clean N" when every executable mapping of PID equals its
# file byte for byte (no int3 left anywhere), else the differences
textcheck() { $PY3 "$ROOT/tests/textcheck.py" "$1"; }

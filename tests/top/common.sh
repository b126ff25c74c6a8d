# Helpers shared by tests/top/*.t, sourced after tests/lib.sh.
#
# Every wait here polls for a condition with a bound; the short pause
# between two polls (nap) is never what a test relies on.
TOPC=$ROOT/samples/python/topcounts.py
TABLES="/usr/bin/python3 $ROOT/tests/top/tables.py"

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

# lines_at_least FILE N: FILE exists and has at least N lines
lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
# file_has FILE REGEX
file_has() { [ -f "$1" ] && grep -Eq -- "$2" "$1"; }

# start_topcounts NAME [ARGS...]: start topcounts.py with a ready/go/linger
# handshake in $TMP/NAME.{ready,go,linger}, expectations in $TMP/NAME.expect;
# returns once it is ready, with its pid in TC_PID.
start_topcounts() {
	local name=$1 line
	shift
	mkfifo "$TMP/$name.ready" "$TMP/$name.go" "$TMP/$name.linger"
	"$PY" "$TOPC" --ready "$TMP/$name.ready" --go "$TMP/$name.go" \
		--linger "$TMP/$name.linger" --expect "$TMP/$name.expect" "$@" >/dev/null 2>&1 &
	TC_PID=$!
	on_exit "kill -9 $TC_PID"
	line=$(wait_ready "$TMP/$name.ready")
	[ "$line" = "ready $TC_PID" ] || diag "topcounts $name: handshake said '$line'"
}
# go NAME / release NAME: the two halves of the handshake; work_done NAME
# waits until its expectations are written (its counted work is over).
go() { echo go >"$TMP/$1.go"; }
work_done() { wait_for 60 lines_at_least "$TMP/$1.expect" 8; }
release() { echo bye >"$TMP/$1.linger"; }

# sites PID: every probe site's byte and semaphore's value in PID
sites() {
	"$PTAP" list -p "$1" --json >"$TMP/sites.json" 2>/dev/null &&
		$TABLES json "$TMP/sites.json" sites "$1"
}

# tracer_of PID: the TracerPid of PID (0 when nobody traces it)
tracer_of() { awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

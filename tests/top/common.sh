# Helpers shared by tests/top/*.t, sourced after tests/lib.sh.
#
# Every wait here polls for a condition with a bound; the short pause
# between two polls (nap) is never what a test relies on.
TOPC=$ROOT/samples/python/topcounts.py
TABLES="/usr/bin/python3 $ROOT/tests/top/tables.py"

# (nap and wait_for, the bounded polls, are in tests/lib.sh)

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

# ---- The screen, driven in tmux ----
# tmux_setup: a private tmux server for this test (status 1 and a skip
# when tmux is missing); then start_top, key, see, on_screen, top_ended.
tmux_setup() {
	if ! have tmux; then
		skip "tmux is not installed"
		done_testing
		return 1
	fi
	printf 'set -g status off\nset -g escape-time 0\nset -s exit-empty off\n' >"$TMP/tmux.conf"
	TM="tmux -S $TMP/tmux.sock -f $TMP/tmux.conf"
	on_exit "$TM kill-server"
}

# on_screen REGEX: the pane (also saved in $TMP/screen) has a matching line
on_screen() {
	$TM capture-pane -p -t top >"$TMP/screen" 2>/dev/null && grep -Eq -- "$1" "$TMP/screen"
}
# see REGEX DESCRIPTION: a test that waits until the screen matches
see() {
	if wait_for 20 on_screen "$1"; then
		pass "$2"
	else
		fail "$2"
		diag "want: /$1/ on the screen:"
		sed 's/^/#  |/' "$TMP/screen"
	fi
}
key() { $TM send-keys -t top "$@"; }
# clock: the seconds the title line shows
clock() {
	$TM capture-pane -p -t top | head -n 1 | awk '{ split($NF, a, ":"); print a[1] * 3600 + a[2] * 60 + a[3] }'
}
# rows [FILTER]: the table's rows as "pid basename line function calls;"
rows() { $TABLES screen "$TMP/screen" rows | tr '\n' ';'; }
# start_top W H ENV... -- ARGS...: ptap top in a fresh tmux session
start_top() {
	local w=$1 h=$2 envs=()
	shift 2
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	start_shell "$w" "$h" "env TERM=tmux-256color ${envs[*]} $PTAP top $(printf '%q ' "$@")"
}
# start_shell W H COMMAND: a shell command line in a fresh tmux session,
# its stderr in $TMP/top.err and its status in $TMP/top.rc at the end
start_shell() {
	rm -f "$TMP/top.rc"
	# the previous session may still be closing after it signalled top-done
	$TM kill-session -t top 2>/dev/null
	$TM new-session -d -s top -x "$1" -y "$2" "{ $3; } 2>$TMP/top.err; echo \$? >$TMP/top.rc; \
$TM wait-for -S top-done"
}
# top_ended: wait for ptap to exit; its status in TOP_RC
top_ended() {
	timeout 20 $TM wait-for top-done
	wait_for 10 test -s "$TMP/top.rc"
	TOP_RC=$(cat "$TMP/top.rc" 2>/dev/null)
}

#!/usr/bin/env bash
# `ptap list` on bad input: each case prints one exact line on stderr and
# exits with the documented status (1 runtime error, 2 usage error).
. "$(dirname "$0")/../lib.sh"

# expect_error STATUS MESSAGE DESCRIPTION CMD...: exact stderr, nothing on stdout
expect_error() {
	local status=$1 msg=$2 what=$3
	shift 3
	run_status "$@"
	is "$RC" "$status" "$what: exit status $status"
	is "$ERR" "$msg" "$what: message"
	is "$OUT" "" "$what: nothing on stdout"
}

# Runtime errors, exit 1.
expect_error 1 "ptap: list: $TMP/nope: No such file or directory" "missing file" \
	"$PTAP" list "$TMP/nope"
printf 'just text\n' >"$TMP/text.txt"
expect_error 1 "ptap: list: $TMP/text.txt: not an ELF file" "text file" \
	"$PTAP" list "$TMP/text.txt"
: >"$TMP/empty"
expect_error 1 "ptap: list: $TMP/empty: not an ELF file" "empty file" \
	"$PTAP" list "$TMP/empty"
expect_error 1 "ptap: list: $TMP: Is a directory" "directory" "$PTAP" list "$TMP"
head -c 200000 "$PY" >"$TMP/truncated"
expect_error 1 "ptap: list: $TMP/truncated: damaged ELF file: its program or section headers cannot be read (truncated?)" \
	"ELF cut after 200000 bytes" "$PTAP" list "$TMP/truncated"
head -c 40 "$PY" >"$TMP/stub"
expect_error 1 "ptap: list: $TMP/stub: damaged ELF file: its ELF header is cut short or invalid" \
	"ELF cut inside its header" "$PTAP" list "$TMP/stub"
mkfifo "$TMP/fifo"
expect_error 1 "ptap: list: $TMP/fifo: not a regular file" "a fifo (not opened, so no hang)" \
	"$PTAP" list "$TMP/fifo"
printf '#!/bin/sh\nexec /usr/bin/python3.11 "$@"\n' >"$TMP/wrapper"
chmod +x "$TMP/wrapper"
expect_error 1 "ptap: list: $TMP/wrapper: not an ELF file but a script (#!/bin/sh): list the program it runs" \
	"shell script" "$PTAP" list "$TMP/wrapper"

# A file without notes is no error.  /bin/true really has none:
if readelf -n /bin/true | grep -q stapsdt; then
	skip "/bin/true has stapsdt notes on this system"
else
	run_status "$PTAP" list /bin/true
	is "$RC/$OUT/$ERR" "0//bin/true: no stapsdt probes/" "/bin/true: no probes, exit 0"
	run_status "$PTAP" list --json /bin/true
	is "$RC/$OUT/$ERR" "0/[]/" "/bin/true --json: an empty array"
fi

# One bad file among good ones: the good ones are listed, status 1.
run_status "$PTAP" list /bin/true "$TMP/nope" "$PY"
is "$RC" 1 "good, missing, good: exit 1"
is "$ERR" "ptap: list: $TMP/nope: No such file or directory" "good, missing, good: one message"
like "$OUT" "^/bin/true: no stapsdt probes" "good, missing, good: first file listed"
like "$OUT" "$PY: 8 probes" "good, missing, good: last file listed"
run_status "$PTAP" list --json "$TMP/nope" "$PY"
is "$RC" 1 "--json with a missing file: exit 1"
ok "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)) != 8)'; echo $?)" \
	"--json with a missing file: still one valid array of the rest"

# Processes.
# Above pid_max no process can exist.
pid=$(($(cat /proc/sys/kernel/pid_max) + 1))
expect_error 1 "ptap: list: no process with pid $pid" "pid that does not exist" \
	"$PTAP" list -p "$pid"

# A kernel thread maps no files.
kthread=$(awk '$2 == "(kthreadd)" { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null)
if [ -n "$kthread" ] && [ ! -s "/proc/$kthread/maps" ]; then
	expect_error 1 "ptap: list: pid $kthread: no files mapped: a kernel thread, or a process that is exiting" \
		"kernel thread" "$PTAP" list -p "$kthread"
else
	for i in 1 2 3; do skip "no kernel thread visible"; done
fi

if [ "$(id -u)" = 0 ] && have setpriv; then
	# A root process, listed by an unprivileged user.
	fifo=$(make_fifo hold)
	chmod 0600 "$fifo"
	"$PY" -c 'import sys; open(sys.argv[1]).read()' "$fifo" &
	rootpid=$!
	on_exit "kill $rootpid"
	expect_error 1 "ptap: list: pid $rootpid: permission denied: it runs as uid 0 and ptap as uid 65534; reading another user's process needs root (CAP_SYS_PTRACE)" \
		"root's process as nobody" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$PTAP" list -p "$rootpid"
	echo done >"$fifo"
	wait "$rootpid"
else
	for i in 1 2 3; do skip "needs root and setpriv to run ptap as nobody against a root process"; done
fi

# Usage errors, exit 2.
usage() { # usage MESSAGE DESCRIPTION ARGS...
	local msg=$1 what=$2
	shift 2
	expect_error 2 "ptap list: $msg
Try 'ptap list --help'." "$what" "$PTAP" list "$@"
}
usage "no FILE and no -p PID given" "no arguments"
usage "no FILE and no -p PID given" "only --json" --json
usage "unknown option '--frobnicate'" "unknown long option" --frobnicate "$PY"
usage "unknown option '-x'" "unknown short option" -x "$PY"
usage "give either FILEs or -p PID, not both" "FILE and -p" -p 1 "$PY"
usage "-p needs a process id, not 'abc'" "-p abc" -p abc
usage "-p needs a process id, not '0'" "-p 0" -p 0
usage "-p needs a process id, not '-5'" "-p -5" -p -5
usage "option '-p' needs an argument" "-p without a value" -p
usage "option '-e' needs an argument" "-e without a value" "$PY" -e

run_status "$PTAP" list --help
is "$RC" 0 "--help: exit 0"
like "$OUT" "^Usage: ptap list" "--help: usage on stdout"
is "$ERR" "" "--help: nothing on stderr"

done_testing

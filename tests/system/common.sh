# Helpers shared by tests/system/*.t, sourced after tests/lib.sh and
# tests/top/common.sh.
#
# A whole-system ptap run as root would attach to every Python of the
# machine, other tests' and other people's too.  So, when the tests run as
# root, the processes of a test and the ptap that traces them run as a
# user of their own, ptap-own (created here if missing): that ptap may
# trace nothing else, and skips every other Python as another user's.
# AS is the command prefix for them (empty when not root).
AS=()
AS_USER=$(id -un)
if [ "$(id -u)" = 0 ]; then
	id ptap-own >/dev/null 2>&1 || useradd -r -M -U -s /usr/sbin/nologin ptap-own >/dev/null 2>&1
	if id ptap-own >/dev/null 2>&1; then
		AS=(setpriv --reuid=ptap-own --regid=ptap-own --clear-groups)
		AS_USER=ptap-own
		chmod 777 "$TMP"        # its fifos and expectation files
	fi
fi

# start_tc NAME [ARGS...]: start_topcounts, as the test's user
start_tc() {
	local name=$1 line
	shift
	mkfifo -m 666 "$TMP/$name.ready" "$TMP/$name.go" "$TMP/$name.linger"
	"${AS[@]}" "$PY" "$TOPC" --ready "$TMP/$name.ready" --go "$TMP/$name.go" \
		--linger "$TMP/$name.linger" --expect "$TMP/$name.expect" "$@" >/dev/null 2>&1 &
	TC_PID=$!
	on_exit "kill -9 $TC_PID"
	line=$(wait_ready "$TMP/$name.ready")
	[ "$line" = "ready $TC_PID" ] || diag "topcounts $name: handshake said '$line'"
}

# start_late NAME CALLS: samples/python/latecomer.py as the test's user;
# returns once it has said it is ready (it then waits for its semaphore)
start_late() {
	mkfifo -m 666 "$TMP/$1.ready" "$TMP/$1.linger"
	"${AS[@]}" "$PY" "$ROOT/samples/python/latecomer.py" --calls "$2" --ready "$TMP/$1.ready" \
		--expect "$TMP/$1.expect" --linger "$TMP/$1.linger" >/dev/null 2>&1 &
	LATE_PID=$!
	on_exit "kill -9 $LATE_PID"
	LATE_LINE=$(wait_ready "$TMP/$1.ready")
}

# Names in a hostile file cannot drive the terminal: control bytes in a
# provider or probe name (here an ESC and a clear-screen sequence) are
# printed as \xHH by list, trace and ptap's messages.
. "$(dirname "$0")/../lib.sh"

have cc || { skip "no C compiler"; done_testing; exit 0; }
printf '#include <sys/sdt.h>\nint main(void) { STAP_PROBE(evil\\033, x\\033[2Jname); return 0; }\n' >"$TMP/evil.c"
cc -o "$TMP/evil" "$TMP/evil.c"
run_status "$PTAP" list "$TMP/evil"
like "$OUT" 'evil\\x1b:x\\x1b\[2Jname  site' "list: the ESC bytes of the names are written \\x1b"
unlike "$OUT" $'\033' "list: no raw ESC on the terminal"
run_status "$PTAP" trace -e '*' -- "$TMP/evil"
like "$OUT" 'evil\\x1b:x\\x1b\[2Jname\(\)' "trace: the same"
unlike "$OUT$ERR" $'\033' "trace: no raw ESC in its output or messages"
run_status "$PTAP" trace -l -e '*' -- "$TMP/evil"
unlike "$OUT$ERR" $'\033' "trace -l: no raw ESC"
run_status "$PTAP" list --json "$TMP/evil"
like "$OUT" '"provider":"evil\\u001b"' "list --json: the name as a JSON escape"
run_status "$PTAP" trace --json -e '*' -- "$TMP/evil"
is "$($PY3 -c 'import json, sys; print(repr(json.loads(sys.stdin.readline())["probe"]))' <<<"$OUT" 2>&1)" \
	"'evil\\x1b:x\\x1b[2Jname'" "trace --json: the probe name is a valid JSON string, exact"
# a program whose file name holds an ESC: flow's and monitor's labels
cp "$PY" "$TMP/py"$'\033'"thon"
run_status "$PTAP" flow -- "$TMP/py"$'\033'"thon" -c 'def f(): pass
f()'
like "$OUT" 'py\\x1bthon\([0-9]+\) +=> f in ' "flow: the program's name with its ESC written \\x1b"
unlike "$OUT$ERR" $'\033' "flow: no raw ESC"

done_testing

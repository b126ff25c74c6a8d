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

done_testing

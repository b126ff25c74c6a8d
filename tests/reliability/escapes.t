# Names in a hostile file cannot drive the terminal: control bytes in a
# provider or probe name (here an ESC and a clear-screen sequence) are
# printed as \xHH by list, trace and ptap's messages.  So are, in every
# text output (trace, flow, top -b, monitor), the C1 controls written as
# UTF-8 (U+009B is a CSI) and the bidirectional overrides and isolates
# that reorder a line; JSON keeps them exact.
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

# C1 controls and bidi overrides in a Python function's name, its file
# name and an audit event's name
cat >"$TMP/c1.py" <<'PY'
import sys
NAME = "f\u009b2J\u0085\u202eevil\u2066"
ns = {}
exec(compile("def g():\n    pass\n", sys.argv[1] + "/x\u009b\u202e.py", "exec"), ns)
g = ns["g"]
g.__code__ = g.__code__.replace(co_name=NAME)
for i in range(5):
    g()
sys.audit("ptap\u202e\u009b.test")
PY
# raw COUNT: how many C1 or bidi characters stdin holds as raw UTF-8
raw() { $PY3 -c 'import re, sys; print(len(re.findall(rb"\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]", sys.stdin.buffer.read())))'; }
NAME_ESC='f\\xc2\\x9b2J\\xc2\\x85\\xe2\\x80\\xaeevil\\xe2\\x81\\xa6'
FILE_ESC='x\\xc2\\x9b\\xe2\\x80\\xae\.py'
run_status "$PTAP" trace -e python:function__entry -- $PY "$TMP/c1.py" "$TMP"
is "$(printf '%s' "$OUT$ERR" | raw)" 0 "trace: no raw C1 or bidi character"
like "$OUT" "\"[^\"]*/$FILE_ESC\", \"$NAME_ESC\", 1\)" "  ... each byte of them written \\xHH"
run_status "$PTAP" trace --json -e python:function__entry -- $PY "$TMP/c1.py" "$TMP"
is "$(grep evil <<<"$OUT" | head -n 1 | $PY3 -c 'import json, sys; print(ascii(json.loads(sys.stdin.readline())["args"][1]))')" \
	"'f\\x9b2J\\x85\\u202eevil\\u2066'" "trace --json: the name exact"
is "$(printf '%s' "$OUT" | raw)" 0 "  ... written as \\u escapes"
run_status "$PTAP" flow -- $PY "$TMP/c1.py" "$TMP"
is "$(printf '%s' "$OUT$ERR" | raw)" 0 "flow: no raw C1 or bidi character"
like "$OUT" "=> $NAME_ESC in [^ ]*/$FILE_ESC:1" "  ... escaped"
run_status "$PTAP" top -b -n 0 -- $PY "$TMP/c1.py" "$TMP"
is "$(printf '%s' "$OUT$ERR" | raw)" 0 "top -b: no raw C1 or bidi character"
like "$OUT" "/$FILE_ESC +1 $NAME_ESC +5 +[0-9.]+ +[0-9.]+$" "  ... escaped, the columns in line"
run_status "$PTAP" monitor -- $PY "$TMP/c1.py" "$TMP"
is "$(printf '%s' "$OUT$ERR" | raw)" 0 "monitor: no raw C1 or bidi character"
like "$OUT" 'audit +ptap\\xe2\\x80\\xae\\xc2\\x9b\.test' "  ... the audit event's name escaped"
# ptap's own messages: a missing command named so
run_status "$PTAP" trace -- "$TMP/no"$'\u202e'"such"
is "$(printf '%s' "$OUT$ERR" | raw)" 0 "a message naming a file: no raw bidi character"

done_testing

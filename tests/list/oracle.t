#!/usr/bin/env bash
# `ptap list --json FILE` against readelf -n, the independent oracle
# (tests/readelf_notes.py puts both in one line per probe location):
# same probes in the same order, same site and semaphore addresses, same
# argument strings.  Debian's interpreters and every ELF sample that
# `make samples` built.
. "$(dirname "$0")/../lib.sh"
ORACLE="/usr/bin/python3 $ROOT/tests/readelf_notes.py"

check_file() { # check_file PATH
	local f=$1 name
	name=${f#"$ROOT"/}
	$ORACLE notes "$f" >"$TMP/want" 2>"$TMP/oracle.err" || {
		fail "$name: readelf oracle failed"; sed 's/^/# /' "$TMP/oracle.err"; return; }
	run_status "$PTAP" list --json "$f"
	ok "$RC" "$name: ptap list --json exits 0"
	if [ "$f" = "$SAMPLES/python3.9" ]; then
		# the stand-in for a Python without markers is told for what it is
		is "$ERR" "ptap: list: $f: this Python was built without --with-dtrace, so it has no stapsdt markers; Debian's /usr/bin/python3.11 (package python3.11) has them" \
			"$name: says it is a Python built without --with-dtrace"
	else
		is "$ERR" "" "$name: nothing on stderr"
	fi
	printf '%s\n' "$OUT" >"$TMP/json"
	if $ORACLE json <"$TMP/json" >"$TMP/got" 2>"$TMP/json.err"; then
		same_file "$TMP/got" "$TMP/want" "$name: $(wc -l <"$TMP/want") probe locations as readelf -n shows them"
	else
		fail "$name: output is not the JSON array expected"
		sed 's/^/# /' "$TMP/json.err"
	fi
	# Every argument's size, sign and float flag is what its N@ prefix says,
	# and an argument ptap cannot read says why.
	/usr/bin/python3 - "$TMP/json" >"$TMP/specs" 2>&1 <<'PY'
import json, re, sys
for p in json.load(open(sys.argv[1])):
    for i, a in enumerate(p["args"], 1):
        m = re.match(r"(-?)([1248])(f?)@", a["spec"])
        size, signed, flt = (int(m.group(2)), m.group(1) == "-", m.group(3) == "f") if m else (8, False, False)
        if (a["size"], a["signed"], a["float"]) != (size, signed, flt):
            print(f"{p['provider']}:{p['name']} arg{i} {a['spec']}: {a}")
        if (a["location"] == "invalid") != ("error" in a):
            print(f"{p['provider']}:{p['name']} arg{i} {a['spec']}: error field {a}")
PY
	is "$(cat "$TMP/specs")" "" "$name: argument prefixes decoded, invalid ones explained"
}

for f in "$PY" "$LIBPY" "$PYD"; do
	if [ -e "$f" ]; then check_file "$f"; else skip "$f is not installed"; fi
done

nsamples=0
for f in "$SAMPLES"/*; do
	[ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	nsamples=$((nsamples + 1))
	check_file "$f"
done
if [ "$nsamples" -gt 0 ]; then pass "$nsamples sample ELF files checked"; else skip "no samples built (make samples)"; fi

# Several files in one call: one array, modules in argument order.
run_status "$PTAP" list --json "$PY" "$LIBPY"
ok "$RC" "two files: exit 0"
got=$(printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import json, sys
mods = [p["module"] for p in json.load(sys.stdin)]
print(" ".join(dict.fromkeys(mods)), len(mods))')
is "$got" "$PY $LIBPY 16" "two files: one array, modules in argument order, 8 probes each"

done_testing

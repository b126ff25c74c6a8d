#!/usr/bin/env bash
# The human output of `ptap list FILE`: a header per module, one line per
# probe location in note order (provider:name, site, semaphore), one line
# per argument, and notes for what cannot be traced.  The probe lines are
# compared with readelf -n through tests/readelf_notes.py.
. "$(dirname "$0")/../lib.sh"
ORACLE="/usr/bin/python3 $ROOT/tests/readelf_notes.py"

# human_as_oracle: probe lines back into the oracle's form, without the
# argument text, plus the number of argument lines under each.
human_as_oracle() {
	awk '
	function flush() { if (line != "") print line, nargs; line = "" }
	/^[^ ].*  site 0x/ { flush(); sem = $5; line = $1 " " $3 " " sem; nargs = 0; next }
	/^  arg[0-9]+: / { nargs++; next }
	END { flush() }'
}
oracle_shape() {
	$ORACLE notes "$1" | awk '{ n = NF - 3; print $1, $2, $3, n }'
}

check_human() { # check_human FILE
	local f=$1
	run_status "$PTAP" list "$f"
	ok "$RC" "$f: exit 0"
	is "$(printf '%s\n' "$OUT" | head -n 1)" "$f: $(oracle_shape "$f" | wc -l) probes" "$f: header"
	printf '%s\n' "$OUT" | human_as_oracle >"$TMP/got"
	oracle_shape "$f" >"$TMP/want"
	same_file "$TMP/got" "$TMP/want" "$f: probe lines and argument counts as readelf -n"
}

check_human "$PY"
check_human "$LIBPY"
[ -x "$SAMPLES/semaphores-nopie" ] && check_human "$SAMPLES/semaphores-nopie" ||
	{ skip "samples not built"; skip "samples not built"; skip "samples not built"; }

# Argument descriptions of Debian's python3.11 (stable across its builds:
# the markers' operands come from the same source and compiler).
run_status "$PTAP" list "$PY"
like "$OUT" "
python:gc__start +site 0x[0-9a-f]+  semaphore 0x[0-9a-f]+
  arg1: signed 32-bit, memory 112\(%rsp\)
" "python:gc__start: a signed stack slot"
like "$OUT" "
python:function__entry +site 0x[0-9a-f]+  semaphore 0x[0-9a-f]+
  arg1: unsigned 64-bit, register %rbp
  arg2: unsigned 64-bit, register %r12
  arg3: signed 32-bit, register %eax
" "python:function__entry: three arguments in registers"

# Semaphores: "none" when a probe has none.
if [ -x "$SAMPLES/operands-pie" ]; then
	run_status "$PTAP" list "$SAMPLES/operands-pie"
	like "$OUT" "
sample:noargs +site 0x[0-9a-f]+  semaphore none
sample:" "a probe without semaphore or arguments"
	like "$OUT" "arg1: signed 32-bit, symbol gvar\(%rip\) at 0x[0-9a-f]+" "a %rip-relative symbol with its address"
	like "$OUT" "arg1: double, register %xmm0" "a double in %xmm0"
	like "$OUT" "arg1: signed 8-bit, constant -127
  arg2: unsigned 8-bit, constant 129" "constants truncated to their size"
else
	for i in 1 2 3 4; do skip "samples not built"; done
fi

# Several files: blank line between modules, in argument order.
run_status "$PTAP" list "$PY" /bin/true "$LIBPY"
is "$(printf '%s\n' "$OUT" | grep -E '^(/|$)' | tr '\n' '|')" \
	"$PY: 8 probes||/bin/true: no stapsdt probes||$LIBPY: 8 probes|" "three files: headers and separators"

# -e filters.
run_status "$PTAP" list -e 'python:gc__*' "$PY"
is "$(printf '%s\n' "$OUT" | grep -Eo '^(python:[a-z_]+|/.*)' | tr '\n' ' ')" \
	"$PY: 2 of 8 probes match python:gc__start python:gc__done " "-e 'python:gc__*'"
run_status "$PTAP" list -e line -e 'nothing:*' "$PY"
is "$(printf '%s\n' "$OUT" | grep -c '^python:')" 1 "-e NAME without provider"
run_status "$PTAP" list -e 'python:function-*' -e 'python:*line' "$PY"
is "$(printf '%s\n' "$OUT" | grep -Eo '^python:[a-z_]+' | tr '\n' ' ')" \
	"python:line python:function__entry python:function__return " \
	"-e reads patterns as trace does ('-' for '__'), and a glob lists python:line"
run_status "$PTAP" list -e 'python:x(nosuchtype)' "$PY"
is "$RC" 2 "-e with a bad type list: a usage error, as in trace"

# A module of another machine is listed, with a note that it cannot be traced.
if [ -x "$SAMPLES/semaphores-pie" ]; then
	cp "$SAMPLES/semaphores-pie" "$TMP/arm64"
	printf '\267\000' | dd of="$TMP/arm64" bs=1 seek=18 conv=notrunc 2>/dev/null   # e_machine = EM_AARCH64
	run_status "$PTAP" list "$TMP/arm64"
	is "$RC" 0 "aarch64 ELF: exit 0"
	is "$(printf '%s\n' "$OUT" | sed -n 2p)" \
		"note: this module cannot be traced: it is an aarch64 binary; ptap traces x86-64 only for now" \
		"aarch64 ELF: note under the header"
	is "$(printf '%s\n' "$OUT" | grep -c '^sema:')" 4 "aarch64 ELF: its probes are listed"
	run_status "$PTAP" list --json "$TMP/arm64"
	is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; ps=json.load(sys.stdin); print(len(ps), {p["machine"] for p in ps}, {p["traceable"] for p in ps})')" \
		"4 {'aarch64'} {False}" "aarch64 ELF --json: machine and traceable"
else
	for i in 1 2 3 4; do skip "samples not built"; done
fi

# Pythons without markers get told so, plainly.
PYENV_SHIM=$(PATH=$HOME/.pyenv/shims:$PATH command -v python3.11)
if [ -n "$PYENV_SHIM" ] && [ "$PYENV_SHIM" != "$PY" ] && [ "${PYENV_SHIM#*/shims/}" != "$PYENV_SHIM" ]; then
	run_status env PATH="$(dirname "$PYENV_SHIM"):$PATH" "$PTAP" list python3.11
	is "$RC" 1 "pyenv shim via PATH: exit 1 (not an ELF file)"
	is "$ERR" "ptap: list: $PYENV_SHIM: not an ELF file but a pyenv shim, a script that runs the Python pyenv selects; pyenv builds Python without --with-dtrace, so it has no stapsdt markers; Debian's /usr/bin/python3.11 (package python3.11) has them" \
		"pyenv shim: the plain message"
	real=$("$PYENV_SHIM" -c 'import sys; print(sys.executable)' 2>/dev/null)
	if [ -n "$real" ] && ! readelf -n "$real" | grep -q stapsdt; then
		run_status "$PTAP" list "$real"
		is "$RC/$OUT" "0/$real: no stapsdt probes" "pyenv's interpreter: no probes, exit 0"
		like "$ERR" "^ptap: list: $real: this Python was built without --with-dtrace(: neither it nor its .*libpython[^ ]* has stapsdt markers)?(, so it has no stapsdt markers)?; Debian's /usr/bin/python3.11 \(package python3.11\) has them$" \
			"pyenv's interpreter: built without --with-dtrace"
	else
		skip "pyenv's python3.11 not found or has markers"; skip "pyenv's python3.11 not found or has markers"
	fi
else
	for i in 1 2 3 4; do skip "no pyenv shim for python3.11"; done
fi

done_testing

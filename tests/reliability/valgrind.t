#!/usr/bin/env bash
# The release build under valgrind's memcheck: no invalid read or write, no
# use of uninitialised memory, no definite leak, in `ptap list` of files
# (python3.11, and every hostile file of hostile_elf.py), `ptap list -p` of
# a running Python, `ptap trace` of a launched and of an attached
# python3.11, with --stack, and of samples/hostile.  valgrind runs ptap,
# not the target: ptrace and the target are unaffected.  Only the release
# variant: the sanitizer build cannot run under valgrind.
. "$(dirname "$0")/../lib.sh"

if [ "${PTAP_VARIANT:-release}" != release ]; then
	skip "valgrind runs the release build only (this is the ${PTAP_VARIANT} variant)"
	done_testing
	exit 0
fi
if ! have valgrind; then
	skip "valgrind is not installed (scripts/deps.sh installs it)"
	done_testing
	exit 0
fi

n_vg=0
VG_LOG=
# vg CMD...: run "$PTAP" CMD... under memcheck, stdout to $TMP/out, stderr
# to $TMP/err, valgrind's report to $VG_LOG; status in $RC (99: an error)
vg() {
	n_vg=$((n_vg + 1))
	VG_LOG=$TMP/vg.$n_vg.log
	run_status valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$VG_LOG" "$PTAP" "$@"
}
# clean WHAT: the last run was clean, or show valgrind's report.  (valgrind
# 3.19 does not know openat2 and warns, with "--" lines: ptap then opens
# mapped files through map_files; only "==" lines are memcheck's own.)
clean() {
	if [ "$RC" != 99 ] && grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" &&
	   ! grep -Eq 'definitely lost: [1-9]' "$VG_LOG"; then
		pass "$1: memcheck clean"
	else
		fail "$1: memcheck clean (status $RC)"
		grep '^==' "$VG_LOG" | head -n 40 | sed 's/^/# /'
	fi
}

vg list "$PY"
clean "list $PY"
like "$OUT" "^$PY: 8 probes" "  ... and it lists python3.11's 8 probes"
vg list --json "$PY" "$LIBPY"
clean "list --json python3.11 libpython3.11"

$PY3 "$ROOT/tests/reliability/hostile_elf.py" "$TMP/hostile"
mapfile -t hostile < <(cut -f1 "$TMP/hostile/MANIFEST" | sed "s|^|$TMP/hostile/|")
vg list "${hostile[@]}"
clean "list of ${#hostile[@]} hostile ELF files"
is "$RC" 1 "  ... exit 1: some are refused"

# A running Python: list -p, then an attached trace.
R=$(make_fifo ready)
G=$(make_fifo go)
$PY "$ROOT/samples/python/fib.py" --n 12 --ready "$R" --go "$G" --expect "$TMP/fib.expect" &
FP=$!
on_exit "kill -9 $FP"
read -r _ pid < <(wait_ready "$R")
vg list -p "$pid"
clean "list -p of a running python3.11"
like "$OUT" "pid $pid \($PY\)" "  ... which it lists"
PTAP_REAL=$PTAP
PTAP=valgrind
start_ptap --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$TMP/vg.attach.log" "$PTAP_REAL" trace -p "$pid"
PTAP=$PTAP_REAL
like "$PTAP_LINE" "tracing pid $pid" "trace -p under valgrind attaches"
echo go >"$G"
wait "$FP"
is "$?" 0 "  ... the traced python3.11 ends normally"
stop_ptap
RC=$PTAP_RC VG_LOG=$TMP/vg.attach.log clean "trace -p of a running python3.11"
is "$(grep -c 'python:function__entry(.*, "fib", ' "$TMP/ptap.out")" 465 "  ... and it saw all 465 calls of fib(12)"

# Launched.  The target writes its expectation to a file: on ptap's stdout
# it could land inside one of ptap's lines (they share the file).
vg trace -- "$PY" "$ROOT/samples/python/fib.py" --n 12 --expect "$TMP/fib12.expect"
clean "trace -- python3.11 fib.py"
is "$RC" 0 "  ... exit 0"
is "$(grep -c 'python:function__entry(.*, "fib", ' "$TMP/out")" 465 "  ... all 465 calls of fib(12)"
vg trace --stack -e 'python:gc__*' -- "$PY" -c 'import gc; gc.collect()'
clean "trace --stack -- python3.11 (gc markers)"
like "$OUT" "#0 " "  ... with native stacks"
if [ -x "$SAMPLES/hostile" ]; then
	vg trace -e 'hostile:str_*(str)' -e 'hostile:indirect(str,str,str)' -e 'hostile:deref' \
		-- "$SAMPLES/hostile" --race 200
	clean "trace of samples/hostile"
	like "$OUT" "str_nonul\(\"A+\"\.\.\.\)" "  ... with its truncated strings"
else
	skip "build/samples/hostile is missing: run make samples"
fi

done_testing

#!/usr/bin/env bash
# --stack: the native call stack at each hit, unwound with libunwind through
# .eh_frame and named from .symtab, .dynsym and separate debug files.
#
# C samples: operands.c's fire_* functions are noipa, so each probe fires
# from a known chain (fire_X <- fire_sequence <- sample_run <- main, or
# <- worker_main in a thread); libprobes.so's from a library, loaded at
# start (linked) or by dlopen at alternating addresses (dlopen --reopen).
# Python: gc.collect(0) and gc.collect(2) in monitor.py must show CPython's
# gc_collect_main reached from the builtin gc.collect, on Debian's stripped
# python3.11 (named with its debug file when python3.11-dbg is installed;
# without one, the same frames at the same addresses, exported names only).
# Every named frame is checked against readelf (tests/stack/check.py).
. "$(dirname "$0")/../lib.sh"

P=$ROOT/samples/python
CHECK="/usr/bin/python3 $ROOT/tests/stack/check.py"

check_run() { # check_run DESCRIPTION MODE FILE ARGS...
	local what=$1
	shift
	run_status $CHECK "$@"
	ok "$RC" "$what ($(tail -n1 <<<"$OUT"))"
	[ "$RC" = 0 ] || diag "$(head -n 12 <<<"$OUT")"
}

for v in nopie pie; do
	S=$SAMPLES/operands-$v
	if [ ! -x "$S" ]; then skip "$S not built (make samples)"; continue; fi
	run_status "$PTAP" trace -q --json --stack -e 'sample:*' -o "$TMP/st.json" -- "$S"
	ok "$RC" "operands-$v: trace --stack exits 0"
	is "$(grep -c '"stack":\[{' "$TMP/st.json")" 32 "operands-$v: all 32 firings have a stack"
	check_run "operands-$v: the exact chain main -> sample_run -> fire_sequence -> fire_X of every probe" \
		chain "$TMP/st.json" sample:loop fire_loop fire_sequence sample_run main \
		'__libc_start_call_main|?' '__libc_start_main*|?' _start
	check_run "operands-$v: each probe's own fire_* function at frame 0" operands "$TMP/st.json"
	check_run "operands-$v: every frame is within its symbol (readelf -s), frame 0 is the probe site (readelf -n)" \
		symbols "$TMP/st.json"
	run_status "$PTAP" trace -q --json --stack -e 'sample:loop' -o "$TMP/st.json" -- "$S" --threads 3 --loops 2
	is "$(grep -c '"stack":\[{' "$TMP/st.json")" 6 "operands-$v --threads 3: 6 stacks"
	check_run "operands-$v --threads 3: fire_loop <- fire_sequence <- worker_main <- start_thread" \
		chain "$TMP/st.json" sample:loop fire_loop fire_sequence worker_main 'start_thread|?'
	check_run "operands-$v --threads 3: every frame is within its symbol" symbols "$TMP/st.json"
done

# Text: frames indented under their event, numbered.
run_status "$PTAP" trace -q --stack -e 'sample:noargs' -- "$SAMPLES/operands-nopie"
like "$OUT" $'sample:noargs\\(\\)\n    #0  0x[0-9a-f]+ fire_noargs\\+0x[0-9a-f]+ \\(operands-nopie\\)\n    #1  0x[0-9a-f]+ fire_sequence\\+0x[0-9a-f]+ \\(operands-nopie\\)\n    #2  0x[0-9a-f]+ sample_run\\+0x[0-9a-f]+ \\(operands-nopie\\)\n    #3  0x[0-9a-f]+ main\\+' \
	"text: '#N  PC function+0xOFF (module)' under the event line"

# --stack-depth
run_status "$PTAP" trace -q --json --stack-depth 3 -e 'sample:*' -o "$TMP/st.json" -- "$SAMPLES/operands-pie"
check_run "--stack-depth 3: at most 3 frames, and 3 when deeper" depth "$TMP/st.json" 3
run_status "$PTAP" trace --stack-depth 0 -- "$SAMPLES/operands-pie"
is "$RC" 2 "--stack-depth 0 is a usage error"

# A shared library, and one loaded by dlopen at alternating addresses.
run_status "$PTAP" trace -q --json --stack -e 'libprobes:call' -o "$TMP/st.json" -- "$SAMPLES/linked" --loops 2
# linked's fire_sequence ends in a tail call (jmp libprobes_run): its frame
# is gone by then, and libprobes_run returns straight to sample_run.
check_run "linked: libprobes_run in libprobes.so <- sample_run in linked (fire_sequence tail-called it)" \
	chain "$TMP/st.json" libprobes:call libprobes_run sample_run main
check_run "linked: every frame is within its symbol" symbols "$TMP/st.json"
run_status "$PTAP" trace -q --json --stack -e 'libprobes:call' -o "$TMP/st.json" -- "$SAMPLES/dlopen" --reopen --loops 4
is "$(grep -c '"stack":\[{' "$TMP/st.json")" 4 "dlopen --reopen: 4 stacks"
bases=$(grep -o '"pc":"0x[0-9a-f]*","function":"libprobes_run"' "$TMP/st.json" | sort -u | wc -l)
is "$bases" 2 "dlopen --reopen: the library ran at two addresses"
check_run "dlopen --reopen: libprobes_run <- fire_sequence <- sample_run <- main at either address" \
	chain "$TMP/st.json" libprobes:call libprobes_run fire_sequence sample_run main
check_run "dlopen --reopen: every frame is within its symbol" symbols "$TMP/st.json"

# Python: gc.collect() from the sample, through monitor --stack.
run_status "$PTAP" monitor -q --json --stack -o "$TMP/mon.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
ok "$RC" "python: monitor --stack exits 0"
$CHECK window "$TMP/mon.json" >"$TMP/win.json"
is "$(grep -c '"event":"gc_start"' "$TMP/win.json")" 2 "python: two gc starts in the window"
DBG=$(readelf -nW "$PY" | sed -n 's/.*Build ID: \(..\)\(.*\)/\/usr\/lib\/debug\/.build-id\/\1\/\2.debug/p')
if [ -e "$DBG" ]; then
	check_run "python: gc_collect_main <- gc_collect_with_callback <- gc_collect (builtin gc.collect) <- the eval loop ... Py_BytesMain ... _start" \
		chain "$TMP/win.json" gc_start 'gc_collect_main*' 'gc_collect_with_callback*' \
		'gc_collect|gc_collect.*' 'cfunction_vectorcall*' ... '_PyEval_EvalFrameDefault' ... \
		Py_RunMain Py_BytesMain ... _start
else
	skip "python: no debug file for $PY ($DBG; package python3.11-dbg): static names not checked"
fi
check_run "python: every named frame is within its symbol, frame 0 is gc__start's site" \
	symbols "$TMP/win.json"
$CHECK pcs "$TMP/win.json" "$PY" | grep . >"$TMP/pcs.debug"

# Without debug files: the same unwind (only .eh_frame is needed), fewer names.
PTAP_DEBUG_DIR= run_status "$PTAP" monitor -q --json --stack -o "$TMP/mon.json" -- $PY "$P/monitor.py" --expect "$TMP/expect"
ok "$RC" "stripped: monitor --stack with PTAP_DEBUG_DIR= exits 0"
$CHECK window "$TMP/mon.json" >"$TMP/win.json"
$CHECK pcs "$TMP/win.json" "$PY" | grep . >"$TMP/pcs.stripped"
same_file "$TMP/pcs.stripped" "$TMP/pcs.debug" "stripped: the same python3.11 frames at the same addresses"
check_run "stripped: frame 0 unnamed (a static function), exported ones named: ... Py_BytesMain ... _start" \
	chain "$TMP/win.json" gc_start '?' ... 'PyObject_Vectorcall|_PyObject_*|PyEval_*|?' ... Py_BytesMain ... _start
check_run "stripped: every named frame is within its symbol" symbols "$TMP/win.json"
site=$(grep -m1 '"event":"gc_start"' "$TMP/win.json" | sed 's/.*"stack":\[{"pc":"\(0x[0-9a-f]*\)","function":null,"offset":\([0-9]*\).*/\1 \2/')
read -r pc off <<<"$site"
is "$((pc))" "$((off))" "stripped: an unnamed frame's offset is its link-time address (non-PIE: the pc)"

# Separate debug files found through .gnu_debuglink: a stripped copy of
# operands-nopie names its static fire_* functions only with the debug
# file's .symtab.  Next to the file, in its .debug/ directory, matched by
# CRC when there is no build-id; the debug file of another build refused.
frames0() { # frames0 BINARY: the functions of the first sample:loop stack
	"$PTAP" trace -q --json --stack-depth 3 -e sample:loop -o "$TMP/dl.json" -- "$1" >/dev/null 2>&1
	$PY3 -c 'import json, sys
e = json.loads(open(sys.argv[1]).readline())
print(" ".join(f["function"] or "??" for f in e["stack"]))' "$TMP/dl.json"
}
D=$TMP/dl
mkdir -p "$D/.debug"
S=$SAMPLES/operands-nopie
objcopy --only-keep-debug "$S" "$D/ops.debug" && cp "$S" "$D/ops" && strip --strip-all "$D/ops" &&
	objcopy --add-gnu-debuglink="$D/ops.debug" "$D/ops"
is "$(readelf -SW "$D/ops" | grep -c '\.symtab')" 0 "debuglink: the copy is stripped"
is "$(frames0 "$D/ops")" "fire_loop fire_sequence sample_run" "debuglink: the debug file next to the program names its statics"
mv "$D/ops.debug" "$D/.debug/ops.debug"
is "$(frames0 "$D/ops")" "fire_loop fire_sequence sample_run" "debuglink: ... and in its .debug/ directory"
objcopy --only-keep-debug "$SAMPLES/operands-pie" "$D/.debug/ops.debug"
is "$(frames0 "$D/ops")" "?? ?? ??" "debuglink: another build's debug file (other build-id) is not used"
objcopy --remove-section .note.gnu.build-id "$S" "$D/nb" && objcopy --only-keep-debug "$D/nb" "$D/nb.debug" &&
	strip --strip-all "$D/nb" && objcopy --add-gnu-debuglink="$D/nb.debug" "$D/nb" 2>/dev/null
is "$(frames0 "$D/nb")" "fire_loop fire_sequence sample_run" "debuglink without build-id: the CRC matches, the file is used"
echo changed >>"$D/nb.debug"
is "$(frames0 "$D/nb")" "?? ?? ??" "debuglink without build-id: a debug file whose CRC differs is not used"

# Stacks from an attached process, its threads too.
R=$(make_fifo ready) G=$(make_fifo go)
"$SAMPLES/operands-pie" --threads 2 --ready "$R" --go "$G" &
SP=$!
on_exit "kill -9 $SP"
is "$(wait_ready "$R")" "ready $SP" "attach: the sample is ready"
start_ptap trace --json --stack -e 'sample:loop' -p "$SP" -o "$TMP/st.json"
echo go >"$G"
wait "$SP"
stop_ptap       # it ends by itself once the sample has exited
is "$(grep -c '"stack":\[{' "$TMP/st.json")" 2 "attach: a stack for each thread's firing"
check_run "attach: fire_loop <- fire_sequence <- worker_main" chain "$TMP/st.json" sample:loop fire_loop fire_sequence worker_main

# PTAP_VERBOSE=1: what the unwinding cost, counted exactly
run_status env PTAP_VERBOSE=1 "$PTAP" trace -q --stack -e 'sample:noargs' -o /dev/null -- "$SAMPLES/operands-nopie"
like "$ERR" "^ptap: stack: 1 stacks? unwound, [0-9.]+ us each$" "PTAP_VERBOSE=1: the one stack and its cost"
run_status "$PTAP" trace -q --stack -e 'sample:noargs' -o /dev/null -- "$SAMPLES/operands-nopie"
is "$ERR" "" "  ... and nothing without it"

done_testing

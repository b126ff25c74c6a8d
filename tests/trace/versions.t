# What ptap says about interpreters whose markers it cannot use for calls:
# CPython 3.12 to 3.14 (no function markers; told here by the Py_Version
# they export, as a real one is not installed), and one without markers.
. "$(dirname "$0")/../lib.sh"

have cc || { skip "no C compiler"; done_testing; exit 0; }
# a stand-in for python3.12: gc markers with semaphores, no function markers
mkdir -p "$TMP/bin"
cat >"$TMP/fake.c" <<'C'
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
__extension__ unsigned short python_gc__start_semaphore __attribute__((unused, section(".probes")));
const unsigned long Py_Version = 0x030c01f0;    /* 3.12.1 final */
int main(void)
{
	volatile int gen = 2;
	if (python_gc__start_semaphore)
		STAP_PROBE1(python, gc__start, gen);
	return 0;
}
C
cc -O1 -rdynamic -o "$TMP/bin/python3.12" "$TMP/fake.c"
run_status "$PTAP" trace -e python:function__entry -- "$TMP/bin/python3.12"
is "$RC" 1 "a 3.12 interpreter asked for function markers: exit 1, nothing can fire"
like "$ERR" "^ptap: trace: nothing to trace: pid [0-9]+ \($TMP/bin/python3\.12\): no probe matching python:function__entry: " \
	"  ... naming the interpreter"
like "$ERR" "CPython 3.12 to 3.14 have no function__entry/function__return markers" \
	"  ... and ptap says 3.12 has no function markers"
like "$ERR" "ptap monitor" "  ... and what to use instead"
run_status "$PTAP" trace -e python:gc__start -- "$TMP/bin/python3.12"
like "$OUT" 'python:gc__start\(2\)' "its gc marker is traced, semaphore raised"
unlike "$ERR" "no function__entry" "  ... without the function-marker notice when none was asked for"

done_testing

#!/usr/bin/env bash
# The short fuzz run of `make test`.  For each libFuzzer harness (fuzz/*.c,
# one per directory of fuzz/corpus/): replay every seed of
# fuzz/corpus/<harness>/ and every input that once crashed,
# fuzz/regressions/<harness>/, then fuzz for a few seconds from a fixed
# seed.  No input may crash, trip ASan or UBSan, or leak.  Longer runs:
# `make fuzz-run FUZZ_SECONDS=N`.
#
# The harnesses are their own sanitizer build (build/fuzz/, by clang), the
# same in both of tests/run's variants: they run in the asan variant only.
. "$(dirname "$0")/../lib.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-5}

if [ "$ENGINE" != inproc ]; then
	skip "the fuzzers do not depend on the engine: they run once, with the in-process one"
	done_testing
	exit 0
fi
if [ "${PTAP_VARIANT:-asan}" != asan ]; then
	skip "the fuzzers are one build of their own: they run in the asan variant"
	done_testing
	exit 0
fi
if ! have clang; then
	skip "clang is not installed, so the fuzzers were not built (scripts/deps.sh installs clang and libclang-rt-14-dev)"
	done_testing
	exit 0
fi

# leaks count here (tests/run turns them off for ptap itself)
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for dir in "$ROOT"/fuzz/corpus/*/; do
	h=$(basename "$dir")
	bin=$ROOT/build/fuzz/$h
	if [ ! -x "$bin" ]; then
		fail "$h: build/fuzz/$h is missing: run 'make fuzz'"
		continue
	fi
	inputs=("$dir"*)
	regress=()
	[ -d "$ROOT/fuzz/regressions/$h" ] && regress=("$ROOT/fuzz/regressions/$h"/*)
	[ -e "${regress[0]:-}" ] || regress=()
	if "$bin" "${inputs[@]}" "${regress[@]}" >"$TMP/$h.replay" 2>&1; then
		pass "$h: ${#inputs[@]} seeds and ${#regress[@]} regression inputs replay cleanly"
	else
		fail "$h: ${#inputs[@]} seeds and ${#regress[@]} regression inputs replay cleanly"
		grep -E 'Running:|ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$TMP/$h.replay" | head -n 30 | sed 's/^/# /'
		continue
	fi

	mkdir -p "$TMP/corpus-$h"
	rdirs=()
	[ ${#regress[@]} -gt 0 ] && rdirs=("$ROOT/fuzz/regressions/$h")
	max_len=4096
	[ "$h" = elf ] && max_len=16384
	if "$bin" -seed=1 -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=$max_len -print_final_stats=1 -artifact_prefix="$TMP/crash-$h-" \
		"$TMP/corpus-$h" "$dir" "${rdirs[@]}" >"$TMP/$h.fuzz" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$h.fuzz")
		pass "$h: fuzzed for ${FUZZ_SECONDS}s (${runs:-?} runs) without a crash"
	else
		fail "$h: fuzzed for ${FUZZ_SECONDS}s without a crash"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x|Test unit written' "$TMP/$h.fuzz" | head -n 30 | sed 's/^/# /'
		for c in "$TMP"/crash-"$h"-*; do
			[ -e "$c" ] || continue
			mkdir -p "$ROOT/build/fuzz/artifacts"
			cp "$c" "$ROOT/build/fuzz/artifacts/"
			diag "input kept as build/fuzz/artifacts/$(basename "$c"): fix the bug, then move it to fuzz/regressions/$h/"
		done
	fi
done

done_testing

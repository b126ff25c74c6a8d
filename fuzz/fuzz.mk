# Fuzzing the parsers with libFuzzer (clang); included by the top Makefile.
#
#   make fuzz                       build/fuzz/<harness> for every harness
#   make fuzz-run FUZZ_SECONDS=600  fuzz each in turn (FUZZ_HARNESSES=... to pick)
#
# Each harness (fuzz/<harness>.c) is linked with its own build of the
# library sources it needs, compiled by clang with coverage, ASan and UBSan.
# Seeds are in fuzz/corpus/<harness>/, inputs that once crashed in
# fuzz/regressions/<harness>/; fuzz-run reads both and writes what it
# learns to build/fuzz/corpus/<harness>/ and crashes to
# build/fuzz/artifacts/.  A new crash becomes a regression file: copy it
# into fuzz/regressions/<harness>/ once the bug is fixed.  `make test`
# builds the harnesses; tests/fuzz/fuzz.t replays both directories and
# fuzzes each harness for a few seconds.  Without clang, nothing is built
# and that test skips.

FUZZ_CC ?= clang
FUZZ := build/fuzz
# One harness per fuzz/*.c (fuzz/seeds/ holds what the seeds are made from).
FUZZ_HARNESSES ?= $(notdir $(basename $(wildcard fuzz/*.c)))
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) -I. -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIBS := -lelf -lZydis -lm

# What the harnesses may link, in one archive so that each pulls in only
# the objects it uses: the parsers, and what argeval needs to read memory
# and print values.
FUZZ_LIB_SRC := $(wildcard common/*.c arch/*.c elf/*.c) tracer/procmaps.c tracer/mem.c \
	tracer/argeval.c $(wildcard tracer/strcache.c) tracer/sitecheck.c ui/format.c
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ)/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_LIB := $(FUZZ)/libptap-fuzz.a
FUZZ_BINS := $(addprefix $(FUZZ)/,$(FUZZ_HARNESSES))
# Built by pattern rules only: keep them, or make deletes them after linking.
.SECONDARY: $(FUZZ_LIB_OBJ) $(patsubst %,$(FUZZ)/obj/fuzz/%.o,$(FUZZ_HARNESSES))

.PHONY: fuzz fuzz-run

ifeq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
fuzz:
	@echo "fuzz: $(FUZZ_CC) not found, fuzzers not built (scripts/deps.sh installs clang)"
else
fuzz: $(FUZZ_BINS)
endif

$(FUZZ)/obj/%.o: %.c
	$(call msg,CC-FUZZ,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ)/%: $(FUZZ)/obj/fuzz/%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

-include $(wildcard $(FUZZ)/obj/*/*.d)

# Whole ELF files need more room than the other inputs.
fuzz-run: fuzz
	$(Q)for h in $(FUZZ_HARNESSES); do \
		len=4096; [ $$h = elf ] || [ $$h = sitecheck ] && len=16384; \
		mkdir -p $(FUZZ)/corpus/$$h $(FUZZ)/artifacts fuzz/regressions/$$h; \
		echo "fuzz-run: $$h for $(FUZZ_SECONDS) s"; \
		ASAN_OPTIONS=detect_leaks=1 $(FUZZ)/$$h -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -rss_limit_mb=2048 -max_len=$$len \
			-artifact_prefix=$(FUZZ)/artifacts/$$h- -print_final_stats=1 \
			$(FUZZ)/corpus/$$h fuzz/corpus/$$h fuzz/regressions/$$h || exit 1; \
	done

# ptap build.  `make` builds ./ptap; `make test` runs every test; `make run`
# opens the top view on a sample workload; `make bench` measures.  Both
# `run` and `test` first install what is missing (scripts/deps.sh).
# Quiet by default; `make V=1` shows the full commands.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libelf libunwind-ptrace ncursesw

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
PKG_LIBS := -lelf -lunwind-ptrace -lunwind-generic -lunwind -lncursesw -ltinfo
endif
# Zydis (the x86 decoder of the site check) ships no pkg-config file.
PKG_LIBS += -lZydis

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla
BASE_CFLAGS := -std=gnu11 -g $(WARN) -I. -DPTAP_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
CFLAGS ?= -O2
LDLIBS := $(PKG_LIBS) -lm

# Build variants: release objects in build/release, sanitizer objects in
# build/asan (AddressSanitizer + UndefinedBehaviorSanitizer).
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

# The recorder ptap puts into targets, as a C array (see "The recorder").
BLOB_SRC := build/inproc/blob.c
SRC := $(wildcard common/*.c arch/*.c elf/*.c tracer/*.c ui/*.c) $(BLOB_SRC)
MAIN_SRC := ui/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(SRC))
UNIT_SRC := $(wildcard tests/unit/*.c)

REL := build/release
ASAN := build/asan

rel_obj = $(patsubst %.c,$(REL)/%.o,$(patsubst build/%,%,$(1)))
asan_obj = $(patsubst %.c,$(ASAN)/%.o,$(patsubst build/%,%,$(1)))

UNIT_REL := $(patsubst tests/unit/%.c,$(REL)/tests/%,$(UNIT_SRC))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(ASAN)/tests/%,$(UNIT_SRC))

.PHONY: all asan units samples test check run bench deps install uninstall clean distclean fuzz
all: ptap

ptap: $(call rel_obj,$(SRC))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN)/ptap: $(call asan_obj,$(SRC))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

asan: $(ASAN)/ptap $(UNIT_ASAN)
units: $(UNIT_REL)

# The recorder: freestanding, position-independent, general-purpose
# registers only, no writable data; linked flat by inproc/mkblob.sh.
BLOB_CFLAGS := -std=gnu11 -I. -O2 $(WARN) -ffreestanding -fno-builtin -nostdlib -fPIE \
	-fvisibility=hidden -mgeneral-regs-only -fno-stack-protector -fno-stack-clash-protection \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -fno-jump-tables -ffunction-sections

build/inproc/recorder.o: inproc/recorder.c inproc/abi.h
	$(call msg,CC-TGT,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BLOB_CFLAGS) -c -o $@ $<

$(BLOB_SRC): build/inproc/recorder.o inproc/mkblob.sh inproc/blob.ld
	$(call msg,BLOB,$@)
	$(Q)inproc/mkblob.sh $< build/inproc/recorder.elf $@

$(REL)/inproc/blob.o: $(BLOB_SRC)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

$(ASAN)/inproc/blob.o: $(BLOB_SRC)
	$(call msg,CC-SAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(REL)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(ASAN)/%.o: %.c
	$(call msg,CC-SAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(REL)/tests/%: $(REL)/tests/unit/%.o $(call rel_obj,$(LIB_SRC))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN)/tests/%: $(ASAN)/tests/unit/%.o $(call asan_obj,$(LIB_SRC))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(wildcard $(REL)/*/*.d $(REL)/*/*/*.d $(ASAN)/*/*.d $(ASAN)/*/*/*.d)

# Sample programs with stapsdt probes (samples/samples.mk defines SAMPLES).
include samples/samples.mk
include bench/bench.mk
samples: $(SAMPLES)

# libFuzzer harnesses of the parsers (fuzz/fuzz.mk: make fuzz, make fuzz-run).
include fuzz/fuzz.mk

deps:
	$(Q)scripts/deps.sh

# The whole suite: unit tests and every integration test, against the
# release build and again against the sanitizer build.
test: deps
	$(Q)$(MAKE) --no-print-directory all units asan samples fuzz
	$(Q)tests/run

check: test

run: deps
	$(Q)$(MAKE) --no-print-directory all samples
	$(Q)./ptap top -- /usr/bin/python3.11 samples/python/workload.py

bench: deps
	$(Q)$(MAKE) --no-print-directory all samples $(BENCH_REF)
	$(Q)bench/run
	$(Q)bench/scan
	$(Q)bench/server

install: ptap
	install -D -m 0755 ptap $(DESTDIR)$(PREFIX)/bin/ptap
	install -D -m 0644 man/ptap.1 $(DESTDIR)$(PREFIX)/share/man/man1/ptap.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ptap $(DESTDIR)$(PREFIX)/share/man/man1/ptap.1

clean:
	rm -rf build ptap $(SAMPLES_CLEAN)

distclean: clean

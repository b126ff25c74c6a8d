# Sample programs with stapsdt probes, for the tests to compare ptap against
# (see samples/README).  Included by the top Makefile: defines SAMPLES (what
# `make samples` builds) and SAMPLES_CLEAN (what `make clean` removes).
#
# The samples have their own compiler flags on purpose: the argument specs
# in their notes depend on the optimisation level, and the tests expect the
# forms that -O2 gives, whatever CFLAGS the tracer itself is built with.
# The Python samples (samples/python/) need no build.

SB := build/samples
SAMPLE_CFLAGS := -std=gnu11 -g -O2 $(WARN) -Isamples -I$(SB)
SAMPLE_COMMON := samples/sample.c samples/sample.h
PY_EMBED_CFLAGS := $(shell $(PKG_CONFIG) --cflags python3-embed 2>/dev/null || echo -I/usr/include/python3.11)
PY_EMBED_LIBS := $(shell $(PKG_CONFIG) --libs python3-embed 2>/dev/null || echo -lpython3.11)
# SystemTap's dtrace compiles -G objects with $CC and $CFLAGS from the
# environment: give it ours, not whatever `make CFLAGS=...` exported.
SAMPLE_DTRACE = CC='$(CC)' CFLAGS= dtrace

SAMPLES := \
	$(SB)/operands-nopie $(SB)/operands-pie \
	$(SB)/semaphores-nopie $(SB)/semaphores-pie \
	$(SB)/libprobes.so $(SB)/linked $(SB)/dlopen \
	$(SB)/embed $(SB)/hostile $(SB)/python3.9 \
	$(SB)/sitecheck-nopie $(SB)/sitecheck-pie
SAMPLES_CLEAN := $(SB)

$(SB)/operands-nopie: samples/operands.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fno-pie -no-pie -o $@ samples/operands.c samples/sample.c -pthread

$(SB)/operands-pie: samples/operands.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fPIE -pie -o $@ samples/operands.c samples/sample.c -pthread

# dtrace -h: the header with SEMA_TICK() and SEMA_TICK_ENABLED();
# dtrace -G: the object that defines the semaphores (section .probes).
$(SB)/semaphores-sdt.h: samples/semaphores.d
	$(call msg,DTRACE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAMPLE_DTRACE) -h -s $< -o $@

$(SB)/semaphores-sdt.o: samples/semaphores.d
	$(call msg,DTRACE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAMPLE_DTRACE) -G -s $< -o $@

$(SB)/semaphores-nopie: samples/semaphores.c $(SB)/semaphores-sdt.h $(SB)/semaphores-sdt.o $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fno-pie -no-pie -o $@ samples/semaphores.c samples/sample.c \
		$(SB)/semaphores-sdt.o -pthread

$(SB)/semaphores-pie: samples/semaphores.c $(SB)/semaphores-sdt.h $(SB)/semaphores-sdt.o $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fPIE -pie -o $@ samples/semaphores.c samples/sample.c \
		$(SB)/semaphores-sdt.o -pthread

$(SB)/libprobes-sdt.h: samples/libprobes.d
	$(call msg,DTRACE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAMPLE_DTRACE) -h -s $< -o $@

$(SB)/libprobes-sdt.o: samples/libprobes.d
	$(call msg,DTRACE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAMPLE_DTRACE) -G -s $< -o $@

# Only the libprobes_* API is exported; the library's copy of sample.c
# stays hidden, so it never interposes on the program's.
$(SB)/libprobes.so: samples/libprobes.c samples/libprobes_gated.c samples/libprobes.h \
		$(SB)/libprobes-sdt.h $(SB)/libprobes-sdt.o $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fPIC -shared -fvisibility=hidden -Wl,-soname,libprobes.so \
		-o $@ samples/libprobes.c samples/libprobes_gated.c samples/sample.c \
		$(SB)/libprobes-sdt.o -pthread

$(SB)/linked: samples/linked.c samples/libprobes.h $(SB)/libprobes.so $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -o $@ samples/linked.c samples/sample.c \
		-L$(SB) -lprobes -Wl,-rpath,'$$ORIGIN' -pthread

$(SB)/dlopen: samples/dlopen.c samples/libprobes.h $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -o $@ samples/dlopen.c samples/sample.c -ldl -pthread

$(SB)/embed: samples/embed.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) $(PY_EMBED_CFLAGS) -o $@ samples/embed.c samples/sample.c \
		$(PY_EMBED_LIBS) -pthread

$(SB)/hostile: samples/hostile.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -o $@ samples/hostile.c samples/sample.c -pthread

# Markers where a jump must not stand (the in-process engine's site check).
$(SB)/sitecheck-nopie: samples/sitecheck.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fno-pie -no-pie -o $@ samples/sitecheck.c samples/sample.c -pthread

$(SB)/sitecheck-pie: samples/sitecheck.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -fPIE -pie -o $@ samples/sitecheck.c samples/sample.c -pthread

# named as a Python interpreter on purpose (see nomarkers.c)
$(SB)/python3.9: samples/nomarkers.c $(SAMPLE_COMMON)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) -rdynamic -o $@ samples/nomarkers.c samples/sample.c -pthread

# `make bench` (see bench/README): the reference ptrace consumer that ptap
# is measured against.  Included by the top Makefile.  It is built with
# the same CFLAGS as ptap, so that both are compared at one optimisation
# level.  `samples` depends on it too, because `make test` runs a short
# smoke run of the bench (tests/bench/smoke.t).

BENCH_REF := build/bench/ref

$(BENCH_REF): bench/ref.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

samples: $(BENCH_REF)

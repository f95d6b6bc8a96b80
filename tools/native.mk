# native.mk -- the native parts pmfit needs at run time, built into $(OUT): the QEMU tracer plugin,
# the fork-server preload library and the C scenarios. An installed pmfit runs
#   make -C PACKAGE_ROOT -f tools/native.mk OUT=DIR
# at first use (core/support/native-build.ts); a checkout's `make build` builds the same parts
# (and the test programs) into build/ with the per-part makefiles.
#
# Sources are found by wildcard so the tracer may be split into several files; a file whose name
# ends in -test.c is a test program, not part of the plugin.

OUT ?= build
LIB_CFLAGS = -O2 -Wall -Wextra -std=gnu11 -fPIC -shared -fvisibility=hidden

TRACER_SRC := $(filter-out %-test.c,$(wildcard icount/plugin/*.c))
TRACER_HDR := $(wildcard icount/plugin/*.h)
FORKSRV_SRC := $(filter-out %-test.c,$(wildcard harness/check/fork-server/*.c))
FORKSRV_HDR := $(wildcard harness/check/fork-server/*.h) $(wildcard harness/check/*.h)

.PHONY: runtime
runtime: $(OUT)/pmfit-tracer.so $(OUT)/libpmfit-forkserver.so $(OUT)/pmfit-check-runner $(OUT)/include/icount.h native-scenarios

$(OUT)/pmfit-tracer.so: $(TRACER_SRC) $(TRACER_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -Iicount/plugin -o $@ $(TRACER_SRC)

$(OUT)/libpmfit-forkserver.so: $(FORKSRV_SRC) $(FORKSRV_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -Iharness/check/fork-server -o $@ $(FORKSRV_SRC)

# The spawn-mode check runner: contains and times one check (harness/check/check-runner.c).
$(OUT)/pmfit-check-runner: harness/check/check-runner.c $(wildcard harness/check/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -std=gnu11 -o $@ harness/check/check-runner.c

# For the user's own C programs: #include "icount.h" with -I$(OUT)/include (see pmfit doctor).
$(OUT)/include/icount.h: icount/icount.h
	@mkdir -p $(@D)
	cp $< $@

NATIVE_OUT := $(OUT)/scenarios
include scenarios/native/native.mk

# native.mk -- build the native C scenarios into build/scenarios/
#
# Included by the top-level Makefile (paths are relative to the repo root);
# also usable alone:  make -f scenarios/native/native.mk native-scenarios
#
# NATIVE_ICOUNT_INC is where icount.h is found (default: icount/).

NATIVE_SAVED_GOAL := $(.DEFAULT_GOAL)

NATIVE_DIR := scenarios/native
NATIVE_OUT ?= build/scenarios
NATIVE_ICOUNT_INC ?= -Iicount
NATIVE_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra $(NATIVE_ICOUNT_INC) \
	-I$(NATIVE_DIR)
NATIVE_X86_CFLAGS := -mclwb -msse2

NATIVE_PAIRS := binarytree pmemobj-tx flag-data fence-flag torn16 nt-publish
NATIVE_PROGS := trivial basic pmemalloc-test $(NATIVE_PAIRS) $(addsuffix -buggy,$(NATIVE_PAIRS))
NATIVE_BINS := $(addprefix $(NATIVE_OUT)/,$(NATIVE_PROGS))

NATIVE_HDRS := $(wildcard $(NATIVE_DIR)/*.h) $(wildcard icount/icount.h)
NATIVE_NPOOL := $(NATIVE_DIR)/npool.c
NATIVE_ALLOC := $(NATIVE_DIR)/pmemalloc.c $(NATIVE_NPOOL)

.PHONY: native-scenarios native-scenarios-clean native-selftest

native-scenarios: $(NATIVE_BINS) $(NATIVE_OUT)/crashshim.so

# native_prog NAME, SOURCES, EXTRA CFLAGS, LIBS
define native_prog
$(NATIVE_OUT)/$(1): $(2) $(NATIVE_HDRS) $(NATIVE_DIR)/native.mk
	@mkdir -p $$(@D)
	$$(CC) $(NATIVE_CFLAGS) $(3) -o $$@ $(2) $(4)
endef

$(eval $(call native_prog,trivial,$(NATIVE_DIR)/trivial.c,,))
$(eval $(call native_prog,basic,$(NATIVE_DIR)/basic.c $(NATIVE_NPOOL),,-lpmem))
$(eval $(call native_prog,pmemalloc-test,$(NATIVE_DIR)/pmemalloc-test.c $(NATIVE_ALLOC),,-lpmem))
$(eval $(call native_prog,binarytree,$(NATIVE_DIR)/binarytree.c $(NATIVE_ALLOC),,-lpmem))
$(eval $(call native_prog,binarytree-buggy,$(NATIVE_DIR)/binarytree.c $(NATIVE_ALLOC),-DBUGGY,-lpmem))
$(eval $(call native_prog,pmemobj-tx,$(NATIVE_DIR)/pmemobj-tx.c,,-lpmemobj))
$(eval $(call native_prog,pmemobj-tx-buggy,$(NATIVE_DIR)/pmemobj-tx.c,-DBUGGY,-lpmemobj))
$(foreach t,flag-data fence-flag torn16 nt-publish,\
  $(eval $(call native_prog,$(t),$(NATIVE_DIR)/$(t).c $(NATIVE_NPOOL),$(NATIVE_X86_CFLAGS),))\
  $(eval $(call native_prog,$(t)-buggy,$(NATIVE_DIR)/$(t).c $(NATIVE_NPOOL),$(NATIVE_X86_CFLAGS) -DBUGGY,)))

# LD_PRELOAD shim used only by selftest.sh (crash at the K-th libpmem call)
$(NATIVE_OUT)/crashshim.so: $(NATIVE_DIR)/crashshim.c
	@mkdir -p $(@D)
	$(CC) $(NATIVE_CFLAGS) -shared -fPIC -o $@ $< -ldl

native-selftest: native-scenarios
	sh $(NATIVE_DIR)/selftest.sh

native-scenarios-clean:
	rm -f $(NATIVE_BINS) $(NATIVE_OUT)/crashshim.so

.DEFAULT_GOAL := $(NATIVE_SAVED_GOAL)

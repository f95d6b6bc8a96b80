# fork-server.mk -- builds the fork-server preload library, the spawn-mode check runner and their
# test check programs into build/
# (included by the top-level Makefile; `make -f harness/check/fork-server/fork-server.mk fork-server` works alone)

FORKSRV_SAVED_GOAL := $(.DEFAULT_GOAL)

FORKSRV_CFLAGS = -O2 -g -Wall -Wextra -std=gnu11
FORKSRV_PROG_CFLAGS = -O2 -g -Wall -Wextra -std=gnu11

FORKSRV_TEST_SRC = $(wildcard test/harness/check/programs/*.c)
FORKSRV_TEST_BIN = $(patsubst test/harness/check/programs/%.c,build/test-programs/fork-%,$(FORKSRV_TEST_SRC))

.PHONY: fork-server fork-server-clean

fork-server: build/libpmfit-forkserver.so build/pmfit-check-runner $(FORKSRV_TEST_BIN)

build/libpmfit-forkserver.so: harness/check/fork-server/server.c harness/check/fork-server/protocol.h harness/check/contain.h
	@mkdir -p build
	$(CC) $(FORKSRV_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $<

# the spawn-mode runner: contains and times one check (see its header comment)
build/pmfit-check-runner: harness/check/check-runner.c harness/check/contain.h
	@mkdir -p build
	$(CC) $(FORKSRV_CFLAGS) -o $@ $<

$(FORKSRV_TEST_BIN): build/test-programs/fork-%: test/harness/check/programs/%.c
	@mkdir -p build/test-programs
	$(CC) $(FORKSRV_PROG_CFLAGS) -o $@ $<

fork-server-clean:
	rm -f build/libpmfit-forkserver.so build/pmfit-check-runner $(FORKSRV_TEST_BIN)

.DEFAULT_GOAL := $(FORKSRV_SAVED_GOAL)

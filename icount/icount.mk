# icount.mk -- builds the native tracer and its helpers into build/
# (included by the top-level Makefile; `make -f icount/icount.mk tracer` works alone)

ICOUNT_CFLAGS = -O2 -Wall -Wextra -std=gnu11
ICOUNT_PROG_CFLAGS = -O1 -g -Wall -Wextra -std=gnu11 -mclwb -mclflushopt -Iicount

ICOUNT_TEST_SRC = $(wildcard test/icount/programs/*.c)
ICOUNT_TEST_BIN = $(patsubst test/icount/programs/%.c,build/test-programs/%,$(ICOUNT_TEST_SRC))
ICOUNT_BENCH_SRC = $(wildcard bench/programs/*.c)
ICOUNT_BENCH_BIN = $(patsubst bench/programs/%.c,build/bench-programs/%,$(ICOUNT_BENCH_SRC))

.PHONY: tracer tracer-clean

ICOUNT_PLUGIN_SRC = $(wildcard icount/plugin/*.c)
ICOUNT_PLUGIN_HDR = $(wildcard icount/plugin/*.h)

tracer: build/pmfit-tracer.so build/pmfit-guest-shim.so build/ptrace-count build/x86-decode-test $(ICOUNT_TEST_BIN) \
	build/test-programs/inlined-put-mixed $(ICOUNT_BENCH_BIN)

build/pmfit-tracer.so: $(ICOUNT_PLUGIN_SRC) $(ICOUNT_PLUGIN_HDR)
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $(ICOUNT_PLUGIN_SRC)

# preloaded into traced programs: MAP_SYNC answered as the kernel would (icount/guest-shim.c)
build/pmfit-guest-shim.so: icount/guest-shim.c
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -fPIC -shared -o $@ $<

# the x86 decoder alone, tested natively (test/icount/x86-decode.test.ts runs it)
build/x86-decode-test: test/icount/x86-decode-test.c icount/plugin/tracer-x86.c icount/plugin/tracer-x86.h
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -Iicount/plugin -o $@ test/icount/x86-decode-test.c icount/plugin/tracer-x86.c

build/ptrace-count: icount/ptrace-count.c icount/icount.h
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -o $@ $<

# programs named pmem-*.c use Debian's libpmem
build/test-programs/pmem-%: test/icount/programs/pmem-%.c icount/icount.h
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -o $@ $< -lpmem

# pmem-frames uses a shared library of its own, found beside it ($$ORIGIN)
build/test-programs/libpmfit-frames.so: test/icount/programs/lib/frames-lib.c
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -fPIC -shared -o $@ $<

build/test-programs/pmem-frames: test/icount/programs/pmem-frames.c build/test-programs/libpmfit-frames.so
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -o $@ $< -Lbuild/test-programs -lpmfit-frames -Wl,-rpath,'$$ORIGIN' -lpmem

# inlined-put is built -O2 like a real program, its put() inlined; the -mixed twin
# (-DMIXED) also keeps an out-of-line copy of put() (test/icount/inlined.test.ts)
build/test-programs/inlined-put: test/icount/programs/inlined-put.c
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -O2 -o $@ $<

build/test-programs/inlined-put-mixed: test/icount/programs/inlined-put.c
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -O2 -DMIXED -o $@ $<

build/test-programs/%: test/icount/programs/%.c icount/icount.h
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -o $@ $<

build/bench-programs/%: bench/programs/%.c icount/icount.h
	@mkdir -p build/bench-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -O2 -o $@ $< -lpmem

tracer-clean:
	rm -rf build/pmfit-tracer.so build/pmfit-guest-shim.so build/ptrace-count build/x86-decode-test build/test-programs build/bench-programs

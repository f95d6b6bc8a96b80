# icount.mk -- builds the native tracer and its helpers into build/
# (included by the top-level Makefile; `make -f icount/icount.mk tracer` works alone)

ICOUNT_CFLAGS = -O2 -Wall -Wextra -std=gnu11
ICOUNT_PROG_CFLAGS = -O1 -g -Wall -Wextra -std=gnu11 -mclwb -mclflushopt -Iicount

ICOUNT_TEST_SRC = $(wildcard test/icount/programs/*.c)
ICOUNT_TEST_BIN = $(patsubst test/icount/programs/%.c,build/test-programs/%,$(ICOUNT_TEST_SRC))
ICOUNT_BENCH_SRC = $(wildcard bench/programs/*.c)
ICOUNT_BENCH_BIN = $(patsubst bench/programs/%.c,build/bench-programs/%,$(ICOUNT_BENCH_SRC))

.PHONY: tracer tracer-clean

tracer: build/pmfit-tracer.so build/ptrace-count $(ICOUNT_TEST_BIN) $(ICOUNT_BENCH_BIN)

build/pmfit-tracer.so: icount/plugin/pmfit-tracer.c icount/plugin/qemu-plugin-api.h
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $<

build/ptrace-count: icount/ptrace-count.c icount/icount.h
	@mkdir -p build
	$(CC) $(ICOUNT_CFLAGS) -o $@ $<

# programs named pmem-*.c use Debian's libpmem
build/test-programs/pmem-%: test/icount/programs/pmem-%.c icount/icount.h
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -o $@ $< -lpmem

build/test-programs/%: test/icount/programs/%.c icount/icount.h
	@mkdir -p build/test-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -o $@ $<

build/bench-programs/%: bench/programs/%.c icount/icount.h
	@mkdir -p build/bench-programs
	$(CC) $(ICOUNT_PROG_CFLAGS) -O2 -o $@ $< -lpmem

tracer-clean:
	rm -rf build/pmfit-tracer.so build/ptrace-count build/test-programs build/bench-programs

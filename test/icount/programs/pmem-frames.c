/*
 * pmem-frames.c -- pool stores, flushes and fences made inside libraries on
 * behalf of the user's code: memcpy and pmem_persist called from put(), and
 * a store of the user's own shared library (lib/frames-lib.c); the user
 * frames of the trace name the lines of put() (test/icount/frames.test.ts)
 * usage: pmem-frames POOL
 */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void frames_lib_put(char *dst, uint64_t v);

struct rec {
	uint64_t key, value, check;
};

/* put -- copy a record into the pool and persist it, through libraries */
__attribute__((noinline)) static void
put(char *pool, size_t off, const struct rec *rec, size_t len)
{
	memcpy(pool + off, rec, len);		/* PUT_MEMCPY */
	pmem_persist(pool + off, len);		/* PUT_PERSIST */
}

int
main(int argc, char *argv[])
{
	struct rec r = { 0x1111, 0x2222, 0x3333 };
	size_t mapped;
	int is_pmem;

	if (argc != 2)
		return 2;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0644,
		&mapped, &is_pmem);
	if (!p) {
		perror("pmem_map_file");
		return 1;
	}
	/* a length the compiler cannot see: memcpy stays a call into libc */
	put(p, 64, &r, (size_t)argc * 12);
	frames_lib_put(p + 512, 0x4444);	/* MAIN_LIB_CALL */
	pmem_unmap(p, mapped);
	return 0;
}

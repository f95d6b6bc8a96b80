/*
 * pmem-persist.c -- an unmodified libpmem program (no icount.h markers):
 * pmem_map_file, stores, pmem_persist, pmem_memcpy_persist
 * usage: pmem-persist POOL
 */
#include <libpmem.h>
#include <stdio.h>
#include <string.h>

#define POOL_SIZE (64 * 1024)

/* prepare -- stores before the interesting part */
__attribute__((noinline)) void
prepare(char *p)
{
	p[0] = 'P';
	pmem_persist(p, 1);
}

/* fill -- the interesting part: a record, persisted */
__attribute__((noinline)) void
fill(char *p)
{
	strcpy(p + 4096, "hello, pmem");
	pmem_persist(p + 4096, 12);
	pmem_memcpy_persist(p + 8192 + 3, "0123456789abcdef0123456789abcdef", 32);
}

/* finish -- stores after the interesting part */
__attribute__((noinline)) void
finish(char *p)
{
	p[1] = 'Z';
	pmem_persist(p + 1, 1);
}

int
main(int argc, char *argv[])
{
	size_t len;
	int is_pmem;

	if (argc != 2)
		return 2;
	char *p = pmem_map_file(argv[1], POOL_SIZE, PMEM_FILE_CREATE, 0644,
		&len, &is_pmem);
	if (!p) {
		perror("pmem_map_file");
		return 1;
	}
	prepare(p);
	fill(p);
	finish(p);
	printf("is_pmem %d len %zu\n", is_pmem, len);
	pmem_unmap(p, len);
	return 0;
}

/*
 * ops-insert.c -- three calls of insert() and no marker: the operations
 * of the ops oracle are told by --ops-between insert (tracer ops=)
 * usage: ops-insert run POOL [torn] | ops-insert check POOL
 *
 * run: appends 11, 22 and 33 to a persistent array, one insert() each;
 * insert() persists the slot, then the count (crash-atomic). With `torn`
 * it persists the count first, then the slot: a crash in between shows a
 * count whose last slot was never written, a state at no boundary.
 * check: prints the array; it never fails (the ops oracle compares).
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL_SIZE 4096
#define SLOTS 8

struct array {
	uint64_t count;
	uint64_t pad[7];
	uint64_t slot[SLOTS];
};

static int torn;

/* persist -- write back the line of p and wait for it */
static void
persist(volatile void *p)
{
	_mm_clwb((void *)p);
	_mm_sfence();
}

/* insert -- append v to the array, persisted */
__attribute__((noinline)) static void
insert(volatile struct array *a, uint64_t v)
{
	uint64_t n = a->count;

	if (torn) {
		a->count = n + 1;
		persist(&a->count);
	}
	a->slot[n] = v;
	persist(&a->slot[n]);
	if (!torn) {
		a->count = n + 1;
		persist(&a->count);
	}
}

int
main(int argc, char *argv[])
{
	if (argc < 3)
		return 2;
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 1;
	volatile struct array *a = mmap(NULL, POOL_SIZE,
		PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		return 1;
	if (strcmp(argv[1], "check") == 0) {
		uint64_t n = a->count < SLOTS ? a->count : SLOTS;
		printf("count=%llu:", (unsigned long long)a->count);
		for (uint64_t i = 0; i < n; i++)
			printf(" %llu", (unsigned long long)a->slot[i]);
		printf("\n");
		return 0;
	}
	torn = argc > 3 && strcmp(argv[3], "torn") == 0;
	insert(a, 11);
	insert(a, 22);
	insert(a, 33);
	return 0;
}

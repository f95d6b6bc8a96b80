/*
 * pmem-hash.c -- store-heavy snippet for the tracer benchmark: N inserts
 * into an open-addressing hash table on a file-backed pool, each insert
 * persisted with clwb + sfence (no library calls inside the snippet)
 * usage: pmem-hash POOL N
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "icount.h"

/* struct hash_bucket -- one slot; key 0 means empty */
struct hash_bucket {
	uint64_t key;
	uint64_t value;
};

/* hash_persist -- write back the cache line(s) of [p, p+len), then fence */
static inline void
hash_persist(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)63;

	for (; a < (uintptr_t)p + len; a += 64)
		_mm_clwb((void *)a);
	_mm_sfence();
}

/* hash_insert -- insert or update key; value first, then the key commits */
static __attribute__((noinline)) void
hash_insert(struct hash_bucket *t, uint64_t mask, uint64_t key, uint64_t value)
{
	uint64_t i = (key * 0x9E3779B97F4A7C15ULL) & mask;

	while (t[i].key != 0 && t[i].key != key)
		i = (i + 1) & mask;
	t[i].value = value;
	hash_persist(&t[i].value, 8);
	t[i].key = key;
	hash_persist(&t[i].key, 8);
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		return 2;
	uint64_t n = strtoull(argv[2], NULL, 0), slots = 1;
	while (slots < 2 * n)
		slots <<= 1;
	size_t size = slots * sizeof(struct hash_bucket);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		return 1;
	struct hash_bucket *t = mmap(NULL, size, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (t == MAP_FAILED)
		return 1;
	icount_start(0);
	for (uint64_t k = 1; k <= n; k++)
		hash_insert(t, slots - 1, k * 7919, k);
	icount_stop();
	printf("inserted %llu icount %lu\n", (unsigned long long)n,
		icount_total());
	munmap(t, size);
	close(fd);
	return 0;
}

/*
 * inlined-put.c -- put() is always inlined: `--from put` and `--ops-between
 * put` must find its inlined copies in the debug info (built -O2 -g; the
 * inlined-put-mixed twin, -DMIXED, also calls an out-of-line copy of put()
 * through a pointer, so it has both)
 * usage: inlined-put run POOL [torn] | inlined-put check POOL
 *
 * run: three put() calls from a loop, each storing key[k], val[k], then
 * stamp[k] in a function it calls (a call from inside the inlined copy does
 * not end it), then count (crash-atomic); around each call the loop stores
 * log[k] before and done[k] after, stores of the caller that a window on
 * put() leaves out. The
 * mixed twin makes a fourth put() through put_ptr. With `torn` put() persists
 * count first, then the key and value: a state at no operation boundary.
 * check: prints count and the keys and values (never log or done); it never
 * fails (the ops oracle compares).
 *
 * Pool layout, one 64-byte line each: count at 0, key[] at 64, val[] at 128,
 * log[] at 192, done[] at 256, stamp[] at 320.
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define POOL_SIZE 4096
#define SLOTS 8

struct pool {
	uint64_t count;
	uint64_t pad[7];
	uint64_t key[SLOTS];
	uint64_t val[SLOTS];
	uint64_t log[SLOTS];
	uint64_t done[SLOTS];
	uint64_t stamp[SLOTS];
};

static int torn;

/* persist -- write back the line of p and wait for it */
static inline __attribute__((always_inline)) void
persist(volatile void *p)
{
	_mm_clwb((void *)p);
	_mm_sfence();
}

/* stamp -- mark slot k as written (out of line: put() calls it) */
__attribute__((noinline)) static void
stamp(volatile struct pool *p, uint64_t k)
{
	p->stamp[k] = k + 1;
	persist(&p->stamp[k]);
}

/* put -- store key k with value v, persisted, then count it */
static inline __attribute__((always_inline)) void
put(volatile struct pool *p, uint64_t k, uint64_t v)
{
	if (torn) {
		p->count = k + 1;
		persist(&p->count);
	}
	p->key[k] = k + 1;
	p->val[k] = v;
	persist(&p->key[k]);
	persist(&p->val[k]);
	stamp(p, k);
	if (!torn) {
		p->count = k + 1;
		persist(&p->count);
	}
}

#ifdef MIXED
/* taking put's address makes the compiler keep an out-of-line copy */
void (*volatile put_ptr)(volatile struct pool *, uint64_t, uint64_t) = put;
#endif

int
main(int argc, char *argv[])
{
	if (argc < 3)
		return 2;
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 1;
	volatile struct pool *p = mmap(NULL, POOL_SIZE,
		PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	if (strcmp(argv[1], "check") == 0) {
		uint64_t n = p->count < SLOTS ? p->count : SLOTS;
		printf("count=%llu:", (unsigned long long)p->count);
		for (uint64_t i = 0; i < n; i++)
			printf(" %llu=%llu", (unsigned long long)p->key[i],
				(unsigned long long)p->val[i]);
		printf("\n");
		return 0;
	}
	torn = argc > 3 && strcmp(argv[3], "torn") == 0;
	for (uint64_t i = 0; i < 3; i++) {
		p->log[i] = i + 100;
		persist(&p->log[i]);
		put(p, i, i * 10 + 1);
		p->done[i] = 1;
		persist(&p->done[i]);
	}
#ifdef MIXED
	put_ptr(p, 3, 31);
#endif
	return 0;
}

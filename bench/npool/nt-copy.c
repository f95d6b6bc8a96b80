/*
 * nt-copy.c -- the wide non-temporal copy of the engine benchmark, as a real program
 * (bench/pipeline.ts): 4 KiB copied into the pool with libpmem's pmem_memcpy_nodrain (64 lines
 * of non-temporal stores under PMEM_IS_PMEM_FORCE=1), one pmem_drain, then a flag persisted.
 *	nt-copy init POOL	zeroed 16 KiB pool
 *	nt-copy run POOL	the copy, the drain, the flag
 *	nt-copy check POOL	once the flag is set the copy must be whole
 * Correct: the drain orders the copy before the flag, so pmfit must find nothing.
 */
#include <libpmem.h>
#include <stdio.h>
#include <string.h>

#include "npool.h"

#define POOL_SIZE 16384
#define FLAG 0
#define COPY 4096
#define COPY_BYTES 4096

static unsigned char
byte_at(size_t i)
{
	return (unsigned char)(i * 7 + 1);
}

static void
nt_copy_init(char *base, size_t size)
{
	(void)base;
	(void)size;
}

static void
nt_copy_run(char *base, size_t size, int argc, char *argv[])
{
	static unsigned char src[COPY_BYTES];

	(void)size;
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < COPY_BYTES; i++)
		src[i] = byte_at(i);
	pmem_memcpy_nodrain(base + COPY, src, COPY_BYTES);
	pmem_drain();
	*(volatile uint64_t *)(base + FLAG) = 1;
	pmem_persist(base + FLAG, 8);
}

static int
nt_copy_check(char *base, size_t size)
{
	(void)size;
	if (*(volatile uint64_t *)(base + FLAG) == 0) {
		printf("flag clear\n");
		return 0;
	}
	for (size_t i = 0; i < COPY_BYTES; i++)
		if ((unsigned char)base[COPY + i] != byte_at(i))
			return npool_bad("flag set but byte %zu of the copy is wrong", i);
	printf("flag set, copy whole\n");
	return 0;
}

static const struct npool_scenario scenario = {
	.name = "nt-copy",
	.pool_size = POOL_SIZE,
	.init = nt_copy_init,
	.run = nt_copy_run,
	.check = nt_copy_check,
};

int
main(int argc, char *argv[])
{
	return npool_main(&scenario, argc, argv);
}

/*
 * count-loop.c -- a plain C snippet (no library calls, no string
 * instructions) between icount_start and icount_stop, for count checks
 * usage: count-loop N
 */
#include <stdio.h>
#include <stdlib.h>

#include "icount.h"

static unsigned long table[64];

/* mix -- some arithmetic and branches the compiler cannot fold */
static __attribute__((noinline)) unsigned long
mix(unsigned long x, int n)
{
	for (int i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		if (x & 1)
			table[x % 64] ^= x;
		else
			table[(x >> 7) % 64] += i;
	}
	return x;
}

int
main(int argc, char *argv[])
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	unsigned long x;

	icount_start(0);
	x = mix((unsigned long)argc, n);
	icount_stop();
	unsigned long total = icount_total();
	printf("x %lu total %lu\n", x, total);
	return 0;
}

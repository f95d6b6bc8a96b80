/*
 * life.c -- icount_start(LIFE): the tracer kills the program after LIFE
 * instructions of a store loop on the pool
 * usage: life POOL LIFE
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "icount.h"

int
main(int argc, char *argv[])
{
	if (argc != 3)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0)
		return 1;
	volatile uint64_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	icount_start(strtoul(argv[2], NULL, 0));
	for (int i = 0; i < 1000; i++)
		p[i] = (uint64_t)i + 1;
	icount_stop();
	printf("survived\n");
	return 0;
}

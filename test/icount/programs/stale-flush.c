/*
 * stale-flush.c -- flushes whose address register is computed in the same
 * translation block just before them, with no memory access in between.
 * The first two the tracer follows from %rdi (register tracking); the last
 * one's %rsi is stepped in place after the store, so its value at the last
 * exact point is lost: the case where QEMU's CPU state lags and the tracer
 * must re-run exactly
 * usage: stale-flush POOL
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "icount.h"

int
main(int argc, char *argv[])
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0)
		return 1;
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	icount_start(0);
	/* flush lines 3, 4 and 7 of the pool; rsi is fresh each time */
	__asm__ volatile(
		"movq %0, %%rcx\n\t"
		"addq $64, %%rcx\n\t"
		"leaq 128(%%rcx), %%rsi\n\t"
		"clwb (%%rsi)\n\t"
		"addq $64, %%rsi\n\t"
		"clflushopt (%%rsi)\n\t"
		"addq $64, %%rsi\n\t"
		"movb $7, (%%rsi)\n\t"
		"addq $64, %%rsi\n\t"
		"addq $64, %%rsi\n\t"
		"clflush (%%rsi)\n\t"
		"sfence\n\t"
		: : "r"(p) : "rcx", "rsi", "memory");
	icount_stop();
	munmap(p, 8192);
	close(fd);
	return 0;
}

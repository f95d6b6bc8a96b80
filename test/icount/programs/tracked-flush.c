/*
 * tracked-flush.c -- flushes whose address register is computed in the
 * same translation block just before them by simple arithmetic on
 * registers the block did not write (mov, add, sub, lea, shl, xor): the
 * tracer follows them, so the fast run is exact and needs no re-run
 * usage: tracked-flush POOL
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
	long three = 3;
	icount_start(0);
	/* flush lines 3, 4, 5, 9 and 16 of the pool */
	__asm__ volatile(
		"movq %0, %%rcx\n\t"
		"addq $64, %%rcx\n\t"
		"leaq 128(%%rcx), %%rsi\n\t"
		"clwb (%%rsi)\n\t"			/* p + 192 */
		"addq $64, %%rsi\n\t"
		"clflushopt (%%rsi)\n\t"		/* p + 256 */
		"movq %1, %%rax\n\t"
		"shlq $6, %%rax\n\t"
		"leaq 128(%0,%%rax,2), %%rdx\n\t"
		"clwb (%%rdx)\n\t"			/* p + 128 + 384 */
		"movq %0, %%r8\n\t"
		"subq %%rcx, %%r8\n\t"			/* -64 */
		"negq %%r8\n\t"				/* not followed: */
		"xorl %%r9d, %%r9d\n\t"
		"addq %0, %%r9\n\t"
		"clwb 320(%%r9)\n\t"			/* p + 320 */
		"movq $1024, %%r10\n\t"
		"addq %0, %%r10\n\t"
		"clflush (%%r10)\n\t"			/* p + 1024 */
		"sfence\n\t"
		: : "r"(p), "r"(three)
		: "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "memory");
	icount_stop();
	munmap(p, 8192);
	close(fd);
	return 0;
}

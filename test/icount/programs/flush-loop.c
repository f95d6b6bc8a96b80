/*
 * flush-loop.c -- a value stored and persisted, then its line flushed again
 * in a loop of FLUSHES iterations: FLUSHES redundant flushes from one line of
 * code (one lint with a count). No icount.h markers: the whole run is traced.
 * usage: flush-loop POOL
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAP_SIZE 4096
#define FLUSHES 6

int
main(int argc, char *argv[])
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDWR);
	if (fd < 0)
		return 1;
	uint64_t *p = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	if (p == MAP_FAILED)
		return 1;
	*(volatile uint64_t *)p = 42;
	_mm_clwb(p);
	_mm_sfence();
	for (int i = 0; i < FLUSHES; i++)
		_mm_clwb(p); /* redundant: nothing stored since the last flush */
	munmap(p, MAP_SIZE);
	close(fd);
	return 0;
}

/*
 * map-pool.c -- maps a file the ways a program may get the pool wrong
 * usage: map-pool rw|ro|private|none PATH
 *
 * rw: open O_RDWR, map shared and writable, store, flush, fence (right);
 * ro: open O_RDONLY, map PROT_READ, read; private: map MAP_PRIVATE and
 * store; none: read the file with read(2), never map it.
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAP_SIZE 4096

int
main(int argc, char *argv[])
{
	char buf[64];

	if (argc != 3)
		return 2;
	const char *mode = argv[1];
	int ro = strcmp(mode, "ro") == 0 || strcmp(mode, "none") == 0;
	int fd = open(argv[2], ro ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return 1;
	if (strcmp(mode, "none") == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		printf("read %zd\n", n);
		return 0;
	}
	int prot = ro ? PROT_READ : PROT_READ | PROT_WRITE;
	int flags = strcmp(mode, "private") == 0 ? MAP_PRIVATE : MAP_SHARED;
	volatile uint8_t *p = mmap(NULL, MAP_SIZE, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	if (ro) {
		printf("first byte %d\n", p[0]);
		return 0;
	}
	p[8] = 0x42;
	_mm_clwb((void *)(p + 8));
	_mm_sfence();
	printf("stored\n");
	return 0;
}

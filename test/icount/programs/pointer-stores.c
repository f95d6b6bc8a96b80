/*
 * pointer-stores.c -- stores a pointer into itself (a function's address)
 * into the pool in the ways a scan of the trace file can get wrong
 * usage: pointer-stores MODE POOL [ARG]	(pool of at least 1 MiB)
 *
 * none N	N 8-byte data stores, no pointer (a trace of N records)
 * late N	N 8-byte data stores, then the pointer at offset 8*N: with a
 *		large N it is past the scan's first read chunk
 * sse		one unaligned 16-byte store at offset 4 whose bytes 4..11 are
 *		the pointer: QEMU splits it into two 8-byte accesses, [4,12)
 *		and [12,20), and the aligned word [8,16) straddles them
 * read FILE	read(2) of 64 KiB into the pool at 0 whose last 8 bytes
 *		are the pointer (FILE is written first): 16 syscall chunks
 * marked	the sse store between icount_start() and icount_stop()
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "icount.h"

#define POOL_SIZE (1 << 20)
#define READ_BYTES 65536

/* callback -- the function whose address is stored */
static int
callback(int x)
{
	return x + 1;
}

/* self_pointer -- callback's address as the program is loaded */
static uint64_t
self_pointer(void)
{
	int (*volatile f)(int) = callback;
	uint64_t v;

	memcpy(&v, (void *)&f, sizeof(v));
	return v;
}

/* data_stores -- n 8-byte stores of values that point nowhere */
static void
data_stores(volatile uint64_t *pool, long n)
{
	for (long i = 0; i < n; i++)
		pool[i] = (uint64_t)i * 3 + 1;
}

/* sse_store -- the pointer at pool offset 8, by a 16-byte store at 4 */
static void
sse_store(char *pool)
{
	unsigned char b[16];
	uint64_t v = self_pointer();

	memset(b, 0x11, sizeof(b));
	memcpy(b + 4, &v, sizeof(v));
	_mm_storeu_si128((__m128i *)(pool + 4),
		_mm_loadu_si128((const __m128i *)b));
}

/* read_pointer -- FILE holds the pointer at its end; read it into the pool */
static int
read_pointer(char *pool, const char *path)
{
	static char buf[READ_BYTES];
	uint64_t v = self_pointer();
	int fd;

	memset(buf, 0x22, sizeof(buf));
	memcpy(buf + READ_BYTES - 8, &v, sizeof(v));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, READ_BYTES) != READ_BYTES ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    read(fd, pool, READ_BYTES) != READ_BYTES)
		return 2;
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *mode;
	char *pool;
	int fd, status = 0;

	if (argc < 3)
		return 2;
	mode = argv[1];
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 2;
	pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pool == MAP_FAILED)
		return 2;
	if (strcmp(mode, "none") == 0 && argc == 4) {
		data_stores((uint64_t *)pool, atol(argv[3]));
	} else if (strcmp(mode, "late") == 0 && argc == 4) {
		long n = atol(argv[3]);
		uint64_t v = self_pointer();

		data_stores((uint64_t *)pool, n);
		memcpy(pool + 8 * n, &v, sizeof(v));
	} else if (strcmp(mode, "sse") == 0) {
		sse_store(pool);
	} else if (strcmp(mode, "read") == 0 && argc == 4) {
		status = read_pointer(pool, argv[3]);
	} else if (strcmp(mode, "marked") == 0) {
		icount_start(0);
		sse_store(pool);
		icount_stop();
	} else {
		return 2;
	}
	msync(pool, POOL_SIZE, MS_SYNC);
	return status;
}

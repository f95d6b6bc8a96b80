/*
 * pool-ops.c -- every event kind on a file-backed pool, at known offsets
 * usage: pool-ops POOL
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "icount.h"

#define POOL_SIZE 16384

int
main(int argc, char *argv[])
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, POOL_SIZE) != 0)
		return 1;
	/* map at a file offset of one page: the tracer must add it */
	char *p = mmap(NULL, POOL_SIZE - 4096, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 4096);
	if (p == MAP_FAILED)
		return 1;
	volatile char *v = p;

	icount_start(0);
	*(volatile uint64_t *)(v + 64) = 0x1122334455667788ULL;
	v[130] = 0x5a;
	*(volatile uint32_t *)(v + 200) = 0xdeadbeef;
	_mm_stream_si64((long long *)(p + 256), 0x0102030405060708LL);
	_mm_stream_si128((__m128i *)(p + 320),
		_mm_set_epi64x(0x0f0e0d0c0b0a0908LL, 0x0706050403020100LL));
	/* loads from the pool are not events */
	if (*(volatile uint64_t *)(v + 64) != 0x1122334455667788ULL || v[4000] == 1)
		return 3;
	icount_marker("flushes");
	_mm_clwb(p + 64);
	_mm_clflushopt(p + 128 + 5);
	_mm_clflush(p + 192 + 1);
	_mm_sfence();
	_mm_mfence();
	__atomic_fetch_add((uint64_t *)(p + 512), 1, __ATOMIC_SEQ_CST);
	icount_marker("msync");
	msync(p, 4096, MS_SYNC);
	icount_stop();
	printf("total %lu\n", icount_total());
	munmap(p, POOL_SIZE - 4096);
	close(fd);
	return 0;
}

/*
 * read-into-pool.c -- reads its input straight into the pool with read(2)
 * usage: read-into-pool run|readv|check POOL FILE
 *
 * run: maps the pool, read()s the first 100 bytes of FILE into it at
 * offset 256, persists them (clwb + sfence), then publishes a flag at
 * offset 0 and persists it. The data is written by the kernel, not by a
 * CPU store: the tracer must still see it (tracer-maps.c).
 * check: when the flag is set, the pool's 100 bytes must be FILE's.
 * readv: reads FILE's first 116 bytes with readv(2) into three buffers:
 * 40 into the pool at offset 256, 16 on the stack, 60 into the pool at
 * offset 296 (only the pool's pieces are stores); persists them.
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define POOL_SIZE 4096
#define DATA 256
#define LEN 100

/* persist -- write back [p, p+n) and wait for it */
static void
persist(const char *p, size_t n)
{
	for (uintptr_t a = (uintptr_t)p & ~63UL; a < (uintptr_t)p + n; a += 64)
		_mm_clwb((void *)a);
	_mm_sfence();
}

/* input -- the first LEN bytes of path into buf */
static int
input(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, LEN); /* READ_CALL */
	close(fd);
	return n == LEN ? 0 : -1;
}

/* input_v -- FILE's first 116 bytes into pool, stack, pool (readv) */
static int
input_v(const char *path, char *buf)
{
	char stack[16];
	struct iovec iov[3] = { { buf, 40 }, { stack, 16 }, { buf + 40, 60 } };
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	ssize_t n = readv(fd, iov, 3); /* READV_CALL */
	close(fd);
	return n == 116 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	if (argc != 4)
		return 2;
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 1;
	char *p = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	if (p == MAP_FAILED)
		return 1;
	if (strcmp(argv[1], "check") == 0) {
		char want[LEN];
		int f = open(argv[3], O_RDONLY);
		if (f < 0 || read(f, want, LEN) != LEN)
			return 1;
		if (*(volatile uint64_t *)p == 1 && memcmp(p + DATA, want, LEN)) {
			printf("flag set, data is not the input\n");
			return 1;
		}
		return 0;
	}
	if ((strcmp(argv[1], "readv") == 0 ? input_v : input)(argv[3],
	    p + DATA) != 0)
		return 1;
	persist(p + DATA, LEN);
	*(volatile uint64_t *)p = 1;
	persist(p, 8);
	return 0;
}

/*
 * thread-pool.c -- a second thread, touching the pool or not
 * usage: thread-pool POOL store|flush|read|compute
 *
 * The main thread maps the pool and stores at offset 0. A second thread
 * then stores to the pool (store), flushes a pool line (flush), read(2)s
 * the pool file's first bytes into the pool (read), or only computes
 * (compute); the main thread stores at offset 64 after joining.
 */
#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL_SIZE 4096

static volatile uint8_t *Pool;
static const char *Mode;
static const char *Path;
static volatile uint64_t Sum;

/* worker -- the second thread */
static void *
worker(void *arg)
{
	(void)arg;
	if (strcmp(Mode, "store") == 0) {
		Pool[128] = 0x77;
	} else if (strcmp(Mode, "flush") == 0) {
		_mm_clwb((void *)(Pool + 192));
	} else if (strcmp(Mode, "read") == 0) {
		int fd = open(Path, O_RDONLY);
		if (fd < 0 || read(fd, (void *)(Pool + 256), 8) != 8)
			return NULL;
		close(fd);
	} else {
		for (uint64_t i = 0; i < 1000; i++)
			Sum += i;
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t;

	if (argc != 3)
		return 2;
	Mode = argv[2];
	Path = argv[1];
	int fd = open(argv[1], O_RDWR);
	if (fd < 0 || ftruncate(fd, POOL_SIZE) != 0)
		return 1;
	Pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (Pool == MAP_FAILED)
		return 1;
	Pool[0] = 1;
	_mm_clwb((void *)Pool);
	_mm_sfence();
	if (pthread_create(&t, NULL, worker, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	Pool[64] = 2;
	_mm_clwb((void *)(Pool + 64));
	_mm_sfence();
	printf("sum %lu\n", (unsigned long)Sum);
	return 0;
}

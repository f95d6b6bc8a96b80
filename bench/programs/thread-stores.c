/*
 * thread-stores.c -- the tracer's cost with threads (bench/threads.ts): T
 * threads share N records, each thread persisting its own 64-byte records
 * (eight stores, clwb, sfence) and counting each in one counter under a
 * mutex (persisted too)
 * usage: thread-stores POOL T N
 */
#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_THREADS 16

static uint64_t *Pool;
static long Records;
static int Threads;
static pthread_mutex_t Lock = PTHREAD_MUTEX_INITIALIZER;

/* writer -- thread k's records: every Threads-th one from k */
static void *
writer(void *arg)
{
	long k = (long)(intptr_t)arg;

	for (long r = k; r < Records; r += Threads) {
		uint64_t *rec = Pool + 8 * (r + 1);
		for (int i = 0; i < 8; i++)
			rec[i] = ((uint64_t)r << 8) | (uint64_t)i;
		_mm_clwb(rec);
		_mm_sfence();
		pthread_mutex_lock(&Lock);
		Pool[0]++;
		_mm_clwb(Pool);
		_mm_sfence();
		pthread_mutex_unlock(&Lock);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t[MAX_THREADS];

	if (argc != 4)
		return 2;
	Threads = atoi(argv[2]);
	Records = atol(argv[3]);
	if (Threads < 1 || Threads > MAX_THREADS || Records < 1)
		return 2;
	size_t size = (size_t)(Records + 1) * 64;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		return 1;
	Pool = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (Pool == MAP_FAILED)
		return 1;
	for (long k = 1; k < Threads; k++)
		if (pthread_create(&t[k], NULL, writer, (void *)(intptr_t)k) != 0)
			return 1;
	writer((void *)0);
	for (long k = 1; k < Threads; k++)
		pthread_join(t[k], NULL);
	return 0;
}

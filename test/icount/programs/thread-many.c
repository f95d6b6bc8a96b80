/*
 * thread-many.c -- many threads, each storing one byte of the pool
 * usage: thread-many POOL N seq|together
 *
 * seq: N threads one after the other (each joined before the next starts:
 * their vCPUs are reused, their thread numbers are not); together: N
 * threads alive at once, released together to store.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL_SIZE 4096
#define MAX_THREADS 256

static volatile uint8_t *Pool;
static volatile int Go;

/* worker -- wait for the start, then store to the byte of its number */
static void *
worker(void *arg)
{
	while (!Go)
		;
	Pool[(intptr_t)arg] = 1;
	return NULL;
}

int
main(int argc, char *argv[])
{
	static pthread_t t[MAX_THREADS];

	if (argc != 4)
		return 2;
	int n = atoi(argv[2]);
	int together = strcmp(argv[3], "together") == 0;
	int fd = open(argv[1], O_RDWR);
	if (n < 1 || n > MAX_THREADS || fd < 0 || ftruncate(fd, POOL_SIZE) != 0)
		return 1;
	Pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (Pool == MAP_FAILED)
		return 1;
	Go = !together;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
			return 1;
		if (!together)
			pthread_join(t[i], NULL);
	}
	Go = 1;
	for (int i = 0; together && i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

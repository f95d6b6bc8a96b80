/*
 * fork-pool.c -- a program that forks while it has the pool mapped
 * usage: fork-pool POOL [exec]
 *
 * The parent stores 0xA1 at offset 0, forks, waits for the child, then
 * stores 0xA3 at offset 256. The child stores 0xB2 at offsets 64 and 128
 * (through the same shared mapping) and, with `exec`, runs /bin/true; the
 * tracer follows the parent only.
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_SIZE 4096

/* persist -- store a byte at off and make it durable */
static void
persist(volatile uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
	_mm_clwb((void *)(p + off));
	_mm_sfence();
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, POOL_SIZE) != 0)
		return 1;
	volatile uint8_t *p = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	persist(p, 0, 0xA1);
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		persist(p, 64, 0xB2);
		persist(p, 128, 0xB2);
		if (argc > 2 && strcmp(argv[2], "exec") == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(3);
		}
		_exit(0);
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 4;
	persist(p, 256, 0xA3);
	printf("parent done\n");
	return 0;
}

/*
 * spin.c -- never ends: maps the pool, then loops forever, optionally in a
 * forked child too (for time limits and Ctrl-C: nothing may be left running)
 * usage: spin POOL [fork] [TOKEN]
 *
 * TOKEN is ignored: it only makes the processes findable in /proc.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	volatile uint64_t n = 0;

	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return 1;
	volatile uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	if (argc > 2 && strcmp(argv[2], "fork") == 0 && fork() < 0)
		return 1;
	for (;;)
		n++;
}

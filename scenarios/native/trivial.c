/*
 * trivial.c -- the smallest pmem program: mmap a file, store, msync
 *
 * Self-contained on purpose (only POSIX mmap/msync, no libpmem), like the
 * seed's trivial example:
 *
 *	trivial init POOL		create a zeroed 4 KiB pool file
 *	trivial run POOL [STRING]	strcpy STRING to the start of the pool
 *					and msync it
 *	trivial check POOL		print the string found there, quoted
 *
 * There is no atomicity: a crash may leave any part of the string, so the
 * check always exits 0 on a pool of the right size (a collate demo).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "icount.h"

#define TRIVIAL_POOL_SIZE 4096
#define TRIVIAL_DEFAULT "Hello, persistent memory!"

/*
 * trivial_die -- print a one-line error and exit 2 (bad usage or input)
 */
static void
trivial_die(const char *what, const char *path)
{
	fprintf(stderr, "trivial: %s: %s: %s\n", path, what, strerror(errno));
	exit(2);
}

/*
 * trivial_map -- open and map the pool file, creating it if asked
 */
static char *
trivial_map(const char *path, int create, int writable)
{
	struct stat st;
	char *base;
	int fd;

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0),
			0644);
	if (fd < 0)
		trivial_die("open", path);
	if (create && ftruncate(fd, TRIVIAL_POOL_SIZE) < 0)
		trivial_die("ftruncate", path);
	if (fstat(fd, &st) < 0)
		trivial_die("fstat", path);
	if (st.st_size != TRIVIAL_POOL_SIZE) {
		fprintf(stderr, "trivial: %s: size %lld, expected %d"
				" (run init first)\n", path,
				(long long)st.st_size, TRIVIAL_POOL_SIZE);
		exit(2);
	}
	base = mmap(NULL, TRIVIAL_POOL_SIZE,
			writable ? PROT_READ | PROT_WRITE : PROT_READ,
			MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		trivial_die("mmap", path);
	close(fd);
	return base;
}

/*
 * trivial_run -- the snippet under test: one strcpy and one msync
 */
static void
trivial_run(char *base, const char *str)
{
	icount_start(0);
	strcpy(base, str);
	if (msync(base, TRIVIAL_POOL_SIZE, MS_SYNC) < 0) {
		perror("trivial: msync");
		exit(1);
	}
	icount_stop();
}

/*
 * trivial_check -- print the string stored in the pool, quoted and escaped
 */
static void
trivial_check(const char *base)
{
	size_t len = strnlen(base, TRIVIAL_POOL_SIZE);

	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)base[i];

		if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("\"\n");
}

/*
 * main -- trivial init|run|check POOL [STRING]
 */
int
main(int argc, char *argv[])
{
	char *base;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[1], "run"))) {
		fprintf(stderr, "usage: trivial init|check POOL"
				" | trivial run POOL [STRING]\n");
		return 2;
	}

	if (strcmp(argv[1], "init") == 0) {
		base = trivial_map(argv[2], 1, 1);
		memset(base, 0, TRIVIAL_POOL_SIZE);
		if (msync(base, TRIVIAL_POOL_SIZE, MS_SYNC) < 0)
			trivial_die("msync", argv[2]);
	} else if (strcmp(argv[1], "run") == 0) {
		const char *str = argc == 4 ? argv[3] : TRIVIAL_DEFAULT;

		if (strlen(str) >= TRIVIAL_POOL_SIZE) {
			fprintf(stderr, "trivial: string too long\n");
			return 2;
		}
		base = trivial_map(argv[2], 0, 1);
		trivial_run(base, str);
	} else if (strcmp(argv[1], "check") == 0) {
		base = trivial_map(argv[2], 0, 0);
		trivial_check(base);
	} else {
		fprintf(stderr, "trivial: unknown subcommand '%s'\n", argv[1]);
		return 2;
	}
	munmap(base, TRIVIAL_POOL_SIZE);
	return 0;
}

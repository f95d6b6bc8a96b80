/*
 * record-flag-check.c -- the check of the record/flag benchmark workload
 *
 * usage: record-flag-check POOL N
 *
 * The pool holds N records of 64 bytes (record i at offset 64 * i, every 8-byte word i + 1) and,
 * at offset 64 * N, a flag word. Once the flag is 1 every record must be complete. The pool is
 * mapped read-only, as a real check would map it; prints "ok" or the first torn record.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s POOL N\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 64 * (n + 1)) {
		perror(argv[1]);
		return 2;
	}
	const uint64_t *pool = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (pool == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (pool[8 * n] != 1) {
		printf("flag clear\n");
		return 0;
	}
	for (long i = 0; i < n; i++) {
		for (int w = 0; w < 8; w++) {
			if (pool[8 * i + w] != (uint64_t)(i + 1)) {
				printf("flag set, record %ld torn\n", i);
				return 1;
			}
		}
	}
	printf("flag set, %ld records\n", n);
	return 0;
}

/*
 * read-byte.c -- a small check: reads the image, prints its first byte and a checksum,
 * and passes (exit 0) when the first byte is even
 */
#include <stdio.h>
#include <stdlib.h>

/* main -- usage: fork-read-byte IMAGE */
int
main(int argc, char *argv[])
{
	static unsigned char buf[1 << 16];
	FILE *f;
	size_t n;
	unsigned long sum = 0;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: fork-read-byte IMAGE\n");
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + buf[i];
	if (n == 0) {
		fprintf(stderr, "empty image\n");
		return 2;
	}
	printf("byte0=%u bytes=%zu sum=%lx\n", buf[0], n, sum);
	if (buf[0] % 2) {
		fprintf(stderr, "first byte %u is odd\n", buf[0]);
		return 1;
	}
	return 0;
}

/*
 * segv.c -- a check that dereferences a pointer read from the image: a "torn" image
 * (first byte 0xff) makes it segfault, as recovery code reading a torn pool would
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* main -- usage: fork-segv IMAGE */
int
main(int argc, char *argv[])
{
	unsigned char buf[64];
	FILE *f;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL)
		return 2;
	memset(buf, 0, sizeof(buf));
	if (fread(buf, 1, sizeof(buf), f) == 0)
		return 2;
	fclose(f);
	printf("first byte %u\n", buf[0]);
	if (buf[0] == 0xff) {
		fprintf(stderr, "following a torn pointer\n");
		fflush(NULL);
		volatile uintptr_t bad = 16;
		return *(volatile int *)bad;
	}
	return 0;
}

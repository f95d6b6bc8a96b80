/*
 * loop.c -- a check that never ends on images whose first byte is 1
 */
#include <stdio.h>

/* main -- usage: fork-loop IMAGE */
int
main(int argc, char *argv[])
{
	FILE *f;
	int c;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL)
		return 2;
	c = fgetc(f);
	fclose(f);
	printf("first byte %d\n", c);
	fflush(stdout);
	if (c == 1)
		for (;;)
			;
	return 0;
}

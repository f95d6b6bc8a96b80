/*
 * chatter.c -- a check that prints as many mebibytes of lines as the image's first byte says
 */
#include <stdio.h>

/* main -- usage: fork-chatter IMAGE */
int
main(int argc, char *argv[])
{
	FILE *f;
	int c;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL)
		return 2;
	c = fgetc(f);
	fclose(f);
	for (long i = 0; i < (long)c * 16384; i++)
		printf("line %08ld of a chatty check: 64 bytes with this newline...\n", i);
	return 0;
}

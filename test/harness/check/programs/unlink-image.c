/*
 * unlink-image.c -- a check that deletes its image when the image's first byte is 13
 * (what a careless recovery tool might do); it fails when it cannot open the image
 */
#include <stdio.h>
#include <unistd.h>

/* main -- usage: fork-unlink-image IMAGE */
int
main(int argc, char *argv[])
{
	FILE *f;
	int c;

	if (argc != 2)
		return 2;
	if ((f = fopen(argv[1], "rb")) == NULL) {
		perror("cannot open the image");
		return 2;
	}
	c = fgetc(f);
	fclose(f);
	printf("first byte %d\n", c);
	if (c == 13 && unlink(argv[1]) != 0) {
		perror("unlink");
		return 2;
	}
	return 0;
}

/*
 * hang-once.c -- a check that hangs on its first run and passes afterwards: the first run
 * creates MARKER and loops; later runs find MARKER and pass. Shows a time-out is re-run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* main -- usage: fork-hang-once IMAGE MARKER */
int
main(int argc, char *argv[])
{
	int fd;

	if (argc != 3)
		return 2;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		close(fd);
		printf("first run\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	printf("image %s\n", argv[1]);
	return 0;
}

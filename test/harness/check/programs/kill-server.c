/*
 * kill-server.c -- a check that kills its parent (under the fork server: the server itself)
 * when the image's first byte is 7, to exercise the harness's handling of a lost server
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* main -- usage: fork-kill-server IMAGE */
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
	if (c == 7) {
		fflush(stdout);
		kill(getppid(), SIGKILL);
		sleep(5);
	}
	return 0;
}

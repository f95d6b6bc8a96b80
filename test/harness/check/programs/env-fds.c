/*
 * env-fds.c -- prints the open fds and any PMFIT_FORKSERVER variables the check can see
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* main -- usage: fork-env-fds IMAGE */
int
main(int argc, char *argv[])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	(void)argv;
	if (argc != 2 || d == NULL)
		return 2;
	self = dirfd(d);
	printf("fds:");
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) != self)
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
	for (char **v = environ; *v; v++)
		if (strncmp(*v, "PMFIT_FORKSERVER", 16) == 0)
			printf("env: %s\n", *v);
	return 0;
}

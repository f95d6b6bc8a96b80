/*
 * fork-loop.c -- the machine's own limit under pmfit's checks, without
 * pmfit: fork a child that maps the pool with libpmem, reads a byte and
 * exits, N times, waiting for each (bench/engine.ts runs one per job)
 *
 *	fork-loop N POOL	prints "forks/s" as a number
 *
 * The fork server does this per image too, with its pipes, process group
 * and the harness's messages around it: what is left between this rate and
 * the bare fork-server loop is pmfit's own cost per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>

int
main(int argc, char *argv[])
{
	struct timespec a, b;
	int n;

	if (argc != 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: fork-loop N POOL\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			size_t len;
			int is_pmem;
			char *p = pmem_map_file(argv[2], 0, 0, 0, &len, &is_pmem);
			_exit(p && ((volatile char *)p)[0] == 0 ? 0 : 1);
		}
		if (waitpid(pid, &status, 0) != pid || status != 0) {
			fprintf(stderr, "fork-loop: the child failed\n");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", n / ((double)(b.tv_sec - a.tv_sec) +
		(double)(b.tv_nsec - a.tv_nsec) / 1e9));
	return 0;
}

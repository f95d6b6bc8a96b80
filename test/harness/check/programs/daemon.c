/*
 * daemon.c -- a check that leaves processes behind: a background child in its own process
 * group and a `setsid` daemon holding stdout open; their pids go to PIDFILE (one a line)
 * once both run. With the image's first byte 1 the check itself then never ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* daemon_sleep_forever -- what the leftovers do */
static void
daemon_sleep_forever(void)
{
	for (;;)
		pause();
}

/* main -- usage: fork-daemon IMAGE PIDFILE */
int
main(int argc, char *argv[])
{
	FILE *f;
	int c, fds[2];
	pid_t background, daemon_pid;

	if (argc != 3 || (f = fopen(argv[1], "rb")) == NULL)
		return 2;
	c = fgetc(f);
	fclose(f);
	printf("first byte %d\n", c);
	fflush(stdout);

	background = fork();
	if (background == 0)
		daemon_sleep_forever();
	/* the daemon: a grandchild in a new session, its parent gone, stdout still open */
	if (pipe(fds) != 0)
		return 2;
	if (fork() == 0) {
		if (setsid() < 0)
			_exit(3);
		pid_t grandchild = fork();
		if (grandchild == 0) {
			pid_t self = getpid();
			if (write(fds[1], &self, sizeof(self)) != sizeof(self))
				_exit(3);
			daemon_sleep_forever();
		}
		_exit(0);
	}
	if (read(fds[0], &daemon_pid, sizeof(daemon_pid)) != sizeof(daemon_pid))
		return 2;
	/* written whole, then renamed: the test reads both pids or none */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *p = fopen(tmp, "w");
	if (p == NULL)
		return 2;
	fprintf(p, "%d\n%d\n", (int)background, (int)daemon_pid);
	fclose(p);
	if (rename(tmp, argv[2]) != 0)
		return 2;
	if (c == 1)
		daemon_sleep_forever();
	return 0;
}

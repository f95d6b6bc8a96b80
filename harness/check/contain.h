/*
 * contain.h -- leaves nothing of a check running: shared by the spawn runner (check-runner.c)
 * and the fork server (fork-server/server.c)
 *
 * The caller is a child subreaper (PR_SET_CHILD_SUBREAPER) and the check runs in its own process
 * group. Killing the group takes the check and its background jobs; whatever escaped the group
 * (a `setsid` daemon) is reparented to the caller when its parent dies, so killing the caller's
 * children until none is left takes the rest. Only async-signal-safe calls: raw open/read/kill.
 */
#ifndef PMFIT_CONTAIN_H
#define PMFIT_CONTAIN_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* contain_kill_children -- SIGKILLs every child of this process; returns how many it named */
static int
contain_kill_children(void)
{
	char path[64];
	char buf[4096];
	int fd, named = 0;
	ssize_t n;
	pid_t self = getpid();

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self, (int)self);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* space-separated pids; a list longer than buf is finished on the next round */
	for (char *p = buf; *p != '\0';) {
		long pid = 0;
		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
			pid = pid * 10 + (*p++ - '0');
		if (pid > 0) {
			kill((pid_t)pid, SIGKILL);
			named++;
		}
		if (*p != '\0' && *p != ' ')
			p++;
	}
	return named;
}

/* contain_kill_tree -- kills the check's group, then every descendant left, and reaps them all */
static void
contain_kill_tree(pid_t pgid)
{
	int status;

	if (pgid > 0)
		kill(-pgid, SIGKILL);
	for (;;) {
		if (contain_kill_children() < 0) {
			/* no /proc children list: the group is all we can name; reap what died, never block */
			while (waitpid(-1, &status, WNOHANG) > 0)
				;
			return;
		}
		pid_t r = waitpid(-1, &status, 0);
		if (r < 0 && errno == ECHILD)
			return;
	}
}

#endif

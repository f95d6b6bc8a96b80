/*
 * check-runner.c -- runs one check command contained and timed (spawn mode of pmfit's checks)
 *
 *	pmfit-check-runner TIMEOUT_MS PROGRAM [ARG...]
 *
 * pmfit spawns this small program instead of the check itself, so that
 *  - the time limit counts from the moment the check is exec'd, measured here on the
 *    monotonic clock: neither pmfit's start-up nor a busy pmfit event loop counts;
 *  - the check runs in its own process group, killed as a whole at the time limit and as
 *    soon as the check's own process ends; this runner is a child subreaper, so processes
 *    that left the group (a `setsid` daemon holding stdout) are killed too (contain.h);
 *  - nothing outlives pmfit: the runner gets SIGTERM when pmfit dies, even by SIGKILL
 *    (PR_SET_PDEATHSIG), and then kills the whole tree before leaving.
 * The check inherits stdin, stdout and stderr. On fd 3 the runner writes one line:
 *	"exec ERRNO\n"				the program could not be exec'd
 *	"done WSTATUS TIMEDOUT ELAPSED_US\n"	the check ended (TIMEDOUT 1: killed at the limit)
 * Exit status: 0 after a line, 125 on bad usage or when setting up failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"

#define RUNNER_STATUS_FD 3

/* runner_fail -- reports a set-up failure on stderr and leaves */
static void
runner_fail(const char *what)
{
	fprintf(stderr, "pmfit-check-runner: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* runner_now_us -- the monotonic clock in microseconds */
static uint64_t
runner_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* runner_report -- writes the one status line on fd 3 */
static void
runner_report(const char *line)
{
	size_t len = strlen(line);
	while (len > 0) {
		ssize_t n = write(RUNNER_STATUS_FD, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* pmfit is gone: nobody to tell */
		line += n;
		len -= (size_t)n;
	}
}

/* runner_exec_child -- in the forked child: own group, dies with the runner, then exec */
static void
runner_exec_child(char *argv[], int exec_pipe, const sigset_t *old_mask)
{
	int err;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(RUNNER_STATUS_FD);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	execvp(argv[0], argv);
	err = errno;
	if (write(exec_pipe, &err, sizeof(err)) < 0) {
		/* the runner then sees EOF without an errno and reports ENOEXEC */
	}
	_exit(127);
}

/* runner_wait_exec -- 0 once the child has exec'd, else the errno exec failed with */
static int
runner_wait_exec(int exec_pipe)
{
	int err = 0;
	ssize_t n;

	/* the pipe is close-on-exec: EOF means exec succeeded */
	while ((n = read(exec_pipe, &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(exec_pipe);
	return n == (ssize_t)sizeof(err) ? (err != 0 ? err : ENOEXEC) : 0;
}

/* runner_wait -- waits for the check's own process, the time limit or pmfit's death */
static int
runner_wait(pid_t pid, int pidfd, int sigfd, uint64_t start, uint64_t limit_us, int *timed_out)
{
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		uint64_t elapsed = runner_now_us() - start;
		if (elapsed >= limit_us) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return status;
		}
		uint64_t left_ms = (limit_us - elapsed + 999) / 1000;
		struct pollfd pfd[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		int wait_ms = left_ms > INT_MAX ? INT_MAX : (int)left_ms;
		if (pidfd < 0 && wait_ms > 10)
			wait_ms = 10; /* no pidfd (old kernel): look at the child every 10 ms */
		if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR)
			runner_fail("poll");
		if (pfd[1].revents & POLLIN) {
			/* pmfit died or asked us to stop: leave nothing behind */
			contain_kill_tree(pid);
			_exit(0);
		}
	}
}

/* main -- see the header comment */
int
main(int argc, char *argv[])
{
	sigset_t stop, old_mask;
	int exec_pipe[2];
	char *end;
	pid_t parent = getppid();

	if (argc < 3) {
		fprintf(stderr, "usage: pmfit-check-runner TIMEOUT_MS PROGRAM [ARG...]\n");
		return 125;
	}
	errno = 0;
	unsigned long long limit_ms = strtoull(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0' || errno != 0 || limit_ms == 0) {
		fprintf(stderr, "pmfit-check-runner: bad time limit %s\n", argv[1]);
		return 125;
	}
	/* a limit of centuries is no limit: keep the microseconds from overflowing */
	uint64_t limit_us = limit_ms > UINT64_MAX / 2000 ? UINT64_MAX / 2 : (uint64_t)limit_ms * 1000u;
	if (fcntl(RUNNER_STATUS_FD, F_SETFD, FD_CLOEXEC) != 0)
		runner_fail("fd 3 (the status pipe)");

	/* SIGTERM, SIGINT and SIGHUP (and pmfit's death) arrive through a signalfd */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &stop, &old_mask) != 0)
		runner_fail("sigprocmask");
	int sigfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		runner_fail("signalfd");
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		runner_fail("prctl");
	if (getppid() != parent)
		return 0; /* pmfit died before the death signal was armed */

	if (pipe2(exec_pipe, O_CLOEXEC) != 0)
		runner_fail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		runner_fail("fork");
	if (pid == 0)
		runner_exec_child(argv + 2, exec_pipe[1], &old_mask);
	setpgid(pid, pid); /* also here: no window where a kill of the group misses the child */
	close(exec_pipe[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	char line[128];
	int err = runner_wait_exec(exec_pipe[0]);
	if (err != 0) {
		contain_kill_tree(pid);
		snprintf(line, sizeof(line), "exec %d\n", err);
		runner_report(line);
		return 0;
	}
	/* the clock starts now: the check is running */
	uint64_t start = runner_now_us();
	int timed_out = 0;
	int status = runner_wait(pid, pidfd, sigfd, start, limit_us, &timed_out);
	uint64_t elapsed = runner_now_us() - start;
	/* the check is over: its background processes and daemons go with it */
	contain_kill_tree(pid);
	snprintf(line, sizeof(line), "done %d %d %llu\n", status, timed_out, (unsigned long long)elapsed);
	runner_report(line);
	return 0;
}

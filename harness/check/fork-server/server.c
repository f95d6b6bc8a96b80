/*
 * pmfit-forkserver.c -- LD_PRELOAD library turning a native check program into a fork server
 *
 * The idea is AFL++'s fork server: the program is exec'd and its dynamic loader
 * and libraries are set up once; then, per crash image, the server forks and the
 * child runs main() with the original argv, so a check costs a fork, not an exec.
 *
 * Activated only when PMFIT_FORKSERVER_FD is set ("CMD,STATUS": two inherited
 * fds, commands in, statuses out). The image lives at a fixed path that the
 * program's own argv names; the harness rewrites it before each command.
 * The child's stdout and stderr are pipes that the server drains while the
 * check runs: the first PMFIT_FORKSERVER_CAPTURE bytes (default 65536) of each
 * go to the files named by PMFIT_FORKSERVER_OUT and PMFIT_FORKSERVER_ERR
 * (emptied before each fork), the rest is only counted, so a chatty check
 * costs neither memory nor disk. The status carries the total sizes. All these
 * variables are removed from the environment before main() runs.
 *
 * The messages and their sequence are in protocol.h and PROTOCOL.md. Containment: each
 * check runs in its own process group with PR_SET_PDEATHSIG; the server is a child subreaper
 * and kills the check's group and every descendant left (a `setsid` daemon) when the check
 * ends, at its time limit, and when pmfit goes away (EOF on the commands, or SIGTERM from its
 * own PR_SET_PDEATHSIG when pmfit dies, even by SIGKILL) -- see ../contain.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../contain.h"
#include "protocol.h"

static int forksrv_cmd_fd = -1;
static int forksrv_status_fd = -1;
/* one captured stream of the running check */
struct forksrv_capture {
	int file_fd;	/* where the first forksrv_capture_max bytes go */
	int pipe_fd;	/* read end of the child's stdout or stderr; -1 when closed */
	uint64_t total;	/* bytes the child wrote */
};

static struct forksrv_capture forksrv_out = { -1, -1, 0 };
static struct forksrv_capture forksrv_err = { -1, -1, 0 };
static uint64_t forksrv_capture_max = 65536;
/* the running check's pid (its group id too), for the death-signal handler; 0 when idle */
static volatile pid_t forksrv_running;

/* forksrv_die -- reports a server-side failure on stderr and exits */
static void
forksrv_die(const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "pmfit-forkserver: %s: %s\n", what, strerror(errno));
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) {
		/* nothing left to report to */
	}
	_exit(120);
}

/* forksrv_read_full -- reads exactly len bytes; returns 0, or -1 on EOF or error */
static int
forksrv_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* forksrv_write_full -- writes exactly len bytes; exits when the harness is gone */
static void
forksrv_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		p += n;
		len -= (size_t)n;
	}
}

/* forksrv_send -- sends one status message */
static void
forksrv_send(uint32_t kind, uint32_t seq, int32_t value, uint32_t flags, uint64_t elapsed_us)
{
	struct forksrv_status st;

	memset(&st, 0, sizeof(st));
	st.kind = kind;
	st.seq = seq;
	st.value = value;
	st.flags = flags;
	if (kind == FORKSRV_KIND_DONE) {
		st.out_size = forksrv_out.total;
		st.err_size = forksrv_err.total;
		st.elapsed_us = elapsed_us;
	}
	forksrv_write_full(forksrv_status_fd, &st, sizeof(st));
}

/* forksrv_parse_fds -- parses "CMD,STATUS" into two fds; returns 0 on success */
static int
forksrv_parse_fds(const char *spec, int *cmd, int *status)
{
	char *end;
	long a = strtol(spec, &end, 10);
	if (end == spec || *end != ',')
		return -1;
	const char *second = end + 1;
	long b = strtol(second, &end, 10);
	if (end == second || *end != '\0' || a < 0 || b < 0 || a > 65535 || b > 65535)
		return -1;
	*cmd = (int)a;
	*status = (int)b;
	return 0;
}

/* forksrv_open_output -- opens (creating) one of the per-check output files */
static int
forksrv_open_output(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		forksrv_die(path);
	return fd;
}

/* forksrv_capture_begin -- empties the capture file and makes a fresh pipe; returns its write end */
static int
forksrv_capture_begin(struct forksrv_capture *c)
{
	int p[2];

	if (ftruncate(c->file_fd, 0) != 0)
		forksrv_die("cannot empty an output file");
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0)
		forksrv_die("fcntl");
	c->pipe_fd = p[0];
	c->total = 0;
	return p[1];
}

/* forksrv_capture_drain -- reads what the pipe holds now: keeps the head, counts the rest */
static void
forksrv_capture_drain(struct forksrv_capture *c)
{
	static char buf[65536];

	while (c->pipe_fd >= 0) {
		ssize_t n = read(c->pipe_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(c->pipe_fd);
			c->pipe_fd = -1;
			return;
		}
		if (c->total < forksrv_capture_max) {
			uint64_t room = forksrv_capture_max - c->total;
			size_t keep = (uint64_t)n < room ? (size_t)n : (size_t)room;
			if (pwrite(c->file_fd, buf, keep, (off_t)c->total) != (ssize_t)keep)
				forksrv_die("cannot write an output file");
		}
		c->total += (uint64_t)n;
	}
}

/* forksrv_capture_end -- takes the last bytes the child left in the pipe and closes it */
static void
forksrv_capture_end(struct forksrv_capture *c)
{
	/* anything the exited child wrote is in the pipe; a grandchild may keep it open */
	forksrv_capture_drain(c);
	if (c->pipe_fd >= 0) {
		close(c->pipe_fd);
		c->pipe_fd = -1;
	}
}

/* forksrv_kill_child -- kills the child's process group and the child itself */
static void
forksrv_kill_child(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* forksrv_reap -- waits for the child, killing it at the timeout or when the harness leaves */
static int
forksrv_reap(pid_t pid, uint32_t timeout_ms, uint32_t *flags, uint64_t *elapsed_us)
{
	int status = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			forksrv_die("waitpid");

		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t elapsed = (int64_t)(now.tv_sec - start.tv_sec) * 1000 +
			(now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= (int64_t)timeout_ms) {
			*flags |= FORKSRV_FLAG_TIMEOUT;
			forksrv_kill_child(pid);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}

		struct pollfd pfd[4] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = forksrv_cmd_fd, .events = POLLRDHUP },
			{ .fd = forksrv_out.pipe_fd, .events = POLLIN },
			{ .fd = forksrv_err.pipe_fd, .events = POLLIN },
		};
		int wait_ms = (int)((int64_t)timeout_ms - elapsed);
		if (pidfd < 0) {
			/* no pidfd (old kernel): poll the child every millisecond */
			pfd[0].fd = -1;
			wait_ms = wait_ms > 1 ? 1 : wait_ms;
		}
		if (poll(pfd, 4, wait_ms) < 0 && errno != EINTR)
			forksrv_die("poll");
		if (pfd[2].revents)
			forksrv_capture_drain(&forksrv_out);
		if (pfd[3].revents)
			forksrv_capture_drain(&forksrv_err);
		if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			/* the harness has gone: leave nothing behind */
			contain_kill_tree(pid);
			_exit(0);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	*elapsed_us = (uint64_t)((int64_t)(now.tv_sec - start.tv_sec) * 1000000 +
		(now.tv_nsec - start.tv_nsec) / 1000);
	if (pidfd >= 0)
		close(pidfd);
	/* the check is over: its background processes and daemons go with it */
	contain_kill_tree(pid);
	forksrv_capture_end(&forksrv_out);
	forksrv_capture_end(&forksrv_err);
	return status;
}

/* forksrv_child_setup -- makes the forked child a clean check process, then returns to main */
static void
forksrv_child_setup(int out, int err)
{
	/* own process group: a timeout kills whatever the check started */
	setpgid(0, 0);
	/* the check dies with the server; the server's own handlers and subreaping are not the check's */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	signal(SIGTERM, SIG_DFL);
	if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(121);
	close(out);
	close(err);
	close(forksrv_out.pipe_fd);
	close(forksrv_err.pipe_fd);
	close(forksrv_out.file_fd);
	close(forksrv_err.file_fd);
	close(forksrv_cmd_fd);
	close(forksrv_status_fd);
}

/* forksrv_loop -- serves commands until EOF; returns only in a forked child */
static void
forksrv_loop(void)
{
	struct forksrv_command cmd;

	forksrv_send(FORKSRV_KIND_HELLO, 0, (int32_t)getpid(), FORKSRV_PROTOCOL_VERSION, 0);
	while (forksrv_read_full(forksrv_cmd_fd, &cmd, sizeof(cmd)) == 0) {
		int out = forksrv_capture_begin(&forksrv_out);
		int err = forksrv_capture_begin(&forksrv_err);
		/* nothing buffered before main may be written twice */
		fflush(NULL);

		pid_t pid = (out < 0 || err < 0) ? -1 : fork();
		if (pid == 0) {
			forksrv_child_setup(out, err);
			return;
		}
		if (pid > 0) {
			setpgid(pid, pid); /* also here: no window where a kill of the group misses it */
			forksrv_running = pid;
		}
		int fork_errno = errno;
		if (out >= 0)
			close(out);
		if (err >= 0)
			close(err);
		if (pid < 0) {
			forksrv_capture_end(&forksrv_out);
			forksrv_capture_end(&forksrv_err);
			forksrv_send(FORKSRV_KIND_FAILED, cmd.seq, fork_errno, 0, 0);
			continue;
		}
		uint32_t flags = 0;
		uint64_t elapsed_us = 0;
		int status = forksrv_reap(pid, cmd.timeout_ms, &flags, &elapsed_us);
		forksrv_running = 0;
		forksrv_send(FORKSRV_KIND_DONE, cmd.seq, status, flags, elapsed_us);
	}
	_exit(0);
}

/* forksrv_on_death -- SIGTERM (pmfit died or asks us to stop): kill the check's tree, leave */
static void
forksrv_on_death(int sig)
{
	(void)sig;
	contain_kill_tree(forksrv_running);
	_exit(0);
}

/* forksrv_init -- constructor: becomes a fork server when PMFIT_FORKSERVER_FD is set */
__attribute__((constructor)) static void
forksrv_init(void)
{
	const char *spec = getenv("PMFIT_FORKSERVER_FD");
	const char *out = getenv("PMFIT_FORKSERVER_OUT");
	const char *err = getenv("PMFIT_FORKSERVER_ERR");
	const char *cap = getenv("PMFIT_FORKSERVER_CAPTURE");

	if (spec == NULL)
		return;
	if (out == NULL || err == NULL || forksrv_parse_fds(spec, &forksrv_cmd_fd, &forksrv_status_fd) != 0) {
		errno = EINVAL;
		forksrv_die("PMFIT_FORKSERVER_FD, _OUT and _ERR must all be set");
	}
	forksrv_out.file_fd = forksrv_open_output(out);
	forksrv_err.file_fd = forksrv_open_output(err);
	if (cap != NULL)
		forksrv_capture_max = strtoull(cap, NULL, 10);
	/* the check sees the environment it would see without the server */
	unsetenv("PMFIT_FORKSERVER_CAPTURE");
	unsetenv("PMFIT_FORKSERVER_FD");
	unsetenv("PMFIT_FORKSERVER_OUT");
	unsetenv("PMFIT_FORKSERVER_ERR");
	if (fcntl(forksrv_cmd_fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(forksrv_status_fd, F_SETFD, FD_CLOEXEC) != 0)
		forksrv_die("bad control fds");
	/* the server dies with the harness, taking the running check's whole tree with it */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forksrv_on_death;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		forksrv_die("cannot arrange to die with pmfit");
	forksrv_loop();
}

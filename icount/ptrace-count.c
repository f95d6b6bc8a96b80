/*
 * ptrace-count.c -- counts a program's instructions by ptrace single-step
 *
 * usage: ptrace-count [-w] PROGRAM [ARGS...]
 *
 * Counts the instructions executed after icount_start's magic sequence (the
 * NOP and the store that follows it, see icount.h) and before icount_stop's
 * NOP: the same window the tracer counts. With -w it counts the whole run.
 * Prints one JSON line: {"window":N,"all":M,"windows":K,"status":S}.
 * It is slow by design (a few hundred thousand steps a second) and exists
 * to cross-check the tracer's counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "icount.h"

/* struct pcount -- the counter's state */
struct pcount {
	pid_t pid;
	int whole;
	int open;
	int skip;		/* instructions of a start sequence still to pass */
	unsigned long window;
	unsigned long all;
	unsigned long windows;
};

/* pcount_marker -- which icount.h NOP (kind byte) is at rip, or 0 */
static int
pcount_marker(pid_t pid, unsigned long rip)
{
	static const uint8_t tag[] = { 0x0F, 0x1F, 0x84, 0x00 };
	uint8_t b[8];
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKTEXT, pid, (void *)rip, NULL);
	if (errno)
		return 0;
	memcpy(b, &w, 8);
	if (memcmp(b, tag, 4) != 0 || b[5] != 0x46 || b[6] != 0x4D ||
	    b[7] != 0x50)
		return 0;
	return b[4];
}

/* pcount_step -- account for the instruction about to execute at rip */
static void
pcount_step(struct pcount *c, unsigned long rip)
{
	int kind = pcount_marker(c->pid, rip);

	c->all++;
	if (kind == ICOUNT_KIND_STOP && c->open && !c->whole) {
		c->open = 0;
		return;
	}
	if (c->skip > 0) {
		/* the store after the start NOP: the window opens after it */
		if (--c->skip == 0) {
			c->open = 1;
			c->windows++;
		}
		return;
	}
	if (kind == ICOUNT_KIND_START && !c->whole) {
		c->skip = 1;
		return;
	}
	if (c->open)
		c->window++;
}

/* pcount_child -- the traced child: ask to be traced, then exec */
static void
pcount_child(char *argv[])
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
		perror("ptrace-count: PTRACE_TRACEME");
		_exit(127);
	}
	execvp(argv[0], argv);
	perror("ptrace-count: exec");
	_exit(127);
}

/* pcount_run -- single-step the child to its end; returns its wait status */
static int
pcount_run(struct pcount *c)
{
	int status;
	struct user_regs_struct regs;

	if (waitpid(c->pid, &status, 0) < 0 || !WIFSTOPPED(status))
		return status; /* exec failed */
	ptrace(PTRACE_SETOPTIONS, c->pid, NULL, (void *)PTRACE_O_EXITKILL);
	for (;;) {
		if (ptrace(PTRACE_GETREGS, c->pid, NULL, &regs) == 0)
			pcount_step(c, regs.rip);
		if (ptrace(PTRACE_SINGLESTEP, c->pid, NULL, NULL) != 0)
			return -1;
		if (waitpid(c->pid, &status, 0) < 0)
			return -1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return status;
		if (WSTOPSIG(status) != SIGTRAP) {
			/* deliver the program's own signal */
			ptrace(PTRACE_SINGLESTEP, c->pid, NULL,
				(void *)(long)WSTOPSIG(status));
			if (waitpid(c->pid, &status, 0) < 0 ||
			    WIFEXITED(status) || WIFSIGNALED(status))
				return status;
		}
	}
}

/* main -- parse options, fork the program, print the counts */
int
main(int argc, char *argv[])
{
	struct pcount c = { 0 };
	int status, first = 1;

	if (argc > 1 && strcmp(argv[1], "-w") == 0) {
		c.whole = c.open = 1;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: ptrace-count [-w] PROGRAM [ARGS...]\n");
		return 2;
	}
	c.pid = fork();
	if (c.pid < 0) {
		perror("ptrace-count: fork");
		return 1;
	}
	if (c.pid == 0)
		pcount_child(argv + first);
	status = pcount_run(&c);
	printf("{\"window\":%lu,\"all\":%lu,\"windows\":%lu,\"status\":%d}\n",
		c.whole ? c.all : c.window, c.all, c.windows,
		status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return status >= 0 && WIFEXITED(status) ? 0 : 1;
}

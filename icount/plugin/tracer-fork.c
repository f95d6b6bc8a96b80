/*
 * tracer-fork.c -- forked children and exec
 *
 * A fork copies QEMU, the plugin and all its state into the child. With
 * forks=trace the child becomes a traced process of its own: at its return
 * from the fork it leaves the parent's trace file alone (and drops the
 * records the parent had not written yet: they are the parent's), opens
 * OUT.child-K, where K numbers the parent's forks from 1, snapshots the
 * pools into OUT.child-K.img0 as its initial image (the pool file holds what
 * the shared mapping holds), and writes its header and the mappings and code
 * objects it inherited. From then on it records its own events, numbered
 * from 0, with the window, the shadow call stack and the instruction counts
 * it inherited, and writes OUT.child-K.summary.json when it ends. Its own
 * children are OUT.child-K.child-J: nesting needs nothing more. With
 * forks=ignore the child traces nothing (Run.child).
 *
 * exec replaces QEMU without an exit callback: at the entry of execve or
 * execveat the traced process finishes its files as they stand, exit reason
 * "exec" (tracer_checkpoint).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

/* x86-64 Linux syscall numbers of the calls that make or replace processes */
#define SYS_F_CLONE 56
#define SYS_F_FORK 57
#define SYS_F_VFORK 58
#define SYS_F_EXECVE 59
#define SYS_F_EXECVEAT 322
#define SYS_F_CLONE3 435

#define F_CLONE_THREAD 0x10000

/* tracer_fork_like -- may syscall num make a new process? */
static int
tracer_fork_like(int64_t num)
{
	return num == SYS_F_CLONE || num == SYS_F_FORK || num == SYS_F_VFORK ||
		num == SYS_F_CLONE3;
}

/*
 * tracer_fork_syscall -- a syscall of thread t begins (locked): a fork-like
 * one takes the number its child will have (a clone3, whose flags are in
 * guest memory not yet checked, takes one too: a thread leaves a gap); an
 * exec finishes the files first
 */
void
tracer_fork_syscall(struct tracer_thread *t, int64_t num, uint64_t a1)
{
	if (tracer_fork_like(num) &&
	    !(num == SYS_F_CLONE && (a1 & F_CLONE_THREAD)))
		t->sc.fork_k = ++Run.fork_seq;
	else if (num == SYS_F_EXECVE || num == SYS_F_EXECVEAT)
		tracer_checkpoint("exec");
}

/*
 * tracer_snapshot_pool -- write pool id's content now to OUT.imgID, part of
 * the initial image of this (the child's) trace; 0 on success. A pool file
 * the program has not created yet has nothing to copy: its image is empty.
 */
static int
tracer_snapshot_pool(int id)
{
	static uint8_t chunk[1 << 16];
	char image[PATH_MAX + 16];
	int in, out, ok = 1;
	off_t at = 0;

	tracer_image_path(id, image, sizeof(image), 0);
	in = open(Args.pool_path[id], O_RDONLY | O_CLOEXEC);
	out = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 && errno == ENOENT && out >= 0) {
		close(out);
		return 0;
	}
	while (in >= 0 && out >= 0) {
		ssize_t n = pread(in, chunk, sizeof(chunk), at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if (write(out, chunk, (size_t)n) != n) {
			ok = 0;
			break;
		}
		at += n;
	}
	if (in < 0 || out < 0 || !ok) {
		fprintf(stderr, "pmfit-tracer: cannot snapshot %s into %s: %s\n",
			Args.pool_path[id], image, strerror(errno));
		ok = 0;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok ? 0 : -1;
}

/*
 * tracer_snapshot_pools -- every followed pool's content now, the initial
 * image of this (the child's) trace; 0 on success
 */
static int
tracer_snapshot_pools(void)
{
	for (int i = 0; i < Args.npools; i++) {
		if (tracer_snapshot_pool(i) != 0)
			return -1;
	}
	return 0;
}

/*
 * tracer_child_threads -- only the forking thread t lives on in the child:
 * the others' state is dropped, and the records' lock (which another
 * thread may have held at the fork) is made anew
 */
static void
tracer_child_threads(struct tracer_thread *t)
{
	pthread_mutex_init(&Threads.lock, NULL);
	for (int i = 0; i < TRACER_MAX_VCPUS; i++) {
		struct tracer_thread *o = &Threads.t[i];
		if (o == t)
			continue;
		o->live = 0;
		o->count = 0;
		o->all = 0;
		o->stack.dropped = 0;
	}
	Threads.created = 1;
	Threads.cur = t;
}

/* tracer_child_trace -- the child starts its own trace OUT.child-K */
static void
tracer_child_trace(struct tracer_thread *t)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s.child-%llu", Args.out_path,
		(unsigned long long)t->sc.fork_k);
	tracer_out_reopen(path);
	memset(&Counts, 0, sizeof(Counts));
	Run.exited = 0;
	Run.exit_code = 0;
	Run.forks = 0;
	Run.fork_seq = 0;
	Out.initial_images = tracer_snapshot_pools() == 0;
	if (!Out.initial_images)
		Out.write_failed = 1;
	tracer_header_write(0);
	for (int i = 0; i < Pool.nmaps; i++)
		tracer_emit_map(&Pool.maps[i]);
	tracer_emit_objects();
}

/*
 * tracer_fork_child -- a fork-like syscall of thread t returned 0: in a
 * forked child (another pid), set it up to trace itself or nothing, and
 * say so (1); in the parent's new thread, nothing to do (0)
 */
int
tracer_fork_child(struct tracer_thread *t, int64_t num)
{
	if (!tracer_fork_like(num) || getpid() == Guest.pid)
		return 0;
	Guest.pid = getpid();
	tracer_child_threads(t);
	if (Args.forks != FORKS_TRACE) {
		Run.child = 1;
		Win.open = 0;
		return 1;
	}
	tracer_child_trace(t);
	return 1;
}

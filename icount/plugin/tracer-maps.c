/*
 * tracer-maps.c -- the pool's mappings in the guest and the syscalls that
 * change them (mmap, munmap, mremap), msync records, the data that read(2)
 * and its kin write into the pool, the program's exit, forks, and the files
 * it opens
 *
 * Syscall arguments are kept per thread between the entry and return
 * callbacks. Any thread's mmap, munmap and mremap change the one mapping
 * table, and any thread's msync and reads are recorded as its events, under
 * the records' lock (tracer.h). A clone that makes a thread (CLONE_VM) turns
 * the lock on before the thread exists.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer.h"

/* x86-64 Linux syscall numbers */
#define SYS_X_READ 0
#define SYS_X_PREAD64 17
#define SYS_X_READV 19
#define SYS_X_RECVFROM 45
#define SYS_X_PREADV 295
#define SYS_X_PREADV2 327
#define SYS_X_OPEN 2
#define SYS_X_MMAP 9
#define SYS_X_MUNMAP 11
#define SYS_X_MREMAP 25
#define SYS_X_MSYNC 26
#define SYS_X_CLONE 56
#define SYS_X_FORK 57
#define SYS_X_VFORK 58
#define SYS_X_EXIT 60
#define SYS_X_CREAT 85
#define SYS_X_EXIT_GROUP 231
#define SYS_X_OPENAT 257
#define SYS_X_CLONE3 435
#define SYS_X_OPENAT2 437

#define X_CLONE_VM 0x100
#define X_CLONE_THREAD 0x10000
#define X_MAP_TYPE 0x0f		/* MAP_SHARED, MAP_PRIVATE, ... */
#define X_MAP_PRIVATE 0x02
#define X_MAP_ANONYMOUS 0x20

static int tracer_is_read(int64_t num);

/* tracer_maps_bounds -- recompute the quick-reject range of the mappings */
static void
tracer_maps_bounds(void)
{
	Pool.lo = UINT64_MAX;
	Pool.hi = 0;
	for (int i = 0; i < Pool.nmaps; i++) {
		if (Pool.maps[i].base < Pool.lo)
			Pool.lo = Pool.maps[i].base;
		if (Pool.maps[i].base + Pool.maps[i].len > Pool.hi)
			Pool.hi = Pool.maps[i].base + Pool.maps[i].len;
	}
}

/* tracer_maps_add -- remember a new pool mapping and record it */
static void
tracer_maps_add(uint64_t base, uint64_t len, uint64_t off)
{
	struct tracer_map m = { base, len, off };

	if (Pool.nmaps == TRACER_MAX_MAPS) {
		fprintf(stderr, "pmfit-tracer: more than %d pool mappings\n",
			TRACER_MAX_MAPS);
		return;
	}
	Pool.maps[Pool.nmaps++] = m;
	tracer_maps_bounds();
	tracer_emit_map(&m);
}

/* tracer_maps_remove -- forget [addr, addr+len) in the pool mappings */
static void
tracer_maps_remove(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	for (int i = 0; i < Pool.nmaps; i++) {
		struct tracer_map *m = &Pool.maps[i];
		uint64_t mend = m->base + m->len;
		if (end <= m->base || addr >= mend)
			continue;
		if (addr <= m->base && end >= mend) {
			Pool.maps[i--] = Pool.maps[--Pool.nmaps];
		} else if (addr <= m->base) {
			m->off += end - m->base;
			m->len = mend - end;
			m->base = end;
		} else if (end >= mend) {
			m->len = addr - m->base;
		} else if (Pool.nmaps < TRACER_MAX_MAPS) {
			struct tracer_map tail = { end, mend - end,
				m->off + (end - m->base) };
			m->len = addr - m->base;
			Pool.maps[Pool.nmaps++] = tail;
		}
	}
	tracer_maps_bounds();
}

/*
 * tracer_pool_offset -- pool address (pool id << 48 | file offset) of guest
 * address a, *room bytes left in its mapping
 */
int
tracer_pool_offset(uint64_t a, uint64_t *off, uint64_t *room)
{
	if (a < Pool.lo || a >= Pool.hi)
		return 0;
	for (int i = 0; i < Pool.nmaps; i++) {
		const struct tracer_map *m = &Pool.maps[i];
		if (a - m->base < m->len) {
			*off = m->off + (a - m->base);
			*room = m->len - (a - m->base);
			return 1;
		}
	}
	return 0;
}

/* tracer_pool_overlaps -- does [addr, addr+len) touch a pool mapping? */
int
tracer_pool_overlaps(uint64_t addr, uint64_t len)
{
	for (int i = 0; i < Pool.nmaps; i++) {
		const struct tracer_map *m = &Pool.maps[i];
		if (addr < m->base + m->len && addr + len > m->base)
			return 1;
	}
	return 0;
}

/*
 * tracer_pool_of_fd -- which pool= file guest fd refers to: its pool id, or
 * -1 (the files are looked up by path each time: a program may create one)
 */
static int
tracer_pool_of_fd(int fd)
{
	struct stat a, b;

	if (fd < 0 || fstat(fd, &a) != 0)
		return -1;
	for (int i = 0; i < Args.npools; i++) {
		if (stat(Args.pool_path[i], &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return i;
	}
	return -1;
}

/* tracer_is_pool_fd -- does guest fd refer to a pool file? */
static int
tracer_is_pool_fd(int fd)
{
	return tracer_pool_of_fd(fd) >= 0;
}

/* tracer_msync -- record an msync's pieces that fall on pool mappings */
static void
tracer_msync(uint64_t a1, uint64_t a2)
{
	uint64_t off, room, p[2];

	for (uint64_t a = a1; a < a1 + a2; a += room) {
		if (!tracer_pool_offset(a, &off, &room)) {
			room = 4096 - (a & 4095); /* skip to the next page */
			continue;
		}
		p[0] = off;
		p[1] = room < a1 + a2 - a ? room : a1 + a2 - a;
		Counts.msyncs++;
		tracer_emit(TK_MSYNC, 0, Threads.cur->count, Threads.cur->pc, p,
			sizeof(p), NULL, 0);
	}
}

/*
 * tracer_clone_entry -- a clone that may create a thread sharing this
 * memory (clone with CLONE_VM; any clone3, whose flags are in guest memory):
 * turn the records' lock on now, while the new thread does not exist yet
 */
static void
tracer_clone_entry(int64_t num, uint64_t a1)
{
	uint64_t flags = num == SYS_X_CLONE ? a1 : X_CLONE_VM;

	if ((num == SYS_X_CLONE || num == SYS_X_CLONE3) && (flags & X_CLONE_VM))
		__atomic_store_n(&Threads.multi, 1, __ATOMIC_RELEASE);
}

/* tracer_syscall_locked -- a syscall of thread t begins (locked) */
static void
tracer_syscall_locked(struct tracer_thread *t, int64_t num)
{
	const uint64_t *a = t->sc.args;

	if (num == SYS_X_EXIT_GROUP || (num == SYS_X_EXIT && t->id == 0)) {
		Run.exited = 1;
		Run.exit_code = (int64_t)(int32_t)a[0];
	}
	/* exit (60) ends one thread: its vCPU may later run a new one */
	if (num == SYS_X_EXIT && t->id != 0)
		t->live = 0;
	if (num == SYS_X_MSYNC && Win.open)
		tracer_msync(a[0], a[1]);
	tracer_fork_syscall(t, num, a[0]); /* numbers a fork; exec ends files */
}

/*
 * tracer_unroomed_syscall -- a thread the plugin has no room for (it keeps
 * no state of its own) makes a syscall: one that may touch the pool (maps
 * it, changes or msyncs its mappings, reads into it) ends the run
 */
static void
tracer_unroomed_syscall(int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
	uint64_t a5)
{
	int touches = 0;

	if (num == SYS_X_MMAP)
		touches = tracer_is_pool_fd((int)a5) ||
			tracer_pool_overlaps(a1, a2);
	else if (num == SYS_X_MUNMAP || num == SYS_X_MREMAP ||
	    num == SYS_X_MSYNC)
		touches = tracer_pool_overlaps(a1, a2);
	else if (num == SYS_X_READ || num == SYS_X_PREAD64 ||
	    num == SYS_X_RECVFROM)
		touches = tracer_pool_overlaps(a2, a3);
	else if (tracer_is_read(num))
		touches = Pool.nmaps > 0; /* its iovecs are not followed */
	if (touches)
		tracer_refuse_thread(0);
}

/* tracer_syscall -- remember a syscall's arguments; record msync */
void
tracer_syscall(qpa_id_t id, unsigned vcpu, int64_t num, uint64_t a1,
	uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
	uint64_t a7, uint64_t a8)
{
	struct tracer_thread *t;
	int multi;

	(void)id; (void)a7; (void)a8;
	if (Run.child)
		return;
	tracer_clone_entry(num, a1);
	t = tracer_thread_of(vcpu);
	multi = tracer_lock(t);
	if (!t) {
		tracer_unroomed_syscall(num, a1, a2, a3, a5);
		if (num == SYS_X_EXIT_GROUP) {
			Run.exited = 1;
			Run.exit_code = (int64_t)(int32_t)a1;
		}
	} else {
		t->sc.num = num;
		t->sc.args[0] = a1; t->sc.args[1] = a2; t->sc.args[2] = a3;
		t->sc.args[3] = a4; t->sc.args[4] = a5; t->sc.args[5] = a6;
		tracer_syscall_locked(t, num);
	}
	tracer_unlock(multi);
}

/* tracer_system_path -- a file every program opens (loader, locale) */
static int
tracer_system_path(const char *p)
{
	static const char *prefixes[] = { "/etc/", "/lib/", "/lib64/",
		"/usr/lib/", "/usr/lib64/", "/usr/local/lib/", "/usr/share/",
		"/proc/", "/sys/", "/dev/" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(p, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	}
	return 0;
}

/* tracer_opened -- a file was opened: the pool (read-only?) or another */
static void
tracer_opened(int fd, const char *path, uint64_t flags)
{
	struct stat st;
	int pool = tracer_pool_of_fd(fd);

	if (pool >= 0) {
		if ((flags & O_ACCMODE) == O_RDONLY)
			Pool.opened_ro[pool] = 1;
		return;
	}
	/* regular files only: directories, pipes and devices say nothing */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    tracer_system_path(path) || tracer_is_shim(path))
		return;
	for (int i = 0; i < Pool.nopened; i++) {
		if (strcmp(Pool.opened[i], path) == 0)
			return;
	}
	if (Pool.nopened == TRACER_MAX_OPENED) {
		Pool.opened_more = 1;
		return;
	}
	snprintf(Pool.opened[Pool.nopened++], TRACER_PATH_MAX, "%s", path);
}

/* tracer_guest_str -- a guest string the kernel just accepted */
static const char *
tracer_guest_str(uint64_t a)
{
	return (const char *)(uintptr_t)(a + Guest.guest_base);
}

/* tracer_guest_u64 -- a guest word the kernel just accepted */
static uint64_t
tracer_guest_u64(uint64_t a)
{
	uint64_t v;

	memcpy(&v, (const void *)(uintptr_t)(a + Guest.guest_base), 8);
	return v;
}

/* tracer_is_read -- does syscall num write received data to its buffer? */
static int
tracer_is_read(int64_t num)
{
	return num == SYS_X_READ || num == SYS_X_PREAD64 ||
		num == SYS_X_RECVFROM || num == SYS_X_READV ||
		num == SYS_X_PREADV || num == SYS_X_PREADV2;
}

/*
 * tracer_kernel_wrote -- the kernel copied data into guest [a, a+n): the
 * pieces on pool mappings become store records (the bytes now in memory,
 * at most TRACER_SYSCALL_CHUNK each), attributed like the syscall's other
 * events. The kernel's copy goes through the cache: not non-temporal.
 */
static void
tracer_kernel_wrote(uint64_t a, uint64_t n)
{
	uint64_t off, room, end = a + n;

	if (!tracer_pool_overlaps(a, n))
		return;
	for (; a < end; a += room) {
		if (!tracer_pool_offset(a, &off, &room)) {
			room = 4096 - (a & 4095); /* skip to the next page */
			continue;
		}
		if (room > end - a)
			room = end - a;
		if (room > TRACER_SYSCALL_CHUNK)
			room = TRACER_SYSCALL_CHUNK;
		Counts.syscall_stores++;
		tracer_emit(TK_STORE, 0, Threads.cur->count, Threads.cur->pc,
			&off, 8,
			(const void *)(uintptr_t)(a + Guest.guest_base), room);
	}
}

/*
 * tracer_read_ret -- a read-like syscall returned ret > 0 bytes: visit
 * each buffer piece they went to (fn: record it, or refuse the thread)
 */
static void
tracer_read_ret(int64_t num, const uint64_t *a, uint64_t ret,
	void (*fn)(uint64_t, uint64_t))
{
	uint64_t iov, left = ret;

	if (num == SYS_X_READ || num == SYS_X_PREAD64 ||
	    num == SYS_X_RECVFROM) {
		/* recvfrom(MSG_TRUNC) returns a datagram's full length */
		fn(a[1], ret < a[2] ? ret : a[2]);
		return;
	}
	iov = a[1]; /* readv, preadv, preadv2: struct iovec { base, len }[] */
	for (uint64_t i = 0; i < a[2] && i < TRACER_MAX_IOV && left; i++) {
		uint64_t base = tracer_guest_u64(iov + 16 * i);
		uint64_t len = tracer_guest_u64(iov + 16 * i + 8);
		uint64_t k = len < left ? len : left;
		fn(base, k);
		left -= k;
	}
}

/* tracer_read_syscall_ret -- a read-like syscall returned ret */
static void
tracer_read_syscall_ret(int64_t num, const uint64_t *a, int64_t ret)
{
	if (ret > 0 && Win.open && Pool.nmaps > 0)
		tracer_read_ret(num, a, (uint64_t)ret, tracer_kernel_wrote);
}

/* tracer_open_ret -- an open* syscall succeeded with fd */
static void
tracer_open_ret(int64_t num, const uint64_t *a, int fd)
{
	if (num == SYS_X_OPEN)
		tracer_opened(fd, tracer_guest_str(a[0]), a[1]);
	else if (num == SYS_X_CREAT)
		tracer_opened(fd, tracer_guest_str(a[0]), O_WRONLY);
	else if (num == SYS_X_OPENAT)
		tracer_opened(fd, tracer_guest_str(a[1]), a[2]);
	else if (num == SYS_X_OPENAT2) /* struct open_how starts with flags */
		tracer_opened(fd, tracer_guest_str(a[1]), tracer_guest_u64(a[2]));
}

/*
 * tracer_fork_ret -- fork, vfork or clone returned: in a forked child,
 * stop tracing (the parent owns the files); in the parent, count it
 */
static void
tracer_fork_ret(int64_t num, const uint64_t *a, int64_t ret)
{
	uint64_t flags = 0;

	if (ret == 0 && getpid() != Guest.pid) {
		Run.child = 1;
		Win.open = 0;
		return;
	}
	if (ret <= 0)
		return;
	if (num == SYS_X_CLONE)
		flags = a[0];
	else if (num == SYS_X_CLONE3) /* struct clone_args starts with flags */
		flags = tracer_guest_u64(a[0]);
	if (!(flags & X_CLONE_THREAD))
		__atomic_add_fetch(&Run.forks, 1, __ATOMIC_RELAXED);
}

/* tracer_map_ret -- a thread's mmap, munmap or mremap returned ret */
static void
tracer_map_ret(int64_t num, const uint64_t *a, int64_t ret)
{
	int pool;

	if (num == SYS_X_MMAP && !(a[3] & X_MAP_ANONYMOUS)) {
		tracer_maps_remove((uint64_t)ret, a[1]);
		if (a[2] & PROT_EXEC) /* a library's code (the loader maps it) */
			tracer_object_mapped((int)a[4], (uint64_t)ret, a[1], a[5]);
		pool = tracer_pool_of_fd((int)a[4]);
		if (pool < 0)
			return;
		if (!(a[2] & PROT_WRITE))
			Pool.mapped_ro[pool]++;
		else if ((a[3] & X_MAP_TYPE) == X_MAP_PRIVATE)
			Pool.mapped_private[pool]++;
		else
			Pool.mapped_rw[pool]++;
		tracer_maps_add((uint64_t)ret, a[1],
			(uint64_t)pool << TRACER_POOL_SHIFT | a[5]);
	} else if (num == SYS_X_MMAP) {
		tracer_maps_remove((uint64_t)ret, a[1]); /* MAP_FIXED over it */
	} else if (num == SYS_X_MUNMAP) {
		tracer_maps_remove(a[0], a[1]);
	} else if (num == SYS_X_MREMAP) {
		uint64_t off, room;
		int was = tracer_pool_offset(a[0], &off, &room);
		tracer_maps_remove(a[0], a[1]);
		if (was)
			tracer_maps_add((uint64_t)ret, a[2], off);
	}
}

/* tracer_syscall_ret_locked -- a syscall of thread t returned (locked) */
static void
tracer_syscall_ret_locked(int64_t num, const uint64_t *a, int64_t ret)
{
	if (num == SYS_X_CLONE || num == SYS_X_FORK || num == SYS_X_VFORK ||
	    num == SYS_X_CLONE3)
		tracer_fork_ret(num, a, ret);
	else if (num == SYS_X_MMAP || num == SYS_X_MUNMAP || num == SYS_X_MREMAP)
		tracer_map_ret(num, a, ret);
	else if (tracer_is_read(num))
		tracer_read_syscall_ret(num, a, ret);
	else
		tracer_open_ret(num, a, (int)ret);
}

/*
 * tracer_syscall_ret -- follow forks, opens and the pool's mappings; record
 * what reads wrote into the pool
 */
void
tracer_syscall_ret(qpa_id_t id, unsigned vcpu, int64_t num, int64_t ret)
{
	struct tracer_thread *t;
	int multi;

	(void)id;
	if (Run.child)
		return;
	t = tracer_thread_of(vcpu);
	if (t && t->sc.num != num)
		return;
	if (ret < 0 && ret > -4096)
		return;
	/* a forked child, before it takes a lock another thread held */
	if (t && ret == 0 && tracer_fork_child(t, num))
		return;
	multi = tracer_lock(t);
	/* a thread with no room keeps no arguments: only fork/clone's result */
	if (t)
		tracer_syscall_ret_locked(num, t->sc.args, ret);
	tracer_unlock(multi);
}

/*
 * tracer.h -- shared state and internal interfaces of pmfit-tracer, the QEMU
 * user-mode TCG plugin that records a native program's pmem events (stores,
 * flushes, fences, msync, markers) into a pmfit trace
 *
 * The plugin is split by concern:
 *	tracer.c	arguments, install, translation (callback registration)
 *	tracer-exec.c	what runs with the guest: instruction and store
 *			callbacks, the traced window, markers, flushes
 *	tracer-out.c	the trace writer: records, header, summary, run end
 *	tracer-x86.c	the x86 decoder (pure, tested natively)
 *	tracer-elf.c	the main binary's load bias and function symbols
 *	tracer-maps.c	the pool's mappings and the syscalls that change them,
 *			msync, the data reads write into the pool, exit, fork
 *			and open
 *	tracer-frames.c	the shadow call stack, the user's code (its objects)
 *			and the user frame each event is attributed to
 *	tracer-inlined.c the inlined copies of the from=/to=/ops= functions:
 *			their entries, and when a call of one ends
 *	tracer-fork.c	forked children (each its own trace, or none) and
 *			exec (the trace is finished before QEMU is replaced)
 *
 * Threads and forks: the plugin traces every thread of one process. In QEMU
 * user mode each guest thread is a vCPU, and a callback runs on the thread
 * whose instruction it is, right after it (a store) or right before it (an
 * instruction). What belongs to one thread (its instruction counts, its
 * shadow call stack, a marker awaiting its value, a syscall in flight) is in
 * its struct tracer_thread; the rest (the window, the pool's mappings, the
 * trace file) is shared and changed only under Threads.lock, which every
 * callback that may write a record takes once a second thread can exist, so
 * the records are in the order the threads executed them. A thread record
 * (kind 10) says which thread the events after it come from. A forked child
 * either traces itself into a trace of its own (forks=trace, tracer-fork.c)
 * or stops tracing at once (forks=ignore: Run.child) and leaves the files
 * to its parent; its events never reach the parent's trace.
 */
#ifndef PMFIT_TRACER_H
#define PMFIT_TRACER_H 1

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "qemu-plugin-api.h"
#include "tracer-x86.h"

#define TRACER_OUTBUF (1 << 20)	/* trace bytes buffered before a write */
#define TRACER_MAX_MAPS 64	/* pool mappings followed at once */
#define TRACER_MAX_POOLS 16	/* pool= files followed (pool ids 0..15) */

/*
 * Inside the plugin a pool offset carries its pool's id in the top 16 bits
 * (a "pool address"); tracer_emit splits it into the record's pool field
 * and the file offset, so only the output knows the two apart
 */
#define TRACER_POOL_SHIFT 48
#define TRACER_POOL_OFF_MASK ((1ULL << TRACER_POOL_SHIFT) - 1)
#define TRACER_NAME_MAX 256	/* longest user marker name */
#define TRACER_ENV_CHECKS 64	/* mov stores that verify the env pointer */
#define TRACER_MAX_VCPUS 64	/* threads traced at once (vCPU indexes) */
#define TRACER_PATH_MAX 1024	/* longest opened path remembered */
#define TRACER_MAX_OPENED 16	/* opened paths named in the summary */
#define TRACER_STACK 4096	/* shadow call stack entries (a power of 2) */
#define TRACER_MAX_OBJECTS 64	/* code objects (executable file mappings) */
#define TRACER_MAX_USER 16	/* user= globs */
#define TRACER_MAX_EXCL 8	/* start-up code ranges left out of an object */
#define TRACER_SYSCALL_CHUNK 4096 /* most bytes of one syscall store record */
#define TRACER_MAX_IOV 1024	/* iovecs of a readv followed (IOV_MAX) */

/* record kinds of docs/trace-format.md (6, a site, is never written here) */
enum tracer_kind {
	TK_STORE = 1, TK_FLUSH = 2, TK_FENCE = 3, TK_MSYNC = 4, TK_MARKER = 5,
	TK_MAP = 7, TK_FRAME = 8, TK_OBJECT = 9, TK_THREAD = 10
};

/* the flags of a frame record: where the following events come from */
enum tracer_frame_kind {
	TF_OUTSIDE,	/* no frame of the user's code is live */
	TF_OWN,		/* the event's instruction is the user's code */
	TF_CALLER	/* pc: the user's call that led to it; payload: callee */
};

/* the flags of an object record */
#define TO_USER 1	/* the object's code is the user's */
#define TO_MAIN 2	/* the main binary */

/* marker kinds: the flags of a marker record, and icount.h's kk - 0xA1 */
enum tracer_marker { TM_START, TM_STOP, TM_USER, TM_TOTAL };

/* the func bits of a tracer_insn: the entry of which function it is */
enum tracer_entry {
	TE_FROM = 1, TE_TO = 2, TE_OPS = 4,
	TE_INL_FROM = 8,	/* an inlined copy of from= (tracer-inlined.c) */
	TE_INL_OPS = 16		/* ... of ops= (an inlined to= is TE_TO) */
};

/* the roles of the inlined copies (inlined=PATH, tracer-inlined.c) */
enum tracer_inl_role { TI_ROLE_FROM, TI_ROLE_TO, TI_ROLE_OPS };

/* how the traced window is chosen */
enum tracer_mode {
	MODE_AUTO,	/* whole run until the first icount_start */
	MODE_WHOLE,	/* whole run; markers are events, not gates */
	MODE_FUNC	/* from= / to= function entries */
};

/* struct tracer_insn -- per-instruction descriptor handed to callbacks */
struct tracer_insn {
	uint64_t pc;
	uint8_t cls;	/* enum x86_class */
	uint8_t sub;	/* marker, flush or fence kind */
	uint8_t nt;	/* its stores are non-temporal */
	uint8_t movst;	/* plain mov store through base+disp (env check) */
	uint8_t exact;	/* flush address registers are exact in env */
	uint8_t len;	/* instruction length in bytes */
	uint8_t func;	/* enum tracer_entry bits: 1 entry of `from`, 2 of
			 * `to`, 4 of `ops`, 8/16 of an inlined copy of
			 * `from`/`ops` */
	uint8_t flow;	/* enum x86_flow: call or return */
	uint8_t user;	/* the instruction is the user's code */
	uint8_t shared;	/* it may write a record or move the window: the
			 * exec callback takes the lock (marker, flush,
			 * fence, locked, a from/to/ops entry) */
	struct x86_operand mem;	/* env-check operand */
	struct x86_expr addr;	/* flush address over the CPU state */
	uint64_t target;	/* a direct call's target (0: indirect) */
};

/* what a forked child does (forks=) */
enum tracer_forks {
	FORKS_IGNORE,	/* it traces nothing (the parent's trace is whole) */
	FORKS_TRACE	/* it writes a trace of its own: OUT.child-K */
};

/* struct tracer_map -- one mapping of the pool in the guest */
struct tracer_map {
	uint64_t base;	/* guest address */
	uint64_t len;
	uint64_t off;	/* pool address of base: pool id << 48 | file offset */
};

/* struct tracer_args -- what the plugin was asked to do (its arguments) */
struct tracer_args {
	char *pool_path[TRACER_MAX_POOLS]; /* pool=: files whose mappings are traced */
	int npools;
	char *out_path;		/* out=: the trace; OUT.summary.json beside */
	char *from_name;	/* from=: the window opens at its entries */
	char *to_name;		/* to=: ... and closes at this one's */
	char *ops_name;		/* ops=: a user marker at each of its entries */
	char *inlined_path;	/* inlined=: their inlined copies (a file) */
	int mode;		/* enum tracer_mode */
	int singlestep;		/* exact=1: QEMU runs with -singlestep */
	int forks;		/* forks=: enum tracer_forks */
	const char *user[TRACER_MAX_USER]; /* user=: globs of the user's code */
	int nuser;
};

/* struct tracer_out -- the trace file being written */
struct tracer_out {
	int fd;
	uint8_t *buf;		/* records not yet written (TRACER_OUTBUF) */
	size_t used;
	int header_done;	/* preamble and first header written */
	off_t header_end;	/* file offset of the first record */
	size_t header_room;	/* bytes reserved for the header JSON */
	uint64_t seq;		/* next event sequence number */
	int write_failed;
	uint32_t thread;	/* thread of the last event written (kind 10) */
	int threads_written;	/* a thread record was written: version 3 */
	int frame;		/* frame kind last written, -1 none yet */
	uint64_t frame_pc, frame_callee;
	int initial_images;	/* OUT.imgID hold the pools at the start (a
				 * forked child's): the header names them */
};

/* struct tracer_guest -- where the guest program is */
struct tracer_guest {
	uint64_t guest_base;	/* host address minus guest address */
	uint64_t main_base;	/* load bias of the main binary (PIE) */
	uint64_t from_pc;	/* entry of from= (0: none) */
	uint64_t to_pc;		/* entry of to= (0: none) */
	uint64_t ops_pc;	/* entry of ops= (0: none) */
	pid_t pid;		/* the traced process; a forked child differs */
};

/*
 * struct tracer_window -- the traced window, shared by every thread (a
 * thread's instruction counts are its own: struct tracer_thread)
 */
struct tracer_window {
	int open;		/* events are being recorded */
	int provisional;	/* auto mode, before the first icount_start */
	int armed;		/* icount_start(life > 0): die at kill_at */
	uint64_t kill_at;	/* ... of the count of thread armed_by */
	uint32_t armed_by;
	int ret_watch;		/* from= without to=: close at ret_addr */
	uint64_t ret_addr;	/* ... when thread ret_by gets there */
	uint32_t ret_by;
};

/*
 * struct tracer_inlined -- the inlined copies' shared state (the copies and
 * each thread's calls are tracer-inlined.c's own)
 */
struct tracer_inlined {
	int inside;		/* thread calls of copies in progress: every
				 * instruction takes the slow path */
	int watch;		/* a from= copy's call opened the window and
				 * its end closes it ... */
	uint32_t watch_by;	/* ... the call of this thread */
};

/* struct tracer_counts -- event counts for the summary */
struct tracer_counts {
	uint64_t stores, nt_stores, flushes, fences, msyncs, markers;
	uint64_t inexact_flushes;	/* flush address possibly stale */
	uint64_t syscall_stores;	/* store records of data a syscall wrote */
};

/*
 * struct tracer_env -- is host %rbp really the TCG CPU state? Checked on the
 * first TRACER_ENV_CHECKS plain mov stores (tracer_check_env)
 */
struct tracer_env {
	int checks;
	uint64_t verified;
	int bad;		/* no: flush addresses are unknown */
};

/* struct tracer_pool -- the pool's mappings, and how the program used it */
struct tracer_pool {
	struct tracer_map maps[TRACER_MAX_MAPS];
	int nmaps;
	uint64_t lo, hi;	/* quick-reject range of the mappings */
	/* per pool id: */
	uint64_t mapped_rw[TRACER_MAX_POOLS];	/* shared writable mappings made */
	uint64_t mapped_ro[TRACER_MAX_POOLS];	/* mappings without PROT_WRITE */
	uint64_t mapped_private[TRACER_MAX_POOLS]; /* writable MAP_PRIVATE ones */
	int opened_ro[TRACER_MAX_POOLS];	/* the pool was opened O_RDONLY */
	char opened[TRACER_MAX_OPENED][TRACER_PATH_MAX]; /* other files */
	int nopened;
	int opened_more;	/* more files than TRACER_MAX_OPENED */
};

/* struct tracer_syscall -- a syscall in flight on one vCPU */
struct tracer_syscall {
	int64_t num;
	uint64_t args[6];
	char path[TRACER_PATH_MAX];	/* open*: the path argument */
	uint64_t fork_k;	/* fork-like: the number its child gets */
};

/* struct tracer_run -- how the run goes and ends */
struct tracer_run {
	int exited;		/* exit_group (or vCPU 0's exit) was called */
	int64_t exit_code;
	int finished;		/* files finalized (set once, atomically) */
	int child;		/* this is a forked child: trace nothing */
	uint64_t forks;		/* children forked by the traced process */
	uint64_t fork_seq;	/* fork-like syscalls begun (children's K) */
	uint64_t thread_pc;	/* a thread past TRACER_MAX_VCPUS touched the
				 * pool here */
};

/* struct tracer_frame -- one call on the shadow call stack */
struct tracer_frame {
	uint64_t call_pc;	/* the call instruction */
	uint64_t ret;		/* its return address */
	uint64_t callee;	/* the first instruction it ran (0: not yet) */
	uint64_t user;		/* the call instruction is the user's code */
};

/*
 * struct tracer_stack -- the shadow call stack of one thread: a ring of the
 * innermost TRACER_STACK calls (the oldest are dropped when it is full)
 */
struct tracer_stack {
	unsigned bottom;	/* ring index of the oldest entry */
	unsigned depth;		/* entries in use */
	unsigned nuser;		/* entries whose call is the user's code */
	int pending;		/* the previous instruction was a call (1) or
				 * a return (2): this one is its target */
	uint64_t dropped;	/* entries dropped when the ring was full */
	struct tracer_frame f[TRACER_STACK]; /* last: the fields above are
				 * read for every instruction, beside the
				 * thread's counts */
};

/* struct tracer_thread -- what belongs to one thread (one vCPU) */
struct tracer_thread {
	int live;		/* the vCPU runs a thread numbered id */
	uint32_t id;		/* 0 the first thread, then in creation order */
	uint64_t count;		/* its window instructions so far */
	uint64_t all;		/* all its instructions */
	uint64_t pc;		/* the instruction running now */
	int pending;		/* marker kind + 1 awaiting its value store */
	uint64_t pending_pc;
	struct tracer_stack stack;	/* its head is hot: right after the counts */
	struct tracer_syscall sc;	/* the syscall in flight */
};

/*
 * struct tracer_threads -- every thread, and the lock that orders their
 * records. multi is set (and never cleared) by a thread's clone(CLONE_VM)
 * before the new thread exists: until then one thread runs and no callback
 * locks. cur is the thread whose callback holds the lock (the one whose
 * events are being written).
 */
struct tracer_threads {
	struct tracer_thread t[TRACER_MAX_VCPUS];
	int multi;
	uint32_t next_id;	/* the number the next new thread gets */
	uint32_t created;	/* threads seen (summary "threads") */
	pthread_mutex_t lock;
	struct tracer_thread *cur;
};

/* struct tracer_object -- an executable file mapping (the code of a file) */
struct tracer_object {
	uint64_t lo, hi;	/* its executable range in the guest */
	uint64_t bias;		/* run-time minus link-time address */
	int user;		/* its code is the user's */
	int main;		/* the main binary */
	int nexcl;		/* start-up code inside it, never the user's */
	uint64_t excl[TRACER_MAX_EXCL][2];
	char path[TRACER_PATH_MAX];
};

/* struct tracer_objects -- every code object seen so far */
struct tracer_objects {
	struct tracer_object o[TRACER_MAX_OBJECTS];
	int n;
	int more;		/* more than TRACER_MAX_OBJECTS were mapped */
};

extern struct tracer_args Args;
extern struct tracer_out Out;
extern struct tracer_guest Guest;
extern struct tracer_window Win;
extern struct tracer_counts Counts;
extern struct tracer_env Env;
extern struct tracer_pool Pool;
extern struct tracer_run Run;
extern struct tracer_threads Threads;
extern struct tracer_objects Objects;
extern struct tracer_inlined Inlined;

/* tracer-out.c */
int tracer_out_open(void);
void tracer_emit(uint8_t kind, uint8_t flags, uint64_t icount, uint64_t pc,
	const void *p1, size_t n1, const void *p2, size_t n2);
void tracer_emit_map(const struct tracer_map *m);
void tracer_header_write(int final);
void tracer_restart(void);
void tracer_finish(const char *reason);
void tracer_die(void);
void tracer_refuse_thread(uint64_t pc);

void tracer_checkpoint(const char *reason);
void tracer_out_reopen(const char *path);
void tracer_image_path(int pool, char *buf, size_t cap, int relative);

/* tracer.c */
void tracer_thread_new(struct tracer_thread *t);

/* tracer-fork.c */
void tracer_fork_syscall(struct tracer_thread *t, int64_t num, uint64_t a1);
int tracer_fork_child(struct tracer_thread *t, int64_t num);

/*
 * tracer_lock -- take the records' lock for thread t (only once a second
 * thread can exist); returns what tracer_unlock needs
 */
static inline int
tracer_lock(struct tracer_thread *t)
{
	int multi = __atomic_load_n(&Threads.multi, __ATOMIC_ACQUIRE);

	if (multi)
		pthread_mutex_lock(&Threads.lock);
	Threads.cur = t;
	return multi;
}

/* tracer_unlock -- release what tracer_lock took */
static inline void
tracer_unlock(int multi)
{
	if (multi)
		pthread_mutex_unlock(&Threads.lock);
}

/*
 * tracer_thread_of -- the state of the thread vCPU vcpu runs, numbered on
 * first sight (NULL past TRACER_MAX_VCPUS); inline: every callback asks
 */
static inline struct tracer_thread *
tracer_thread_of(unsigned vcpu)
{
	struct tracer_thread *t;

	/* vCPU 0 is always thread 0: QEMU gives a new vCPU the highest index + 1 */
	if (__builtin_expect(vcpu == 0, 1))
		return &Threads.t[0];
	if (__builtin_expect(vcpu >= TRACER_MAX_VCPUS, 0))
		return NULL;
	t = &Threads.t[vcpu];
	if (__builtin_expect(!t->live, 0))
		tracer_thread_new(t);
	return t;
}

/* tracer-elf.c */
int tracer_resolve(void);
int tracer_elf_object(const char *path, uint64_t addr, uint64_t off,
	uint64_t len, struct tracer_object *o);

/* tracer-inlined.c */
int tracer_inlined_load(void);
int tracer_inlined_has(int role);
uint8_t tracer_inlined_func(uint64_t pc);
uint8_t tracer_inlined_enter(struct tracer_thread *t,
	const struct tracer_insn *in);
void tracer_inlined_watch(const struct tracer_thread *t);
int tracer_inlined_step(struct tracer_thread *t, const struct tracer_insn *in);

/* tracer-frames.c */
int tracer_user_path(const char *path, int main);
int tracer_is_shim(const char *path);
int tracer_user_code(uint64_t pc);
void tracer_object_add(const struct tracer_object *o);
void tracer_object_mapped(int fd, uint64_t addr, uint64_t len, uint64_t off);
void tracer_emit_objects(void);
void tracer_frame_before(uint64_t pc);

/* tracer-maps.c */
int tracer_pool_offset(uint64_t a, uint64_t *off, uint64_t *room);
int tracer_pool_overlaps(uint64_t addr, uint64_t len);
void tracer_syscall(qpa_id_t id, unsigned vcpu, int64_t num, uint64_t a1,
	uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
	uint64_t a7, uint64_t a8);
void tracer_syscall_ret(qpa_id_t id, unsigned vcpu, int64_t num,
	int64_t ret);

/* tracer-exec.c: the callbacks QEMU calls (trampolines adding the env) */
void tracer_exec_tramp(unsigned vcpu, void *udata);
void tracer_store_tramp(unsigned vcpu, qpa_meminfo_t info, uint64_t vaddr,
	void *udata);

#endif

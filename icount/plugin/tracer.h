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
 *			msync, exit, fork and open
 *
 * Threads and forks: the plugin traces one thread of one process. Its state
 * belongs to vCPU 0 (the program's first thread); another thread that touches
 * the pool ends the run (exit reason "second-thread"). A forked child stops
 * tracing at once (Run.child) and leaves the files to its parent.
 */
#ifndef PMFIT_TRACER_H
#define PMFIT_TRACER_H 1

#include <stdint.h>
#include <sys/types.h>

#include "qemu-plugin-api.h"
#include "tracer-x86.h"

#define TRACER_OUTBUF (1 << 20)	/* trace bytes buffered before a write */
#define TRACER_MAX_MAPS 16	/* pool mappings followed at once */
#define TRACER_NAME_MAX 256	/* longest user marker name */
#define TRACER_ENV_CHECKS 64	/* mov stores that verify the env pointer */
#define TRACER_MAX_VCPUS 16	/* threads whose syscalls are followed */
#define TRACER_PATH_MAX 1024	/* longest opened path remembered */
#define TRACER_MAX_OPENED 16	/* opened paths named in the summary */

/* record kinds of docs/trace-format.md (6, a site, is never written here) */
enum tracer_kind {
	TK_STORE = 1, TK_FLUSH = 2, TK_FENCE = 3, TK_MSYNC = 4, TK_MARKER = 5,
	TK_MAP = 7
};

/* marker kinds: the flags of a marker record, and icount.h's kk - 0xA1 */
enum tracer_marker { TM_START, TM_STOP, TM_USER, TM_TOTAL };

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
	uint8_t func;	/* 1 entry of `from`, 2 entry of `to` */
	struct x86_operand mem;	/* env-check operand */
	struct x86_expr addr;	/* flush address over the CPU state */
};

/* struct tracer_map -- one mapping of the pool in the guest */
struct tracer_map {
	uint64_t base;	/* guest address */
	uint64_t len;
	uint64_t off;	/* pool file offset of base */
};

/* struct tracer_args -- what the plugin was asked to do (its arguments) */
struct tracer_args {
	char *pool_path;	/* pool=: the file whose mappings are traced */
	char *out_path;		/* out=: the trace; OUT.summary.json beside */
	char *from_name;	/* from=: the window opens at its entries */
	char *to_name;		/* to=: ... and closes at this one's */
	int mode;		/* enum tracer_mode */
	int singlestep;		/* exact=1: QEMU runs with -singlestep */
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
};

/* struct tracer_guest -- where the guest program is */
struct tracer_guest {
	uint64_t guest_base;	/* host address minus guest address */
	uint64_t main_base;	/* load bias of the main binary (PIE) */
	uint64_t from_pc;	/* entry of from= (0: none) */
	uint64_t to_pc;		/* entry of to= (0: none) */
	pid_t pid;		/* the traced process; a forked child differs */
};

/* struct tracer_window -- the traced window and its instruction count */
struct tracer_window {
	int open;		/* events are being recorded */
	int provisional;	/* auto mode, before the first icount_start */
	uint64_t count;		/* window instructions so far */
	uint64_t all;		/* every instruction of vCPU 0 */
	uint64_t pc;		/* the instruction running now */
	int armed;		/* icount_start(life > 0): die at kill_at */
	uint64_t kill_at;
	int ret_watch;		/* from= without to=: close at ret_addr */
	uint64_t ret_addr;
	int pending;		/* marker kind + 1 awaiting its value store */
	uint64_t pending_pc;
};

/* struct tracer_counts -- event counts for the summary */
struct tracer_counts {
	uint64_t stores, nt_stores, flushes, fences, msyncs, markers;
	uint64_t inexact_flushes;	/* flush address possibly stale */
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
	uint64_t mapped_rw;	/* shared writable mappings made */
	uint64_t mapped_ro;	/* mappings without PROT_WRITE */
	uint64_t mapped_private; /* writable MAP_PRIVATE mappings */
	int opened_ro;		/* the pool was opened O_RDONLY */
	char opened[TRACER_MAX_OPENED][TRACER_PATH_MAX]; /* other files */
	int nopened;
	int opened_more;	/* more files than TRACER_MAX_OPENED */
};

/* struct tracer_syscall -- a syscall in flight on one vCPU */
struct tracer_syscall {
	int64_t num;
	uint64_t args[6];
	char path[TRACER_PATH_MAX];	/* open*: the path argument */
};

/* struct tracer_run -- how the run goes and ends */
struct tracer_run {
	int exited;		/* exit_group (or vCPU 0's exit) was called */
	int64_t exit_code;
	int finished;		/* files finalized (set once, atomically) */
	int child;		/* this is a forked child: trace nothing */
	uint64_t forks;		/* children forked by the traced process */
	uint64_t thread_pc;	/* a second thread touched the pool here */
	struct tracer_syscall sc[TRACER_MAX_VCPUS];
};

extern struct tracer_args Args;
extern struct tracer_out Out;
extern struct tracer_guest Guest;
extern struct tracer_window Win;
extern struct tracer_counts Counts;
extern struct tracer_env Env;
extern struct tracer_pool Pool;
extern struct tracer_run Run;

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

/* tracer-elf.c */
int tracer_resolve(void);

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

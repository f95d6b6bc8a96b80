/*
 * tracer-exec.c -- what runs with the guest: the per-instruction and store
 * callbacks, the traced window, icount.h markers and flush addresses
 *
 * Guest registers: QEMU 7.2 gives plugins no register access. The tracer
 * reads them from the TCG CPU state that the generated code keeps in host
 * %rbp (TCG_AREG0) when it calls a plugin callback; the two trampolines at
 * the end hand that pointer to C as `env`. Those values are exact at the
 * start of a translation block and right after any guest memory access in
 * it (TCG writes dirty guest registers back before every load or store); in
 * between they may be stale. Each flush's address is built at translation
 * as an expression over registers that are exact when it runs, following
 * the simple register arithmetic in between (tracer.c, x86_flush_expr); the
 * flushes where that fails are counted ("inexactFlushes" in the summary) and
 * the driver then re-runs under -singlestep, where every instruction starts
 * its own block and all of them are exact.
 *
 * Every thread is traced. A callback finds its thread's own state by vCPU
 * index (tracer_thread_of); what it shares (the window, the pool's
 * mappings, the trace) it reads and writes under Threads.lock, taken only
 * for the instructions that may write a record or move the window and for
 * every store, so a plain instruction costs its thread's counters alone.
 * Threads.cur is the thread holding the lock: its counts are the `icount`
 * of the records written.
 */
#include <stdio.h>
#include <string.h>

#include "tracer.h"
#include "tracer-stack.h"

/* tracer_marker_event -- record a kind-5 marker */
static void
tracer_marker_event(int kind, uint64_t pc, const char *name)
{
	Counts.markers++;
	tracer_emit(TK_MARKER, (uint8_t)kind, Threads.cur->count, pc, name,
		strlen(name), NULL, 0);
}

/* tracer_window_open -- the traced window opens (marker or function entry) */
static void
tracer_window_open(uint64_t pc, const char *name)
{
	if (Args.mode == MODE_AUTO && Win.provisional) {
		tracer_restart();
		Win.provisional = 0;
	}
	if (Args.mode != MODE_WHOLE)
		Win.open = 1;
	if (Win.open)
		tracer_marker_event(TM_START, pc, name);
}

/* tracer_window_close -- the traced window closes */
static void
tracer_window_close(uint64_t pc, const char *name)
{
	if (Win.open)
		tracer_marker_event(TM_STOP, pc, name);
	if (Args.mode != MODE_WHOLE)
		Win.open = 0;
	Win.armed = 0;
}

/* tracer_window_count -- one more instruction of thread t, in the window? */
static inline void
tracer_window_count(struct tracer_thread *t)
{
	t->count += (uint64_t)__atomic_load_n(&Win.open, __ATOMIC_RELAXED);
}

/*
 * tracer_marker_store -- the store after a magic NOP of thread t carries its
 * value
 */
static void
tracer_marker_store(struct tracer_thread *t, uint64_t vaddr, unsigned size)
{
	int kind = t->pending - 1;
	uint64_t v = 0;

	t->pending = 0;
	if (size != 8)
		return;
	memcpy(&v, (void *)(uintptr_t)(vaddr + Guest.guest_base), 8);
	if (kind == TM_START) {
		if (Args.mode == MODE_AUTO)
			tracer_window_open(t->pending_pc, "");
		else if (Win.open)
			tracer_marker_event(TM_START, t->pending_pc, "");
		Win.armed = v > 0;
		Win.kill_at = t->count + v;
		Win.armed_by = t->id;
	} else if (kind == TM_USER && Win.open) {
		char name[TRACER_NAME_MAX];
		const char *s = (const char *)(uintptr_t)(v + Guest.guest_base);
		size_t n = v ? strnlen(s, sizeof(name) - 1) : 0;
		memcpy(name, s, n);
		name[n] = '\0';
		tracer_marker_event(TM_USER, t->pending_pc, name);
	} else if (kind == TM_TOTAL) {
		memcpy((void *)(uintptr_t)(vaddr + Guest.guest_base), &t->count, 8);
	}
}

/* tracer_marker_insn -- a magic NOP of thread t executes */
static void
tracer_marker_insn(struct tracer_thread *t, const struct tracer_insn *in)
{
	if (in->sub == TM_STOP) {
		if (Args.mode == MODE_AUTO)
			tracer_window_close(in->pc, "");
		else if (Win.open)
			tracer_marker_event(TM_STOP, in->pc, "");
	} else {
		t->pending = in->sub + 1;
		t->pending_pc = in->pc;
	}
}

/* tracer_flush_addr -- effective address of a flush from the guest regs */
static uint64_t
tracer_flush_addr(const struct tracer_insn *in, const uint64_t *env)
{
	return x86_expr_eval(&in->addr, env);
}

/* tracer_flush -- a flush instruction executes inside the window */
static void
tracer_flush(const struct tracer_insn *in, const uint64_t *env)
{
	uint64_t a, off, room;

	if (!in->exact || Env.bad)
		Counts.inexact_flushes++;
	if (Env.bad)
		return;
	a = tracer_flush_addr(in, env);
	if (!tracer_pool_offset(a, &off, &room))
		return;
	Counts.flushes++;
	tracer_emit(TK_FLUSH, in->sub, Threads.cur->count, in->pc, &off, 8,
		NULL, 0);
}

/*
 * tracer_check_env -- verify that env (host %rbp) is the guest CPU state:
 * right after a `mov` store through base+disp, TCG has written all guest
 * registers back, so env's base register plus disp must be the address
 */
static void
tracer_check_env(const struct tracer_insn *in, uint64_t vaddr,
	const uint64_t *env)
{
	uint64_t want = env[in->mem.base] + (uint64_t)(int64_t)in->mem.disp;

	Env.checks++;
	if (want == vaddr) {
		Env.verified++;
		return;
	}
	if (!Env.bad)
		fprintf(stderr, "pmfit-tracer: cannot locate the guest CPU state "
			"(store to %#llx at pc %#llx, env says %#llx); flush "
			"addresses unknown\n", (unsigned long long)vaddr,
			(unsigned long long)in->pc, (unsigned long long)want);
	Env.bad = 1;
}

/*
 * tracer_func_entry -- entry of the `from`, `to` or `ops` function by thread
 * t: the window opens or closes; an ops= entry is a user marker named after
 * it, the boundary before the operation that this call is. The entry of an
 * inlined copy counts when it begins a call of the copy (tracer-inlined.c);
 * a window it opens without to= closes when that call ends.
 */
static void
tracer_func_entry(struct tracer_thread *t, const struct tracer_insn *in,
	const uint64_t *env)
{
	uint8_t func = in->func;
	uint8_t inlined = 0;

	if (func & (TE_INL_FROM | TE_INL_OPS)) {
		inlined = tracer_inlined_enter(t, in);
		func |= inlined;
	}
	if ((func & TE_TO) && Win.open) {
		tracer_window_close(in->pc, Args.to_name);
		Win.ret_watch = 0;
		Inlined.watch = 0;
	}
	if ((func & TE_FROM) && !Win.open) {
		tracer_window_open(in->pc, Args.from_name);
		if (!Args.to_name && (inlined & TE_FROM)) {
			tracer_inlined_watch(t);
		} else if (!Args.to_name && !Env.bad) {
			/* a call just ended the previous block: rsp is exact */
			uint64_t sp = env[X86_RSP];
			memcpy(&Win.ret_addr,
				(void *)(uintptr_t)(sp + Guest.guest_base), 8);
			Win.ret_watch = 1;
			Win.ret_by = t->id;
		}
	}
	if ((func & TE_OPS) && Win.open)
		tracer_marker_event(TM_USER, in->pc, Args.ops_name);
}

/* tracer_other_exec -- an instruction of a thread with no room: a pool flush? */
static void
tracer_other_exec(const struct tracer_insn *in, const uint64_t *env)
{
	uint64_t off, room;
	int multi = tracer_lock(NULL);

	if (in->cls == X86_FLUSH && !Env.bad &&
	    tracer_pool_offset(tracer_flush_addr(in, env), &off, &room))
		tracer_refuse_thread(in->pc);
	tracer_unlock(multi);
}

/*
 * tracer_exec_shared -- the part of an instruction of thread t that reads or
 * changes what the threads share (under the lock): the window's watches, the
 * from/to/ops entries, markers, flushes and fences
 */
static void
tracer_exec_shared(struct tracer_thread *t, const struct tracer_insn *in,
	const uint64_t *env)
{
	if (__builtin_expect(Win.armed, 0) && t->id == Win.armed_by &&
	    t->count == Win.kill_at && Win.open)
		tracer_die();
	if (__builtin_expect(Win.ret_watch, 0) && in->pc == Win.ret_addr &&
	    t->id == Win.ret_by) {
		Win.ret_watch = 0;
		tracer_window_close(in->pc, "return");
	}
	/* before the entries: leaving one copy may be entering the next */
	if (__builtin_expect(Inlined.inside, 0) && tracer_inlined_step(t, in))
		tracer_window_close(in->pc, "return");
	if (__builtin_expect(in->func, 0))
		tracer_func_entry(t, in, env);
	switch (in->cls) {
	case X86_MARKER:
		tracer_marker_insn(t, in);
		t->count += (uint64_t)Win.open;
		return;
	case X86_FLUSH:
	case X86_FENCE:
	case X86_LOCKED:
		break;
	default:
		t->count += (uint64_t)Win.open;
		return;
	}
	if (!Win.open)
		return;
	t->count++;
	if (in->cls == X86_FLUSH) {
		tracer_flush(in, env);
	} else {
		Counts.fences++;
		tracer_emit(TK_FENCE, in->sub, t->count, in->pc, NULL, 0, NULL, 0);
	}
}

/* tracer_exec -- runs before every guest instruction, on its thread */
__attribute__((visibility("hidden"))) void
tracer_exec(unsigned vcpu, void *udata, const uint64_t *env)
{
	const struct tracer_insn *in = udata;
	struct tracer_thread *t;
	int multi;

	if (__builtin_expect(Run.child, 0))
		return;
	t = tracer_thread_of(vcpu);
	if (__builtin_expect(!t, 0)) {
		tracer_other_exec(in, env);
		return;
	}
	t->all++;
	t->pc = in->pc;
	if (__builtin_expect(t->stack.pending | in->flow, 0))
		tracer_frames_step(&t->stack, in);
	/* most instructions touch nothing shared: no lock */
	if (__builtin_expect(!(Win.armed | Win.ret_watch | Inlined.inside |
	    in->shared), 1)) {
		tracer_window_count(t);
		return;
	}
	multi = tracer_lock(t);
	tracer_exec_shared(t, in, env);
	tracer_unlock(multi);
}

/* the callback QEMU calls: hands host %rbp (TCG_AREG0, the env) to C */
__asm__(".text\n"
	".globl tracer_exec_tramp\n"
	".hidden tracer_exec_tramp\n"
	".type tracer_exec_tramp, @function\n"
	"tracer_exec_tramp:\n"
	"\tmovq %rbp, %rdx\n"
	"\tjmp tracer_exec\n"
	".size tracer_exec_tramp, .-tracer_exec_tramp\n");

/* tracer_store_shared -- thread t stored size bytes at vaddr (locked) */
static void
tracer_store_shared(struct tracer_thread *t, const struct tracer_insn *in,
	uint64_t vaddr, unsigned size, const uint64_t *env)
{
	uint64_t off, room;

	if (__builtin_expect(in->movst, 0) && Env.checks < TRACER_ENV_CHECKS)
		tracer_check_env(in, vaddr, env);
	if (__builtin_expect(t->pending, 0)) {
		tracer_marker_store(t, vaddr, size);
		return;
	}
	if (!Win.open || !tracer_pool_offset(vaddr, &off, &room))
		return;
	if (size > room)
		size = (unsigned)room;
	Counts.stores++;
	Counts.nt_stores += in->nt;
	tracer_emit(TK_STORE, in->nt, t->count, in->pc, &off, 8,
		(void *)(uintptr_t)(vaddr + Guest.guest_base), size);
}

/*
 * tracer_store -- a guest store happened: record it if it hit the pool. The
 * bytes are read from guest memory now, under the lock: another thread's
 * store to the same bytes in between (a data race) would show its value.
 */
__attribute__((visibility("hidden"))) void
tracer_store(unsigned vcpu, qpa_meminfo_t info, uint64_t vaddr, void *udata,
	const uint64_t *env)
{
	const struct tracer_insn *in = udata;
	unsigned size = 1u << qemu_plugin_mem_size_shift(info);
	struct tracer_thread *t;
	uint64_t off, room;
	int multi;

	/* QEMU 7.2 also calls a W-only memory callback for some loads */
	if (!qemu_plugin_mem_is_store(info) || Run.child)
		return;
	t = tracer_thread_of(vcpu);
	multi = tracer_lock(t);
	if (__builtin_expect(!t, 0)) {
		if (tracer_pool_offset(vaddr, &off, &room))
			tracer_refuse_thread(in->pc);
	} else {
		tracer_store_shared(t, in, vaddr, size, env);
	}
	tracer_unlock(multi);
}

/* the memory callback QEMU calls: passes host %rbp (the env) as well */
__asm__(".text\n"
	".globl tracer_store_tramp\n"
	".hidden tracer_store_tramp\n"
	".type tracer_store_tramp, @function\n"
	"tracer_store_tramp:\n"
	"\tmovq %rbp, %r8\n"
	"\tjmp tracer_store\n"
	".size tracer_store_tramp, .-tracer_store_tramp\n");

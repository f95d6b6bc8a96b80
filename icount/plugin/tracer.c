/*
 * tracer.c -- pmfit-tracer's arguments, install and instrumentation: a QEMU
 * user-mode TCG plugin recording a native program's pmem events (stores,
 * flushes, fences, msync, markers) into a pmfit trace (tracer.h)
 *
 * Arguments (comma separated after the plugin path):
 *	pool=PATH	a pool file whose mappings are traced; repeatable, the
 *			n-th pool= is pool id n-1 (each part of a poolset is
 *			one pool=)
 *	out=PATH	the trace file (docs/trace-format.md); a summary goes
 *			to PATH.summary.json
 *	from=FUNC	open the window at each entry of FUNC (main binary)
 *	to=FUNC		close it at entry of FUNC (default: when FUNC returns)
 *	ops=FUNC	a user marker named FUNC at each entry of FUNC (main
 *			binary): each call is one operation of the ops oracle
 *	inlined=PATH	the inlined copies of the from/to/ops functions, a
 *			file the driver wrote (tracer-inlined.c): each call
 *			of a copy counts as an entry of its function
 *	whole=1		trace the whole run; markers are events, not gates
 *	exact=1		the run uses qemu -singlestep (flush addresses exact)
 *	forks=MODE	a forked child: `trace` writes its own trace OUT.child-K
 *			(tracer-fork.c); `ignore` (default) traces nothing
 *	user=GLOB	the user's code is the objects whose real path matches
 *			GLOB (fnmatch); repeatable; replaces the default rule
 *			(tracer-frames.c)
 *
 * Without from/whole the window is the whole run until the first
 * icount_start, which discards what came before it (icount.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

QPA_EXPORT int qemu_plugin_version = QPA_API_VERSION;

struct tracer_args Args;
struct tracer_out Out;
struct tracer_guest Guest;
struct tracer_window Win;
struct tracer_counts Counts;
struct tracer_env Env;
struct tracer_pool Pool;
struct tracer_run Run;
struct tracer_threads Threads = { .lock = PTHREAD_MUTEX_INITIALIZER };
struct tracer_objects Objects;

/*
 * tracer_thread_new -- a vCPU runs a thread not numbered yet: its first
 * callback comes from the new thread (or QEMU's vcpu init), under the lock,
 * which is on by then
 */
void
tracer_thread_new(struct tracer_thread *t)
{
	int multi = tracer_lock(t);

	if (!t->live) {
		memset(t, 0, sizeof(*t));
		t->id = Threads.next_id++;
		Threads.created++;
		t->live = 1;
	}
	tracer_unlock(multi);
}

/*
 * tracer_vcpu_init -- QEMU made a vCPU (a new thread): number it now, in the
 * order the threads were created, before it runs
 */
static void
tracer_vcpu_init(qpa_id_t id, unsigned vcpu)
{
	(void)id;
	if (vcpu != 0)
		__atomic_store_n(&Threads.multi, 1, __ATOMIC_RELEASE);
	(void)tracer_thread_of(vcpu);
}

/* tracer_first_tb -- one-time setup once the guest binary is loaded */
static void
tracer_first_tb(struct qpa_tb *tb)
{
	struct qpa_insn *in = qemu_plugin_tb_get_insn(tb, 0);
	void *h = qemu_plugin_insn_haddr(in);

	/* user mode: host address = guest address + guest_base */
	if (h)
		Guest.guest_base = (uint64_t)(uintptr_t)h -
			qemu_plugin_insn_vaddr(in);
	if (tracer_resolve() != 0) {
		tracer_finish("bad-function");
		_exit(2);
	}
	tracer_header_write(0);
}

/* tracer_describe -- the callbacks' descriptor of one decoded instruction */
static void
tracer_describe(const struct x86_insn *block, const uint64_t *next_pcs,
	size_t k, struct tracer_insn *in)
{
	const struct x86_insn *x = &block[k];

	in->cls = x->cls;
	in->sub = x->sub;
	in->nt = x->cls == X86_NT_STORE;
	in->mem = x->mem;
	in->flow = x->flow;
	in->target = x->direct ? in->pc + in->len + (uint64_t)(int64_t)x->rel : 0;
	in->user = (uint8_t)tracer_user_code(in->pc);
	in->movst = x->mov && x->has_mem && x->mem.base >= 0 &&
		x->mem.index < 0 && !x->mem.riprel && !x->mem.seg &&
		!x->mem.addr32;
	in->exact = 1;
	if (x->cls == X86_FLUSH)
		in->exact = (uint8_t)x86_flush_expr(block, next_pcs, k, &in->addr);
	if (Guest.from_pc && in->pc == Guest.from_pc)
		in->func |= 1;
	if (Guest.to_pc && in->pc == Guest.to_pc)
		in->func |= 2;
	if (Guest.ops_pc && in->pc == Guest.ops_pc)
		in->func |= 4;
	in->func |= tracer_inlined_func(in->pc);
	in->shared = in->func || x->cls == X86_MARKER || x->cls == X86_FLUSH ||
		x->cls == X86_FENCE || x->cls == X86_LOCKED;
}

/* tracer_tb_trans -- instrument a freshly translated block */
static void
tracer_tb_trans(qpa_id_t id, struct qpa_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct tracer_insn *ins;
	struct x86_insn *block;
	uint64_t *next_pcs;

	int multi;

	(void)id;
	/*
	 * another thread's mmap may be changing the code objects that say
	 * whose code an instruction is (tracer_user_code): under the lock
	 */
	multi = tracer_lock(Threads.cur);
	if (!Out.header_done && !Run.child)
		tracer_first_tb(tb);
	/* the descriptors live as long as the translated code: never freed */
	ins = calloc(n ? n : 1, sizeof(*ins));
	block = calloc(n ? n : 1, sizeof(*block));
	next_pcs = calloc(n ? n : 1, sizeof(*next_pcs));
	if (!ins || !block || !next_pcs)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct qpa_insn *q = qemu_plugin_tb_get_insn(tb, i);
		ins[i].pc = qemu_plugin_insn_vaddr(q);
		ins[i].len = (uint8_t)qemu_plugin_insn_size(q);
		next_pcs[i] = ins[i].pc + ins[i].len;
		x86_decode(qemu_plugin_insn_data(q), ins[i].len, &block[i]);
	}
	for (size_t i = 0; i < n; i++) {
		struct qpa_insn *q = qemu_plugin_tb_get_insn(tb, i);
		tracer_describe(block, next_pcs, i, &ins[i]);
		qemu_plugin_register_vcpu_insn_exec_cb(q, tracer_exec_tramp,
			QPA_CB_R_REGS, &ins[i]);
		qemu_plugin_register_vcpu_mem_cb(q, tracer_store_tramp,
			QPA_CB_R_REGS, QPA_MEM_W, &ins[i]);
	}
	tracer_unlock(multi);
	free(next_pcs);
	free(block);
}

/* tracer_atexit -- QEMU is exiting: finish the files */
static void
tracer_atexit(qpa_id_t id, void *udata)
{
	int multi = tracer_lock(&Threads.t[0]);

	(void)id;
	(void)udata;
	tracer_finish(Run.exited ? "exit" : "unknown");
	tracer_unlock(multi);
}

/*
 * tracer_parse_args -- read pool=, out=, from=, to=, ops=, inlined=, whole=,
 * exact=, forks=, user=
 */
static int
tracer_parse_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		if (!v) {
			fprintf(stderr, "pmfit-tracer: bad argument '%s'\n", argv[i]);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(argv[i], "pool") == 0) {
			if (Args.npools == TRACER_MAX_POOLS) {
				fprintf(stderr, "pmfit-tracer: more than %d "
					"pool= files\n", TRACER_MAX_POOLS);
				return -1;
			}
			Args.pool_path[Args.npools++] = v;
		}
		else if (strcmp(argv[i], "out") == 0)
			Args.out_path = v;
		else if (strcmp(argv[i], "from") == 0)
			Args.from_name = v;
		else if (strcmp(argv[i], "to") == 0)
			Args.to_name = v;
		else if (strcmp(argv[i], "ops") == 0)
			Args.ops_name = v;
		else if (strcmp(argv[i], "inlined") == 0)
			Args.inlined_path = v;
		else if (strcmp(argv[i], "whole") == 0)
			Args.mode = strcmp(v, "1") == 0 ? MODE_WHOLE : Args.mode;
		else if (strcmp(argv[i], "exact") == 0)
			Args.singlestep = strcmp(v, "1") == 0;
		else if (strcmp(argv[i], "forks") == 0 &&
		    (strcmp(v, "trace") == 0 || strcmp(v, "ignore") == 0))
			Args.forks = strcmp(v, "trace") == 0 ? FORKS_TRACE :
				FORKS_IGNORE;
		else if (strcmp(argv[i], "forks") == 0) {
			fprintf(stderr, "pmfit-tracer: forks=%s: trace or "
				"ignore\n", v);
			return -1;
		}
		else if (strcmp(argv[i], "user") == 0) {
			if (Args.nuser == TRACER_MAX_USER) {
				fprintf(stderr, "pmfit-tracer: more than %d "
					"user= globs\n", TRACER_MAX_USER);
				return -1;
			}
			Args.user[Args.nuser++] = v;
		} else {
			fprintf(stderr, "pmfit-tracer: unknown argument '%s'\n",
				argv[i]);
			return -1;
		}
	}
	if (Args.npools == 0 || !Args.out_path) {
		fprintf(stderr, "pmfit-tracer: pool=PATH and out=PATH are required\n");
		return -1;
	}
	if (Args.to_name && !Args.from_name) {
		fprintf(stderr, "pmfit-tracer: to=FUNC needs from=FUNC\n");
		return -1;
	}
	if (Args.from_name)
		Args.mode = MODE_FUNC;
	return 0;
}

/* qemu_plugin_install -- entry point: check the API, parse args, register */
QPA_EXPORT int
qemu_plugin_install(qpa_id_t id, const struct qpa_info *info, int argc,
	char **argv)
{
	if (info->version.cur < QPA_API_VERSION ||
	    info->version.min > QPA_API_VERSION) {
		fprintf(stderr, "pmfit-tracer: QEMU plugin API version %d..%d is "
			"not supported (this tracer is built for version %d)\n",
			info->version.min, info->version.cur, QPA_API_VERSION);
		return -1;
	}
	if (info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
		fprintf(stderr, "pmfit-tracer: needs qemu-x86_64 user mode "
			"(got %s)\n", info->target_name);
		return -1;
	}
	if (tracer_parse_args(argc, argv) != 0 || tracer_out_open() != 0)
		return -1;
	Guest.pid = getpid();
	Win.open = Args.mode != MODE_FUNC;
	Win.provisional = Args.mode == MODE_AUTO;
	Pool.lo = UINT64_MAX;
	Out.frame = -1;
	Threads.t[0].live = 1;	/* the first thread is thread 0 */
	Threads.next_id = 1;
	Threads.created = 1;
	Threads.cur = &Threads.t[0];
	qemu_plugin_register_vcpu_init_cb(id, tracer_vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tracer_tb_trans);
	qemu_plugin_register_vcpu_syscall_cb(id, tracer_syscall);
	qemu_plugin_register_vcpu_syscall_ret_cb(id, tracer_syscall_ret);
	qemu_plugin_register_atexit_cb(id, tracer_atexit, NULL);
	return 0;
}

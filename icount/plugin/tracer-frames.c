/*
 * tracer-frames.c -- the user's line of each event: a shadow call stack per
 * thread, the code objects of the program (which of them are the user's),
 * and the frame records that tell the trace's reader, before an event, from
 * which user frame it comes (docs/trace-format.md, "User frames")
 *
 * A store made inside libc's memcpy or libpmem's pmem_memcpy_nodrain has a
 * pc in the library, whose line says nothing to the user. The event is
 * attributed instead to the innermost call on the shadow stack that the
 * user's code made (memcpy called at put.c:21), and the reader learns which
 * function that call entered (its first instruction) to name it.
 *
 * The stack follows near calls and returns (tracer-x86.c decodes them). A
 * return pops until the entry whose return address is where execution went,
 * so that longjmp and exceptions, which skip returns, resynchronize it at
 * the next return; when no entry matches it pops one. It only ever costs the
 * instructions that are calls or returns, and the one after each.
 *
 * The user's code is, by default, the main binary and every executable file
 * mapping outside the system's directories (the loader is mapped by QEMU,
 * never by the program, so it is not an object at all); user=GLOB arguments
 * replace that rule with fnmatch(3) on each object's real path. The C
 * start-up code linked into every object (_start, _init, _fini, the
 * crtstuff helpers) is never the user's: libc's start-up and exit handlers
 * run below it.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"
#include "tracer-stack.h"

/*
 * tracer_is_shim -- is path pmfit's own guest shim (icount/guest-shim.c),
 * which the driver preloads: never the user's code, never a file the
 * program opened
 */
int
tracer_is_shim(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base ? base + 1 : path, "pmfit-guest-shim.so") == 0;
}

/* tracer_user_path -- is the code of the object at path the user's? */
int
tracer_user_path(const char *path, int main)
{
	static const char *system[] = { "/usr/", "/lib/", "/lib32/",
		"/lib64/", "/libx32/", "/bin/", "/sbin/", "/opt/", "/etc/" };
	const char *base = strrchr(path, '/');

	if (tracer_is_shim(path))
		return 0;
	if (Args.nuser > 0) {
		for (int i = 0; i < Args.nuser; i++) {
			if (fnmatch(Args.user[i], path, 0) == 0)
				return 1;
		}
		return 0;
	}
	if (main)
		return 1;
	base = base ? base + 1 : path;
	if (strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld64.so", 7) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++) {
		if (strncmp(path, system[i], strlen(system[i])) == 0)
			return 0;
	}
	return 1;
}

/* tracer_user_code -- is the instruction at pc the user's code? */
int
tracer_user_code(uint64_t pc)
{
	for (int i = 0; i < Objects.n; i++) {
		const struct tracer_object *o = &Objects.o[i];
		if (pc - o->lo >= o->hi - o->lo)
			continue;
		if (!o->user)
			return 0;
		for (int k = 0; k < o->nexcl; k++) {
			if (pc - o->excl[k][0] < o->excl[k][1] - o->excl[k][0])
				return 0;
		}
		return 1;
	}
	return 0;
}

/* tracer_emit_object -- write a kind-9 record for one code object */
static void
tracer_emit_object(const struct tracer_object *o)
{
	uint64_t range[2] = { o->lo, o->hi };
	uint8_t flags = (uint8_t)((o->user ? TO_USER : 0) |
		(o->main ? TO_MAIN : 0));

	tracer_emit(TK_OBJECT, flags, 0, o->bias, range, sizeof(range),
		o->path, strlen(o->path));
}

/* tracer_emit_objects -- write every object again (the trace restarted) */
void
tracer_emit_objects(void)
{
	for (int i = 0; i < Objects.n; i++)
		tracer_emit_object(&Objects.o[i]);
	Out.frame = -1;
}

/*
 * tracer_object_add -- remember a code object and record it; one that
 * overlaps it is forgotten (a library unmapped, another mapped there)
 */
void
tracer_object_add(const struct tracer_object *o)
{
	for (int i = 0; i < Objects.n; i++) {
		struct tracer_object *p = &Objects.o[i];
		if (o->lo < p->hi && o->hi > p->lo) {
			if (p->lo == o->lo && p->hi == o->hi &&
			    strcmp(p->path, o->path) == 0)
				return; /* the same mapping again */
			*p = Objects.o[--Objects.n];
			i--;
		}
	}
	if (Objects.n == TRACER_MAX_OBJECTS) {
		Objects.more = 1;
		return;
	}
	Objects.o[Objects.n++] = *o;
	tracer_emit_object(o);
}

/*
 * tracer_object_mapped -- the program mapped [addr, addr+len) of file
 * descriptor fd, at file offset off, executable: a library's code
 */
void
tracer_object_mapped(int fd, uint64_t addr, uint64_t len, uint64_t off)
{
	static struct tracer_object o;
	char link[64];
	ssize_t n;

	/* QEMU user mode keeps the guest's file descriptors as its own */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, o.path, sizeof(o.path) - 1);
	if (n <= 0)
		return;
	o.path[n] = '\0';
	o.main = 0;
	o.user = tracer_user_path(o.path, 0);
	if (tracer_elf_object(o.path, addr, off, len, &o) != 0)
		return;
	tracer_object_add(&o);
}

/*
 * tracer_frame_before -- an event of the instruction at pc is about to be
 * written (by thread Threads.cur): write a frame record first when its user
 * frame differs from the previous event's, whichever thread that was (a
 * frame record applies to the records after it in the file)
 */
void
tracer_frame_before(uint64_t pc)
{
	struct tracer_stack *s = &Threads.cur->stack;
	int kind = TF_OUTSIDE;
	uint64_t upc = 0, callee = 0;

	if (tracer_user_code(pc)) {
		kind = TF_OWN;
	} else if (s->nuser) {
		for (unsigned i = s->depth; i-- > 0;) {
			const struct tracer_frame *f = tracer_frame_at(s, i);
			if (f->user) {
				kind = TF_CALLER;
				upc = f->call_pc;
				callee = f->callee;
				break;
			}
		}
	}
	if (kind == Out.frame && upc == Out.frame_pc &&
	    callee == Out.frame_callee)
		return;
	Out.frame = kind;
	Out.frame_pc = upc;
	Out.frame_callee = callee;
	tracer_emit(TK_FRAME, (uint8_t)kind, 0, upc, &callee,
		kind == TF_CALLER ? 8 : 0, NULL, 0);
}

/*
 * tracer-inlined.c -- the inlined copies of the from= / to= / ops= functions:
 * where each copy begins and which addresses are its code, read from the
 * file inlined=PATH names, and when a thread begins and ends a call of one
 *
 * The driver finds the copies in the main binary's debug info
 * (icount/inlined-instances.ts) and writes them to a file rather than into
 * the plugin's arguments: QEMU splits those at commas and passes them on
 * QEMU's command line, and a function inlined in hundreds of places, each
 * copy in several address ranges, does not fit there. One copy per line:
 *
 *	ROLE ENTRY LO-HI [LO-HI...]
 *
 * ROLE is from, to or ops; the addresses are hex, link-time (the main
 * binary's load bias is added here); '#' starts a comment line.
 *
 * An inlined copy has no entry instruction of its own and no return. A
 * thread begins a call of a copy when it reaches the copy's entry (its
 * DW_AT_entry_pc) without being inside that copy already (a loop whose head
 * is the entry jumps back there within one call), and the call ends at the
 * first instruction of the thread outside the copy's ranges at the copy's
 * own call depth: a call made from inside the copy runs deeper in the shadow
 * call stack (tracer-stack.h) and does not end it. While a thread is inside
 * a copy every instruction of every thread takes the exec callback's slow
 * path (Inlined.inside), as while a from= without to= waits for its return.
 *
 * What the debug info calls the copy's ranges is what the compiler said its
 * instructions are: a caller's instruction the scheduler moved between two
 * of them ends the call there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer.h"

/* roles a thread can be inside a call of (to= needs only the entry) */
#define INL_SLOT_FROM 0
#define INL_SLOT_OPS 1
#define INL_SLOTS 2

/* struct tracer_inl_copy -- one inlined copy of a from=/to=/ops= function */
struct tracer_inl_copy {
	uint64_t entry;		/* run-time address where a call begins */
	int role;		/* enum tracer_inl_role */
	int nranges;
	uint64_t (*range)[2];	/* run-time [lo, hi) of its code */
};

/* struct tracer_inl_call -- the copy a thread is inside, at which depth */
struct tracer_inl_call {
	const struct tracer_inl_copy *copy;	/* NULL: none */
	uint64_t depth;
};

struct tracer_inlined Inlined;

static struct tracer_inl_copy *Copies;	/* sorted by entry */
static size_t Ncopies;
static struct tracer_inl_call Calls[TRACER_MAX_VCPUS][INL_SLOTS];

/* tracer_inl_role_of -- the role a line names, -1 if none */
static int
tracer_inl_role_of(const char *word)
{
	if (strcmp(word, "from") == 0)
		return TI_ROLE_FROM;
	if (strcmp(word, "to") == 0)
		return TI_ROLE_TO;
	if (strcmp(word, "ops") == 0)
		return TI_ROLE_OPS;
	return -1;
}

/* tracer_inl_parse -- one line of the file into c; -1 if malformed */
static int
tracer_inl_parse(char *line, struct tracer_inl_copy *c)
{
	char *save = NULL;
	char *word = strtok_r(line, " \t\n", &save);
	char *end;

	c->nranges = 0;
	c->range = NULL;
	if (!word || (c->role = tracer_inl_role_of(word)) < 0)
		return -1;
	word = strtok_r(NULL, " \t\n", &save);
	if (!word)
		return -1;
	c->entry = Guest.main_base + strtoull(word, &end, 16);
	if (*end != '\0')
		return -1;
	while ((word = strtok_r(NULL, " \t\n", &save)) != NULL) {
		uint64_t lo = strtoull(word, &end, 16), hi;
		if (*end != '-')
			return -1;
		hi = strtoull(end + 1, &end, 16);
		if (*end != '\0' || hi <= lo)
			return -1;
		c->range = realloc(c->range, (size_t)(c->nranges + 1) *
			sizeof(*c->range));
		if (!c->range)
			abort();
		c->range[c->nranges][0] = Guest.main_base + lo;
		c->range[c->nranges][1] = Guest.main_base + hi;
		c->nranges++;
	}
	return c->nranges > 0 ? 0 : -1;
}

/* tracer_inl_cmp -- qsort order of the copies: by entry, then role */
static int
tracer_inl_cmp(const void *a, const void *b)
{
	const struct tracer_inl_copy *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return x->role - y->role;
}

/*
 * tracer_inlined_load -- read the copies named by inlined= (once the main
 * binary's load bias is known); -1 with a message when the file is bad
 */
int
tracer_inlined_load(void)
{
	char line[4096];
	FILE *f;
	int lineno = 0;

	if (!Args.inlined_path)
		return 0;
	f = fopen(Args.inlined_path, "r");
	if (!f) {
		fprintf(stderr, "pmfit-tracer: cannot read %s\n",
			Args.inlined_path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct tracer_inl_copy c;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "pmfit-tracer: %s:%d: line too long\n",
				Args.inlined_path, lineno);
			fclose(f);
			return -1;
		}
		if (tracer_inl_parse(line, &c) != 0) {
			fprintf(stderr, "pmfit-tracer: %s:%d: not ROLE ENTRY "
				"LO-HI...\n", Args.inlined_path, lineno);
			free(c.range);
			fclose(f);
			return -1;
		}
		Copies = realloc(Copies, (Ncopies + 1) * sizeof(*Copies));
		if (!Copies)
			abort();
		Copies[Ncopies++] = c;
	}
	fclose(f);
	qsort(Copies, Ncopies, sizeof(*Copies), tracer_inl_cmp);
	return 0;
}

/* tracer_inlined_has -- whether the function of `role` has inlined copies */
int
tracer_inlined_has(int role)
{
	for (size_t i = 0; i < Ncopies; i++)
		if (Copies[i].role == role)
			return 1;
	return 0;
}

/* tracer_inl_find -- the copy of `role` whose entry is pc, or NULL */
static const struct tracer_inl_copy *
tracer_inl_find(uint64_t pc, int role)
{
	size_t lo = 0, hi = Ncopies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (Copies[mid].entry < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < Ncopies && Copies[lo].entry == pc; lo++)
		if (Copies[lo].role == role)
			return &Copies[lo];
	return NULL;
}

/*
 * tracer_inlined_func -- at translation: the tracer_insn func bits of an
 * instruction at pc that is the entry of inlined copies (0 for most)
 */
uint8_t
tracer_inlined_func(uint64_t pc)
{
	uint8_t func = 0;

	if (Ncopies == 0)
		return 0;
	if (tracer_inl_find(pc, TI_ROLE_FROM))
		func |= TE_INL_FROM;
	if (tracer_inl_find(pc, TI_ROLE_TO))
		func |= TE_TO;
	if (tracer_inl_find(pc, TI_ROLE_OPS))
		func |= TE_INL_OPS;
	return func;
}

/*
 * tracer_inl_depth -- how deep thread t's shadow call stack is, counting the
 * entries dropped when its ring was full (deep recursion)
 */
static uint64_t
tracer_inl_depth(const struct tracer_thread *t)
{
	return t->stack.depth + t->stack.dropped;
}

/* tracer_inl_contains -- whether pc is code of copy c */
static int
tracer_inl_contains(const struct tracer_inl_copy *c, uint64_t pc)
{
	for (int i = 0; i < c->nranges; i++)
		if (pc >= c->range[i][0] && pc < c->range[i][1])
			return 1;
	return 0;
}

/* tracer_inl_begin -- thread t at the entry of its copy of `role`: a new call? */
static int
tracer_inl_begin(struct tracer_thread *t, uint64_t pc, uint64_t depth,
	int role, int slot)
{
	struct tracer_inl_call *call = &Calls[t - Threads.t][slot];
	const struct tracer_inl_copy *c = tracer_inl_find(pc, role);

	if (!c)
		return 0;
	/* back at the entry within the same call: a loop inside the copy */
	if (call->copy == c && call->depth == depth)
		return 0;
	if (!call->copy)
		Inlined.inside++;
	call->copy = c;
	call->depth = depth;
	return 1;
}

/*
 * tracer_inlined_enter -- thread t executes an entry of inlined copies
 * (TE_INL_FROM, TE_INL_OPS): the TE_FROM / TE_OPS bits of the calls that
 * begin here
 */
uint8_t
tracer_inlined_enter(struct tracer_thread *t, const struct tracer_insn *in)
{
	/* the stack already counts a call that is the entry instruction itself */
	uint64_t depth = tracer_inl_depth(t) -
		(in->flow == X86_FLOW_CALL ? 1 : 0);
	uint8_t calls = 0;

	if ((in->func & TE_INL_FROM) &&
	    tracer_inl_begin(t, in->pc, depth, TI_ROLE_FROM, INL_SLOT_FROM))
		calls |= TE_FROM;
	if ((in->func & TE_INL_OPS) &&
	    tracer_inl_begin(t, in->pc, depth, TI_ROLE_OPS, INL_SLOT_OPS))
		calls |= TE_OPS;
	return calls;
}

/*
 * tracer_inlined_watch -- the call of a from= copy that thread t just began
 * opened the window: its end closes it (tracer_inlined_step)
 */
void
tracer_inlined_watch(const struct tracer_thread *t)
{
	Inlined.watch = 1;
	Inlined.watch_by = t->id;
}

/*
 * tracer_inlined_step -- thread t is about to execute in while some thread
 * is inside a copy: end t's calls it has left; 1 when the call that opened
 * the window ended (the window closes)
 */
int
tracer_inlined_step(struct tracer_thread *t, const struct tracer_insn *in)
{
	struct tracer_inl_call *calls = Calls[t - Threads.t];
	uint64_t depth = tracer_inl_depth(t);
	int ended = 0;

	for (int s = 0; s < INL_SLOTS; s++) {
		struct tracer_inl_call *call = &calls[s];
		if (!call->copy || depth > call->depth ||
		    (depth == call->depth &&
		     tracer_inl_contains(call->copy, in->pc)))
			continue;
		call->copy = NULL;
		Inlined.inside--;
		if (s == INL_SLOT_FROM && Inlined.watch &&
		    Inlined.watch_by == t->id) {
			Inlined.watch = 0;
			ended = 1;
		}
	}
	return ended;
}

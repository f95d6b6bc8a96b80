/*
 * pmemalloc-test.c -- allocate, activate and free through pmemalloc
 *
 *	pmemalloc-test init POOL	format a 64 KiB pmemalloc pool
 *	pmemalloc-test run POOL		five operations (see palloc_run) on
 *					four root slots in the static area
 *	pmemalloc-test check POOL	recover, print the slots, check every
 *					slot's object and that nothing leaked
 *
 * Exercises the paths binarytree does not: pmemalloc_onfree,
 * pmemalloc_free, and reuse (merge and split) of freed clumps.  Every
 * operation is all-or-nothing across crashes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmem.h>

#include "icount.h"
#include "npool.h"
#include "pmemalloc.h"

#define PALLOC_POOL_SIZE (64 * 1024)
#define PALLOC_SLOTS 4
#define PALLOC_MAX_CLUMPS (PALLOC_POOL_SIZE / 128)

/* the application's roots, in pmemalloc's static area */
struct palloc_root {
	uint64_t slot_[PALLOC_SLOTS];
};

/* an object: a tag and its size, then size bytes of the tag's byte */
struct palloc_obj {
	uint64_t tag;
	uint64_t size;
	unsigned char fill[];
};

/* what the check remembers about the ACTIVE clumps */
struct palloc_seen {
	uint64_t active[PALLOC_MAX_CLUMPS];
	int nactive;
};

/*
 * palloc_init -- format the pool; all slots empty
 */
static void
palloc_init(char *base, size_t size)
{
	if (pmemalloc_format(base, size)) {
		fprintf(stderr, "pmemalloc-test: cannot format the pool\n");
		exit(2);
	}
}

/*
 * palloc_prepare -- recover before the snippet; the slots must be empty
 */
static void
palloc_prepare(char *base, size_t size)
{
	char why[160];

	if (pmemalloc_recover(base, size, why, sizeof(why))) {
		fprintf(stderr, "pmemalloc-test: %s (run init first)\n", why);
		exit(2);
	}
	for (int s = 0; s < PALLOC_SLOTS; s++) {
		if (((struct palloc_root *)pmemalloc_static_area(base))
				->slot_[s] == 0)
			continue;
		fprintf(stderr, "pmemalloc-test: run needs a fresh pool"
				" (run init first)\n");
		exit(2);
	}
}

/*
 * palloc_new -- allocate an object of size bytes into an empty slot
 */
static void
palloc_new(void *pmp, int slot, uint64_t tag, size_t size)
{
	struct palloc_root *root = pmemalloc_static_area(pmp);
	struct palloc_obj *op;
	uint64_t o_;

	if ((o_ = pmemalloc_reserve(pmp, sizeof(*op) + size)) == 0) {
		fprintf(stderr, "pmemalloc-test: pool full\n");
		exit(1);
	}
	op = PMEM(pmp, o_);
	op->tag = tag;
	op->size = size;
	memset(op->fill, (int)tag, size);
	pmem_persist(op, sizeof(*op) + size);
	pmemalloc_onactive(pmp, o_, &root->slot_[slot], o_);
	pmemalloc_activate(pmp, o_);
}

/*
 * palloc_delete -- free the object of a slot and empty the slot
 */
static void
palloc_delete(void *pmp, int slot)
{
	struct palloc_root *root = pmemalloc_static_area(pmp);
	uint64_t o_ = root->slot_[slot];

	pmemalloc_onfree(pmp, o_, &root->slot_[slot], 0);
	pmemalloc_free(pmp, o_);
}

/*
 * palloc_run -- the snippet under test: five operations
 */
static void
palloc_run(char *base, size_t size, int argc, char *argv[])
{
	(void)size;
	(void)argc;
	(void)argv;
	palloc_new(base, 0, 'a', 100);
	icount_marker("op");
	palloc_new(base, 1, 'b', 300);
	icount_marker("op");
	palloc_delete(base, 0);
	icount_marker("op");
	palloc_new(base, 2, 'c', 40);
	icount_marker("op");
	palloc_delete(base, 1);
}

/*
 * palloc_collect -- pmemalloc_walk callback: remember ACTIVE clumps
 */
static int
palloc_collect(void *arg, uint64_t ptr_, size_t usable,
		enum pmemalloc_state state)
{
	struct palloc_seen *seen = arg;

	(void)usable;
	if (state == PMEMALLOC_ACTIVE)
		seen->active[seen->nactive++] = ptr_;
	else if (state != PMEMALLOC_FREE)
		return -1;
	return 0;
}

/*
 * palloc_check -- recover, print the slots, check objects and leaks
 */
static int
palloc_check(char *base, size_t size)
{
	static struct palloc_seen seen;
	struct palloc_root *root;
	char why[160];
	int nref = 0;

	if (pmemalloc_recover(base, size, why, sizeof(why)))
		return npool_bad("%s", why);
	seen.nactive = 0;
	if (pmemalloc_walk(base, palloc_collect, &seen))
		return npool_bad("clump in a transient state after recovery");

	root = pmemalloc_static_area(base);
	for (int s = 0; s < PALLOC_SLOTS; s++) {
		uint64_t o_ = root->slot_[s];
		struct palloc_obj *op;
		int found = 0;

		if (o_ == 0) {
			printf("slot%d empty\n", s);
			continue;
		}
		for (int i = 0; i < seen.nactive; i++)
			found |= seen.active[i] == o_;
		if (!found)
			return npool_bad("slot%d points at 0x%llx, not an"
					" ACTIVE clump", s,
					(unsigned long long)o_);
		for (int t = 0; t < s; t++)
			if (root->slot_[t] == o_)
				return npool_bad("slot%d and slot%d share"
						" 0x%llx", t, s,
						(unsigned long long)o_);
		nref++;
		op = PMEM(base, o_);
		if (op->size > size - o_ - sizeof(*op))
			return npool_bad("slot%d object has bad size %llu", s,
					(unsigned long long)op->size);
		for (uint64_t i = 0; i < op->size; i++)
			if (op->fill[i] != (unsigned char)op->tag)
				return npool_bad("slot%d object corrupt at"
						" byte %llu", s,
						(unsigned long long)i);
		printf("slot%d tag=%c size=%llu\n", s, (int)op->tag,
				(unsigned long long)op->size);
	}
	if (nref != seen.nactive)
		return npool_bad("leak: %d ACTIVE clumps, %d referenced",
				seen.nactive, nref);
	return NPOOL_EXIT_OK;
}

static const struct npool_scenario palloc_scenario = {
	.name = "pmemalloc-test",
	.pool_size = PALLOC_POOL_SIZE,
	.init = palloc_init,
	.prepare = palloc_prepare,
	.run = palloc_run,
	.check = palloc_check,
	.check_writes = 1,
};

/*
 * main -- pmemalloc-test init|run|check POOL
 */
int
main(int argc, char *argv[])
{
	return npool_main(&palloc_scenario, argc, argv);
}
